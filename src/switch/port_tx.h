/* port_tx: the send path QueueOut and PortOut share: what the tx ring does
 * not take is freed and counted, never retried (a down vhost port must not
 * stall the worker). */
#ifndef KB_SWITCH_PORT_TX_H
#define KB_SWITCH_PORT_TX_H

#include <rte_ethdev.h>

#include "module.h"

static inline uint16_t port_tx(struct module *m, uint16_t pid, uint16_t q,
			       struct pkt_batch *b)
{
	uint16_t sent = rte_eth_tx_burst(pid, q, b->pkts, b->cnt);

	if (sent < b->cnt) {
		m->drops += b->cnt - sent;
		rte_pktmbuf_free_bulk(&b->pkts[sent], b->cnt - sent);
	}
	b->cnt = 0;
	return sent;
}

#endif
