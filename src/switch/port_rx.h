/* port_rx: the receive burst QueueInc and PortInc share, sized in bytes as
 * well as in packets.
 *
 * A vhost-user port copies every frame out of the guest (dequeue) and into
 * the next guest (enqueue), and the receiving guest sees a burst only once
 * the whole burst is enqueued.  With TSO a frame is up to 64 KB, so a burst
 * of KB_BURST frames is 2 MB copied twice (~150 us on one core) before the
 * receiver gets its first byte: sender and receiver then work in clumps,
 * one after the other, instead of overlapping with the switch.  So the
 * next burst asks for about PORT_RX_BYTES: KB_BURST small frames, or two
 * 64 KB ones.  Measured through kbswitch, one bulk flow (1 MB windows):
 * 24 Gbit/s with 32-frame bursts, 33 with 2-frame ones on the same host. */
#ifndef KB_SWITCH_PORT_RX_H
#define KB_SWITCH_PORT_RX_H

#include "port.h"

#define PORT_RX_BYTES (128u * 1024u)

static inline uint16_t port_rx_burst(struct port_base *pb, uint16_t q, struct pkt_batch *b,
				     uint16_t *want)
{
	uint16_t n = port_rx(pb, q, b->pkts, *want ? *want : KB_BURST);
	uint32_t bytes, next;

	b->cnt = n;
	if (!n)
		return 0;
	bytes = pkt_batch_bytes(b);
	/* n * PORT_RX_BYTES / bytes frames of this burst's mean length */
	next = (uint32_t)((uint64_t)n * PORT_RX_BYTES / (bytes ? bytes : 1));
	*want = (uint16_t)(next < 1 ? 1 : next > KB_BURST ? KB_BURST : next);
	return n;
}

#endif
