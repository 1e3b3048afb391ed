#include <arpa/inet.h>
#include <stdlib.h>

#include "kbtest.h"
#include "pkt_parse.h"

static const uint32_t OURS = 0x0200000a;     /* 10.0.0.2 in network order */

/* A valid Ethernet + IPv4 + UDP frame into f; returns its length. */
static uint32_t mk(uint8_t *f, uint8_t proto, uint32_t daddr, uint16_t l3)
{
	memset(f, 0, 1600);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *ip = f + ETH_HLEN;

	ip[0] = 0x45;
	ip[2] = (uint8_t)(l3 >> 8);
	ip[3] = (uint8_t)l3;
	ip[8] = 64;
	ip[9] = proto;
	uint32_t s = 0x0100000a;

	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &daddr, 4);
	ip[20] = 0x30; ip[21] = 0x39;   /* sport 12345 */
	ip[22] = 0x00; ip[23] = 0x50;   /* dport 80 */
	uint16_t c = (uint16_t)~pkt_cksum16(ip, 20);

	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	return ETH_HLEN + l3;
}

static void fix_cksum(uint8_t *f)
{
	uint8_t *ip = f + ETH_HLEN;
	unsigned ihl = (ip[0] & 0xf) * 4u;

	ip[10] = ip[11] = 0;
	uint16_t c = (uint16_t)~pkt_cksum16(ip, ihl);

	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static void good_udp_and_tcp(void)
{
	uint8_t f[1600];
	struct pkt_info pi;
	uint32_t n = mk(f, 17, OURS, 60);

	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK_EQ(pi.l3_len, 60);
	CHECK(pi.rss);
	CHECK_EQ(pi.sport, htons(12345));
	CHECK_EQ(pi.dport, htons(80));
	CHECK_EQ(pi.daddr, OURS);
	n = mk(f, 6, OURS, 40);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK(pi.rss);
	/* Ethernet padding after a short packet is not part of it */
	n = mk(f, 17, OURS, 30);
	CHECK_EQ(pkt_classify(f, 60, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK_EQ(pi.l3_len, 30);
	(void)n;
}

static void not_ours_and_not_ip(void)
{
	uint8_t f[1600];
	struct pkt_info pi;
	uint32_t n = mk(f, 17, 0x0300000a, 60);

	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OTHER_IP);
	n = mk(f, 17, 0xffffffff, 60);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OTHER_IP);
	n = mk(f, 17, OURS, 60);
	f[12] = 0x86; f[13] = 0xdd;   /* IPv6 */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_NON_IP);
	f[12] = 0x81; f[13] = 0x00;   /* VLAN: not supported, dropped and counted */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_NON_IP);
	f[12] = 0x08; f[13] = 0x06;
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_ARP);
}

static void runts(void)
{
	uint8_t f[1600];
	struct pkt_info pi;

	mk(f, 17, OURS, 60);
	for (uint32_t len = 0; len < ETH_HLEN + 20; len++) {
		enum pkt_verdict v = pkt_classify(f, len, OURS, PKT_CKSUM_UNKNOWN, &pi);

		CHECK(v == PKT_RUNT);
	}
}

static void bad_headers(void)
{
	uint8_t f[1600];
	struct pkt_info pi;
	uint32_t n = mk(f, 17, OURS, 60);

	f[ETH_HLEN] = 0x65;   /* version 6 */
	fix_cksum(f);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_VERSION);
	n = mk(f, 17, OURS, 60);
	f[ETH_HLEN] = 0x44;   /* IHL 16 bytes */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_IHL);
	n = mk(f, 17, OURS, 60);
	f[ETH_HLEN] = 0x4f;   /* IHL 60 > total length 60? equal is fine; 61.. not */
	f[ETH_HLEN + 3] = 59;
	fix_cksum(f);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_LEN);
	n = mk(f, 17, OURS, 60);
	CHECK_EQ(pkt_classify(f, n - 1, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_LEN);  /* truncated */
	n = mk(f, 17, OURS, 22);   /* UDP without room for its ports */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_LEN);
}

static void checksums(void)
{
	uint8_t f[1600];
	struct pkt_info pi;
	uint32_t n = mk(f, 17, OURS, 60);

	f[ETH_HLEN + 8] = 63;   /* TTL changed, checksum not */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_CKSUM);
	/* the NIC's word is taken when it has one */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_GOOD, &pi), PKT_OURS);
	n = mk(f, 17, OURS, 60);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_BAD, &pi), PKT_BAD_CKSUM);
	/* options are covered by the checksum */
	n = mk(f, 17, OURS, 64);
	f[ETH_HLEN] = 0x46;
	fix_cksum(f);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	f[ETH_HLEN + 22] ^= 1;   /* inside the options */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_BAD_CKSUM);
}

static void fragments_and_other_protocols_skip_rss(void)
{
	uint8_t f[1600];
	struct pkt_info pi;
	uint32_t n = mk(f, 17, OURS, 60);

	f[ETH_HLEN + 6] = 0x20;   /* MF */
	fix_cksum(f);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK(!pi.rss);
	n = mk(f, 17, OURS, 60);
	f[ETH_HLEN + 7] = 0x10;   /* offset */
	fix_cksum(f);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK(!pi.rss);
	n = mk(f, 1, OURS, 60);   /* ICMP */
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK(!pi.rss);
	CHECK_EQ(pi.proto, 1);
	n = mk(f, 17, OURS, 60);
	f[ETH_HLEN + 6] = 0x40;   /* DF alone is not a fragment */
	fix_cksum(f);
	CHECK_EQ(pkt_classify(f, n, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_OURS);
	CHECK(pi.rss);
}

/* Every byte flipped in every position of a frame: never a crash, never
 * an out-of-bounds read (ASan), always one verdict. */
static void fuzz_flips(void)
{
	uint8_t f[1600];
	struct pkt_info pi;
	uint32_t n = mk(f, 17, OURS, 60);

	for (uint32_t len = 0; len <= n; len++) {
		for (uint32_t pos = 0; pos < len; pos++) {
			uint8_t *buf = malloc(len);

			memcpy(buf, f, len);
			buf[pos] ^= 0xa5;
			enum pkt_verdict v = pkt_classify(buf, len, OURS, PKT_CKSUM_UNKNOWN, &pi);

			CHECK(v < PKT_VERDICTS);
			free(buf);
		}
	}
}

static void arp_build_parse(void)
{
	uint8_t f[64] = { 0 };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, peer[6] = { 2, 0, 0, 0, 0, 2 };
	struct arp_msg m;
	struct pkt_info pi;

	arp_build(f, ARP_OP_REQUEST, mac, 0x0100000a, NULL, OURS);
	CHECK_EQ(pkt_classify(f, ARP_FRAME_LEN, OURS, PKT_CKSUM_UNKNOWN, &pi), PKT_ARP);
	CHECK_EQ(f[0], 0xff);
	CHECK_EQ(arp_parse(f, ARP_FRAME_LEN, &m), 0);
	CHECK_EQ(m.op, ARP_OP_REQUEST);
	CHECK_EQ(m.spa, 0x0100000a);
	CHECK_EQ(m.tpa, OURS);
	CHECK(!memcmp(m.sha, mac, 6));
	CHECK_EQ(arp_parse(f, ARP_FRAME_LEN - 1, &m), -1);
	arp_build(f, ARP_OP_REPLY, peer, OURS, mac, 0x0100000a);
	CHECK(!memcmp(f, mac, 6));
	CHECK_EQ(arp_parse(f, ARP_FRAME_LEN, &m), 0);
	CHECK_EQ(m.op, ARP_OP_REPLY);
	CHECK(!memcmp(m.tha, mac, 6));
	f[ETH_HLEN + 4] = 8;   /* hardware address length */
	CHECK_EQ(arp_parse(f, ARP_FRAME_LEN, &m), -1);
}

KBTEST_MAIN(T(good_udp_and_tcp), T(not_ours_and_not_ip), T(runts), T(bad_headers),
	    T(checksums), T(fragments_and_other_protocols_skip_rss), T(fuzz_flips),
	    T(arp_build_parse))
