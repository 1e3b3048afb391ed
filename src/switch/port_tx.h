/* port_tx: the send path QueueOut and PortOut share: what the tx ring does
 * not take is freed and counted, never retried (a down vhost port must not
 * stall the worker). */
#ifndef KB_SWITCH_PORT_TX_H
#define KB_SWITCH_PORT_TX_H

#include <rte_ethdev.h>

#include "module.h"
#include "port_offload.h"

static inline uint16_t port_tx(struct module *m, uint16_t pid, uint16_t q,
			       struct pkt_batch *b, struct port_offload *ol)
{
	uint64_t f = 0;

	/* one OR per frame: the frames are in cache, L2Forward just read them */
	for (uint16_t i = 0; i < b->cnt; i++)
		f |= b->pkts[i]->ol_flags;
	if (unlikely(f & OFFLOAD_TX_FLAGS) && ol)
		return port_offload_tx(m, ol, pid, q, b);

	uint16_t sent = rte_eth_tx_burst(pid, q, b->pkts, b->cnt);

	if (sent < b->cnt) {
		m->drops += b->cnt - sent;
		rte_pktmbuf_free_bulk(&b->pkts[sent], b->cnt - sent);
	}
	b->cnt = 0;
	return sent;
}

#endif
