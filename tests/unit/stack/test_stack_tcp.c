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
	CHECK(s.tlp_probe > 0);   /* tail losses recovered without waiting for an RTO */
	CHECK(s.rack_lost > 0);
	CHECK_EQ(s.rto_fired, 0);  /* RACK-TLP: 2% loss repaired without one timeout */
}

/* The network delivers 2% of packets twice: the receiver reports each
 * duplicate data segment in a D-SACK (RFC 2883), which the sender
 * recognises; nothing is resent for them. */
static void dsack_on_duplicates(void)
{
	struct tcp_cfg c;
	struct tcp_stats s;

	tcp_cfg_defaults(&c);
	run_bulk("duplicates", &c, 0, 20, 0, 4u << 20, 0, &s);
	/* ~2900 data segments, 2% twice: ~58.  Most duplicates arrive after
	 * RCV.NXT passed them (out of window); those must be reported too */
	CHECK(s.dsack_rx >= 40);
	CHECK_EQ(s.rexmt_segs, 0);
	CHECK_EQ(s.rto_fired, 0);
	/* without SACK there is nowhere to say it */
	c.sack = false;
	run_bulk("duplicates, no sack", &c, 0, 20, 0, 1u << 20, 0, &s);
	CHECK_EQ(s.dsack_rx, 0);
	CHECK_EQ(s.dsack_tx, 0);
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

/* The network's transmit queue takes 3 packets per step (a vNIC ring the
 * switch drains slowly): tcp_ops.tx_room says 0 once they are taken, and
 * the stack must hand over no data segment then (it would be dropped, or
 * wait in a queue the stack cannot see) but wait for the next flush; the
 * transfer completes with nothing lost and no retransmission. */
static void tx_backpressure(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint64_t total = 4u << 20;
	struct bulk b = { &cp, total, 0, 0, 0, 0, 0, false };

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	if (!cp.a)
		return;
	cp.net.tx_budget = 3;
	CHECK(net_run_until(&cp.net, 60000000ull, bulk_done, &b));
	CHECK(!b.bad);
	CHECK_EQ(b.recv_a, total);
	const struct tcp_stats *s = &cp.net.st[1]->stats;

	tcp_stats_print(cp.net.st[1], stdout);
	CHECK(s->tx_blocked > 0);
	CHECK_EQ(cp.net.tx_overrun[0] + cp.net.tx_overrun[1], 0);
	CHECK_EQ(s->rexmt_segs, 0);
	CHECK_EQ(s->rto_fired, 0);
	cp.net.tx_budget = 0;
	pair_close_both(&cp);
	net_free(&cp.net);
}

/* ---- RACK-TLP (RFC 8985): chosen client data segments are dropped ---- */

struct drops {
	struct conn_pair *cp;
	uint32_t from_off, to_off;   /* drop data starting in [from, to) */
	int times;                   /* ... its first `times` transmissions */
	int last_times;              /* > 0: the last segment's (to - MSS), instead */
	uint32_t seen_off[64];
	int seen_n[64], n;
};

static int drop_times(const struct drops *d, uint32_t off)
{
	return d->last_times > 0 && off == d->to_off - 1448u ? d->last_times : d->times;
}

/* A data segment from the client (stack 1) of cp: its offset in the
 * stream.  False for anything else. */
static bool client_data(const struct conn_pair *cp, int from, const uint8_t *pkt, uint32_t *off)
{
	const struct kb_iphdr *ip = (const struct kb_iphdr *)pkt;
	const struct kb_tcphdr *th = (const struct kb_tcphdr *)(pkt + 20);
	uint32_t plen = ntohs(ip->tot_len) - 20u - (th->doff >> 4) * 4u;

	if (from != 1 || !plen || !cp->c)
		return false;
	*off = ntohl(th->seq) - cp->c->iss - 1;
	return true;
}

static bool drop_chosen(struct net *n, int from, const uint8_t *pkt, uint16_t len)
{
	struct drops *d = n->filter_arg;
	uint32_t off;

	(void)len;
	if (!client_data(d->cp, from, pkt, &off))
		return true;
	if (off < d->from_off || off >= d->to_off)
		return true;
	for (int i = 0; i < d->n; i++)
		if (d->seen_off[i] == off)
			return ++d->seen_n[i] > drop_times(d, off);
	if (d->n == 64)
		return true;
	d->seen_off[d->n] = off;
	d->seen_n[d->n++] = 1;
	return drop_times(d, off) < 1;
}

/* Sends total bytes client -> server through the drops, both ends
 * configured as c; returns the client's counters. */
static struct tcp_stats run_drops_cfg(uint64_t total, struct drops *d, const struct tcp_cfg *c)
{
	struct conn_pair cp;
	struct bulk b = { &cp, total, 0, 0, 0, 0, 0, false };
	struct tcp_stats out = { 0 };

	pair_open(&cp, c, c);
	CHECK(cp.a != NULL);
	if (!cp.a)
		return out;
	d->cp = &cp;
	cp.net.filter = drop_chosen;
	cp.net.filter_arg = d;
	CHECK(net_run_until(&cp.net, 60000000ull, bulk_done, &b));
	CHECK(!b.bad);
	CHECK_EQ(b.recv_a, total);
	out = cp.net.st[1]->stats;
	tcp_stats_print(cp.net.st[1], stdout);
	cp.net.filter = NULL;
	pair_close_both(&cp);
	net_free(&cp.net);
	return out;
}

static struct tcp_stats run_drops(uint64_t total, struct drops *d)
{
	struct tcp_cfg c;

	tcp_cfg_defaults(&c);
	return run_drops_cfg(total, d, &c);
}

/* The last three segments of a transfer are lost: too few follow them for
 * duplicate ACKs.  The tail-loss probe resends the last one; its SACK
 * lets RACK declare the other two lost: no RTO. */
static void rack_lost_tail(void)
{
	uint32_t mss = 1448;   /* 1460 less the timestamp option */
	uint64_t total = 40ull * mss;
	struct drops d = { .from_off = (uint32_t)(total - 3 * mss), .to_off = (uint32_t)total,
			   .times = 1 };
	struct tcp_stats s = run_drops(total, &d);

	CHECK_EQ(d.n, 3);
	CHECK(s.tlp_probe >= 1);
	CHECK(s.rack_lost >= 1);
	CHECK_EQ(s.rto_fired, 0);
}

/* One segment is lost, and so is its first retransmission.  RFC 6675
 * alone never resends a retransmission (only the RTO does); RACK sees
 * data sent after the retransmission arrive, and resends it again. */
static void rack_lost_retransmission(void)
{
	uint32_t mss = 1448;
	uint64_t total = 400ull * mss;
	struct drops d = { .from_off = 100 * mss, .to_off = 100 * mss + 1, .times = 2 };
	struct tcp_stats s = run_drops(total, &d);

	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.seen_n[0], 3);   /* sent, resent (lost), resent */
	CHECK(s.rack_lost >= 2);
	CHECK_EQ(s.rto_fired, 0);
}

/* Three segments near the tail are lost, and so are their
 * retransmissions; the segments after them arrived (SACKed) and no new
 * data is left to send.  Nothing sent after the lost retransmissions can
 * arrive to show RACK they are lost: a probe in recovery (2 SRTT after
 * the last transmission) must, where before only the RTO did. */
static void rack_lost_retransmission_tail(void)
{
	uint32_t mss = 1448;
	uint64_t total = 40ull * mss;
	struct drops d = { .from_off = 30 * mss, .to_off = 33 * mss, .times = 2 };
	struct tcp_stats s = run_drops(total, &d);

	CHECK_EQ(d.n, 3);
	CHECK(s.rack_lost >= 2);
	CHECK(s.tlp_probe >= 1);
	CHECK_EQ(s.rto_fired, 0);
}

/* The last segment is lost, and so is the tail-loss probe that resends
 * it (a receiver's ring still full when the probe comes, 2 SRTT later).
 * A second probe, after twice the wait, repairs it: no RTO.  The receiver
 * ACKs every segment, so no delayed ACK arriving between the probes
 * starts a new episode (which would allow a probe anyway). */
static void tlp_second_probe(void)
{
	uint32_t mss = 1448;
	uint64_t total = 40ull * mss;
	struct drops d = { .from_off = (uint32_t)(total - mss), .to_off = (uint32_t)total,
			   .times = 2 };
	struct tcp_cfg c;

	tcp_cfg_defaults(&c);
	c.delayed_ack = false;
	struct tcp_stats s = run_drops_cfg(total, &d, &c);

	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.seen_n[0], 3);   /* sent, probed (lost), probed again */
	CHECK_EQ(s.tlp_probe, 2);
	CHECK_EQ(s.rto_fired, 0);
}

/* The last two segments are lost, and so are the first two probes (a
 * receiver stalled for 30 ms): the third, 70 ms after the flight, gets
 * through, its SACK shows the other one lost, and no RTO fires. */
static void tlp_third_probe(void)
{
	uint32_t mss = 1448;
	uint64_t total = 40ull * mss;
	struct drops d = { .from_off = (uint32_t)(total - 2 * mss), .to_off = (uint32_t)total,
			   .times = 1, .last_times = 3 };
	struct tcp_cfg c;

	tcp_cfg_defaults(&c);
	c.delayed_ack = false;
	struct tcp_stats s = run_drops_cfg(total, &d, &c);

	CHECK_EQ(d.n, 2);
	CHECK_EQ(s.tlp_probe, 3);
	CHECK(s.rack_lost >= 1);
	CHECK_EQ(s.rto_fired, 0);
}

/* Two segments of the last flight are lost and the segment after them,
 * sent in the same pass, arrives.  Its SACK orders them before it (RFC
 * 8985 compares send time, then sequence): RACK declares them lost after
 * its reordering window, with no probe and no RTO. */
static void rack_hole_in_one_pass(void)
{
	uint32_t mss = 1448;
	uint64_t total = 40ull * mss;
	struct drops d = { .from_off = (uint32_t)(total - 3 * mss),
			   .to_off = (uint32_t)(total - mss), .times = 1 };
	struct tcp_stats s = run_drops(total, &d);

	CHECK_EQ(d.n, 2);
	CHECK(s.rack_lost >= 1);
	CHECK_EQ(s.tlp_probe, 0);
	CHECK_EQ(s.rto_fired, 0);
}

/* A receiver's ring full for 100 ms: the flight in flight then and the
 * three probes are lost, and the RTO (after the stall) goes back N.  One of the
 * go-back-N resends is lost as well while the segments after it arrive.
 * RACK declares it lost and it is resent at once, without reducing the
 * window a second time for the same episode; before, nothing resent data
 * below `recover` but the next RTO. */
struct stall {
	uint32_t at_off;        /* the stall starts at the first data past it */
	uint64_t until;
	bool started, after_rto, dropped_again;
	uint32_t rto_off;       /* the first data sent after the RTO */
	struct conn_pair *cp;
};

static bool stall_filter(struct net *n, int from, const uint8_t *pkt, uint16_t len)
{
	struct stall *st = n->filter_arg;
	uint32_t off;

	(void)len;
	if (!client_data(st->cp, from, pkt, &off))
		return true;
	if (!st->started && off >= st->at_off) {
		st->started = true;
		st->until = n->now + 100000;
	}
	if (st->started && n->now < st->until)
		return false;
	if (!n->st[1]->stats.rto_fired)
		return true;
	if (!st->after_rto) {
		st->after_rto = true;
		st->rto_off = off;
	}
	if (!st->dropped_again && off == st->rto_off + 2 * 1448u) {
		st->dropped_again = true;
		return false;
	}
	return true;
}

static void rack_after_rto(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint64_t total = 200ull * 1448;
	struct bulk b = { &cp, total, 0, 0, 0, 0, 0, false };
	struct stall st = { .at_off = 100 * 1448, .cp = &cp };

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	if (!cp.a)
		return;
	cp.net.filter = stall_filter;
	cp.net.filter_arg = &st;
	CHECK(net_run_until(&cp.net, 60000000ull, bulk_done, &b));
	CHECK(!b.bad);
	CHECK_EQ(b.recv_a, total);
	const struct tcp_stats *s = &cp.net.st[1]->stats;

	tcp_stats_print(cp.net.st[1], stdout);
	CHECK(st.dropped_again);
	CHECK(s->tlp_probe >= 3);      /* all lost in the stall */
	CHECK_EQ(s->rto_fired, 1);     /* the go-back-N loss took none */
	CHECK(s->rack_lost >= 1);
	cp.net.filter = NULL;
	pair_close_both(&cp);
	net_free(&cp.net);
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

/* ---- attacks and bad input ---- */

static void inject(struct net *n, int to, uint8_t *pkt, uint16_t len)
{
	tcp_ip_input(n->st[to], pkt, len, n->now);
}

static void rst_rfc5961(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint8_t pkt[100];
	uint16_t len;

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	struct tcp_stats *s = &cp.net.st[0]->stats;
	uint32_t nxt = tcp_rcv_nxt(cp.a);

	/* in window but not exact: challenge ACK, connection lives */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt + 100, 0, TH_RST, 0, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->challenge_ack, 1);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	/* out of window: dropped, counted */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt + 10000000, 0, TH_RST, 0, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->out_of_window, 1);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	/* SYN on an established connection: challenge ACK */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt + 5, 0, TH_SYN, 1000, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->challenge_ack, 2);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	/* data with an ACK for bytes never sent: dropped */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, cp.a->snd_max + 1000,
			TH_ACK, 1000, "evil", 4);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->ack_too_new, 1);
	CHECK_EQ(tcp_readable(cp.a), 0);
	/* the exact sequence number resets */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, 0, TH_RST, 0, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(cp.a->state, TCP_CLOSED);
	CHECK_EQ(cp.a->err, ECONNRESET);
	CHECK(cp.ao.ev & TCP_EV_ERR);
	char b[4];

	CHECK_EQ(tcp_recv(cp.a, b, 4), -ECONNRESET);
	tcp_close(cp.a);
	tcp_abort(cp.c);
	net_free(&cp.net);
}

/* An ICMP echo request of tot bytes from stack 1 to stack 0, zero data. */
static uint16_t echo_request(uint8_t *pkt, uint16_t tot)
{
	uint16_t ck;

	memset(pkt, 0, tot);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[8] = 64;
	pkt[9] = 1;
	memcpy(pkt + 12, &(uint32_t){ net_ip(1) }, 4);
	memcpy(pkt + 16, &(uint32_t){ net_ip(0) }, 4);
	ck = inet_cksum(pkt, 20);
	memcpy(pkt + 10, &ck, 2);
	pkt[20] = 8;
	ck = inet_cksum(pkt + 20, (uint16_t)(tot - 20));
	memcpy(pkt + 22, &ck, 2);
	return tot;
}

static void malformed_counted(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint8_t pkt[200];
	uint16_t len;

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	struct tcp_stats *s = &cp.net.st[0]->stats;
	uint32_t nxt = tcp_rcv_nxt(cp.a);

	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, cp.a->snd_nxt, TH_ACK, 1000, "data", 4);
	pkt[41] ^= 0xff;                       /* payload no longer matches the checksum */
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->bad_cksum, 1);
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, cp.a->snd_nxt, TH_ACK, 1000, "data", 4);
	pkt[32] = 15 << 4;                     /* data offset past the end */
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->bad_doff, 1);
	pkt[32] = 2 << 4;                      /* data offset below 5 */
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->bad_doff, 2);
	inject(&cp.net, 0, pkt, 30);           /* truncated IP packet */
	CHECK_EQ(s->ip_malformed, 1);
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, 0, TH_ACK, 1000, NULL, 0);
	pkt[10] ^= 1;                          /* IP header checksum */
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->ip_bad_cksum, 1);
	pkt[10] ^= 1;
	pkt[0] = 0x65;                         /* version 6 */
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->ip_malformed, 2);
	/* options running past the header */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, cp.a->snd_nxt, TH_ACK, 1000,
			"\x02\x09\x05\xb4", 4);
	pkt[32] = 6 << 4;
	{
		struct kb_tcphdr *th = (struct kb_tcphdr *)(pkt + 20);

		th->cksum = 0;
		th->cksum = inet_fold(inet_sum(th, 24, inet_pseudo_sum(net_ip(1), net_ip(0), 6, 24)));
	}
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->bad_opts, 1);
	/* random garbage of every length never crashes */
	for (int i = 0; i < 2000; i++) {
		uint16_t l = (uint16_t)(net_rand(&cp.net) % 120);

		len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, 0, TH_ACK, 1000, NULL, 0);
		for (int k = 20; k < l; k++)
			pkt[k] = (uint8_t)net_rand(&cp.net);
		inject(&cp.net, 0, pkt, l < 20 ? len : l);
	}
	CHECK(cp.a->state == TCP_ESTABLISHED || cp.a->state == TCP_CLOSED);
	/* ICMP echo gets a reply */
	uint64_t before = cp.net.sent[0];
	uint8_t icmp[28 + 8];

	echo_request(icmp, 36);
	memcpy(icmp + 28, "pingpong", 8);
	icmp[22] = icmp[23] = 0;
	uint16_t ck = inet_cksum(icmp + 20, 16);

	memcpy(icmp + 22, &ck, 2);
	inject(&cp.net, 0, icmp, 36);
	CHECK_EQ(s->icmp_echo_tx, 1);
	CHECK_EQ(cp.net.sent[0], before + 1);
	tcp_abort(cp.a);
	tcp_abort(cp.c);
	net_free(&cp.net);
}

/* Every silent return in tcp_input has its own counter (issue 11). */
static void drops_have_own_counters(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint8_t pkt[2100];
	uint16_t len;
	int err;

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	struct tcp_stats *s = &cp.net.st[0]->stats;
	uint32_t nxt = tcp_rcv_nxt(cp.a);

	/* a RST and a bare FIN to a listener */
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(41000), PORT_A, 5, 0, TH_RST, 0, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->listen_rst_drop, 1);
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(41000), PORT_A, 5, 0, TH_FIN, 0, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->listen_no_syn_drop, 1);
	/* a segment without ACK on an established connection */
	len = net_craft(pkt, net_ip(1), net_ip(0), PORT_B, PORT_A, nxt, 0, 0, 1000, "x", 1);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->no_ack_drop, 1);
	/* port 0 and SYN+FIN are not bad options */
	len = net_craft(pkt, net_ip(1), net_ip(0), 0, PORT_A, 5, 0, TH_SYN, 1000, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->port_zero, 1);
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(41001), PORT_A, 5, 0, TH_SYN | TH_FIN, 1000, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->syn_fin_drop, 1);
	CHECK_EQ(s->bad_opts, 0);
	/* a reset for a segment of no connection vs. a bad ACK to SYN_SENT */
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(41002), htons(81), 5, 0, TH_SYN, 1000, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->no_pcb_rst_tx, 1);
	CHECK_EQ(s->bad_ack_rst_tx, 0);
	struct owner o = { 0 };
	struct tcp_pcb *p = tcp_connect(cp.net.st[0], net_ip(0), htons(42000), net_ip(1), htons(9),
					&o, &err);

	CHECK(p != NULL);
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(9), htons(42000), 1, p->iss + 1000,
			TH_ACK, 1000, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->bad_ack_rst_tx, 1);
	CHECK_EQ(s->no_pcb_rst_tx, 1);
	/* SYN_SENT: a RST without an acceptable ACK, and a segment without SYN */
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(9), htons(42000), 1, 0, TH_RST, 0, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->syn_sent_rst_drop, 1);
	len = net_craft(pkt, net_ip(1), net_ip(0), htons(9), htons(42000), 1, p->iss + 1, TH_ACK,
			1000, NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->syn_sent_no_syn_drop, 1);
	CHECK_EQ(p->state, TCP_SYN_SENT);
	tcp_abort(p);
	/* an echo request whose reply would not fit one buffer */
	inject(&cp.net, 0, pkt, echo_request(pkt, TCP_MAX_PKT));
	CHECK_EQ(s->icmp_too_big, 0);   /* a reply of the same size fits exactly */
	inject(&cp.net, 0, pkt, echo_request(pkt, TCP_MAX_PKT + 1));
	CHECK_EQ(s->icmp_too_big, 1);
	tcp_abort(cp.a);
	tcp_abort(cp.c);
	net_free(&cp.net);
}

static void syn_flood_backlog(void)
{
	struct tcp_cfg c;
	struct net n;
	struct owner lo = { 0 };
	uint8_t pkt[100];
	int err;

	tcp_cfg_defaults(&c);
	c.max_conns = 20;
	c.syncookies = false;   /* the drops; syn_cookies() has the cookies */
	net_init(&n, &c, &c);
	struct tcp_listener *l = tcp_listen(n.st[0], 0, PORT_A, 8, &lo, &err);

	for (int i = 0; i < 100; i++) {
		uint16_t len = net_craft(pkt, net_ip(1), net_ip(0), htons((uint16_t)(20000 + i)),
					 PORT_A, 1000u * (uint32_t)i, 0, TH_SYN, 1000, NULL, 0);

		inject(&n, 0, pkt, len);
	}
	CHECK_EQ(l->n_pending, 8);
	CHECK_EQ(n.st[0]->n_pcbs, 8);
	CHECK_EQ(n.st[0]->stats.syn_backlog_drop, 92);
	/* half-open connections time out after the SYN-ACK retries */
	n.filter = NULL;
	net_run_until(&n, 400000000ull, NULL, NULL);
	CHECK_EQ(l->n_pending, 0);
	CHECK_EQ(n.st[0]->n_pcbs, 0);
	/* max_conns bounds a listener with a bigger backlog */
	l->backlog = 1000;
	for (int i = 0; i < 100; i++) {
		uint16_t len = net_craft(pkt, net_ip(1), net_ip(0), htons((uint16_t)(30000 + i)),
					 PORT_A, 7u * (uint32_t)i, 0, TH_SYN, 1000, NULL, 0);

		inject(&n, 0, pkt, len);
	}
	CHECK_EQ(n.st[0]->n_pcbs, 20);
	CHECK_EQ(n.st[0]->stats.syn_max_conns_drop, 80);
	net_free(&n);
}

/* A listener whose backlog a spoofed SYN filled answers with SYN cookies:
 * a real client still connects, with the options the cookie carried. */
static void pair_open_cookie(struct conn_pair *cp, const struct tcp_cfg *c0,
			     const struct tcp_cfg *c1)
{
	uint8_t pkt[100];
	int err = 0;

	memset(cp, 0, sizeof(*cp));
	net_init(&cp->net, c0, c1);
	cp->l = tcp_listen(cp->net.st[0], 0, PORT_A, 1, &cp->lo, &err);
	/* from an address nobody answers for: stays half-open */
	uint16_t len = net_craft(pkt, htonl(0x0a090909), net_ip(0), htons(999), PORT_A, 5, 0,
				 TH_SYN, 1000, NULL, 0);

	inject(&cp->net, 0, pkt, len);
	CHECK_EQ(cp->l->n_pending, 1);
	cp->c = tcp_connect(cp->net.st[1], net_ip(1), PORT_B, net_ip(0), PORT_A, &cp->co, &err);
	net_run_until(&cp->net, 30000000, both_established, cp);
}

static void syn_cookies(void)
{
	struct tcp_cfg c, d;
	struct conn_pair cp;
	uint8_t pkt[100];
	uint16_t len;

	tcp_cfg_defaults(&c);
	c.rcvbuf = 1 << 20;
	pair_open_cookie(&cp, &c, &c);
	struct tcp_stats *s = &cp.net.st[0]->stats;

	CHECK(cp.a != NULL);
	CHECK_EQ(s->syncookies_sent, 1);
	CHECK_EQ(s->syncookies_recv, 1);
	CHECK_EQ(s->syn_backlog_drop, 0);
	if (!cp.a)
		return;
	/* timestamps carried window scale and SACK-permitted back */
	CHECK(cp.a->ts_ok && cp.a->sack_ok && cp.a->ws_ok);
	CHECK(cp.c->ts_ok && cp.c->sack_ok && cp.c->ws_ok);
	CHECK_EQ(cp.a->snd_wscale, cp.c->rcv_wscale);
	CHECK_EQ(cp.c->snd_wscale, cp.a->rcv_wscale);
	CHECK_EQ(cp.a->peer_mss, 1460);
	/* both directions carry data, windows scaled right, through loss */
	struct bulk b = { &cp, 1 << 20, 0, 0, 0, 0, 300000, false };

	cp.net.drop_pct = 10;
	CHECK(net_run_until(&cp.net, 600000000ull, bulk_done, &b));
	CHECK(!b.bad);
	CHECK_EQ(b.recv_a, 1u << 20);
	CHECK_EQ(b.recv_c, 300000u);
	cp.net.drop_pct = 0;
	CHECK(s->sack_recovery > 0 || s->fast_rexmt > 0 || s->rto_fired > 0);

	/* a forged ACK: no cookie of ours, a reset and a count */
	uint64_t rst = s->no_pcb_rst_tx;

	len = net_craft(pkt, net_ip(1), net_ip(0), htons(41000), PORT_A, 77, 12345, TH_ACK, 1000,
			NULL, 0);
	inject(&cp.net, 0, pkt, len);
	CHECK_EQ(s->syncookies_failed, 1);
	CHECK_EQ(s->no_pcb_rst_tx, rst + 1);
	/* a cookie made for another ISN or too long ago does not check out */
	struct tcp_seg syn = { .saddr = net_ip(1), .daddr = net_ip(0), .sport = htons(41001),
			       .dport = PORT_A, .seq = 1000, .flags = TH_SYN };
	struct tcp_seg ack = syn;

	ack.flags = TH_ACK;
	ack.seq = 1001;
	ack.ack = syncookie_make(cp.net.st[0], &syn, 2) + 1;
	CHECK_EQ(syncookie_check(cp.net.st[0], &ack), 2);
	ack.seq = 5001;   /* (an ISN off by less than 4 may pass, as in Linux) */
	CHECK_EQ(syncookie_check(cp.net.st[0], &ack), -1);
	ack.seq = 1001;
	ack.sport = htons(41002);
	CHECK_EQ(syncookie_check(cp.net.st[0], &ack), -1);
	ack.sport = htons(41001);
	cp.net.st[0]->now += 60000000ull;
	CHECK_EQ(syncookie_check(cp.net.st[0], &ack), 2);   /* a minute later: fine */
	cp.net.st[0]->now += 120000000ull;
	CHECK_EQ(syncookie_check(cp.net.st[0], &ack), -1);  /* three: expired */
	tcp_abort(cp.a);
	tcp_abort(cp.c);
	net_free(&cp.net);

	/* a client without timestamps: no window scale, no SACK, as Linux */
	d = c;
	d.timestamps = false;
	pair_open_cookie(&cp, &c, &d);
	CHECK(cp.a != NULL);
	if (cp.a) {
		CHECK_EQ(cp.net.st[0]->stats.syncookies_recv, 1);
		CHECK(!cp.a->ts_ok && !cp.a->sack_ok && !cp.a->ws_ok);
		CHECK(!cp.c->ws_ok && !cp.c->sack_ok);
		CHECK_EQ(cp.a->mss, 1460);
		CHECK_EQ(tcp_send(cp.c, "hello", 5), 5);
		net_run_until(&cp.net, 1000000, NULL, NULL);
		char buf[8];

		CHECK_EQ(tcp_recv(cp.a, buf, sizeof(buf)), 5);
		tcp_abort(cp.a);
	}
	tcp_abort(cp.c);
	net_free(&cp.net);

	/* a flood takes at most half the pcbs half-open; a client gets in */
	d = c;
	d.max_conns = 8;
	memset(&cp, 0, sizeof(cp));
	net_init(&cp.net, &d, &c);
	int err = 0;

	cp.l = tcp_listen(cp.net.st[0], 0, PORT_A, 100, &cp.lo, &err);
	for (int i = 0; i < 100; i++) {
		len = net_craft(pkt, htonl(0xac100000u + (uint32_t)i), net_ip(0), htons(999), PORT_A,
				5, 0, TH_SYN, 1000, NULL, 0);
		inject(&cp.net, 0, pkt, len);
	}
	CHECK_EQ(cp.net.st[0]->n_pcbs, 4);
	CHECK_EQ(cp.net.st[0]->stats.syncookies_sent, 96);
	cp.c = tcp_connect(cp.net.st[1], net_ip(1), PORT_B, net_ip(0), PORT_A, &cp.co, &err);
	CHECK(net_run_until(&cp.net, 30000000, both_established, &cp));
	CHECK_EQ(cp.net.st[0]->stats.syncookies_recv, 1);
	if (cp.a)
		tcp_abort(cp.a);
	tcp_abort(cp.c);
	net_free(&cp.net);

	/* syncookies off: the SYN is dropped and counted, as before */
	d = c;
	d.syncookies = false;
	pair_open_cookie(&cp, &d, &c);
	CHECK(cp.a == NULL);
	CHECK(cp.net.st[0]->stats.syn_backlog_drop >= 1);
	CHECK_EQ(cp.net.st[0]->stats.syncookies_sent, 0);
	tcp_abort(cp.c);
	net_free(&cp.net);
}

static bool drop_all(struct net *n, int from, const uint8_t *pkt, uint16_t len)
{
	uint64_t *times = n->filter_arg;

	(void)from;
	(void)pkt;
	(void)len;
	if (from == 1 && len > 52 && times[0] < 31)
		times[1 + times[0]++] = n->now;
	return false;
}

static void rto_backoff_and_timeout(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint64_t times[32] = { 0 };

	tcp_cfg_defaults(&c);
	c.max_retries = 5;
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	cp.net.filter = drop_all;
	cp.net.filter_arg = times;
	CHECK_EQ(tcp_send(cp.c, "0123456789", 10), 10);
	net_run_until(&cp.net, 200000000ull, NULL, NULL);
	/* original, a tail-loss probe (2 SRTT + delayed-ACK allowance), a
	 * second one after twice that, then the RTO, counted from when the
	 * oldest bytes were last sent (the probe resent them: one segment),
	 * then 4 more RTO retransmissions, each interval double the last */
	CHECK_EQ(times[0], 8);
	CHECK(times[2] - times[1] < TCP_RTO_MIN_US);
	CHECK_EQ(cp.net.st[1]->stats.tlp_probe, 2);
	CHECK(times[3] - times[2] >= 2 * (times[2] - times[1]) - 1000);
	CHECK(times[3] - times[2] <= 2 * (times[2] - times[1]) + 1000);
	CHECK(times[4] - times[3] >= TCP_RTO_MIN_US);
	CHECK(times[4] - times[3] <= TCP_RTO_MIN_US + 1000);
	CHECK_EQ(cp.net.st[1]->stats.rto_fired, 5);
	for (int i = 5; i < 8; i++) {
		uint64_t d1 = times[i] - times[i - 1], d2 = times[i + 1] - times[i];

		CHECK(d2 >= 2 * d1 - 2000 && d2 <= 2 * d1 + 2000);
	}
	CHECK_EQ(cp.c->err, ETIMEDOUT);
	CHECK_EQ(cp.c->state, TCP_CLOSED);
	CHECK(cp.co.ev & TCP_EV_ERR);
	tcp_close(cp.c);
	tcp_abort(cp.a);
	net_free(&cp.net);
}

static void zero_window_persist(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	static uint8_t buf[200000];

	tcp_cfg_defaults(&c);
	c.rcvbuf = 8192;
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	int sent = tcp_send(cp.c, buf, sizeof(buf));

	CHECK(sent > 0);
	/* the reader sleeps 10 s: the window closes, the sender probes */
	net_run_until(&cp.net, 10000000, NULL, NULL);
	CHECK_EQ(cp.a->rb.nxt - cp.a->rb.head_seq, 8192);
	CHECK(cp.net.st[1]->stats.persist_probe >= 3);
	CHECK_EQ(cp.c->err, 0);
	/* reading reopens it; everything arrives in order */
	static uint8_t got[200000];
	uint32_t r = 0;

	for (int i = 0; i < 100000 && r < (uint32_t)sent; i++) {
		int n = tcp_recv(cp.a, got + r, sizeof(got) - r);

		if (n > 0)
			r += (uint32_t)n;
		net_step(&cp.net, 100);
	}
	CHECK_EQ(r, (uint32_t)sent);
	CHECK(!memcmp(got, buf, r));
	pair_close_both(&cp);
	net_free(&cp.net);
}

static bool count_acks(struct net *n, int from, const uint8_t *pkt, uint16_t len)
{
	uint64_t *acks = n->filter_arg;
	const struct kb_tcphdr *th = (const struct kb_tcphdr *)(pkt + 20);

	if (from == 0 && len == 20 + ((th->doff >> 4) * 4) && th->flags == TH_ACK)
		acks[acks[0]++ + 1] = n->now;
	return true;
}

static void delayed_ack(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	uint64_t acks[64] = { 0 };

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	cp.net.filter = count_acks;
	cp.net.filter_arg = acks;
	uint64_t t0 = cp.net.now;

	tcp_send(cp.c, "x", 1);
	net_run_until(&cp.net, 100000, NULL, NULL);
	/* one small segment: ACKed after the 40 ms delay, not at once */
	CHECK_EQ(acks[0], 1);
	CHECK(acks[1] - t0 >= 40000 && acks[1] - t0 <= 42000);
	/* two full segments: ACKed at once */
	static uint8_t big[2 * 1448];

	acks[0] = 0;
	t0 = cp.net.now;
	tcp_send(cp.c, big, sizeof(big));
	net_run_until(&cp.net, 100000, NULL, NULL);
	CHECK(acks[0] >= 1);
	CHECK(acks[1] - t0 < 2000);
	tcp_abort(cp.a);
	tcp_abort(cp.c);
	net_free(&cp.net);
}

/* Closing through a lossy channel: FINs and ACKs get lost, both sides
 * still end with no pcb (retransmitted FIN, or RST for a forgotten one). */
static void close_through_loss(void)
{
	struct tcp_cfg c;

	tcp_cfg_defaults(&c);
	for (int seed = 1; seed <= 20; seed++) {
		struct conn_pair cp;
		char buf[16];

		pair_open(&cp, &c, &c);
		CHECK(cp.a != NULL);
		if (!cp.a)
			continue;
		cp.net.rng = 0x9e3779b97f4a7c15ull * (uint64_t)seed;
		cp.net.drop_pct = 300;   /* 30% */
		CHECK_EQ(tcp_send(cp.c, "bye", 3), 3);
		tcp_close(cp.c);
		net_run_until(&cp.net, 20000000, NULL, NULL);
		CHECK_EQ(tcp_recv(cp.a, buf, sizeof(buf)), 3);
		CHECK_EQ(tcp_recv(cp.a, buf, sizeof(buf)), 0);   /* EOF */
		tcp_close(cp.a);
		net_run_until(&cp.net, 100000000, NULL, NULL);
		CHECK_EQ(cp.net.st[0]->n_pcbs, 0);
		CHECK_EQ(cp.net.st[1]->n_pcbs, 0);
		net_free(&cp.net);
	}
}

static bool drop_everything(struct net *n, int from, const uint8_t *pkt, uint16_t len)
{
	(void)n; (void)from; (void)pkt; (void)len;
	return false;
}

/* Connection timeouts: an unanswered SYN gives ETIMEDOUT after
 * syn_retries; an idle connection past tcp_timeout is reset. */
static void connect_and_idle_timeouts(void)
{
	struct tcp_cfg c;
	struct net n;
	struct owner o = { 0 };
	int err;

	tcp_cfg_defaults(&c);
	c.syn_retries = 3;
	net_init(&n, &c, &c);
	n.filter = drop_everything;
	struct tcp_pcb *p = tcp_connect(n.st[1], net_ip(1), PORT_B, net_ip(0), PORT_A, &o, &err);

	/* 1 + 2 + 4 + 8 s of backoff */
	net_run_until(&n, 14000000, NULL, NULL);
	CHECK_EQ(p->state, TCP_SYN_SENT);
	net_run_until(&n, 2000000, NULL, NULL);
	CHECK_EQ(p->state, TCP_CLOSED);
	CHECK_EQ(p->err, ETIMEDOUT);
	CHECK_EQ(n.st[1]->stats.syn_rexmt, 3);
	CHECK(o.ev & TCP_EV_ERR);
	tcp_close(p);
	CHECK_EQ(n.st[1]->n_pcbs, 0);
	net_free(&n);

	struct conn_pair cp;

	tcp_cfg_defaults(&c);
	c.idle_timeout_us = 5000000;
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	net_run_until(&cp.net, 4000000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	tcp_send(cp.c, "x", 1);   /* activity restarts the server's clock */
	net_run_until(&cp.net, 4000000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	net_run_until(&cp.net, 3000000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_CLOSED);
	CHECK_EQ(cp.a->err, ETIMEDOUT);
	CHECK_EQ(cp.c->state, TCP_CLOSED);
	CHECK(cp.net.st[0]->stats.conn_timeout + cp.net.st[1]->stats.conn_timeout >= 1);
	tcp_close(cp.a);
	tcp_close(cp.c);
	net_free(&cp.net);
}

/* Keep-alive (SO_KEEPALIVE with TCP_KEEPIDLE 2 s, KEEPINTVL 1 s, KEEPCNT 3):
 * a live peer answers the probes and the connection stays; with the peer
 * gone, the connection ends with ETIMEDOUT 5 s after its last segment
 * (2 s idle + 3 probes 1 s apart).  Without SO_KEEPALIVE nothing is probed. */
static void keepalive_probes(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;

	tcp_cfg_defaults(&c);
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	net_run_until(&cp.net, 10000000, NULL, NULL);
	CHECK_EQ(cp.net.st[0]->stats.keepalive_probe, 0);
	tcp_set_keepalive(cp.a, true, 2000000, 1000000, 3);
	net_run_until(&cp.net, 10000000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	/* one probe each 2 s of idleness, each answered */
	CHECK(cp.net.st[0]->stats.keepalive_probe >= 4);
	CHECK_EQ(cp.a->ka_sent, 0);
	uint64_t probes = cp.net.st[0]->stats.keepalive_probe;

	/* the peer dies at most 2 s after its last answer: the end comes
	 * 3..5 s later */
	cp.net.filter = drop_everything;
	net_run_until(&cp.net, 2500000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_ESTABLISHED);
	net_run_until(&cp.net, 2600000, NULL, NULL);
	CHECK_EQ(cp.a->state, TCP_CLOSED);
	CHECK_EQ(cp.a->err, ETIMEDOUT);
	CHECK(cp.ao.ev & TCP_EV_ERR);
	CHECK_EQ(cp.net.st[0]->stats.keepalive_timeout, 1);
	CHECK(cp.net.st[0]->stats.keepalive_probe - probes >= 3);
	tcp_close(cp.a);
	tcp_close(cp.c);
	net_free(&cp.net);
}

/* The server closed first and sits in TIME_WAIT; a new SYN for the same
 * tuple with a higher sequence number opens a new connection (RFC 6191,
 * as Linux does) instead of waiting out the TIME_WAIT. */
static void time_wait_reuse(void)
{
	struct tcp_cfg c;
	struct conn_pair cp;
	int err;

	tcp_cfg_defaults(&c);
	c.timewait_us = 30000000;
	pair_open(&cp, &c, &c);
	CHECK(cp.a != NULL);
	tcp_close(cp.a);
	net_run_until(&cp.net, 100000, NULL, NULL);
	CHECK_EQ(cp.c->state, TCP_CLOSE_WAIT);
	tcp_close(cp.c);
	net_run_until(&cp.net, 100000, NULL, NULL);
	struct tcp_pcb *tw = tcp_lookup(cp.net.st[0], net_ip(0), PORT_A, net_ip(1), PORT_B);

	CHECK(tw && tw->state == TCP_TIME_WAIT);
	net_run_until(&cp.net, 1000000, NULL, NULL);   /* time moves: a higher ISS */
	struct owner o2 = { 0 };

	cp.c = tcp_connect(cp.net.st[1], net_ip(1), PORT_B, net_ip(0), PORT_A, &o2, &err);
	CHECK(cp.c != NULL);
	cp.a = NULL;
	/* virtual time: without the reuse the SYN would be challenged, reset
	 * and retried after a 1 s SYN timeout */
	CHECK(net_run_until(&cp.net, 500000, both_established, &cp));
	CHECK_EQ(cp.net.st[1]->stats.syn_rexmt, 0);
	if (cp.a)
		tcp_abort(cp.a);
	if (cp.c)
		tcp_abort(cp.c);
	net_free(&cp.net);
}

KBTEST_MAIN(T(handshake_options), T(small_exchange_and_close), T(dsack_on_duplicates),
	    T(simultaneous_close_time_wait), T(simultaneous_open),
	    T(bulk_clean), T(bulk_lossy_sack_cubic), T(bulk_lossy_newreno),
	    T(bulk_lossy_no_options), T(rst_rfc5961), T(malformed_counted), T(drops_have_own_counters),
	    T(syn_flood_backlog), T(syn_cookies), T(rto_backoff_and_timeout), T(zero_window_persist),
	    T(delayed_ack), T(close_through_loss), T(connect_and_idle_timeouts), T(keepalive_probes),
	    T(time_wait_reuse), T(rack_lost_tail), T(rack_lost_retransmission),
	    T(rack_lost_retransmission_tail), T(tlp_second_probe), T(tlp_third_probe), T(rack_hole_in_one_pass),
	    T(rack_after_rto),
	    T(tx_backpressure))
