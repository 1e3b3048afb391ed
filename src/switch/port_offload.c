/* port_offload.c: frames whose offload requests the next hop cannot take
 * (port_offload.h): segmented with rte_gso, checksums completed here. */
#include <string.h>

#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_vhost.h>

#include "module.h"
#include "port_offload.h"

#define VIRTIO_GUEST_CSUM (1ULL << 1)    /* VIRTIO_NET_F_GUEST_CSUM */
#define VIRTIO_GUEST_TSO4 (1ULL << 7)    /* VIRTIO_NET_F_GUEST_TSO4 */
#define GSO_MAX_SEGS 64                  /* 64 KB in MSSes of 1 KB and more */

/* What the far end takes now: a guest renegotiates when it reconnects. */
static void peer_takes(const struct port_offload *ol, uint16_t pid, bool *csum, bool *tso)
{
	if (ol->vhost) {
		uint64_t f = 0;
		int vid = rte_eth_vhost_get_vid_from_port_id(pid);

		if (vid < 0 || rte_vhost_get_negotiated_features(vid, &f) != 0)
			f = 0;
		*csum = f & VIRTIO_GUEST_CSUM;
		*tso = (f & VIRTIO_GUEST_TSO4) && *csum;
		return;
	}
	*csum = ol->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	*tso = (ol->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) && *csum;
}

/* The IPv4 header's checksum, and the L4 one: complete, or (peer takes
 * partial checksums) the pseudo-header sum with this frame's length. */
static void fix_cksums(struct port_offload *ol, struct rte_mbuf *m, bool partial)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t off = m->l2_len + m->l3_len;
	uint16_t ck;
	uint8_t *field;

	if (!(m->ol_flags & RTE_MBUF_F_TX_IPV4))
		return;   /* IPv6: the far end gets it as it is (our VMs are IPv4) */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
		field = rte_pktmbuf_mtod_offset(m, uint8_t *, off + 16);
	else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		field = rte_pktmbuf_mtod_offset(m, uint8_t *, off + 6);
	else
		return;
	ck = rte_ipv4_phdr_cksum(ip, 0);
	if (!partial) {
		uint16_t raw = 0;
		uint32_t sum;

		memset(field, 0, 2);
		if (rte_raw_cksum_mbuf(m, off, rte_pktmbuf_pkt_len(m) - off, &raw) < 0)
			return;
		sum = (uint32_t)raw + ck;
		sum = (sum & 0xffff) + (sum >> 16);
		ck = (uint16_t)~sum;
		if (l4 == RTE_MBUF_F_TX_UDP_CKSUM && ck == 0)
			ck = 0xffff;   /* 0 means "no checksum" in UDP */
		m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4);
		ol->sw_cksum++;
	}
	memcpy(field, &ck, 2);
}

static uint16_t burst(struct module *m, uint16_t pid, uint16_t q, struct rte_mbuf **pkts,
		      uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(pid, q, pkts, n) : 0;

	if (sent < n) {
		m->drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return sent;
}

uint16_t port_offload_tx(struct module *m, struct port_offload *ol, uint16_t pid, uint16_t q,
			 struct pkt_batch *b)
{
	struct rte_mbuf *out[KB_BURST], *segs[GSO_MAX_SEGS];
	uint16_t n_out = 0, sent = 0;
	bool csum, tso;

	peer_takes(ol, pid, &csum, &tso);
	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *p = b->pkts[i];
		uint64_t f = p->ol_flags;

		if ((f & RTE_MBUF_F_TX_TCP_SEG) && !tso) {
			/* in order: what came before it leaves first */
			sent += burst(m, pid, q, out, n_out);
			n_out = 0;
			ol->gso.gso_size = (uint16_t)(p->tso_segsz + p->l2_len + p->l3_len + p->l4_len);
			int k = rte_gso_segment(p, &ol->gso, segs, GSO_MAX_SEGS);

			if (k < 0) {
				m->drops++;
				rte_pktmbuf_free(p);
				continue;
			}
			if (k == 0) {
				segs[0] = p;   /* small enough as it is */
				k = 1;
			} else {
				rte_pktmbuf_free(p);   /* the segments hold its data */
				ol->gso_frames++;
				ol->gso_segs += (uint64_t)k;
			}
			for (int j = 0; j < k; j++) {
				segs[j]->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
				fix_cksums(ol, segs[j], csum);
			}
			for (int j = 0; j < k; j += KB_BURST)
				sent += burst(m, pid, q, segs + j,
					      (uint16_t)(k - j < KB_BURST ? k - j : KB_BURST));
			continue;
		}
		if ((f & RTE_MBUF_F_TX_L4_MASK) && !(f & RTE_MBUF_F_TX_TCP_SEG) && !csum)
			fix_cksums(ol, p, false);
		out[n_out++] = p;
	}
	sent += burst(m, pid, q, out, n_out);
	b->cnt = 0;
	return sent;
}
