/* port_tx: the send path QueueOut and PortOut share: what the tx ring does
 * not take is freed and counted, never retried (a down vhost port must not
 * stall the worker). */
#ifndef KB_SWITCH_PORT_TX_H
#define KB_SWITCH_PORT_TX_H

#include "port.h"

static inline uint16_t port_tx(struct module *m, struct port_base *pb, uint16_t q,
			       struct pkt_batch *b)
{
	uint64_t f = 0;

	/* one OR per frame: the frames are in cache, L2Forward just read them */
	for (uint16_t i = 0; i < b->cnt; i++)
		f |= b->pkts[i]->ol_flags;
	if (unlikely(f & OFFLOAD_TX_FLAGS))
		return port_offload_tx(m, pb, q, b);

	uint16_t sent = port_tx_burst(pb, q, b->pkts, b->cnt);

	if (sent < b->cnt) {
		m->drops += b->cnt - sent;
		rte_pktmbuf_free_bulk(&b->pkts[sent], b->cnt - sent);
	}
	b->cnt = 0;
	return sent;
}

#endif
