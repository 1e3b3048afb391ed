/* port_pmd: PMDPort, a DPDK ethdev (any vdev, PCI device or port id) whose
 * queues are claimed by exactly one QueueInc/QueueOut/PortInc/PortOut each. */
#ifndef KB_SWITCH_PORT_PMD_H
#define KB_SWITCH_PORT_PMD_H

#include "module.h"

enum port_dir { PORT_INC, PORT_OUT };

/* Claims queue qid (-1: every queue) of the port named by v (a module
 * reference or its name) for claimer; errors point at v. */
int pmd_port_claim(struct module *claimer, const struct script_value *v,
		   enum port_dir dir, int qid, struct module **port, struct kb_err *err);
uint16_t pmd_port_id(const struct module *port);
int pmd_port_nb_queues(const struct module *port, enum port_dir dir);
unsigned pmd_port_mbufs_needed(const struct module *port);
/* The wake-up of rx queue qid (started port), or NULL when it has none
 * (its driver offers no rx interrupt, or the switch runs --pure-poll). */
struct kb_rxintr *pmd_port_rxintr(struct module *port, int qid);
/* The port was started with checksum/TSO offloads: what it receives may
 * carry Rx offload flags to turn into Tx ones (port_offload.h). */
bool pmd_port_offloads(const struct module *port);
/* Its egress adaptation state (port_offload.h), for QueueOut/PortOut. */
struct port_offload *pmd_port_offload(struct module *port);

/* What `kbctl monitor port` rates: the device's counters, with the drops of
 * the modules sending through it (a full tx ring is their counted drop). */
struct port_counters {
	uint64_t rx_pkts, rx_bytes, rx_drops;   /* rx_drops: missed + errors + no mbuf */
	uint64_t tx_pkts, tx_bytes, tx_drops;   /* tx_drops: errors + senders' drops */
};
/* Returns -1 when the port is not started. */
int pmd_port_counters(const struct module *port, struct port_counters *c);

#endif
