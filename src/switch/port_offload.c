/* port_offload.c: frames whose offload requests the next hop cannot take
 * (port_offload.h): segmented with rte_gso, checksums completed here. */
#include <string.h>

#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_vhost.h>

#include "module.h"
#include "port.h"

#define VIRTIO_GUEST_CSUM (1ULL << 1)    /* VIRTIO_NET_F_GUEST_CSUM */
#define VIRTIO_GUEST_TSO4 (1ULL << 7)    /* VIRTIO_NET_F_GUEST_TSO4 */
#define VIRTIO_GUEST_TSO6 (1ULL << 8)    /* VIRTIO_NET_F_GUEST_TSO6 */
/* The most segments one frame can need: 64 KB cut at the smallest MSS a
 * sender uses (48 bytes: Linux's net.ipv4.tcp_min_snd_mss; a far end with
 * mtu = 576 already needs 126).  On the worker's stack, per call: a port's
 * queues may be served by several workers at once. */
#define GSO_MAX_SEGS (65536 / 48 + 1)

struct peer_caps {
	bool csum, tso4, tso6;
};

/* What the far end takes now: a guest renegotiates when it reconnects. */
static struct peer_caps peer_takes(const struct port_offload *ol, uint16_t pid)
{
	struct peer_caps c;

	if (ol->vhost || ol->own_vhost) {
		uint64_t f = 0;
		int vid = ol->vhost ? rte_eth_vhost_get_vid_from_port_id(pid) : -1;

		if (ol->own_vhost)
			f = __atomic_load_n(&ol->guest_features, __ATOMIC_RELAXED);
		else if (vid < 0 || rte_vhost_get_negotiated_features(vid, &f) != 0)
			f = 0;
		c.csum = f & VIRTIO_GUEST_CSUM;
		c.tso4 = (f & VIRTIO_GUEST_TSO4) && c.csum;
		c.tso6 = (f & VIRTIO_GUEST_TSO6) && c.csum;
		return c;
	}
	c.csum = ol->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	c.tso4 = c.tso6 = (ol->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) && c.csum;
	return c;
}

bool offload_fix_cksums(struct rte_mbuf *m, bool partial)
{
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t off = m->l2_len + m->l3_len;
	uint16_t ck;
	uint8_t *field;

	if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
		struct rte_ipv4_hdr *ip = l3;

		ip->hdr_checksum = 0;
		/* over the l3_len checked on receive, not the ihl the frame
		 * says now: a VhostPort frame lies in its guest's memory */
		ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, m->l3_len);
		ck = rte_ipv4_phdr_cksum(ip, 0);
	} else if (m->ol_flags & RTE_MBUF_F_TX_IPV6) {
		/* a Linux guest's IPv6 TCP/UDP is left partial as its IPv4 is */
		ck = rte_ipv6_phdr_cksum(l3, 0);
	} else {
		return false;
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
		field = rte_pktmbuf_mtod_offset(m, uint8_t *, off + 16);
	else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		field = rte_pktmbuf_mtod_offset(m, uint8_t *, off + 6);
	else
		return false;
	if (!partial) {
		uint16_t raw = 0;
		uint32_t sum;

		memset(field, 0, 2);
		if (rte_raw_cksum_mbuf(m, off, rte_pktmbuf_pkt_len(m) - off, &raw) < 0)
			return false;
		sum = (uint32_t)raw + ck;
		sum = (sum & 0xffff) + (sum >> 16);
		ck = (uint16_t)~sum;
		if (l4 == RTE_MBUF_F_TX_UDP_CKSUM && ck == 0)
			ck = 0xffff;   /* 0 means "no checksum" in UDP */
	}
	memcpy(field, &ck, 2);
	if (partial)
		return false;
	m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
	return true;
}

static uint16_t burst(struct module *m, struct port_base *pb, uint16_t q, struct rte_mbuf **pkts,
		      uint16_t n)
{
	uint16_t sent = n ? port_tx_burst(pb, q, pkts, n) : 0;

	if (sent < n) {
		m->drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return sent;
}

uint16_t port_offload_tx(struct module *m, struct port_base *pb, uint16_t q, struct pkt_batch *b)
{
	struct rte_mbuf *out[KB_BURST], *segs[GSO_MAX_SEGS];
	struct port_offload *ol = &pb->ol;
	uint16_t n_out = 0, sent = 0;
	struct peer_caps pc = peer_takes(ol, pb->pid);

	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *p = b->pkts[i];
		uint64_t f = p->ol_flags;
		bool tso = f & RTE_MBUF_F_TX_IPV4 ? pc.tso4 : pc.tso6;

		if ((f & RTE_MBUF_F_TX_TCP_SEG) && !tso) {
			/* in order: what came before it leaves first */
			sent += burst(m, pb, q, out, n_out);
			n_out = 0;
			struct rte_gso_ctx ctx = ol->gso;
			uint32_t hdr = (uint32_t)p->l2_len + p->l3_len + p->l4_len;

			/* rte_gso copies the frame's ol_flags into the direct
			 * header segments it makes, RTE_MBUF_F_EXTERNAL too: then
			 * freeing them (here, or rte_gso's own cleanup when it
			 * fails) follows a stale shinfo.  A frame on a VhostPort
			 * guest's buffers is cut from a copy. */
			if (RTE_MBUF_HAS_EXTBUF(p)) {
				struct rte_mbuf *c = rte_pktmbuf_copy(p, ctx.direct_pool, 0, UINT32_MAX);

				rte_pktmbuf_free(p);
				if (!c) {
					m->drops++;
					ol->gso_drops++;
					continue;
				}
				p = c;
			}

			ctx.gso_size = (uint16_t)(p->tso_segsz + hdr);
			int k = rte_gso_segment(p, &ctx, segs, GSO_MAX_SEGS);

			/* 0: left whole, right only for a frame of one MSS
			 * (rte_gso of DPDK 22.11 cannot cut TCP over IPv6:
			 * such a frame for a far end without TSO6 is lost) */
			if (k < 0 || (k == 0 && rte_pktmbuf_pkt_len(p) > ctx.gso_size)) {
				m->drops++;
				ol->gso_drops++;
				rte_pktmbuf_free(p);
				continue;
			}
			if (k == 0) {
				segs[0] = p;
				k = 1;
			} else {
				rte_pktmbuf_free(p);   /* the segments hold its data */
				ol->gso_frames++;
				ol->gso_segs += (uint64_t)k;
			}
			for (int j = 0; j < k; j++) {
				segs[j]->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
				ol->sw_cksum += offload_fix_cksums(segs[j], pc.csum);
			}
			for (int j = 0; j < k; j += KB_BURST)
				sent += burst(m, pb, q, segs + j,
					      (uint16_t)(k - j < KB_BURST ? k - j : KB_BURST));
			continue;
		}
		if ((f & RTE_MBUF_F_TX_L4_MASK) && !(f & RTE_MBUF_F_TX_TCP_SEG) && !pc.csum)
			ol->sw_cksum += offload_fix_cksums(p, false);
		out[n_out++] = p;
	}
	sent += burst(m, pb, q, out, n_out);
	b->cnt = 0;
	return sent;
}
