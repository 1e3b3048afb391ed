/* ip_input.c: IPv4 receive checks, ICMP echo, hand-off to TCP; and
 * ip_output(), the one place an IPv4 header is written.
 * The DPDK layer already filters on our address, but the stack checks
 * again: it is the last line before TCP state, and unit tests feed it
 * packets directly. */
#include <arpa/inet.h>
#include <string.h>

#include "inet_cksum.h"
#include "tcp_impl.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO 8

static void icmp_input(struct tcp_stack *st, const struct kb_iphdr *ip,
		       const uint8_t *icmp, uint16_t len)
{
	if (len < 8 || inet_cksum(icmp, len) != 0) {
		st->stats.icmp_malformed++;
		return;
	}
	if (icmp[0] != ICMP_ECHO) {
		st->stats.icmp_other++;   /* errors and the rest: counted, ignored */
		return;
	}
	st->stats.icmp_echo_rx++;
	if (sizeof(*ip) + len > TCP_MAX_PKT) {
		st->stats.icmp_too_big++;   /* the reply would not fit one buffer */
		return;
	}
	uint8_t *buf = st->ops.tx_alloc(st->ops.arg);

	if (!buf) {
		st->stats.tx_nobuf++;
		return;
	}
	uint8_t *ricmp = buf + sizeof(struct kb_iphdr);

	memcpy(ricmp, icmp, len);
	ricmp[0] = ICMP_ECHO_REPLY;
	ricmp[2] = ricmp[3] = 0;
	uint16_t ck = inet_cksum(ricmp, len);

	memcpy(ricmp + 2, &ck, 2);
	st->stats.icmp_echo_tx++;
	ip_output(st, buf, ip->daddr, ip->saddr, IPPROTO_ICMP_, len);
}

void ip_output(struct tcp_stack *st, uint8_t *buf, uint32_t saddr, uint32_t daddr,
	       uint8_t proto, uint16_t len)
{
	struct kb_iphdr *ip = (struct kb_iphdr *)buf;

	ip->vihl = 0x45;
	ip->tos = 0;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + len));
	ip->id = htons(st->ip_id++);
	ip->frag = htons(0x4000);   /* DF: we never fragment, peers use MSS */
	ip->ttl = 64;
	ip->proto = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->cksum = 0;
	ip->cksum = inet_cksum(ip, sizeof(*ip));
	st->ops.tx_send(st->ops.arg, buf, (uint16_t)(sizeof(*ip) + len));
}

void tcp_ip_input(struct tcp_stack *st, const uint8_t *pkt, uint16_t len,
		  uint64_t now_us)
{
	const struct kb_iphdr *ip = (const struct kb_iphdr *)pkt;
	unsigned ihl;
	uint16_t tot;

	st->now = now_us;
	st->stats.ip_rx++;
	if (len < sizeof(*ip) || (ip->vihl >> 4) != 4) {
		st->stats.ip_malformed++;
		return;
	}
	ihl = (ip->vihl & 0xf) * 4u;
	tot = ntohs(ip->tot_len);
	/* trailing bytes (Ethernet padding) are allowed; a short packet not */
	if (ihl < sizeof(*ip) || ihl > len || tot < ihl || tot > len) {
		st->stats.ip_malformed++;
		return;
	}
	if (!st->cfg.rx_cksum_offload && inet_cksum(ip, ihl) != 0) {
		st->stats.ip_bad_cksum++;
		return;
	}
	if (st->cfg.ip && ip->daddr != st->cfg.ip) {
		st->stats.ip_not_ours++;
		return;
	}
	/* no reassembly: we set DF ourselves and our peers are TCP with MSS */
	if (ntohs(ip->frag) & 0x3fff) {
		st->stats.ip_frag_dropped++;
		return;
	}
	switch (ip->proto) {
	case IPPROTO_TCP_:
		tcp_input(st, ip, pkt + ihl, (uint16_t)(tot - ihl));
		break;
	case IPPROTO_ICMP_:
		icmp_input(st, ip, pkt + ihl, (uint16_t)(tot - ihl));
		break;
	default:
		st->stats.ip_unknown_proto++;
		break;
	}
}
