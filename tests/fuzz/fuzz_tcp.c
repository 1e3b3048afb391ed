/* fuzz_tcp: segments into a pcb in each TCP state, in virtual time, with
 * the two-stack harness of the unit tests (tests/unit/stack/tcp_net.h).
 *
 * Input: byte 0 picks the state (LISTEN .. TIME_WAIT, reached by a real
 * exchange between the two stacks) and the options the peer negotiated;
 * then records of
 *   flags(1) seq(2) ack(2) win(2) optlen/4<<4 | dt(1) dlen(1) app(1)
 *   options(optlen) payload(dlen)
 * where seq and ack are offsets from the pcb's RCV.NXT and SND.UNA (so the
 * fuzzer reaches in-window paths), dt advances virtual time (timers run)
 * and app is what the application does next (read, write, close).  The
 * checksum is always right: the interesting code is past it.  When app's
 * top bit is set, options and payload go in as a raw IPv4 packet instead
 * (headers, lengths and checksums as the fuzzer made them).  From then on
 * everything stack 0 sends is dropped, so its state is the fuzzer's alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NET_MAXQ 1024   /* a handshake and a close: few in flight */
#include "tcp_net.h"

#define PORT_A htons(80)
#define PORT_B htons(40000)

enum { S_LISTEN, S_SYN_SENT, S_SYN_RCVD, S_ESTABLISHED, S_FIN_WAIT_1, S_FIN_WAIT_2,
       S_CLOSE_WAIT, S_LAST_ACK, S_CLOSING, S_TIME_WAIT, S_N };

struct fz {
	struct net n;
	struct owner lo, ao, co;
	struct tcp_listener *l;
	struct tcp_pcb *a;   /* stack 0's pcb while we own it, else NULL */
	struct tcp_pcb *c;   /* stack 1's pcb while we own it */
	uint16_t lport, rport;
	uint32_t seq, ack;   /* last values used, for when no pcb exists */
};

static bool drop_all(struct net *n, int from, const uint8_t *pkt, uint16_t len)
{
	(void)n, (void)from, (void)pkt, (void)len;
	return false;
}

static struct tcp_pcb *cur(struct fz *f)
{
	return tcp_lookup(f->n.st[0], net_ip(0), f->lport, net_ip(1), f->rport);
}

static bool a_in(void *arg)
{
	struct fz *f = arg;
	struct tcp_pcb *p = cur(f);

	if (!f->a && f->l)
		f->a = tcp_accept(f->l, &f->ao);
	return p && (int)p->state == (int)(intptr_t)f->n.filter_arg;
}

static bool run_to(struct fz *f, enum tcp_state s)
{
	f->n.filter_arg = (void *)(intptr_t)s;
	return net_run_until(&f->n, 30000000, a_in, f);
}

static void inject(struct fz *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		   const uint8_t *opt, int olen, const uint8_t *data, int dlen)
{
	uint8_t pkt[20 + 60 + 256];
	struct kb_iphdr *ip = (struct kb_iphdr *)pkt;
	struct kb_tcphdr *th = (struct kb_tcphdr *)(pkt + 20);
	uint16_t tl = (uint16_t)(20 + olen + dlen);

	memset(pkt, 0, 40);
	ip->vihl = 0x45;
	ip->tot_len = htons((uint16_t)(20 + tl));
	ip->ttl = 64;
	ip->proto = 6;
	ip->saddr = net_ip(1);
	ip->daddr = net_ip(0);
	ip->cksum = inet_cksum(ip, 20);
	th->sport = f->rport;
	th->dport = f->lport;
	th->seq = htonl(seq);
	th->ack = htonl(ack);
	th->doff = (uint8_t)((5 + olen / 4) << 4);
	th->flags = flags;
	th->win = htons(win);
	if (olen)
		memcpy(pkt + 40, opt, (size_t)olen);
	if (dlen)
		memcpy(pkt + 40 + olen, data, (size_t)dlen);
	th->cksum = inet_fold(inet_sum(th, tl, inet_pseudo_sum(ip->saddr, ip->daddr, 6, tl)));
	tcp_ip_input(f->n.st[0], pkt, (uint16_t)(20 + tl), f->n.now);
}

/* Brings stack 0's pcb for (PORT_A|PORT_B, peer) into state s. */
static bool setup(struct fz *f, int s)
{
	int err;

	f->lport = PORT_A;
	f->rport = PORT_B;
	if (s != S_SYN_SENT)
		f->l = tcp_listen(f->n.st[0], 0, PORT_A, 4, &f->lo, &err);
	switch (s) {
	case S_LISTEN:
		f->n.filter = drop_all;
		return true;
	case S_SYN_SENT:
		f->n.filter = drop_all;
		f->lport = PORT_B;
		f->rport = PORT_A;
		f->a = tcp_connect(f->n.st[0], net_ip(0), PORT_B, net_ip(1), PORT_A, &f->ao, &err);
		f->seq = 1;
		f->ack = f->a ? f->a->iss + 1 : 0;
		return f->a != NULL;
	case S_SYN_RCVD:
		f->n.filter = drop_all;
		inject(f, TH_SYN, 1000, 0, 65535, (const uint8_t *)"\x02\x04\x05\xb4", 4, NULL, 0);
		return cur(f) != NULL;
	default:
		break;
	}
	f->c = tcp_connect(f->n.st[1], net_ip(1), PORT_B, net_ip(0), PORT_A, &f->co, &err);
	if (!f->c || !run_to(f, TCP_ESTABLISHED) || !f->a)
		return false;
	switch (s) {
	case S_ESTABLISHED:
		break;
	case S_FIN_WAIT_1:
		f->n.filter = drop_all;
		tcp_close(f->a);
		f->a = NULL;
		break;
	case S_FIN_WAIT_2:
		tcp_close(f->a);
		f->a = NULL;
		if (!run_to(f, TCP_FIN_WAIT_2))
			return false;
		break;
	case S_CLOSE_WAIT:
	case S_LAST_ACK:
		tcp_close(f->c);
		f->c = NULL;
		if (!run_to(f, TCP_CLOSE_WAIT))
			return false;
		if (s == S_LAST_ACK) {
			f->n.filter = drop_all;
			tcp_close(f->a);
			f->a = NULL;
		}
		break;
	case S_CLOSING: {
		f->n.filter = drop_all;
		tcp_close(f->a);
		f->a = NULL;
		struct tcp_pcb *p = cur(f);

		if (!p)
			return false;
		/* the peer's FIN crosses ours: it does not ack our FIN */
		inject(f, TH_FIN | TH_ACK, tcp_rcv_nxt(p), p->snd_una, 65535, NULL, 0, NULL, 0);
		break;
	}
	case S_TIME_WAIT:
		tcp_close(f->a);
		f->a = NULL;
		if (!run_to(f, TCP_FIN_WAIT_2))
			return false;
		tcp_close(f->c);
		f->c = NULL;
		if (!run_to(f, TCP_TIME_WAIT))
			return false;
		break;
	}
	f->n.filter = drop_all;
	return true;
}

static void check(const struct tcp_pcb *p)
{
	/* the send sequence space stays ordered whatever arrives */
	if (seq_gt(p->snd_una, p->snd_nxt) || seq_gt(p->snd_nxt, p->snd_max))
		abort();
	if (p->st->n_pcbs > p->st->cfg.max_conns)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	struct tcp_cfg c0, c1;
	uint8_t buf[2048] = { 0 };

	if (size < 1)
		return 0;
	tcp_cfg_defaults(&c0);
	c0.max_conns = 8;
	c0.timewait_us = 60000000;
	/* small buffers: window edges within reach, and fast to allocate */
	c0.rcvbuf = c0.sndbuf = 8192;
	c1 = c0;
	c1.timestamps = !(data[0] & 0x10);
	c1.sack = !(data[0] & 0x20);
	c1.wscale = !(data[0] & 0x40);
	memset(&f, 0, sizeof(f));
	net_init(&f.n, &c0, &c1);
	if (!setup(&f, data[0] % S_N))
		abort();   /* the harness must reach every state */
	data++;
	size--;
	while (size >= 10) {
		struct tcp_pcb *p = cur(&f);
		uint8_t flags = data[0];
		int16_t dseq = (int16_t)(data[1] << 8 | data[2]);
		int16_t dack = (int16_t)(data[3] << 8 | data[4]);
		uint16_t win = (uint16_t)(data[5] << 8 | data[6]);
		int olen = (data[7] >> 4) % 11 * 4;
		uint64_t dt = (data[7] & 15) ? 1ull << (2 * (data[7] & 15)) : 0;
		int dlen = data[8];
		uint8_t app = data[9];

		data += 10;
		size -= 10;
		if ((size_t)olen > size)
			olen = (int)size & ~3;
		if ((size_t)(olen + dlen) > size)
			dlen = (int)size - olen;
		if (p) {
			f.seq = tcp_rcv_nxt(p);
			f.ack = p->snd_una;
		}
		if (app & 0x80) {
			/* exact size: ASan sees a read past the packet */
			uint8_t *raw = malloc(olen + dlen ? (size_t)(olen + dlen) : 1);

			memcpy(raw, data, (size_t)(olen + dlen));
			tcp_ip_input(f.n.st[0], raw, (uint16_t)(olen + dlen), f.n.now);
			free(raw);
		} else {
			inject(&f, flags, f.seq + (uint32_t)(int32_t)dseq,
			       f.ack + (uint32_t)(int32_t)dack, win, data, olen, data + olen, dlen);
		}
		data += olen + dlen;
		size -= (size_t)(olen + dlen);
		f.n.now += dt;
		tcp_timers(f.n.st[0], f.n.now);
		if (f.l && !f.a)
			f.a = tcp_accept(f.l, &f.ao);
		if (f.a) {
			switch (app & 7) {
			case 5:
				while (tcp_recv(f.a, buf, sizeof(buf)) > 0)
					;
				break;
			case 6:
				tcp_send(f.a, buf, (uint32_t)(app * 8));
				break;
			case 7:
				tcp_close(f.a);
				f.a = NULL;
				break;
			default:
				break;
			}
		}
		if ((p = cur(&f)))
			check(p);
	}
	if (f.a)
		tcp_abort(f.a);
	if (f.c)
		tcp_abort(f.c);
	net_free(&f.n);
	return 0;
}
