/* Unit tests of the stack's pure pieces: sequence arithmetic, checksums,
 * reassembly, send buffer, SACK scoreboard, RTT/RTO, Reno and CUBIC,
 * the timer wheel, and RACK's loss detection. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inet_cksum.h"
#include "kbtest.h"
#include "tcp_cc.h"
#include "tcp_rack.h"
#include "tcp_rcvbuf.h"
#include "tcp_rtt.h"
#include "tcp_sack.h"
#include "tcp_seq.h"
#include "tcp_sndbuf.h"
#include "tcp_timer.h"

static void seq_wraparound(void)
{
	CHECK(seq_lt(0xfffffff0u, 0x10));
	CHECK(seq_gt(0x10, 0xfffffff0u));
	CHECK(seq_leq(5, 5) && seq_geq(5, 5));
	CHECK(!seq_lt(5, 5));
	CHECK(seq_in(0xffffffffu, 0xfffffff0u, 0x20));
	CHECK(!seq_in(0x20, 0xfffffff0u, 0x20));
	CHECK_EQ(seq_max(0xfffffff0u, 3), 3);
	CHECK_EQ(seq_min(0xfffffff0u, 3), 0xfffffff0u);
	CHECK(seq_lt(0x7fffffffu, 0x80000000u));
}

static void cksum_full_and_incremental(void)
{
	/* RFC 1071 example bytes: 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2 */
	uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK_EQ(ntohs(inet_cksum(b, 8)), (uint16_t)~0xddf2);
	/* a real IPv4 header (checksum b861) */
	uint8_t ip[20] = { 0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61,
			   0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7 };

	CHECK_EQ(inet_cksum(ip, 20), 0);
	ip[10] = ip[11] = 0;
	CHECK_EQ(ntohs(inet_cksum(ip, 20)), 0xb861);
	/* odd length and chaining pieces equals one pass */
	uint8_t d[13];

	for (int i = 0; i < 13; i++)
		d[i] = (uint8_t)(i * 37 + 1);
	CHECK_EQ(inet_fold(inet_sum(d + 6, 7, inet_sum(d, 6, 0))), inet_cksum(d, 13));
	/* against a plain 16-bit reference, every length and alignment */
	static uint8_t big[2100];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(big); i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (uint8_t)(x >> 16);
	}
	int bad = 0;

	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 2000; len += (len < 80 ? 1 : 37)) {
			uint32_t ref = 0;

			for (size_t i = 0; i + 1 < len; i += 2)
				ref += (uint32_t)(big[off + i] << 8 | big[off + i + 1]);
			if (len & 1)
				ref += (uint32_t)big[off + len - 1] << 8;
			while (ref >> 16)
				ref = (ref & 0xffff) + (ref >> 16);
			if (ntohs(inet_cksum(big + off, len)) != (uint16_t)~ref &&
			    !(ref == 0xffff && inet_cksum(big + off, len) == 0))
				bad++;
			/* chained at an even split equals one pass */
			size_t half = (len / 2) & ~(size_t)1;

			if (inet_fold(inet_sum(big + off + half, len - half,
					       inet_sum(big + off, half, 0xfffffffffffull))) !=
			    inet_fold(inet_sum(big + off, len, 0xfffffffffffull)))
				bad++;
		}
	CHECK_EQ(bad, 0);
	/* incremental update: change the TTL/proto word and the source */
	ip[10] = 0xb8; ip[11] = 0x61;
	uint16_t ck, old16, new16;
	uint32_t old32, new32;

	memcpy(&ck, ip + 10, 2);
	memcpy(&old16, ip + 8, 2);
	ip[8] = 0x3f;
	memcpy(&new16, ip + 8, 2);
	ck = inet_cksum_update16(ck, old16, new16);
	memcpy(&old32, ip + 12, 4);
	ip[12] = 10; ip[13] = 1; ip[14] = 2; ip[15] = 3;
	memcpy(&new32, ip + 12, 4);
	ck = inet_cksum_update32(ck, old32, new32);
	memcpy(ip + 10, &ck, 2);
	CHECK_EQ(inet_cksum(ip, 20), 0);
}

/* Test buffers: malloc'ed with a small room, so data spans many of them;
 * `live` counts those not given back. */
struct tbuf_pool {
	uint32_t room;
	int live, allocs, fail_after;   /* fail_after < 0: never fail */
};

static int tbuf_alloc(void *arg, struct tcp_frag *f)
{
	struct tbuf_pool *tp = arg;

	if (tp->fail_after >= 0 && tp->allocs >= tp->fail_after)
		return -1;
	f->buf = malloc(tp->room);
	f->data = f->buf;
	f->len = 0;
	f->room = tp->room;
	tp->live++;
	tp->allocs++;
	return 0;
}

static void tbuf_free(void *arg, void *buf)
{
	struct tbuf_pool *tp = arg;

	tp->live--;
	free(buf);
}

/* A received piece in a buffer of its own (as the layer hands an mbuf). */
static struct tcp_frag tbuf_piece(struct tbuf_pool *tp, const uint8_t *d, uint32_t len,
				  uint32_t room)
{
	struct tcp_frag f;
	uint32_t save = tp->room;

	tp->room = len + room;
	tbuf_alloc(tp, &f);
	tp->room = save;
	memcpy(f.data, d, len);
	f.len = len;
	f.room = room;
	return f;
}

static void reassembly_in_order_and_ooo(void)
{
	struct tbuf_pool tp = { 16, 0, 0, -1 };
	struct tcp_bufops bo = { &tp, tbuf_alloc, tbuf_free };
	struct tcp_rcvbuf rb;
	uint8_t data[100], out[100];
	uint32_t adv;
	const uint32_t base = 0xffffffc0u;   /* wraps during the test */

	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)i;
	CHECK_EQ(rcvbuf_init(&rb, &bo, 64, base), 0);
	CHECK_EQ(rcvbuf_window(&rb), 64);
	/* [20,30) and [40,50) out of order, then [0,20) fills the first gap */
	CHECK_EQ(rcvbuf_insert(&rb, base + 40, data + 40, 10, &adv), RCV_OOO);
	CHECK_EQ(rcvbuf_insert(&rb, base + 20, data + 20, 10, &adv), RCV_OOO);
	CHECK_EQ(rb.n_ooo, 2);
	uint32_t blk[4][2];

	CHECK_EQ(rcvbuf_sack_blocks(&rb, blk, 4), 2);
	CHECK_EQ(blk[0][0], base + 20);   /* most recent first */
	CHECK_EQ(blk[1][1], base + 50);
	CHECK_EQ(rcvbuf_insert(&rb, base + 20, data + 20, 10, &adv), RCV_OLD);
	CHECK_EQ(rcvbuf_insert(&rb, base, data, 20, &adv), RCV_IN_ORDER);
	CHECK_EQ(adv, 30);
	CHECK_EQ(rb.nxt, base + 30);
	/* overlapping segment that bridges the rest */
	CHECK_EQ(rcvbuf_insert(&rb, base + 25, data + 25, 20, &adv), RCV_IN_ORDER);
	CHECK_EQ(rb.nxt, base + 50);
	CHECK_EQ(rb.n_ooo, 0);
	/* beyond the window is trimmed: cap 64, head at base */
	CHECK_EQ(rcvbuf_insert(&rb, base + 50, data + 50, 50, &adv), RCV_IN_ORDER);
	CHECK_EQ(rb.nxt, base + 64);
	CHECK_EQ(rcvbuf_window(&rb), 0);
	CHECK_EQ(rcvbuf_read(&rb, out, 100), 64);
	CHECK(memcmp(out, data, 64) == 0);
	CHECK_EQ(rb.n, 0);
	CHECK_EQ(tp.live, 0);   /* read data gives its buffers back */
	/* the window moved: the next bytes fit again */
	CHECK_EQ(rcvbuf_insert(&rb, base + 64, data + 64, 36, &adv), RCV_IN_ORDER);
	CHECK_EQ(rcvbuf_read(&rb, out, 10), 10);   /* partial reads */
	CHECK_EQ(rcvbuf_read(&rb, out + 10, 100), 26);
	CHECK(memcmp(out, data + 64, 36) == 0);
	rcvbuf_free(&rb);
	CHECK_EQ(tp.live, 0);
}

static void reassembly_range_limit(void)
{
	struct tbuf_pool tp = { 2048, 0, 0, -1 };
	struct tcp_bufops bo = { &tp, tbuf_alloc, tbuf_free };
	struct tcp_rcvbuf rb;
	uint8_t d[4] = { 1, 2, 3, 4 };
	uint32_t adv;

	CHECK_EQ(rcvbuf_init(&rb, &bo, 4096, 1000), 0);
	for (int i = 0; i < RCVBUF_MAX_OOO; i++)
		CHECK_EQ(rcvbuf_insert(&rb, 1000 + 10 * (i + 1), d, 2, &adv), RCV_OOO);
	CHECK_EQ(rcvbuf_insert(&rb, 1000 + 10 * (RCVBUF_MAX_OOO + 1), d, 2, &adv), RCV_NO_RANGE);
	/* touching an existing range still works */
	CHECK_EQ(rcvbuf_insert(&rb, 1012, d, 2, &adv), RCV_OOO);
	CHECK_EQ(rb.n_ooo, RCVBUF_MAX_OOO);
	rcvbuf_free(&rb);
	CHECK_EQ(tp.live, 0);
}

/* Pieces with buffers are kept by reference, in sequence order, whatever
 * order they came in; small ones are copied behind their predecessor. */
static void reassembly_by_reference(void)
{
	struct tbuf_pool tp = { 2048, 0, 0, -1 };
	struct tcp_bufops bo = { &tp, tbuf_alloc, tbuf_free };
	struct tcp_rcvbuf rb;
	static uint8_t data[12000], out[12000];
	uint32_t adv;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	CHECK_EQ(rcvbuf_init(&rb, &bo, 6000, 0), 0);
	/* an LRO packet: 3 pieces [1000, 4000) arrive before [0, 1000) */
	struct tcp_frag f[3] = {
		tbuf_piece(&tp, data + 1000, 1000, 0),
		tbuf_piece(&tp, data + 2000, 1000, 100),
		tbuf_piece(&tp, data + 3000, 1000, 600),
	};
	uint8_t *kept = f[1].data;

	CHECK_EQ(rcvbuf_insert_frags(&rb, 1000, f, 3, &adv), RCV_OOO);
	CHECK(!f[0].buf && !f[1].buf && !f[2].buf);   /* all taken */
	CHECK_EQ(tp.live, 3);
	CHECK_EQ(rb.n_ooo_pieces, 3);
	/* a small piece right behind [.., 4000): copied into the room there */
	struct tcp_frag sm = tbuf_piece(&tp, data + 4000, 200, 0);

	CHECK_EQ(rcvbuf_insert_frags(&rb, 4000, &sm, 1, &adv), RCV_OOO);
	CHECK(sm.buf != NULL);   /* not taken: the caller frees it */
	tbuf_free(&tp, sm.buf);
	CHECK_EQ(rb.n, 3);
	/* a retransmission overlapping [500, 1500): the new part is taken,
	 * trimmed to what is not held yet */
	struct tcp_frag head = tbuf_piece(&tp, data, 1500, 0);

	CHECK_EQ(rcvbuf_insert_frags(&rb, 0, &head, 1, &adv), RCV_IN_ORDER);
	CHECK_EQ(adv, 4200);
	CHECK_EQ(rb.n_ooo_pieces, 0);
	CHECK(!head.buf);
	CHECK_EQ(rb.p[rb.head].seq, 0);   /* sorted: it went first */
	/* read in odd slices across overlapping pieces */
	uint32_t got = 0;

	while (got < 4200) {
		uint32_t k = rcvbuf_read(&rb, out + got, 333);

		CHECK(k > 0);
		if (!k)
			break;
		got += k;
	}
	CHECK(memcmp(out, data, 4200) == 0);
	CHECK_EQ(tp.live, 0);
	(void)kept;
	/* window edge: a piece running past head + cap is cut there */
	struct tcp_frag big = tbuf_piece(&tp, data + 4200, 6500, 0);

	CHECK_EQ(rcvbuf_insert_frags(&rb, 4200, &big, 1, &adv), RCV_IN_ORDER);
	CHECK_EQ(adv, 6000);
	CHECK_EQ(rcvbuf_window(&rb), 0);
	CHECK_EQ(rb.p[rb.head].f.room, 0);   /* what was cut is data, not room */
	CHECK_EQ(rcvbuf_read(&rb, out, 12000), 6000);
	CHECK(memcmp(out, data + 4200, 6000) == 0);
	rcvbuf_free(&rb);
	CHECK_EQ(tp.live, 0);
}

/* Out-of-order pieces may take half the slots; in-order data always fits. */
static void reassembly_slot_limit(void)
{
	struct tbuf_pool tp = { 64, 0, 0, -1 };
	struct tcp_bufops bo = { &tp, tbuf_alloc, tbuf_free };
	struct tcp_rcvbuf rb;
	static uint8_t data[20000];
	uint32_t adv, n_ooo = 0;

	CHECK_EQ(rcvbuf_init(&rb, &bo, 1024, 0), 0);   /* 64 slots */
	for (uint32_t s = 600; s < 1000; s += 1) {
		struct tcp_frag f = tbuf_piece(&tp, data, 1, 0);
		enum rcv_insert_result r = rcvbuf_insert_frags(&rb, s, &f, 1, &adv);

		if (f.buf)
			tbuf_free(&tp, f.buf);
		if (r == RCV_NO_RANGE)
			break;
		n_ooo++;
	}
	CHECK_EQ(rb.n_ooo_pieces, rb.n_max / 2);
	CHECK_EQ(n_ooo, rb.n_max / 2);
	struct tcp_frag f = tbuf_piece(&tp, data, 600, 0);

	CHECK_EQ(rcvbuf_insert_frags(&rb, 0, &f, 1, &adv), RCV_IN_ORDER);
	CHECK_EQ(adv, 600 + n_ooo);
	CHECK_EQ(rcvbuf_read(&rb, NULL, 100000), 600 + n_ooo);
	CHECK_EQ(rb.n, 0);
	rcvbuf_free(&rb);
	CHECK_EQ(tp.live, 0);
}

static void sndbuf_ring(void)
{
	struct tbuf_pool tp = { 32, 0, 0, -1 };
	struct tcp_bufops bo = { &tp, tbuf_alloc, tbuf_free };
	struct tcp_sndbuf sb;
	uint8_t d[300], out[300];

	for (int i = 0; i < 300; i++)
		d[i] = (uint8_t)(i * 7);
	CHECK_EQ(sndbuf_init(&sb, &bo, 100, 0xfffffff0u), 0);
	CHECK_EQ(sndbuf_write(&sb, d, 300), 100);
	CHECK_EQ(sndbuf_space(&sb), 0);
	CHECK_EQ(tp.live, 4);   /* 32 + 32 + 32 + 4 */
	sndbuf_ack(&sb, 0xfffffff0u + 60);
	CHECK_EQ(sndbuf_space(&sb), 60);
	CHECK_EQ(tp.live, 3);   /* the first buffer is all acknowledged */
	CHECK_EQ(sndbuf_write(&sb, d + 100, 50), 50);
	sndbuf_peek(&sb, 0xfffffff0u + 90, out, 40);   /* spans buffers */
	CHECK(memcmp(out, d + 90, 40) == 0);
	sndbuf_ack(&sb, 0xfffffff0u + 500);             /* clamped */
	CHECK_EQ(sb.len, 0);
	CHECK_EQ(sb.una_seq, 0xfffffff0u + 150);
	CHECK(tp.live <= 1);   /* at most the tail, which still has room */
	sndbuf_free(&sb);
	CHECK_EQ(tp.live, 0);
}

/* Segments are references into the queue's buffers: a retransmission
 * refers to the very bytes the first transmission did. */
static void sndbuf_by_reference(void)
{
	struct tbuf_pool tp = { 1000, 0, 0, -1 };
	struct tcp_bufops bo = { &tp, tbuf_alloc, tbuf_free };
	struct tcp_sndbuf sb;
	static uint8_t d[5000];
	struct tcp_frag f[8], g[8];
	uint32_t got;

	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 31);
	CHECK_EQ(sndbuf_init(&sb, &bo, 8192, 100), 0);
	CHECK_EQ(sndbuf_write(&sb, d, 1500), 1500);
	CHECK_EQ(sndbuf_write(&sb, d + 1500, 3500), 3500);   /* appends to the tail first */
	CHECK_EQ(tp.live, 5);
	int n = sndbuf_frags(&sb, 100 + 900, 2500, f, 8, &got);

	CHECK_EQ(n, 4);   /* 100 + 1000 + 1000 + 400 */
	CHECK_EQ(got, 2500);
	CHECK_EQ(f[0].len, 100);
	CHECK(f[0].data == (uint8_t *)f[0].buf + 900);
	uint32_t off = 900;

	for (int i = 0; i < n; i++) {
		CHECK(memcmp(f[i].data, d + off, f[i].len) == 0);
		off += f[i].len;
	}
	/* max pieces cuts the segment short, never a piece */
	CHECK_EQ(sndbuf_frags(&sb, 1000, 2500, g, 2, &got), 2);
	CHECK_EQ(got, 1100);
	/* a partial ACK frees nothing still referenced by what is unacked */
	sndbuf_ack(&sb, 100 + 1999);
	CHECK_EQ(tp.live, 4);
	CHECK_EQ(sndbuf_frags(&sb, 100 + 1999, 1, g, 8, &got), 1);
	CHECK(g[0].buf == f[1].buf && g[0].data == f[1].data + 999);
	/* the pool runs dry: a write takes what fits */
	tp.fail_after = tp.allocs;
	CHECK_EQ(sndbuf_write(&sb, d, 3000), 0);   /* the tail was full */
	CHECK_EQ(sb.nobuf, 1);
	sndbuf_free(&sb);
	CHECK_EQ(tp.live, 0);
}

static void sack_scoreboard(void)
{
	struct tcp_scoreboard sb = { 0 };
	const uint32_t una = 1000;
	uint32_t b[4][2] = { { 1200, 1300 }, { 1400, 1500 }, { 1600, 1700 }, { 900, 1100 } };

	/* the last block is below una: ignored */
	CHECK_EQ(sack_update(&sb, una, 2000, (const uint32_t (*)[2])b, 4), 3);
	CHECK_EQ(sb.n, 3);
	CHECK(sack_is_sacked(&sb, 1250));
	CHECK(!sack_is_sacked(&sb, 1300));
	CHECK_EQ(sack_bytes_above(&sb, 1000), 300);
	/* merging and pruning as una advances */
	uint32_t b2[1][2] = { { 1300, 1400 } };

	sack_update(&sb, 1250, 2000, (const uint32_t (*)[2])b2, 1);
	CHECK_EQ(sb.n, 2);
	CHECK_EQ(sb.r[0].s, 1250);
	CHECK_EQ(sb.r[0].e, 1500);
	/* beyond snd_max: rejected */
	uint32_t b3[1][2] = { { 2100, 2200 } };

	CHECK_EQ(sack_update(&sb, 1250, 2000, (const uint32_t (*)[2])b3, 1), 0);
}

static void rtt_estimator(void)
{
	struct tcp_rtt r;

	rtt_init(&r, TCP_RTO_INIT_US, TCP_RTO_MIN_US, TCP_RTO_MAX_US);
	CHECK_EQ(rtt_timeout(&r), 1000000);
	rtt_sample(&r, 100000);       /* 100 ms */
	CHECK_EQ(r.srtt, 100000);
	CHECK_EQ(r.rttvar, 50000);
	CHECK_EQ(rtt_timeout(&r), 300000);   /* srtt + 4 * rttvar */
	rtt_sample(&r, 200000);
	/* rttvar = 3/4*50000 + 1/4*100000 = 62500; srtt = 7/8*100000 + 25000 */
	CHECK_EQ(r.rttvar, 62500);
	CHECK_EQ(r.srtt, 112500);
	CHECK_EQ(rtt_timeout(&r), 362500);
	rtt_sample(&r, 10);           /* tiny RTTs hit the floor */
	for (int i = 0; i < 50; i++)
		rtt_sample(&r, 10);
	CHECK_EQ(rtt_timeout(&r), TCP_RTO_MIN_US);
	rtt_backoff(&r);
	CHECK_EQ(rtt_timeout(&r), 2 * TCP_RTO_MIN_US);
	for (int i = 0; i < 20; i++)
		rtt_backoff(&r);
	CHECK_EQ(rtt_timeout(&r), TCP_RTO_MAX_US);
	rtt_sample(&r, 10);           /* a new sample clears the backoff */
	CHECK_EQ(rtt_timeout(&r), TCP_RTO_MIN_US);
}

static void reno_window(void)
{
	struct tcp_cc cc;
	const uint32_t mss = 1000;

	cc_init(&cc, TCP_CC_RENO, mss);
	CHECK_EQ(cc.cwnd, 10 * mss);
	cc_on_ack(&cc, 5000, 0, 0);            /* slow start, ABC L=2 */
	CHECK_EQ(cc.cwnd, 12 * mss);
	cc_on_loss(&cc, 12 * mss);
	CHECK_EQ(cc.ssthresh, 6 * mss);
	CHECK_EQ(cc.cwnd, 6 * mss);
	/* congestion avoidance: one MSS per window acked */
	for (int i = 0; i < 6; i++)
		cc_on_ack(&cc, mss, 0, 0);
	CHECK_EQ(cc.cwnd, 7 * mss);
	cc_on_rto(&cc, 7 * mss);
	CHECK_EQ(cc.cwnd, mss);
	CHECK_EQ(cc.ssthresh, 3500);
	cc_on_loss(&cc, 1000);                 /* floor of two segments */
	CHECK_EQ(cc.ssthresh, 2 * mss);
}

static void cubic_window(void)
{
	struct tcp_cc cc;
	const uint32_t mss = 1000;
	uint64_t now = 1000000;

	cc_init(&cc, TCP_CC_CUBIC, mss);
	cc.cwnd = 100 * mss;
	cc.ssthresh = 100 * mss;
	cc_on_loss(&cc, 100 * mss);
	CHECK_EQ(cc.cwnd, 70 * mss);           /* beta 0.7 */
	CHECK(cc.w_max > 99.9 && cc.w_max < 100.1);
	/* K = cbrt(100 * 0.3 / 0.4) = 4.217 s: the window climbs back to
	 * w_max about K seconds into the epoch, concave before, convex after */
	uint32_t at2 = 0, at4 = 0, at6 = 0;

	for (int ms = 0; ms <= 6000; ms++) {
		now += 1000;
		/* one window of ACKs per 100 ms RTT, spread over it (at short
		 * RTTs the TCP-friendly region would dominate, as it should) */
		cc_on_ack(&cc, cc.cwnd / 100, now, 100000);
		if (ms == 2000) at2 = cc.cwnd;
		if (ms == 4000) at4 = cc.cwnd;
		if (ms == 6000) at6 = cc.cwnd;
	}
	printf("cubic cwnd at 2/4/6 s: %u %u %u\n", at2, at4, at6);
	CHECK(at2 > 70 * mss && at2 < 100 * mss);
	CHECK(at4 > 95 * mss && at4 <= 101 * mss);   /* plateau near w_max */
	CHECK(at6 > at4);
	/* the concave part rose faster early than it does near the plateau */
	CHECK(at2 - 70 * mss > at4 - at2);
	/* fast convergence: a loss below the previous w_max lowers w_max further */
	cc.cwnd = 80 * mss;
	cc.w_max = 100;
	cc_on_loss(&cc, 80 * mss);
	CHECK(cc.w_max > 67.9 && cc.w_max < 68.1);   /* 80 * (1 + 0.7) / 2 */
	CHECK_EQ(cc.cwnd, 56 * mss);
}

static int fired_ids[16], n_fired;

static void on_fire(void *arg, struct tw_timer *t)
{
	struct tw_timer *base = arg;

	fired_ids[n_fired++] = (int)(t - base);
}

static void timer_wheel(void)
{
	static struct timer_wheel tw;
	struct tw_timer t[4] = { 0 };

	tw_init(&tw, 0, 1000);
	tw_arm(&tw, &t[0], 0, 5000);
	tw_arm(&tw, &t[1], 0, 3000);
	tw_arm(&tw, &t[2], 0, (uint64_t)TW_SLOTS * 1000 + 5000);  /* > one turn */
	tw_arm(&tw, &t[3], 0, 4000);
	tw_cancel(&tw, &t[3]);
	CHECK_EQ(tw_run(&tw, 2999, on_fire, t), 0);
	CHECK_EQ(tw_run(&tw, 3000, on_fire, t), 1);
	CHECK_EQ(fired_ids[0], 1);
	CHECK_EQ(tw_run(&tw, 6000, on_fire, t), 1);   /* t[2] shares the slot, not due */
	CHECK_EQ(fired_ids[1], 0);
	CHECK(t[2].armed);
	/* a long gap still fires it exactly once */
	CHECK_EQ(tw_run(&tw, 10ull * TW_SLOTS * 1000, on_fire, t), 1);
	CHECK_EQ(fired_ids[2], 2);
	CHECK_EQ(tw.n_armed, 0);
}

/* RACK (RFC 8985) on its own: runs, delivery, time-based loss. */
static void rack_runs_and_loss(void)
{
	struct tcp_rack r;
	struct tcp_scoreboard sb = { 0 };
	uint32_t wait, s, l;
	uint32_t base = 0xfffff000u;   /* across the wrap */

	rack_init(&r);
	/* one loop pass: three segments share a run; the next pass, another */
	rack_on_xmit(&r, base, base + 1000, 100, false);
	rack_on_xmit(&r, base + 1000, base + 2000, 100, false);
	rack_on_xmit(&r, base + 2000, base + 3000, 100, false);
	rack_on_xmit(&r, base + 3000, base + 4000, 200, false);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(rack_pipe(&r, &sb), 4000);
	/* [base+1000, +2000) of the first run lost; the second run SACKed
	 * at t=1200: the first run, sent 100 us earlier, is lost once
	 * rtt + reo_wnd have passed since it was sent */
	uint32_t blk[1][2] = { { base + 3000, base + 4000 } };

	sack_update(&sb, base + 1000, base + 4000, (const uint32_t (*)[2])blk, 1);
	rack_on_ack(&r, base + 1000, &sb, 1200, 1000);   /* the first 1000 acked too */
	CHECK_EQ(r.rtt_us, 1000);
	/* with a 500 us reordering window: not yet, the timer is due at
	 * 100 (sent) + 1000 (rtt) + 500 */
	CHECK_EQ(rack_detect_loss(&r, &sb, 1200, 500, &wait), 0);
	CHECK_EQ(wait, 400);
	CHECK_EQ(rack_detect_loss(&r, &sb, 1200, 0, &wait), 1);
	CHECK_EQ(wait, 0);
	CHECK(rack_any_lost(&r));
	CHECK_EQ(rack_pipe(&r, &sb), 0);           /* lost and SACKed: none */
	CHECK(rack_next_lost(&r, &sb, 600, &s, &l));
	CHECK_EQ(s, base + 1000);
	CHECK_EQ(l, 600);                          /* up to one MSS */
	/* resent: its own run, sent now, no longer lost */
	rack_on_xmit(&r, s, s + l, 1300, true);
	CHECK(rack_next_lost(&r, &sb, 2000, &s, &l));
	CHECK_EQ(s, base + 1600);
	CHECK_EQ(l, 1400);                         /* the rest of the hole */
	CHECK_EQ(rack_pipe(&r, &sb), 600);
	/* the resend is lost too: data sent after it arrives, and once its
	 * deadline passes it is lost again */
	rack_on_xmit(&r, base + 4000, base + 5000, 1400, false);
	uint32_t blk2[1][2] = { { base + 3000, base + 5000 } };

	sack_update(&sb, base + 1000, base + 5000, (const uint32_t (*)[2])blk2, 1);
	rack_on_ack(&r, base + 1000, &sb, 2400, 1000);
	CHECK(rack_detect_loss(&r, &sb, 2400 + 1000, 0, &wait) >= 1);
	CHECK(rack_next_lost(&r, &sb, 600, &s, &l));
	CHECK_EQ(s, base + 1000);
	/* a cumulative ACK past everything empties the list */
	rack_on_ack(&r, base + 5000, &sb, 3500, 1000);
	CHECK_EQ(r.n, 0);
	CHECK(!r.reord);
}

/* The receiver SACKs [s, e) with SND.UNA at una (sent up to max), at now;
 * RACK's stale bound is 1 ms. */
static void rack_sack_at(struct tcp_rack *r, struct tcp_scoreboard *sb, uint32_t una,
			 uint32_t s, uint32_t e, uint32_t max, uint64_t now)
{
	uint32_t blk[1][2] = { { s, e } };

	sack_update(sb, una, max, (const uint32_t (*)[2])blk, 1);
	rack_on_ack(r, una, sb, now, 1000);
}

/* A tail-loss probe's SACK dates the newest delivery even when the probe
 * (one small segment) came back faster than the minimum RTT, which the
 * 64 KB TSO runs set: its original is older than the RTO's estimate, so
 * it cannot be what arrived.  Ignoring it (RFC 8985 6.2 step 2 read
 * without the original's age) left the hole below for the RTO.  But a
 * resend whose original is recent stays ambiguous. */
static void rack_probe_faster_than_min_rtt(void)
{
	struct tcp_rack r;
	struct tcp_scoreboard sb = { 0 };
	uint32_t wait, s, l;

	for (int recent = 0; recent < 2; recent++) {
		rack_init(&r);
		sack_clear(&sb);
		/* a 64 KB run, ACKed after 300 us: the minimum RTT */
		rack_on_xmit(&r, 0, 65000, 1000, false);
		rack_on_ack(&r, 65000, &sb, 1300, 1000);
		CHECK_EQ(r.min_rtt_us, 300);
		/* the tail: two runs sent at 2000, both lost; the probe
		 * resends the last 1448 bytes 10 ms later (or, recent, 500 us
		 * later: within the RTO's estimate, so the original may be
		 * what arrives), and its SACK is back after 50 us */
		uint64_t probe = recent ? 2500 : 12000;

		rack_on_xmit(&r, 65000, 130000, 2000, false);
		rack_on_xmit(&r, 130000, 131448, 2000, false);
		rack_on_xmit(&r, 130000, 131448, probe, true);
		rack_sack_at(&r, &sb, 65000, 130000, 131448, 131448, probe + 50);
		if (recent) {
			CHECK_EQ(r.xmit_us, 1000);   /* still the first run's */
			continue;
		}
		CHECK_EQ(r.xmit_us, 12000);
		CHECK_EQ(rack_detect_loss(&r, &sb, 12050, 0, &wait), 1);
		CHECK(rack_next_lost(&r, &sb, 1448, &s, &l));
		CHECK_EQ(s, 65000);
	}
}

/* Segments sent in one pass share a run; when the receiver SACKs its top
 * and not its bottom, the bottom is ordered before the SACKed bytes (RFC
 * 8985's per-segment (time, end sequence) order) and becomes lost once
 * the RTT and reordering window pass, without a probe. */
static void rack_one_pass_hole(void)
{
	struct tcp_rack r;
	struct tcp_scoreboard sb = { 0 };
	uint32_t wait, s, l;

	rack_init(&r);
	for (uint32_t i = 0; i < 3; i++)
		rack_on_xmit(&r, i * 1000, (i + 1) * 1000, 100, false);
	CHECK_EQ(r.n, 1);
	rack_sack_at(&r, &sb, 0, 2000, 3000, 3000, 600);
	CHECK_EQ(r.n, 2);            /* cut at the SACK's edge */
	CHECK_EQ(r.end_seq, 3000);
	CHECK_EQ(rack_detect_loss(&r, &sb, 600, 100, &wait), 0);
	CHECK_EQ(wait, 100);         /* sent at 100, + rtt 500 + 100 */
	CHECK_EQ(rack_detect_loss(&r, &sb, 700, 100, &wait), 1);
	CHECK(rack_next_lost(&r, &sb, 5000, &s, &l));
	CHECK_EQ(s, 0);
	CHECK_EQ(l, 2000);
	CHECK_EQ(rack_pipe(&r, &sb), 0);
}

/* RFC 2883 4: which first blocks are D-SACKs */
static void dsack_detect(void)
{
	uint32_t below[2][2] = { { 900, 1000 }, { 3000, 4000 } };
	uint32_t inside[2][2] = { { 3100, 3200 }, { 3000, 4000 } };
	uint32_t plain[2][2] = { { 2000, 2500 }, { 3000, 4000 } };
	uint32_t wrap[1][2] = { { 0xfffffff0u, 0x10 } };   /* below an ACK past the wrap */

	CHECK(sack_is_dsack(1000, (const uint32_t (*)[2])below, 2));
	CHECK(sack_is_dsack(1000, (const uint32_t (*)[2])below, 1));
	CHECK(sack_is_dsack(1000, (const uint32_t (*)[2])inside, 2));
	CHECK(!sack_is_dsack(1000, (const uint32_t (*)[2])inside, 1));
	CHECK(!sack_is_dsack(1000, (const uint32_t (*)[2])plain, 2));
	CHECK(!sack_is_dsack(1000, (const uint32_t (*)[2])plain, 0));
	CHECK(sack_is_dsack(0x20, (const uint32_t (*)[2])wrap, 1));
	CHECK(!sack_is_dsack(0x08, (const uint32_t (*)[2])wrap, 1));
}

/* RFC 8985 6.2 step 4: a D-SACK widens the reordering window by min_rtt/4
 * once per round trip, up to SRTT; 16 recoveries without one shrink it */
static void rack_dsack_widens_reo_wnd(void)
{
	struct tcp_rack r;
	struct tcp_scoreboard sb = { 0 };

	rack_init(&r);
	r.min_rtt_us = 400;
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 0);     /* no reordering yet */
	rack_update_reo_wnd(&r, 1000, 5000, true, false);
	CHECK(r.reord);                                            /* a resend not needed */
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 200);   /* 2 x 400/4 */
	rack_update_reo_wnd(&r, 2000, 6000, true, false);          /* same round: no more */
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 200);
	rack_update_reo_wnd(&r, 5000, 7000, true, false);          /* the round ended */
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 300);
	CHECK_EQ(rack_reo_wnd(&r, &sb, 250, 1000, true), 250);     /* at most SRTT */
	for (int i = 0; i < 15; i++)
		rack_update_reo_wnd(&r, 8000, 9000, false, true);
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 300);
	rack_update_reo_wnd(&r, 8000, 9000, false, false);         /* not a recovery's end */
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 300);
	rack_update_reo_wnd(&r, 8000, 9000, false, true);          /* the 16th */
	CHECK_EQ(rack_reo_wnd(&r, &sb, 10000, 1000, true), 100);
}

KBTEST_MAIN(T(seq_wraparound), T(cksum_full_and_incremental),
	    T(reassembly_in_order_and_ooo), T(reassembly_range_limit), T(reassembly_by_reference),
	    T(reassembly_slot_limit), T(sndbuf_ring), T(sndbuf_by_reference), T(sack_scoreboard),
	    T(rtt_estimator), T(reno_window), T(cubic_window), T(timer_wheel), T(rack_runs_and_loss),
	    T(rack_probe_faster_than_min_rtt), T(rack_one_pass_hole), T(dsack_detect),
	    T(rack_dsack_widens_reo_wnd))
