/* The TCP state machine, two instances back to back (tcp_net.h): no DPDK,
 * virtual time, deterministic impairments. */
#include <errno.h>

#include "kbtest.h"
#include "tcp_net.h"

#define PORT_A htons(80)
#define PORT_B htons(40000)

struct conn_pair {
	struct net net;
	struct owner lo, ao, co;   /* listener, accepted, connecting owners */
	struct tcp_listener *l;
	struct tcp_pcb *a, *c;     /* server side (stack 0), client (stack 1) */
};

static bool both_established(void *arg)
{
	struct conn_pair *cp = arg;

	if (!cp->a)
		cp->a = tcp_accept(cp->l, &cp->ao);
	return cp->a && cp->c->state == TCP_ESTABLISHED;
}

static void pair_open(struct conn_pair *cp, const struct tcp_cfg *c0, const struct tcp_cfg *c1)
{
	int err = 0;

	memset(cp, 0, sizeof(*cp));
	net_init(&cp->net, c0, c1);
	cp->l = tcp_listen(cp->net.st[0], 0, PORT_A, 16, &cp->lo, &err);
	cp->c = tcp_connect(cp->net.st[1], net_ip(1), PORT_B, net_ip(0), PORT_A, &cp->co, &err);
	net_run_until(&cp->net, 30000000, both_established, cp);
}

static void handshake_options(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;

	tcp_cfg_defaults(&c);
	c.rcvbuf = 1 << 20;
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	CHECK_EQ(cp.c->state, TCP_ESTABLISHED);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	CHECK(cp.a->ts_ok && cp.c->ts_ok && cp.a->sack_ok && cp.c->sack_ok);
	CHECK(cp.a->ws_ok && cp.c->ws_ok);
	CHECK_EQ(cp.c->rcv_wscale, 5);            /* 1 MB fits 65535 << 5 */
	CHECK_EQ(cp.a->snd_wscale, 5);
	CHECK_EQ(cp.c->mss, 1460 - 12);           /* timestamps take 12 */
	CHECK_EQ(cp.lo.count, 1);                 /* one accept event */
	CHECK(cp.co.ev & TCP_EV_OUT);             /* connected */
	CHECK(cp.c->rtt.have_sample);
	net_free(&cp.net);

	/* one side without timestamps and SACK: neither uses them */
	struct tcp_cfg d = c;

	d.timestamps = d.sack = d.wscale = false;
	pair_open(&cp, &c, &d);
	CHECK(cp.a != NULL);
	CHECK(!cp.a->ts_ok && !cp.c->ts_ok && !cp.a->sack_ok && !cp.c->sack_ok);
	CHECK(!cp.a->ws_ok && !cp.c->ws_ok);
	CHECK_EQ(cp.a->mss, 1460);
	net_free(&cp.net);
}

static void pair_close_both(struct conn_pair *cp)
{
	tcp_close(cp->a);
	tcp_close(cp->c);
	net_run_until(&cp->net, 5000000, NULL, NULL);
}

static void small_exchange_and_close(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	char buf[64];

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	CHECK_EQ(tcp_send(cp.c, "hello", 5), 5);
	CHECK_EQ(tcp_send(cp.a, "world!", 6), 6);
	net_run_until(&cp.net, 100000, NULL, NULL);
	CHECK_EQ(tcp_recv(cp.a, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(tcp_recv(cp.c, buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "world!", 6));
	CHECK_EQ(tcp_recv(cp.c, buf, sizeof(buf)), -EAGAIN);
	/* client closes first: server sees EOF, then closes */
	tcp_close(cp.c);
	net_run_until(&cp.net, 100000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_CLOSE_WAIT);
	CHECK_EQ(tcp_recv(cp.a, buf, sizeof(buf)), 0);
	CHECK(cp.ao.ev & TCP_EV_HUP);
	CHECK_EQ(tcp_send(cp.a, "late", 4), 4);   /* half-close: still may send */
	tcp_close(cp.a);
	net_run_until(&cp.net, 1000000, NULL, NULL);
	CHECK_EQ(cp.net.st[0]->n_pcbs, 0);
	CHECK_EQ(cp.net.st[1]->n_pcbs, 0);   /* timewait 0 as in mTCP */
	net_free(&cp.net);
}

static void simultaneous_close_time_wait(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;

	tcp_cfg_defaults(&c);
	c.timewait_us = 2000000;
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	tcp_close(cp.a);
	tcp_close(cp.c);
	CHECK_EQ(cp.a->state, TCP_FIN_WAIT_1);
	net_run_until(&cp.net, 100000, NULL, NULL);
	/* both FINs crossed: CLOSING, then TIME_WAIT on both sides */
	CHECK_EQ(cp.net.st[0]->n_pcbs, 1);
	CHECK_EQ(cp.net.st[1]->n_pcbs, 1);
	struct tcp_pcb *p = tcp_lookup(cp.net.st[0], net_ip(0), PORT_A, net_ip(1), PORT_B);

	CHECK(p && p->state == TCP_TIME_WAIT);
	net_run_until(&cp.net, 2100000, NULL, NULL);
	CHECK_EQ(cp.net.st[0]->n_pcbs, 0);
	CHECK_EQ(cp.net.st[1]->n_pcbs, 0);
	net_free(&cp.net);
}

static bool both_est2(void *arg)
{
	struct tcp_pcb **p = arg;

	return p[0]->state == TCP_ESTABLISHED && p[1]->state == TCP_ESTABLISHED;
}

static void simultaneous_open(void)
{
	struct tcp_cfg c;
	struct net n;
	struct owner o0 = { 0 }, o1 = { 0 };
	struct tcp_pcb *p[2];
	int err;
	char buf[8];

	tcp_cfg_defaults(&c);
	net_init(&n, &c, &c);
	p[0] = tcp_connect(n.st[0], net_ip(0), htons(5000), net_ip(1), htons(6000), &o0, &err);
	p[1] = tcp_connect(n.st[1], net_ip(1), htons(6000), net_ip(0), htons(5000), &o1, &err);
	CHECK(net_run_until(&n, 5000000, both_est2, p));
	CHECK_EQ(tcp_send(p[0], "x", 1), 1);
	net_run_until(&n, 100000, NULL, NULL);
	CHECK_EQ(tcp_recv(p[1], buf, 8), 1);
	tcp_close(p[0]);
	tcp_close(p[1]);
	net_run_until(&n, 1000000, NULL, NULL);
	CHECK_EQ(n.st[0]->n_pcbs + n.st[1]->n_pcbs, 0);
	net_free(&n);
}

/* ---- bulk transfer through an impaired channel ---- */

static uint8_t pattern(uint64_t i) { return (uint8_t)((i * 2654435761u) >> 13); }

struct bulk {
	struct conn_pair *cp;
	uint64_t total, sent_c, recv_a, sent_a, recv_c, back;
	bool bad;
};

static void pump(struct bulk *b)
{
	uint8_t buf[16384];

	while (b->sent_c < b->total) {
		uint32_t n = (uint32_t)(b->total - b->sent_c < sizeof(buf) ? b->total - b->sent_c : sizeof(buf));

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(b->sent_c + i);
		int r = tcp_send(b->cp->c, buf, n);

		if (r <= 0)
			break;
		b->sent_c += (uint64_t)r;
	}
	while (b->sent_a < b->back) {
		uint32_t n = (uint32_t)(b->back - b->sent_a < sizeof(buf) ? b->back - b->sent_a : sizeof(buf));

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(b->sent_a + i + 7);
		int r = tcp_send(b->cp->a, buf, n);

		if (r <= 0)
			break;
		b->sent_a += (uint64_t)r;
	}
	for (;;) {
		int r = tcp_recv(b->cp->a, buf, sizeof(buf));

		if (r <= 0)
			break;
		for (int i = 0; i < r; i++)
			if (buf[i] != pattern(b->recv_a + (uint64_t)i))
				b->bad = true;
		b->recv_a += (uint64_t)r;
	}
	for (;;) {
		int r = tcp_recv(b->cp->c, buf, sizeof(buf));

		if (r <= 0)
			break;
		for (int i = 0; i < r; i++)
			if (buf[i] != pattern(b->recv_c + (uint64_t)i + 7))
				b->bad = true;
		b->recv_c += (uint64_t)r;
	}
}

static bool bulk_done(void *arg)
{
	struct bulk *b = arg;

	pump(b);
	if (getenv("TCP_DEBUG") && b->cp->net.now % 100000 == 0)
		fprintf(stderr, "t=%llu cwnd=%u ssth=%u wnd=%u inflight=%u una=%u sent=%llu recv=%llu rto=%u srtt=%u\n",
			(unsigned long long)b->cp->net.now, b->cp->c->cc.cwnd, b->cp->c->cc.ssthresh,
			b->cp->c->snd_wnd, b->cp->c->snd_nxt - b->cp->c->snd_una, b->cp->c->snd_una,
			(unsigned long long)b->sent_c, (unsigned long long)b->recv_a,
			rtt_timeout(&b->cp->c->rtt), b->cp->c->rtt.srtt);
	return b->bad || (b->recv_a == b->total && b->recv_c == b->back) ||
	       b->cp->a->err || b->cp->c->err;
}

static void run_bulk(const char *name, struct tcp_cfg *c, int drop, int dup, int reorder,
		     uint64_t total, uint64_t back, struct tcp_stats *out)
{
	struct conn_pair cp;
	struct bulk b = { &cp, total, 0, 0, 0, 0, back, false };

	pair_open(&cp, c, c);
	CHECK(cp.a != NULL);
	if (!cp.a)
		return;
	cp.net.drop_pct = drop;
	cp.net.dup_pct = dup;
	cp.net.reorder_pct = reorder;
	CHECK(net_run_until(&cp.net, 600000000ull, bulk_done, &b));
	CHECK(!b.bad);
	CHECK_EQ(b.recv_a, total);
	CHECK_EQ(b.recv_c, back);
	CHECK_EQ(cp.a->err, 0);
	CHECK_EQ(cp.c->err, 0);
	cp.net.drop_pct = cp.net.dup_pct = cp.net.reorder_pct = 0;
	pair_close_both(&cp);
	CHECK_EQ(cp.net.st[0]->n_pcbs + cp.net.st[1]->n_pcbs, 0);
	printf("%s: %llu bytes in %.3f virtual s\n", name, (unsigned long long)total,
	       (double)(cp.net.now - 1000000) / 1e6);
	tcp_stats_print(cp.net.st[1], stdout);
	*out = cp.net.st[1]->stats;
	net_free(&cp.net);
}

static void bulk_clean(void)
{
	struct tcp_cfg c;
	struct tcp_stats s;

	tcp_cfg_defaults(&c);
	run_bulk("clean", &c, 0, 0, 0, 10u << 20, 1u << 20, &s);
	CHECK_EQ(s.rexmt_segs, 0);
	CHECK_EQ(s.rto_fired, 0);
}

static void bulk_lossy_sack_cubic(void)
{
	struct tcp_cfg c;
	struct tcp_stats s;

	tcp_cfg_defaults(&c);
	run_bulk("lossy sack cubic", &c, 20, 10, 50, 10u << 20, 1u << 20, &s);
	CHECK(s.rexmt_segs > 0);
	CHECK(s.sack_recovery > 0);
}

static void bulk_lossy_newreno(void)
{
	struct tcp_cfg c;
	struct tcp_stats s;

	tcp_cfg_defaults(&c);
	c.sack = false;
	c.cc = TCP_CC_RENO;
	run_bulk("lossy newreno", &c, 20, 10, 50, 10u << 20, 0, &s);
	CHECK(s.fast_rexmt > 0);
	CHECK_EQ(s.sack_recovery, 0);
}

static void bulk_lossy_no_options(void)
{
	struct tcp_cfg c;
	struct tcp_stats s;

	tcp_cfg_defaults(&c);
	c.timestamps = c.wscale = false;
	c.rcvbuf = c.sndbuf = 32768;
	run_bulk("lossy no ts/ws", &c, 30, 10, 30, 4u << 20, 1u << 20, &s);
	CHECK(s.rexmt_segs > 0);
}

KBTEST_MAIN(T(handshake_options), T(small_exchange_and_close),
	    T(simultaneous_close_time_wait), T(simultaneous_open),
	    T(bulk_clean), T(bulk_lossy_sack_cubic), T(bulk_lossy_newreno),
	    T(bulk_lossy_no_options))
