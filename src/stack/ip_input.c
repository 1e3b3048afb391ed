/* ip_input.c: IPv4 receive checks, ICMP echo, hand-off to TCP; and
 * ip_header(), the one place an IPv4 header is written (ip_output() sends it).
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

void ip_header(struct tcp_stack *st, uint8_t *buf, uint32_t saddr, uint32_t daddr,
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
}

void ip_output(struct tcp_stack *st, uint8_t *buf, uint32_t saddr, uint32_t daddr,
	       uint8_t proto, uint16_t len)
{
	ip_header(st, buf, saddr, daddr, proto, len);
	st->ops.tx_send(st->ops.arg, buf, (uint16_t)(sizeof(struct kb_iphdr) + len));
}

void tcp_ip_input_frags(struct tcp_stack *st, struct tcp_frag *f, int n, unsigned flags,
			uint64_t now_us)
{
	const uint8_t *pkt = f[0].data;
	const struct kb_iphdr *ip = (const struct kb_iphdr *)pkt;
	uint32_t len = 0;
	unsigned ihl;
	uint16_t tot;

	for (int i = 0; i < n; i++)
		len += f[i].len;
	st->now = now_us;
	st->stats.ip_rx++;
	if (f[0].len < sizeof(*ip) || (ip->vihl >> 4) != 4) {
		st->stats.ip_malformed++;
		return;
	}
	ihl = (ip->vihl & 0xf) * 4u;
	tot = ntohs(ip->tot_len);
	/* trailing bytes (Ethernet padding) are allowed; a short packet not */
	if (ihl < sizeof(*ip) || ihl > f[0].len || tot < ihl || tot > len) {
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
	case IPPROTO_TCP_: {
		/* the L4 view: the same pieces, past the IP header, cut at tot */
		struct tcp_frag l4[TCP_MAX_FRAGS];
		uint32_t left = tot - ihl;
		int k = 0;

		for (int i = 0; i < n && left && k < TCP_MAX_FRAGS; i++) {
			uint32_t skip = i ? 0 : ihl, l = f[i].len - skip;

			if (l > left)
				l = left;
			l4[k++] = (struct tcp_frag){ f[i].buf, f[i].data + skip, l,
						     l == f[i].len - skip ? f[i].room : 0 };
			left -= l;
		}
		if (left) {
			st->stats.ip_malformed++;
			return;
		}
		tcp_input(st, ip, l4, k, flags);
		/* what TCP kept is no longer the caller's to free */
		for (int i = 0; i < k; i++)
			if (!l4[i].buf)
				f[i].buf = NULL;
		break;
	}
	case IPPROTO_ICMP_:
		if (n == 1)
			icmp_input(st, ip, pkt + ihl, (uint16_t)(tot - ihl));
		else
			st->stats.icmp_malformed++;   /* echo requests fit one buffer */
		break;
	default:
		st->stats.ip_unknown_proto++;
		break;
	}
}

void tcp_ip_input(struct tcp_stack *st, const uint8_t *pkt, uint16_t len,
		  uint64_t now_us)
{
	struct tcp_frag f = { NULL, (uint8_t *)pkt, len, 0 };

	tcp_ip_input_frags(st, &f, 1, 0, now_us);
}
