/* State shared by the port-facing modules (QueueInc/Out, PortInc/Out). */
#ifndef SW_PORTQ_H
#define SW_PORTQ_H

#include <rte_ethdev.h>

#include "sw_pipeline.h"

struct sw_portq {
	struct sw_port *port;
	int qid;            /* -1: every queue of the port (PortInc/PortOut) */
	int next_q;         /* PortInc/PortOut: round-robin */
	uint64_t pkts, bytes, tx_drops;
};

/* Receive a burst into b from one queue; counts. */
static inline uint16_t sw_portq_rx(struct sw_portq *s, uint16_t q, struct sw_batch *b)
{
	b->n = rte_eth_rx_burst((uint16_t)s->port->port_id, q, b->pkts, SW_BURST);
	s->pkts += b->n;
	for (uint16_t i = 0; i < b->n; i++)
		s->bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	return b->n;
}

/* Transmit b; what the TX ring can't take (full ring, or a vhost port whose
 * VM is not connected) is freed and counted, never retried: a stuck peer
 * must not stall the worker. */
static inline void sw_portq_tx(struct sw_portq *s, uint16_t q, struct sw_batch *b)
{
	uint16_t sent = rte_eth_tx_burst((uint16_t)s->port->port_id, q, b->pkts, b->n);
	s->pkts += sent;
	for (uint16_t i = 0; i < sent; i++)
		s->bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	if (sent < b->n) {
		s->tx_drops += b->n - sent;
		rte_pktmbuf_free_bulk(b->pkts + sent, b->n - sent);
	}
	b->n = 0;
}

static inline int sw_portq_show(struct sw_module *m, char *buf, size_t len)
{
	struct sw_portq *s = m->priv;
	return snprintf(buf, len, "port=%s pkts=%" PRIu64 " bytes=%" PRIu64 " tx_drops=%" PRIu64,
			s->port->name, s->pkts, s->bytes, s->tx_drops);
}

/* Validate (port, qid) or (port) and claim the queue(s). */
int sw_portq_init(struct sw_module *m, const struct script_args *a, bool rx,
		  bool all_queues, struct kb_err *err);

#endif
