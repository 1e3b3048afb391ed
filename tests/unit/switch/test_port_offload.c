/* port_offload.h without EAL: what the vhost library reports about a frame
 * on dequeue (Rx flags) becomes what it reads on enqueue (Tx flags and
 * header lengths), so a TSO frame or a partial checksum crosses the switch
 * unchanged; and the checksums the switch completes for a far end that
 * cannot take partial ones, IPv4 and IPv6 (a Linux guest leaves both). */
#include <string.h>

#include <rte_ip.h>

#include "kbtest.h"
#include "port_offload.h"

static uint8_t g_buf[2048];
static struct rte_mbuf g_m;

/* A frame: Ethernet (+ VLAN), IPv4 with ihl words, TCP with doff words (or UDP). */
static struct rte_mbuf *frame(bool vlan, unsigned ihl, unsigned doff, bool udp, uint64_t ol,
			      uint32_t ptype)
{
	unsigned l2 = vlan ? 18 : 14;

	memset(&g_m, 0, sizeof(g_m));
	memset(g_buf, 0, sizeof(g_buf));
	g_m.buf_addr = g_buf;
	g_m.buf_len = sizeof(g_buf);
	g_m.data_off = RTE_PKTMBUF_HEADROOM;
	g_m.data_len = 200;
	g_m.pkt_len = 200;
	g_m.nb_segs = 1;
	uint8_t *p = g_buf + RTE_PKTMBUF_HEADROOM;

	p[l2] = (uint8_t)(0x40 | ihl);
	p[l2 + 9] = udp ? 17 : 6;
	p[l2 + ihl * 4 + 12] = (uint8_t)(doff << 4);
	g_m.ol_flags = ol;
	g_m.packet_type = ptype;
	g_m.tso_segsz = 1448;
	return &g_m;
}

#define PT_TCP4 (RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP)

static void gso_frame_becomes_tso(void)
{
	struct rte_mbuf *m = frame(false, 5, 8, false,
				   RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE, PT_TCP4);

	offload_rx_to_tx(&m, 1);
	CHECK(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	CHECK((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM);
	CHECK(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	CHECK_EQ(m->l2_len, 14);
	CHECK_EQ(m->l3_len, 20);
	CHECK_EQ(m->l4_len, 32);
	CHECK_EQ(m->tso_segsz, 1448);
}

static void partial_checksum_carried(void)
{
	/* VLAN, IP options, no GSO: checksum only */
	struct rte_mbuf *m = frame(true, 6, 5, false, RTE_MBUF_F_RX_L4_CKSUM_NONE,
				   RTE_PTYPE_L2_ETHER_VLAN | RTE_PTYPE_L3_IPV4_EXT | RTE_PTYPE_L4_TCP);

	CHECK(offload_rx_to_tx_one(m));
	CHECK(!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG));
	CHECK((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM);
	CHECK_EQ(m->l2_len, 18);
	CHECK_EQ(m->l3_len, 24);
	CHECK_EQ(m->l4_len, 20);
	m = frame(false, 5, 0, true, RTE_MBUF_F_RX_L4_CKSUM_NONE,
		  RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP);
	CHECK(offload_rx_to_tx_one(m));
	CHECK((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM);
	CHECK_EQ(m->l4_len, 8);
}

static void nothing_to_carry(void)
{
	/* a complete checksum the sender vouched for, and a plain frame */
	struct rte_mbuf *m = frame(false, 5, 5, false, RTE_MBUF_F_RX_L4_CKSUM_GOOD, PT_TCP4);

	offload_rx_to_tx(&m, 1);
	CHECK_EQ(m->ol_flags, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	m = frame(false, 5, 5, false, 0, PT_TCP4);
	offload_rx_to_tx(&m, 1);
	CHECK_EQ(m->ol_flags, 0);
	/* partial but not IP (the library parsed nothing): left alone */
	m = frame(false, 5, 5, false, RTE_MBUF_F_RX_L4_CKSUM_NONE, RTE_PTYPE_L2_ETHER);
	CHECK(!offload_rx_to_tx_one(m));
	CHECK(!(m->ol_flags & RTE_MBUF_F_TX_L4_MASK));
	/* a runt claiming TCP: its header is not there */
	m = frame(false, 5, 5, false, RTE_MBUF_F_RX_L4_CKSUM_NONE, PT_TCP4);
	m->data_len = 30;
	CHECK(!offload_rx_to_tx_one(m));
	CHECK(!(m->ol_flags & RTE_MBUF_F_TX_L4_MASK));
}

/* A partial frame as a Linux guest sends it: IPv4 or IPv6, TCP or UDP,
 * 300 bytes of payload, the L4 field holding the pseudo-header sum. */
static struct rte_mbuf *partial_frame(bool v6, bool udp)
{
	unsigned l3 = v6 ? 40 : 20, l4 = udp ? 8 : 20, pay = 300;
	struct rte_mbuf *m = frame(false, 5, 5, udp, 0, 0);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = p + 14, *th = ip + l3;

	memset(p, 0, 14 + l3 + l4 + pay);
	if (v6) {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->vtc_flow = rte_cpu_to_be_32(0x60000000);
		h->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + pay));
		h->proto = udp ? 17 : 6;
		h->hop_limits = 64;
		h->src_addr[0] = 0xfe, h->src_addr[1] = 0x80, h->src_addr[15] = 1;
		h->dst_addr[0] = 0xfe, h->dst_addr[1] = 0x80, h->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + pay));
		h->time_to_live = 64;
		h->next_proto_id = udp ? 17 : 6;
		h->src_addr = rte_cpu_to_be_32(0x0a000001);
		h->dst_addr = rte_cpu_to_be_32(0x0a000002);
	}
	if (udp)
		th[5] = (uint8_t)(l4 + pay);   /* dgram_len, low byte */
	else
		th[12] = 5 << 4;
	for (unsigned i = 0; i < pay; i++)
		th[l4 + i] = (uint8_t)(i * 7 + 1);
	m->data_len = m->pkt_len = 14 + l3 + l4 + pay;
	m->l2_len = 14;
	m->l3_len = l3;
	m->ol_flags = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
		      (udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
	return m;
}

/* 0 when the L4 checksum is right: the sum over the pseudo-header and
 * the L4 bytes, field included, folds to 0xffff */
static int l4_verify(struct rte_mbuf *m, bool v6)
{
	const void *ip = rte_pktmbuf_mtod_offset(m, const void *, 14);
	uint32_t off = 14 + (v6 ? 40 : 20);
	uint32_t sum = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), m->pkt_len - off);

	sum += v6 ? rte_ipv6_phdr_cksum(ip, 0) : rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? 0 : -1;
}

static void checksums_completed(void)
{
	for (int v6 = 0; v6 < 2; v6++) {
		for (int udp = 0; udp < 2; udp++) {
			struct rte_mbuf *m = partial_frame(v6, udp);

			CHECK(offload_fix_cksums(m, false));
			CHECK_EQ(l4_verify(m, v6), 0);
			CHECK_EQ(m->ol_flags, 0);   /* nothing left for the port */
			if (!v6)
				CHECK_EQ(rte_ipv4_cksum(rte_pktmbuf_mtod_offset(
						 m, struct rte_ipv4_hdr *, 14)), 0);
		}
	}
}

static void checksums_left_partial(void)
{
	/* a far end taking partial checksums gets the pseudo-header sum */
	for (int v6 = 0; v6 < 2; v6++) {
		struct rte_mbuf *m = partial_frame(v6, false);
		const void *ip = rte_pktmbuf_mtod_offset(m, const void *, 14);
		uint16_t want = v6 ? rte_ipv6_phdr_cksum(ip, 0) : rte_ipv4_phdr_cksum(ip, 0), got;
		uint64_t f = m->ol_flags;

		CHECK(!offload_fix_cksums(m, true));
		memcpy(&got, rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + (v6 ? 40 : 20) + 16), 2);
		CHECK_EQ(got, want);
		CHECK_EQ(m->ol_flags, f);
	}
}

KBTEST_MAIN(T(gso_frame_becomes_tso), T(partial_checksum_carried), T(nothing_to_carry),
	    T(checksums_completed), T(checksums_left_partial))
