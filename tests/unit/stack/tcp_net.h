/* tcp_net.h: two stack instances wired back to back in virtual time, for
 * unit tests.  Packets travel through a channel that can drop, duplicate
 * and reorder them from a seeded PRNG (deterministic), or through a
 * test's own filter. */
#ifndef TCP_NET_H
#define TCP_NET_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "inet_cksum.h"
#include "tcp.h"
#include "tcp_impl.h"

#ifndef NET_MAXQ
#define NET_MAXQ 65536   /* packets in flight; a user may define fewer */
#endif

struct net;

struct endpoint {
	struct net *net;
	int idx;
};

struct npkt {
	uint8_t *buf;
	uint16_t len;
	int to;
	uint64_t at, order;
};

/* Per-owner event record (the "user" pointer of pcbs and listeners). */
struct owner {
	unsigned ev;
	int count;
};

struct net {
	struct tcp_stack *st[2];
	struct endpoint ep[2];
	struct npkt *q;
	int n;
	uint64_t now, order;
	uint64_t rng;
	int drop_pct, dup_pct, reorder_pct;   /* per mille, in fact */
	uint32_t delay_us;
	/* return false to drop; may inspect the packet */
	bool (*filter)(struct net *n, int from, const uint8_t *pkt, uint16_t len);
	void *filter_arg;
	uint64_t sent[2], dropped;
	/* > 0: a transmit queue that takes this many packets per step, as a
	 * vNIC ring the switch drains; tcp_ops.tx_room reports what is left.
	 * tx_overrun counts data segments handed over with no room left. */
	int tx_budget, tx_left[2];
	uint64_t tx_overrun[2];
};

static inline uint32_t net_rand(struct net *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return (uint32_t)(n->rng >> 11);
}

/* Payload buffers for the stacks (what the DPDK layer's mempool is in
 * production): a free list, so the stacks themselves never reach malloc
 * for data (test_stack_pool counts); blocks come from this file's malloc. */
#define NET_BUF 2048
struct net_buf { struct net_buf *next; };
static struct net_buf *g_net_bufs;

static int net_buf_alloc(void *arg, struct tcp_frag *f)
{
	struct net_buf *b = g_net_bufs;

	(void)arg;
	if (b)
		g_net_bufs = b->next;
	else if (!(b = malloc(NET_BUF)))
		return -1;
	f->buf = b;
	f->data = (uint8_t *)b;
	f->len = 0;
	f->room = NET_BUF;
	return 0;
}

static void net_buf_free(void *arg, void *buf)
{
	struct net_buf *b = buf;

	(void)arg;
	b->next = g_net_bufs;
	g_net_bufs = b;
}

static uint8_t *net_alloc(void *arg)
{
	(void)arg;
	return malloc(TCP_MAX_PKT);
}

static void net_enqueue(struct net *n, int to, uint8_t *buf, uint16_t len, uint64_t at)
{
	if (n->n == NET_MAXQ) {
		free(buf);
		n->dropped++;
		return;
	}
	n->q[n->n++] = (struct npkt){ buf, len, to, at, n->order++ };
}

static unsigned net_tx_room(void *arg)
{
	struct endpoint *e = arg;
	struct net *n = e->net;

	return n->tx_budget > 0 ? (unsigned)n->tx_left[e->idx] : 1u;
}

static int net_send(void *arg, uint8_t *buf, uint16_t len)
{
	struct endpoint *e = arg;
	struct net *n = e->net;
	uint64_t at = n->now + n->delay_us;

	n->sent[e->idx]++;
	if (n->tx_budget > 0) {
		/* payload: IPv4 total length less the IP and TCP headers */
		unsigned pl = len - (buf[0] & 0x0fu) * 4u - (buf[(buf[0] & 0x0fu) * 4u + 12] >> 4) * 4u;

		if (n->tx_left[e->idx] > 0)
			n->tx_left[e->idx]--;
		else if (pl)
			n->tx_overrun[e->idx]++;
	}
	if ((n->filter && !n->filter(n, e->idx, buf, len)) ||
	    (n->drop_pct && (int)(net_rand(n) % 1000) < n->drop_pct)) {
		free(buf);
		n->dropped++;
		return 0;
	}
	if (n->reorder_pct && (int)(net_rand(n) % 1000) < n->reorder_pct)
		at += 200 + net_rand(n) % 3000;
	if (n->dup_pct && (int)(net_rand(n) % 1000) < n->dup_pct) {
		uint8_t *c = malloc(TCP_MAX_PKT);

		memcpy(c, buf, len);
		net_enqueue(n, !e->idx, c, len, at + net_rand(n) % 500);
	}
	net_enqueue(n, !e->idx, buf, len, at);
	return 0;
}

static void net_event(void *arg, void *user, unsigned ev)
{
	struct owner *o = user;

	(void)arg;
	o->ev |= ev;
	o->count++;
}

static inline uint32_t net_ip(int i) { return htonl(0x0a000001u + (uint32_t)i); }

static inline void net_init(struct net *n, const struct tcp_cfg *c0, const struct tcp_cfg *c1)
{
	memset(n, 0, sizeof(*n));
	n->q = calloc(NET_MAXQ, sizeof(*n->q));
	n->rng = 0x123456789abcdefull;
	n->now = 1000000;
	n->delay_us = 500;
	for (int i = 0; i < 2; i++) {
		struct tcp_cfg c = *(i ? c1 : c0);
		struct tcp_ops ops = { &n->ep[i], net_alloc, net_send, net_event, net_buf_alloc,
				       net_buf_free, NULL, net_tx_room };

		c.ip = net_ip(i);
		c.seed = 1000 + (uint32_t)i;
		n->ep[i] = (struct endpoint){ n, i };
		n->st[i] = tcp_stack_create(&c, &ops, n->now);
	}
}

static inline void net_free(struct net *n)
{
	struct net_buf *b;

	for (int i = 0; i < n->n; i++)
		free(n->q[i].buf);
	tcp_stack_destroy(n->st[0]);
	tcp_stack_destroy(n->st[1]);
	free(n->q);
	while ((b = g_net_bufs)) {
		g_net_bufs = b->next;
		free(b);
	}
}

/* Send what the stacks queued (as the event loop does at each pass),
 * deliver everything due, earliest first, then run timers. */
static inline void net_step(struct net *n, uint64_t dt)
{
	for (int i = 0; i < 2; i++) {
		n->st[i]->now = n->now;
		n->tx_left[i] = n->tx_budget;   /* the queue drained since */
		tcp_flush_output(n->st[i]);
	}
	n->now += dt;
	for (;;) {
		int best = -1;

		for (int i = 0; i < n->n; i++)
			if (n->q[i].at <= n->now &&
			    (best < 0 || n->q[i].at < n->q[best].at ||
			     (n->q[i].at == n->q[best].at && n->q[i].order < n->q[best].order)))
				best = i;
		if (best < 0)
			break;
		struct npkt p = n->q[best];

		n->q[best] = n->q[--n->n];
		tcp_ip_input(n->st[p.to], p.buf, p.len, n->now);
		free(p.buf);
	}
	tcp_timers(n->st[0], n->now);
	tcp_timers(n->st[1], n->now);
}

/* Run until cond(arg) or max_us of virtual time pass. */
static inline bool net_run_until(struct net *n, uint64_t max_us,
				 bool (*cond)(void *), void *arg)
{
	uint64_t end = n->now + max_us;

	while (n->now < end) {
		if (cond && cond(arg))
			return true;
		net_step(n, 100);
	}
	return cond ? cond(arg) : true;
}

/* Build a raw segment from stack `from`'s address to the other's. */
static inline uint16_t net_craft(uint8_t *buf, uint32_t saddr, uint32_t daddr,
				 uint16_t sport, uint16_t dport, uint32_t seq,
				 uint32_t ack, uint8_t flags, uint16_t win,
				 const void *data, uint16_t dlen)
{
	struct kb_iphdr *ip = (struct kb_iphdr *)buf;
	struct kb_tcphdr *th = (struct kb_tcphdr *)(buf + 20);
	uint16_t tl = (uint16_t)(20 + dlen);

	memset(buf, 0, 40);
	ip->vihl = 0x45;
	ip->tot_len = htons((uint16_t)(20 + tl));
	ip->ttl = 64;
	ip->proto = 6;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->cksum = inet_cksum(ip, 20);
	th->sport = sport;
	th->dport = dport;
	th->seq = htonl(seq);
	th->ack = htonl(ack);
	th->doff = 5 << 4;
	th->flags = flags;
	th->win = htons(win);
	if (dlen)
		memcpy(buf + 40, data, dlen);
	th->cksum = inet_fold(inet_sum(th, tl, inet_pseudo_sum(saddr, daddr, 6, tl)));
	return (uint16_t)(20 + tl);
}

#endif
