/* kbl2test: exchanges UDP-in-IPv4 packets through the DPDK layer, to test
 * and benchmark it between two processes (see tests/integration/t_dpdk_*.sh
 * and bench/dpdk_layer.sh).
 *
 *   echo   every app core returns each packet to its sender and checks that
 *          the layer delivered it on the core dpdk_rss_core() names
 *   send   every app core sends --count packets on --flows flows whose
 *          replies hash back to it, at most --window outstanding, and
 *          checks every echo comes back, on the right core
 *   sink   counts what arrives, per core, and the rate
 *   flood  sends as fast as the layer takes packets for --duration s
 * Exit status 0 only when nothing was lost and no packet was on a wrong core. */
#include <arpa/inet.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dpdk_api.h"
#include "kb_err.h"
#include "kb_parse.h"

#define MAGIC 0x6b626c32u   /* "kbl2" */
#define UDP_DPORT 9000
#define HDRS 28               /* IPv4 + UDP */

enum role { ECHO, SEND, SINK, FLOOD };

struct opts {
	const char *conf;
	enum role role;
	uint32_t peer;
	uint64_t count;
	int flows;
	int window;
	double duration;
	int size;
	double wait_s;
	int malformed;
	uint32_t other;
	int stall_us;
};

/* One app core's thread. */
struct worker {
	pthread_t th;
	int id;
	struct dpdk_layer *dl;
	const struct opts *o;
	uint64_t sent, recv, wrong_core, bad, tx_fail;
	double first_rx, last_rx;
	int rc;
};

static volatile sig_atomic_t stop_flag;
static int probe_done;   /* atomic: core 0 saw the first echo (ARP works) */

static void on_signal(int s) { (void)s; stop_flag = 1; }

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct payload {
	uint32_t magic;
	uint16_t core, flow;
	uint64_t seq;
};

static uint16_t ip_cksum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A UDP datagram in IPv4, l3 bytes long (UDP checksum 0 = none). */
static void build(uint8_t *p, uint16_t l3, uint32_t saddr, uint32_t daddr, uint16_t sport,
		  uint16_t dport, const struct payload *pl)
{
	memset(p, 0, l3);
	p[0] = 0x45;
	p[2] = (uint8_t)(l3 >> 8);
	p[3] = (uint8_t)l3;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, &saddr, 4);
	memcpy(p + 16, &daddr, 4);
	uint16_t c = htons(ip_cksum(p));

	memcpy(p + 10, &c, 2);
	memcpy(p + 20, &sport, 2);
	memcpy(p + 22, &dport, 2);
	uint16_t ul = htons((uint16_t)(l3 - 20));

	memcpy(p + 24, &ul, 2);
	memcpy(p + HDRS, pl, sizeof(*pl));
}

struct rxpkt { uint32_t saddr, daddr; uint16_t sport, dport; struct payload pl; };

static int parse(const uint8_t *p, uint16_t len, struct rxpkt *r)
{
	if (len < HDRS + sizeof(struct payload) || p[9] != 17 || (p[0] & 0x0f) != 5)
		return -1;
	memcpy(&r->saddr, p + 12, 4);
	memcpy(&r->daddr, p + 16, 4);
	memcpy(&r->sport, p + 20, 2);
	memcpy(&r->dport, p + 22, 2);
	memcpy(&r->pl, p + HDRS, sizeof(r->pl));
	return r->pl.magic == MAGIC ? 0 : -1;
}

/* Receive one burst: count, check the core, echo if asked. */
static int rx_burst(struct worker *w, struct dpdk_core *c, bool echo)
{
	int n = get_rx_count(c);

	for (int i = 0; i < n; i++) {
		uint16_t len;
		uint8_t *p = get_buffer_rx(c, &len);
		struct rxpkt r;

		if (!p)
			break;
		if (parse(p, len, &r) < 0) {
			w->bad++;
			continue;
		}
		if (dpdk_rss_core(w->dl, r.saddr, r.daddr, r.sport, r.dport) != w->id)
			w->wrong_core++;
		if (!echo && r.pl.seq == ~0ull) {   /* the ARP probe's echo */
			__atomic_store_n(&probe_done, 1, __ATOMIC_RELEASE);
			continue;
		}
		double t = now_s();

		if (!w->recv)
			w->first_rx = t;
		w->last_rx = t;
		w->recv++;
		if (!echo)
			continue;
		uint8_t *b = get_buffer_tx(c);

		if (!b) {
			w->tx_fail++;
			continue;
		}
		/* swapping the addresses leaves the IP checksum as it is */
		memcpy(b, p, len);
		memcpy(b + 12, p + 16, 4);
		memcpy(b + 16, p + 12, 4);
		memcpy(b + 20, p + 22, 2);
		memcpy(b + 22, p + 20, 2);
		if (addBufferToRing(c, b, len) == 0)
			w->sent++;
		else
			w->tx_fail++;
	}
	return n;
}

/* A source port whose replies (peer -> us) the layer delivers to `core`. */
static uint16_t pick_sport(struct dpdk_layer *dl, uint32_t me, uint32_t peer, int core, int flow)
{
	for (uint32_t p = 10000u + (uint32_t)flow * 2477u % 40000u;; p = p < 65535 ? p + 1 : 1024) {
		if (dpdk_rss_core(dl, peer, me, htons(UDP_DPORT), htons((uint16_t)p)) == core)
			return htons((uint16_t)p);
	}
}

static int send_one(struct worker *w, struct dpdk_core *c, uint16_t sport, int flow, uint64_t seq)
{
	const struct dpdk_info *in = dpdk_get_info(w->dl);
	uint8_t *b = get_buffer_tx(c);

	if (!b)
		return -1;
	struct payload pl = { MAGIC, (uint16_t)w->id, (uint16_t)flow, seq };

	build(b, (uint16_t)w->o->size, in->ip, w->o->peer, sport, htons(UDP_DPORT), &pl);
	return addBufferToRing(c, b, (uint16_t)w->o->size);
}

/* Packets the receiving layer must drop and count, one of each kind per
 * round: bad version, bad IHL, total length beyond the frame, bad checksum,
 * and (with --other) a valid one for another address, which the config's
 * static ARP entry maps to the peer's MAC. */
static void send_malformed(struct worker *w, struct dpdk_core *c, uint16_t sport, int rounds)
{
	const struct dpdk_info *in = dpdk_get_info(w->dl);
	struct payload pl = { MAGIC, (uint16_t)w->id, 0, 0 };
	uint16_t l3 = (uint16_t)w->o->size;
	int kinds = w->o->other ? 5 : 4;

	for (int r = 0; r < rounds; r++) {
		for (int kind = 0; kind < kinds; kind++) {
			uint8_t *b = get_buffer_tx(c);

			if (!b)
				continue;
			build(b, l3, in->ip, kind == 4 ? w->o->other : w->o->peer, sport,
			      htons(UDP_DPORT), &pl);
			switch (kind) {
			case 0: b[0] = 0x65; break;
			case 1: b[0] = 0x44; break;
			case 2: b[2] = 0x10; break;   /* 4 KB: longer than the frame */
			case 3: b[10] ^= 0x5a; break;
			}
			if (kind != 3) {              /* only kind 3 is wrong in its checksum */
				uint16_t ck = 0;

				memcpy(b + 10, &ck, 2);
				ck = htons(ip_cksum(b));
				memcpy(b + 10, &ck, 2);
			}
			addBufferToRing(c, b, l3);
		}
	}
	dpdk_flush_tx(c);
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	struct dpdk_core *c = dpdk_core_attach(w->dl, w->id);
	const struct dpdk_info *in = dpdk_get_info(w->dl);
	double end = o->duration > 0 ? now_s() + o->duration : 0;

	if (!c) {
		fprintf(stderr, "kbl2test: core %d: attach failed\n", w->id);
		w->rc = 1;
		return NULL;
	}
	if (o->role == ECHO || o->role == SINK) {
		while (!stop_flag && (!end || now_s() < end)) {
			if (!rx_burst(w, c, o->role == ECHO))
				dpdk_wait_rx(c, 10000);
			else if (o->stall_us)   /* a slow app: lets the rx ring fill */
				usleep((useconds_t)o->stall_us);
		}
		/* take what is still queued, so the counters add up at the end */
		for (int empty = 0; empty < 3;) {
			if (rx_burst(w, c, o->role == ECHO)) {
				empty = 0;
			} else {
				empty++;
				dpdk_wait_rx(c, 20000);
			}
		}
		dpdk_flush_tx(c);
		return NULL;
	}

	uint16_t sport[256];
	int nf = o->flows;

	for (int f = 0; f < nf; f++)
		sport[f] = pick_sport(w->dl, in->ip, o->peer, w->id, w->id * 256 + f);

	/* First packet: core 0 probes (it needs ARP) until an echo comes back;
	 * the others wait, so the data phase never races the resolution. */
	double give_up = now_s() + o->wait_s;

	if (o->role == SEND) {
		double next = 0;

		while (!__atomic_load_n(&probe_done, __ATOMIC_ACQUIRE)) {
			if (stop_flag || now_s() > give_up) {
				fprintf(stderr, "kbl2test: core %d: no echo for the probe\n", w->id);
				w->rc = 1;
				return NULL;
			}
			if (w->id == 0 && now_s() >= next) {
				send_one(w, c, sport[0], 0, ~0ull);
				next = now_s() + 0.5;
			}
			if (!rx_burst(w, c, false))
				dpdk_wait_rx(c, 1000);
		}
	}
	if (o->malformed && w->id == 0)
		send_malformed(w, c, sport[0], o->malformed);
	uint64_t seq = 0;
	double t0 = now_s();

	while (!stop_flag) {
		if (o->role == FLOOD) {
			if (end && now_s() >= end)
				break;
		} else if (seq >= o->count) {
			break;
		}
		if (o->role == SEND)
			rx_burst(w, c, false);
		bool can = o->role == FLOOD || !o->window || seq - w->recv < (uint64_t)o->window;

		if (!can) {
			dpdk_wait_rx(c, 1000);
			continue;
		}
		for (int k = 0; k < 32 && (o->role == FLOOD || seq < o->count); k++) {
			if (o->role == SEND && o->window && seq - w->recv >= (uint64_t)o->window)
				break;
			if (send_one(w, c, sport[seq % (uint64_t)nf], (int)(seq % (uint64_t)nf), seq) == 0) {
				w->sent++;
				seq++;
			} else {
				w->tx_fail++;
				if (o->role == SEND)
					seq++;   /* a counted loss, not a retry */
				break;
			}
		}
	}
	dpdk_flush_tx(c);
	if (o->role == FLOOD) {
		w->first_rx = t0;
		w->last_rx = now_s();
		return NULL;
	}
	/* wait for the last echoes */
	double deadline = now_s() + o->wait_s;

	while (w->recv < w->sent && !stop_flag && now_s() < deadline)
		if (!rx_burst(w, c, false))
			dpdk_wait_rx(c, 10000);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbl2test --conf FILE --role echo|send|sink|flood [options]\n"
		"  --conf FILE        the layer's config (docs/dpdk-layer.md)\n"
		"  --role R           echo: return every packet; send: send and count echoes;\n"
		"                     sink: count arrivals; flood: send as fast as possible\n"
		"  --peer IP          send/flood: the other side's address\n"
		"  --count N          send: packets per app core (default 10000)\n"
		"  --flows N          flows per app core, 1..256 (default 8)\n"
		"  --window N         send: most packets outstanding per core (default 32)\n"
		"  --duration S       echo/sink/flood: stop after S seconds (default: until SIGTERM)\n"
		"  --size N           IPv4 packet length, 44..1500 (default 64)\n"
		"  --wait S           send: how long to wait for ARP and the last echoes (default 20)\n"
		"  --malformed N      send: first send N rounds of bad packets the peer must drop\n"
		"                     (bad version, bad IHL, length > frame, bad checksum)\n"
		"  --other IP         with --malformed: also a good packet to IP, which is not\n"
		"                     the peer's (map IP to the peer's MAC with a static arp entry)\n"
		"  --stall-us N       echo/sink: sleep N us after each burst (a slow app)\n"
		"  --help\n"
		"Prints per-core lines and a RESULT line; exit 0 when nothing was lost and\n"
		"every packet was delivered on the core dpdk_rss_core() predicts.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "conf", 1, 0, 'c' }, { "role", 1, 0, 'r' }, { "peer", 1, 0, 'p' },
		{ "count", 1, 0, 'n' }, { "flows", 1, 0, 'f' }, { "window", 1, 0, 'w' },
		{ "duration", 1, 0, 'd' }, { "size", 1, 0, 's' }, { "wait", 1, 0, 'W' },
		{ "malformed", 1, 0, 'm' }, { "other", 1, 0, 'o' }, { "stall-us", 1, 0, 'S' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	long long v;
	int ch;

	*o = (struct opts){ .role = ECHO, .count = 10000, .flows = 8, .window = 32,
			    .size = 64, .wait_s = 20 };
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'r':
			if (!strcmp(optarg, "echo")) o->role = ECHO;
			else if (!strcmp(optarg, "send")) o->role = SEND;
			else if (!strcmp(optarg, "sink")) o->role = SINK;
			else if (!strcmp(optarg, "flood")) o->role = FLOOD;
			else { fprintf(stderr, "kbl2test: --role: expected echo, send, sink or flood\n"); return -1; }
			break;
		case 'p':
			if (kb_parse_ipv4(optarg, &o->peer) < 0) {
				fprintf(stderr, "kbl2test: --peer: expected an IPv4 address\n");
				return -1;
			}
			break;
		case 'n':
			if (kb_parse_int(optarg, 1, 1LL << 40, &v) < 0) goto bad;
			o->count = (uint64_t)v;
			break;
		case 'f':
			if (kb_parse_int(optarg, 1, 256, &v) < 0) goto bad;
			o->flows = (int)v;
			break;
		case 'w':
			if (kb_parse_int(optarg, 0, 1 << 20, &v) < 0) goto bad;
			o->window = (int)v;
			break;
		case 's':
			if (kb_parse_int(optarg, HDRS + (long long)sizeof(struct payload), DPDK_MTU, &v) < 0) goto bad;
			o->size = (int)v;
			break;
		case 'm':
			if (kb_parse_int(optarg, 0, 1000000, &v) < 0) goto bad;
			o->malformed = (int)v;
			break;
		case 'o':
			if (kb_parse_ipv4(optarg, &o->other) < 0) {
				fprintf(stderr, "kbl2test: --other: expected an IPv4 address\n");
				return -1;
			}
			break;
		case 'S':
			if (kb_parse_int(optarg, 0, 1000000, &v) < 0) goto bad;
			o->stall_us = (int)v;
			break;
		case 'd': o->duration = atof(optarg); break;
		case 'W': o->wait_s = atof(optarg); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!o->conf || ((o->role == SEND || o->role == FLOOD) && !o->peer)) {
		fprintf(stderr, "kbl2test: --conf is required, and --peer for send/flood\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "kbl2test: bad value '%s'\n", optarg);
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct kb_err err;
	char eb[800];

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	struct dpdk_layer *dl = dpdk_init(o.conf, &err);

	if (!dl) {
		fprintf(stderr, "%s\n", kb_err_str(&err, eb, sizeof(eb)));
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int n = dpdk_get_info(dl)->n_app_cores;
	struct worker *w = calloc((size_t)n, sizeof(*w));

	printf("kbl2test: ready, %d app core(s)\n", n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){ .id = i, .dl = dl, .o = &o };
		/* core 0 runs on this thread: it is EAL's main lcore */
		if (i > 0 && pthread_create(&w[i].th, NULL, run_worker, &w[i]) != 0) {
			fprintf(stderr, "kbl2test: pthread_create failed\n");
			return 1;
		}
	}
	run_worker(&w[0]);
	for (int i = 1; i < n; i++)
		pthread_join(w[i].th, NULL);

	dpdk_drain(dl);   /* counters final before they are printed */
	uint64_t sent = 0, recv = 0, wrong = 0, bad = 0, fail = 0;
	double t0 = 0, t1 = 0;
	int rc = 0;

	for (int i = 0; i < n; i++) {
		printf("core %d: sent=%lu recv=%lu wrong_core=%lu bad=%lu tx_fail=%lu\n", i,
		       w[i].sent, w[i].recv, w[i].wrong_core, w[i].bad, w[i].tx_fail);
		sent += w[i].sent;
		recv += w[i].recv;
		wrong += w[i].wrong_core;
		bad += w[i].bad;
		fail += w[i].tx_fail;
		rc |= w[i].rc;
		if (w[i].first_rx && (!t0 || w[i].first_rx < t0))
			t0 = w[i].first_rx;
		if (w[i].last_rx > t1)
			t1 = w[i].last_rx;
	}
	double secs = t1 > t0 ? t1 - t0 : 0;
	uint64_t moved = o.role == FLOOD ? sent : recv;
	uint64_t lost = o.role == SEND ? sent + fail - recv : 0;

	printf("RESULT role=%s sent=%lu recv=%lu lost=%lu wrong_core=%lu bad=%lu tx_fail=%lu "
	       "secs=%.3f pps=%.0f\n", o.role == ECHO ? "echo" : o.role == SEND ? "send" :
	       o.role == SINK ? "sink" : "flood", sent, recv, lost, wrong, bad, fail, secs,
	       secs > 0 ? moved / secs : 0.0);
	dpdk_print_stats(dl, stdout);
	fflush(stdout);
	dpdk_destroy(dl);
	free(w);
	if (o.role == SEND && (lost || fail))
		rc = 1;
	return rc || wrong || bad ? 1 : 0;
}
