/* kbxfer: a bulk sender/receiver over the mTCP API, for kbnet's stack
 * integration tests.  Each side prints the byte count and SHA-256 of what
 * it sent or received, so a test compares the two (or a kernel peer's).
 *
 *   kbxfer -f CONF -l PORT [-m recv|send|echo] [-n BYTES] [-k CONNS] [-t THREADS]
 *   kbxfer -f CONF -c IP:PORT [-m send|recv] [-n BYTES] [-k CONNS] [-t THREADS]
 *
 * With -t, thread i runs context i (per-core stacks, as mTCP apps do): a
 * server listens on every core and serves CONNS connections in total,
 * wherever soft RSS brings them; a client connects CONNS times per thread
 * from ports that hash back to its core.
 * Uses only mtcp_api.h / mtcp_epoll.h, like an mTCP application. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef KBXFER_POSIX
#include "mtcp_posix.h"   /* the same program over the kernel's TCP */
#else
#include "mtcp_api.h"
#include "mtcp_epoll.h"
#endif

static volatile sig_atomic_t g_stop;
static bool g_nohash;   /* -q: measure the transport, not SHA-256 */
static int g_hold_ms;   /* -p: recv: run the stack this long before the first read */

static void on_sig(int s) { (void)s; g_stop = 1; }

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbxfer -f CONF -l PORT [-m recv|send|echo] [-n BYTES] [-k CONNS] [-t N]\n"
		"       kbxfer -f CONF -c IP:PORT [-m send|recv] [-n BYTES] [-k CONNS] [-t N]\n"
		"  -f CONF   the VM's mtcp.conf (stack and DPDK layer keys)\n"
		"  -l PORT   listen and serve CONNS connections, one after another\n"
		"  -c IP:PORT  connect CONNS times, one after another\n"
		"  -m MODE   send: write BYTES of a seeded pattern, then close;\n"
		"            recv: read to end of stream; echo (server): send back\n"
		"            rr (client): one connection, -r round trips\n"
		"            of BYTES each way, prints latency p50/p99 (server: echo);\n"
		"            crr (client): CONNS connections of one BYTES round trip\n"
		"            each, prints connections/s (server: echo)\n"
		"            (default: client send, server recv)\n"
		"  -r N      round trips for rr (default 10000)\n"
		"  -n BYTES  bytes to send (suffix k/m/g allowed; default 1m)\n"
		"  -k CONNS  connections (default 1)\n"
		"  -s SEED   pattern seed (default 1)\n"
		"  -t N      N threads, one mTCP context each (cores 0..N-1)\n"
		"  -q        no SHA-256 and a fixed pattern (benchmarks)\n"
		"  -p MS     recv: keep the stack running MS ms before the first read\n"
		"            (the receive queue fills up to its window)\n"
		"Prints 'kbxfer: up' once the port is started, 'kbxfer: listening',\n"
		"then per connection\n"
		"'kbxfer: sent|recv BYTES SHA256' and exits 0 when all succeeded.\n");
}

static long long parse_size(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	return *end || v < 0 ? -1 : v;
}

static void hex(const unsigned char *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send n bytes of the seeded pattern; returns 0 on success. */
static int do_send(mctx_t m, int s, long long n, uint64_t seed)
{
	char buf[65536];   /* per thread: workers run concurrently */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32];
	char hx[65];
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	long long done = 0;
	double t0 = now_s();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (done < n && !g_stop) {
		int len = n - done < (long long)sizeof(buf) ? (int)(n - done) : (int)sizeof(buf);

		for (int i = 0; i < len && !(g_nohash && done); i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(buf + i, &x, len - i < 8 ? (size_t)(len - i) : 8);
		}
		if (!g_nohash)
			EVP_DigestUpdate(md, buf, (size_t)len);
		for (int off = 0; off < len;) {
			ssize_t w = mtcp_write(m, s, buf + off, (size_t)(len - off));

			if (w < 0) {
				fprintf(stderr, "kbxfer: write: %s after %lld bytes\n", strerror(errno),
					done + off);
				EVP_MD_CTX_free(md);
				return -1;
			}
			off += (int)w;
		}
		done += len;
	}
	EVP_DigestFinal_ex(md, dig, NULL);
	EVP_MD_CTX_free(md);
	hex(dig, hx);
	double dt = now_s() - t0;

	printf("kbxfer: sent %lld %s (%.1f Mbit/s)\n", done, hx, dt > 0 ? done * 8 / dt / 1e6 : 0);
	fflush(stdout);
	return done == n ? 0 : -1;
}

/* Read to end of stream (echoing when asked); returns 0 on success. */
static int do_recv(mctx_t m, int s, bool echo)
{
	char buf[65536];   /* per thread: workers run concurrently */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32];
	char hx[65];
	long long done = 0;
	double t0 = now_s();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (g_hold_ms) {
		/* the stack runs (acks, fills the receive queue to its window);
		 * the application does not read yet */
		int ep = mtcp_epoll_create(m, 4);
		struct mtcp_epoll_event ev[4];
		double end = now_s() + g_hold_ms / 1e3;

		while (ep >= 0 && now_s() < end && !g_stop)
			mtcp_epoll_wait(m, ep, ev, 4, 10);
		if (ep >= 0)
			mtcp_close(m, ep);
	}
	for (;;) {
		ssize_t r = mtcp_read(m, s, buf, sizeof(buf));

		if (r == 0)
			break;
		if (r < 0) {
			fprintf(stderr, "kbxfer: read: %s after %lld bytes\n", strerror(errno), done);
			EVP_MD_CTX_free(md);
			return -1;
		}
		if (!g_nohash)
			EVP_DigestUpdate(md, buf, (size_t)r);
		done += r;
		for (ssize_t off = 0; echo && off < r;) {
			ssize_t w = mtcp_write(m, s, buf + off, (size_t)(r - off));

			if (w < 0) {
				fprintf(stderr, "kbxfer: echo write: %s\n", strerror(errno));
				EVP_MD_CTX_free(md);
				return -1;
			}
			off += w;
		}
	}
	EVP_DigestFinal_ex(md, dig, NULL);
	EVP_MD_CTX_free(md);
	hex(dig, hx);
	double dt = now_s() - t0;

	printf("kbxfer: recv %lld %s (%.1f Mbit/s)\n", done, hx, dt > 0 ? done * 8 / dt / 1e6 : 0);
	fflush(stdout);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One request of n bytes, then read the n-byte echo. */
static int round_trip(mctx_t m, int s, char *buf, int n)
{
	for (int off = 0; off < n;) {
		ssize_t w = mtcp_write(m, s, buf + off, (size_t)(n - off));

		if (w < 0)
			return -1;
		off += (int)w;
	}
	for (int got = 0; got < n;) {
		ssize_t r = mtcp_read(m, s, buf + got, (size_t)(n - got));

		if (r <= 0)
			return -1;
		got += (int)r;
	}
	return 0;
}

static int do_rr(mctx_t m, int s, int n, int rounds)
{
	char buf[65536];
	uint64_t *lat = calloc((size_t)rounds, sizeof(*lat));

	if (!lat || n > (int)sizeof(buf))
		return -1;
	memset(buf, 'q', (size_t)n);
	for (int i = 0; i < rounds && !g_stop; i++) {
		double t0 = now_s();

		if (round_trip(m, s, buf, n) < 0) {
			fprintf(stderr, "kbxfer: rr: %s at round %d\n", strerror(errno), i);
			free(lat);
			return -1;
		}
		lat[i] = (uint64_t)((now_s() - t0) * 1e9);
	}
	qsort(lat, (size_t)rounds, sizeof(*lat), cmp_u64);
	printf("kbxfer: rr %d x %d B: p50 %.1f us p99 %.1f us\n", rounds, n,
	       lat[rounds / 2] / 1e3, lat[rounds * 99 / 100] / 1e3);
	fflush(stdout);
	free(lat);
	return 0;
}

struct job {
	int core, port;
	struct sockaddr_in *a;
	const char *mode;
	long long bytes;
	int conns;
	uint64_t seed;
	int rc;
	int rounds;
};

static atomic_int g_served;   /* server: connections done, all threads */

static void *worker(void *arg)
{
	struct job *j = arg;
	int rc = 0;

	mtcp_core_affinitize(j->core);
	mctx_t m = mtcp_create_context(j->core);

	if (!m) {
		fprintf(stderr, "kbxfer: mtcp_create_context(%d): %s\n", j->core, strerror(errno));
		j->rc = 1;
		return NULL;
	}
	int ep = mtcp_epoll_create(m, 16);

	if (j->port) {
		struct sockaddr_in la = *j->a;
		int ls = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
		struct mtcp_epoll_event ev = { .events = MTCP_EPOLLIN };

		ev.data.u64 = (uint64_t)ls;

		la.sin_addr.s_addr = INADDR_ANY;
		if (ls < 0 || mtcp_bind(m, ls, (struct sockaddr *)&la, sizeof(la)) < 0 ||
		    mtcp_listen(m, ls, 128) < 0) {
			fprintf(stderr, "kbxfer: listen: %s\n", strerror(errno));
			rc = 1;
		} else {
			mtcp_setsock_nonblock(m, ls);
			mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, ls, &ev);
			printf("kbxfer: listening on %d (core %d)\n", j->port, j->core);
			fflush(stdout);
		}
		while (!rc && !g_stop && atomic_load(&g_served) < j->conns) {
			struct mtcp_epoll_event evs[4];

			if (mtcp_epoll_wait(m, ep, evs, 4, 50) <= 0)
				continue;
			int s = mtcp_accept(m, ls, NULL, NULL);

			if (s < 0)
				continue;
			if (!strcmp(j->mode, "send"))
				rc = do_send(m, s, j->bytes, j->seed + (uint64_t)atomic_load(&g_served)) ? 1 : 0;
			else
				rc = do_recv(m, s, !strcmp(j->mode, "echo")) ? 1 : 0;
			mtcp_close(m, s);
			atomic_fetch_add(&g_served, 1);
		}
	} else {
		double t0 = now_s();
		char rbuf[65536];
		int n = j->bytes > (long long)sizeof(rbuf) ? (int)sizeof(rbuf) : (int)j->bytes;

		memset(rbuf, 'c', sizeof(rbuf));
		for (int i = 0; !rc && i < j->conns && !g_stop; i++) {
			int s = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);

			if (s < 0 || mtcp_connect(m, s, (struct sockaddr *)j->a, sizeof(*j->a)) < 0) {
				fprintf(stderr, "kbxfer: connect: %s\n", strerror(errno));
				rc = 1;
				break;
			}
			if (!strcmp(j->mode, "recv"))
				rc = do_recv(m, s, false) ? 1 : 0;
			else if (!strcmp(j->mode, "rr"))
				rc = do_rr(m, s, n, j->rounds) ? 1 : 0;
			else if (!strcmp(j->mode, "crr"))
				rc = round_trip(m, s, rbuf, n) ? 1 : 0;
			else
				rc = do_send(m, s, j->bytes, j->seed + (uint64_t)i) ? 1 : 0;
			mtcp_close(m, s);
		}
		if (!rc && !strcmp(j->mode, "crr")) {
			double dt = now_s() - t0;

			printf("kbxfer: crr %d connections in %.3f s: %.0f conn/s\n", j->conns, dt,
			       dt > 0 ? j->conns / dt : 0);
			fflush(stdout);
		}
	}
	/* let the last FIN exchange finish before the port goes away */
	struct mtcp_epoll_event ev[4];

	for (int i = 0; i < 50 && !g_stop; i++)
		mtcp_epoll_wait(m, ep, ev, 4, 10);
	mtcp_destroy_context(m);
	j->rc = rc;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *conf = NULL, *peer = NULL, *mode = NULL;
	int port = 0, conns = 1, c, rc = 0, threads = 1, rounds = 10000;
	long long bytes = 1 << 20;
	uint64_t seed = 1;
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

	while ((c = getopt_long(argc, argv, "f:l:c:m:n:k:s:t:r:p:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'f': conf = optarg; break;
		case 'l': port = atoi(optarg); break;
		case 'c': peer = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': bytes = parse_size(optarg); break;
		case 'k': conns = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': threads = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'q': g_nohash = true; break;
		case 'p': g_hold_ms = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!conf || (!port == !peer) || bytes < 0 || conns < 1 || threads < 1 || threads > 16 ||
	    g_hold_ms < 0 || g_hold_ms > 60000 ||
	    rounds < 1 || (mode && strcmp(mode, "send") && strcmp(mode, "recv") &&
			   strcmp(mode, "echo") && strcmp(mode, "rr") && strcmp(mode, "crr"))) {
		usage(stderr);
		return 2;
	}
	if (!mode)
		mode = port ? "recv" : "send";
	struct sockaddr_in a = { .sin_family = AF_INET };

	if (peer) {
		char ip[64];
		const char *colon = strrchr(peer, ':');

		if (!colon || colon - peer >= (int)sizeof(ip)) {
			fprintf(stderr, "kbxfer: -c wants IP:PORT\n");
			return 2;
		}
		memcpy(ip, peer, (size_t)(colon - peer));
		ip[colon - peer] = '\0';
		if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
			fprintf(stderr, "kbxfer: bad address '%s'\n", ip);
			return 2;
		}
		a.sin_port = htons((uint16_t)atoi(colon + 1));
	} else {
		a.sin_port = htons((uint16_t)port);
	}
	if (mtcp_init(conf) < 0)
		return 1;   /* mtcp_init printed why */
	/* the port is up: a test may now move a tap device elsewhere */
	printf("kbxfer: up\n");
	fflush(stdout);
	/* the peer VM may go first: its vhost socket closing must not kill us */
	signal(SIGPIPE, SIG_IGN);
	mtcp_register_signal(SIGINT, on_sig);
	mtcp_register_signal(SIGTERM, on_sig);
	struct mtcp_conf mc;

	mtcp_getconf(&mc);
	if (threads > mc.num_cores) {
		fprintf(stderr, "kbxfer: -t %d but only %d core(s) configured\n", threads, mc.num_cores);
		mtcp_destroy();
		return 2;
	}
	pthread_t tid[16];
	struct job jobs[16];

	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ i, port, &a, mode, bytes, conns, seed + (uint64_t)i * 1000, 0,
					rounds };
		pthread_create(&tid[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		rc |= jobs[i].rc;
	}
	mtcp_destroy();
	return g_stop ? 1 : rc;
}
