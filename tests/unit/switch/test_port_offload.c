/* port_offload.h without EAL: what the vhost library reports about a frame
 * on dequeue (Rx flags) becomes what it reads on enqueue (Tx flags and
 * header lengths), so a TSO frame or a partial checksum crosses the switch
 * unchanged. */
#include <string.h>

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

KBTEST_MAIN(T(gso_frame_becomes_tso), T(partial_checksum_carried), T(nothing_to_carry))
