/* port_offload.h: carry a packet's offload requests across the switch.
 *
 * A VM hands its vhost-user port a TSO frame (64 KB, virtio's GSO header)
 * or a frame whose TCP checksum it left partial (NEEDS_CSUM).  The vhost
 * library turns that into Rx flags (RTE_MBUF_F_RX_LRO + tso_segsz,
 * RTE_MBUF_F_RX_L4_CKSUM_NONE) on dequeue, but reads Tx flags
 * (RTE_MBUF_F_TX_TCP_SEG, RTE_MBUF_F_TX_TCP_CKSUM, l2/l3/l4_len) on
 * enqueue to the next VM.  Turning one into the other passes the frame on
 * unchanged, still one frame and still partial: the receiving VM is told
 * by its own virtio header, exactly as if the sender were on its wire. */
#ifndef KB_SWITCH_PORT_OFFLOAD_H
#define KB_SWITCH_PORT_OFFLOAD_H

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>

#define OFFLOAD_RX_FLAGS (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_MASK)

/* The Tx checksum request of a TCP (tcp) or UDP frame whose IP header (ipv:
 * RTE_MBUF_F_TX_IPV4 or _IPV6) starts at l2 and is l3 long, with its
 * header lengths; false when the L4 header is not in the first segment.
 * Serves net_vhost's Rx flags (below) and a VhostPort guest's virtio
 * header (vhost_dev.c). */
static inline bool offload_tx_cksum(struct rte_mbuf *m, uint32_t l2, uint32_t l3, uint64_t ipv,
				    bool tcp)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l4 = 8;

	if (rte_pktmbuf_data_len(m) < l2 + l3 + (tcp ? 20 : 8))
		return false;
	if (tcp)
		l4 = (p[l2 + l3 + 12] >> 4) * 4u;
	m->ol_flags |= ipv | (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
	m->l2_len = l2;
	m->l3_len = l3;
	m->l4_len = l4;
	return true;
}

/* Returns false for a frame whose headers it cannot find (then it is left
 * alone: its checksum stays partial, the receiver counts it bad). */
static inline bool offload_rx_to_tx_one(struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags;
	uint32_t pt = m->packet_type;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l2 = RTE_ETHER_HDR_LEN, l3;

	if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return true;   /* complete checksum (or none claimed): nothing to carry */
	if ((pt & RTE_PTYPE_L2_MASK) == RTE_PTYPE_L2_ETHER_VLAN)
		l2 += 4;
	if (RTE_ETH_IS_IPV4_HDR(pt) && rte_pktmbuf_data_len(m) >= l2 + 20)
		l3 = (p[l2] & 0x0f) * 4u;
	else if ((pt & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV6)
		l3 = 40;   /* the library's parse stops at extension headers too */
	else
		return false;
	uint64_t ipv = l3 == 40 && !RTE_ETH_IS_IPV4_HDR(pt) ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;

	if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP) {
		if (!offload_tx_cksum(m, l2, l3, ipv, true))
			return false;
		if (f & RTE_MBUF_F_RX_LRO)
			m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;   /* tso_segsz came along */
		return true;
	}
	if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP)
		return offload_tx_cksum(m, l2, l3, ipv, false);
	return false;
}

/* A burst from a port with offloads on; frames without any are one test. */
static inline void offload_rx_to_tx(struct rte_mbuf **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (unlikely(pkts[i]->ol_flags & OFFLOAD_RX_FLAGS))
			offload_rx_to_tx_one(pkts[i]);
}

/* ---- egress: what the far end of a port cannot take ----
 *
 * A frame asking for TSO or a checksum goes out as it is when the next hop
 * takes it: a vhost-user port whose guest negotiated GUEST_TSO4 /
 * GUEST_CSUM (any Linux virtio-net, our layer with offloads on), or a port
 * with the Tx offload.  For one that does not (a guest with offloads off,
 * net_pcap), the switch does the work: rte_gso cuts the frame into MSS
 * segments and the checksums are completed in software, so every receiver
 * gets frames it can read.  Counted per port (`show port`). */
#include <rte_gso.h>

struct module;
struct pkt_batch;
struct port_base;

struct port_offload {
	bool vhost;              /* the far end is a net_vhost guest: ask its features */
	bool own_vhost;          /* a VhostPort's guest: guest_features says */
	uint64_t guest_features; /* VhostPort: its guest's (0 while none is there) */
	uint64_t tx_offloads;    /* else: what the port was configured with */
	struct rte_gso_ctx gso;  /* a template: each frame sets its own gso_size */
	uint64_t gso_frames, gso_segs, sw_cksum;
	uint64_t gso_drops;      /* TSO frames that could not be cut (dropped) */
};

#define OFFLOAD_TX_FLAGS (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK)

/* Send a batch some of whose frames ask for offloads (port_tx.h); drops
 * are counted in m->drops.  Returns the frames sent. */
uint16_t port_offload_tx(struct module *m, struct port_base *pb, uint16_t q, struct pkt_batch *b);

/* The checksums a frame asked for (TX_IPV4/TX_IPV6, TX_TCP_CKSUM or
 * TX_UDP_CKSUM, l2_len and l3_len set): complete (the flags cleared; true),
 * or, when partial, the L4 field set to the pseudo-header sum of this
 * frame's own length, as virtio's NEEDS_CSUM wants it (false). */
bool offload_fix_cksums(struct rte_mbuf *m, bool partial);

#endif
