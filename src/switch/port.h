/* port: what the queue modules (QueueInc, QueueOut, PortInc, PortOut) and
 * `show port` need of a port, whatever its class: PMDPort, a DPDK ethdev
 * (port_pmd.c), or VhostPort, kbswitch's own vhost-user backend
 * (port_vhost.c).  Each class's private state starts with a port_base.
 * An ethdev's bursts are called directly (ops->rx/tx NULL): the common
 * case pays no indirect call. */
#ifndef KB_SWITCH_PORT_H
#define KB_SWITCH_PORT_H

#include <rte_ethdev.h>

#include "module.h"
#include "port_offload.h"

#define PORT_MAX_Q 16

enum port_dir { PORT_INC, PORT_OUT };

/* What `kbctl monitor port` rates: the port's counters, with the drops of
 * the modules sending through it (a full tx ring is their counted drop). */
struct port_counters {
	uint64_t rx_pkts, rx_bytes, rx_drops;   /* rx_drops: missed + errors + no mbuf */
	uint64_t tx_pkts, tx_bytes, tx_drops;   /* tx_drops: errors + senders' drops */
};

struct port_base;

struct port_ops {
	/* NULL: an ethdev, burst through rte_eth_rx_burst(pid) */
	uint16_t (*rx)(struct port_base *pb, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	/* NULL: rte_eth_tx_burst(pid).  Takes pkts[0..return) */
	uint16_t (*tx)(struct port_base *pb, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	/* The wake-up of rx queue q, or NULL when it has none. */
	struct kb_rxintr *(*rxintr)(struct port_base *pb, int q);
	/* The port's own counters; -1 when it is not started. */
	int (*counters)(const struct port_base *pb, struct port_counters *c);
	unsigned (*mbufs_needed)(const struct port_base *pb);
};

struct port_base {
	const struct port_ops *ops;
	int64_t nq[2];
	struct module *claim[2][PORT_MAX_Q];
	bool offloads;              /* frames may carry Rx offload flags (port_offload.h) */
	struct port_offload ol;     /* its egress adaptation state */
	uint16_t pid;               /* ethdev id; VhostPort: an id no ethdev has */
};

static inline struct port_base *port_base(struct module *port)
{
	return port->priv;
}

/* Claims queue qid (-1: every queue) of the port named by v (a module
 * reference or its name) for claimer; errors point at v. */
int port_claim(struct module *claimer, const struct script_value *v, enum port_dir dir, int qid,
	       struct module **port, struct kb_err *err);
unsigned port_mbufs_needed(struct module *port);
struct kb_rxintr *port_rxintr(struct port_base *pb, int q);
/* Returns -1 when the port is not started. */
int port_counters(struct module *port, struct port_counters *c);

static inline uint16_t port_rx(struct port_base *pb, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return pb->ops->rx ? pb->ops->rx(pb, q, pkts, n) : rte_eth_rx_burst(pb->pid, q, pkts, n);
}

static inline uint16_t port_tx_burst(struct port_base *pb, uint16_t q, struct rte_mbuf **pkts,
				     uint16_t n)
{
	return pb->ops->tx ? pb->ops->tx(pb, q, pkts, n) : rte_eth_tx_burst(pb->pid, q, pkts, n);
}

#endif
