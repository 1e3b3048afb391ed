#include "pkt_parse.h"

#include <arpa/inet.h>
#include <string.h>

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

uint16_t pkt_cksum16(const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += rd16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

enum pkt_verdict pkt_classify(const uint8_t *f, uint32_t len, uint32_t our_ip,
			      enum pkt_cksum ck, struct pkt_info *pi)
{
	return pkt_classify_seg(f, len, len, our_ip, ck, pi);
}

enum pkt_verdict pkt_classify_seg(const uint8_t *f, uint32_t len, uint32_t total,
				  uint32_t our_ip, enum pkt_cksum ck, struct pkt_info *pi)
{
	if (len < ETH_HLEN)
		return PKT_RUNT;
	uint16_t type = rd16(f + 12);

	if (type == ETHTYPE_ARP)
		return PKT_ARP;
	if (type != ETHTYPE_IPV4)
		return PKT_NON_IP;
	if (len < ETH_HLEN + 20)
		return PKT_RUNT;

	const uint8_t *ip = f + ETH_HLEN;
	uint32_t room = total - ETH_HLEN, seg_room = len - ETH_HLEN;
	unsigned ihl = (ip[0] & 0x0f) * 4u;
	unsigned tot = rd16(ip + 2);

	if (ip[0] >> 4 != 4)
		return PKT_BAD_VERSION;
	if (ihl < 20)
		return PKT_BAD_IHL;
	/* the headers must lie in the first segment, the payload may go on */
	if (tot < ihl || tot > room || ihl > seg_room)
		return PKT_BAD_LEN;
	if (ck == PKT_CKSUM_BAD || (ck == PKT_CKSUM_UNKNOWN && pkt_cksum16(ip, ihl) != 0xffff))
		return PKT_BAD_CKSUM;

	uint32_t daddr;

	memcpy(&daddr, ip + 16, 4);
	if (daddr != our_ip)
		return PKT_OTHER_IP;

	uint16_t frag = rd16(ip + 6);
	bool fragment = (frag & 0x2000) || (frag & 0x1fff);   /* MF or an offset */

	pi->l3_len = (uint16_t)tot;
	pi->proto = ip[9];
	memcpy(&pi->saddr, ip + 12, 4);
	pi->daddr = daddr;
	pi->sport = pi->dport = 0;
	pi->rss = false;
	if (!fragment && (pi->proto == IPPROTO_TCP_ || pi->proto == IPPROTO_UDP_)) {
		if (tot < ihl + 4 || seg_room < ihl + 4)
			return PKT_BAD_LEN;
		memcpy(&pi->sport, ip + ihl, 2);
		memcpy(&pi->dport, ip + ihl + 2, 2);
		pi->rss = true;
	}
	return PKT_OURS;
}

const char *pkt_verdict_name(enum pkt_verdict v)
{
	static const char *const names[PKT_VERDICTS] = {
		"ours", "arp", "other_ip", "non_ip", "runt", "bad_version",
		"bad_ihl", "bad_len", "bad_cksum",
	};
	return (unsigned)v < PKT_VERDICTS ? names[v] : "?";
}

int arp_parse(const uint8_t *f, uint32_t len, struct arp_msg *m)
{
	if (len < ARP_FRAME_LEN)
		return -1;
	const uint8_t *a = f + ETH_HLEN;

	/* hardware Ethernet (1), protocol IPv4, address lengths 6 and 4 */
	if (rd16(a) != 1 || rd16(a + 2) != ETHTYPE_IPV4 || a[4] != 6 || a[5] != 4)
		return -1;
	m->op = rd16(a + 6);
	memcpy(m->sha, a + 8, 6);
	memcpy(&m->spa, a + 14, 4);
	memcpy(m->tha, a + 18, 6);
	memcpy(&m->tpa, a + 24, 4);
	return 0;
}

void eth_write(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

void arp_build(uint8_t *f, uint16_t op, const uint8_t src_mac[6], uint32_t src_ip,
	       const uint8_t dst_mac[6], uint32_t dst_ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	uint8_t *a = f + ETH_HLEN;

	eth_write(f, op == ARP_OP_REQUEST ? bcast : dst_mac, src_mac, ETHTYPE_ARP);
	a[0] = 0; a[1] = 1;
	a[2] = 0x08; a[3] = 0x00;
	a[4] = 6; a[5] = 4;
	a[6] = 0; a[7] = (uint8_t)op;
	memcpy(a + 8, src_mac, 6);
	memcpy(a + 14, &src_ip, 4);
	memcpy(a + 18, op == ARP_OP_REQUEST ? zero : dst_mac, 6);
	memcpy(a + 24, &dst_ip, 4);
}
