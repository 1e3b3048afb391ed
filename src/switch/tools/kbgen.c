/* kbgen: a small frame generator and sink for switch tests and benches.
 *
 *   kbgen [EAL options with one port, e.g. --vdev net_virtio_user0,...] --
 *         [--dst MAC] [--count N] [--size BYTES] [--expect N]
 *         [--seconds S] [--start-after FILE] [--stop-after FILE]
 *
 * Sends N frames (source = the port's MAC, destination --dst, EtherType
 * 0x88b5, a sequence number in the payload), receives for up to S seconds or
 * until --expect frames arrived, then prints one line of counters:
 *   kbgen: tx=N tx_drop=N rx=N rx_unicast=N rx_broadcast=N rx_other=N rx_bytes=N */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "kb_hugepages.h"
#include "kb_idle.h"
#include "kb_parse.h"
#include "kb_unix.h"

#define BURST 32
#define ETHER_TYPE_KBGEN 0x88b5

static volatile int g_stop;
static void on_signal(int s) { (void)s; g_stop = 1; }

struct gen {
	uint16_t pid;
	struct rte_mempool *pool;
	struct rte_ether_addr mac, dst;
	long long count, size, expect, seconds;
	uint64_t tx, tx_drop, rx, rx_uni, rx_bcast, rx_other, rx_bytes;
	struct kb_idle idle;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned rx_once(struct gen *g)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = rte_eth_rx_burst(g->pid, 0, pkts, BURST);

	for (uint16_t i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh;
		g->rx++;
		g->rx_bytes += pkts[i]->pkt_len;
		if (rte_pktmbuf_data_len(pkts[i]) < RTE_ETHER_HDR_LEN) {
			g->rx_other++;
			continue;
		}
		eh = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
		if (rte_is_broadcast_ether_addr(&eh->dst_addr))
			g->rx_bcast++;
		else if (rte_is_same_ether_addr(&eh->dst_addr, &g->mac))
			g->rx_uni++;
		else
			g->rx_other++;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static struct rte_mbuf *make_frame(struct gen *g, uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	struct rte_ether_hdr *eh;
	char *d;

	if (!m || !(d = rte_pktmbuf_append(m, (uint16_t)g->size))) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(d, 0, (size_t)g->size);
	eh = (struct rte_ether_hdr *)d;
	eh->dst_addr = g->dst;
	eh->src_addr = g->mac;
	eh->ether_type = rte_cpu_to_be_16(ETHER_TYPE_KBGEN);
	memcpy(d + RTE_ETHER_HDR_LEN, &seq, sizeof(seq));
	return m;
}

/* Sends count frames; a full tx ring is retried while receiving (the peer
 * may be us), a frame that can't go after 1 s is a counted drop. */
static void send_all(struct gen *g)
{
	uint64_t seq = 0;
	double give_up = 0;

	while (seq < (uint64_t)g->count && !g_stop) {
		struct rte_mbuf *pkts[BURST];
		uint16_t n = 0, sent;

		while (n < BURST && seq + n < (uint64_t)g->count && (pkts[n] = make_frame(g, seq + n)))
			n++;
		sent = rte_eth_tx_burst(g->pid, 0, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		g->tx += sent;
		seq += sent;
		if (sent) {
			give_up = 0;
		} else if (!give_up) {
			give_up = now_s() + 1;
		} else if (now_s() > give_up) {
			g->tx_drop += n;
			seq += n;
			give_up = 0;
		}
		kb_idle_account(&g->idle, sent + rx_once(g));
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dst", required_argument, NULL, 'd'}, {"count", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'}, {"expect", required_argument, NULL, 'e'},
		{"seconds", required_argument, NULL, 't'}, {"start-after", required_argument, NULL, 'a'},
		{"stop-after", required_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct gen g = {.count = 0, .size = 64, .expect = -1, .seconds = 5};
	const char *start_after = NULL, *stop_after = NULL;
	struct rte_eth_conf conf = {0};
	struct rte_eth_link link;
	double end;
	int n, c;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: kbgen [EAL options, one port] -- [--dst MAC] [--count N] [--size BYTES]\n"
			       "             [--expect N] [--seconds S] [--start-after FILE] [--stop-after FILE]\n"
			       "Sends N frames to MAC, receives until N frames arrived or S seconds passed,\n"
			       "waits for the --start-after file before sending and, once done, for the\n"
			       "--stop-after file before leaving; prints its counters.\n");
			return 0;
		}
	/* a virtio-user server (server=1) binds its path=: clear what a killed
	 * kbgen left there, as the DPDK layer does for a VM */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *v = !strncmp(argv[i], "--vdev=", 7) ? argv[i] + 7 :
				!strcmp(argv[i], "--vdev") && i + 1 < argc ? argv[i + 1] : NULL;
		const char *p = v && strstr(v, ",server=1") ? strstr(v, ",path=") : NULL;
		char path[256];

		if (p && strcspn(p + 6, ",") < sizeof(path)) {
			snprintf(path, sizeof(path), "%.*s", (int)strcspn(p + 6, ","), p + 6);
			kb_unix_remove_stale(path);
		}
	}
	char **fit = kb_hugepages_fit("kbgen", &argc, argv);   /* freed at exit */

	if (fit)
		argv = fit;
	if ((n = rte_eal_init(argc, argv)) < 0) {
		fprintf(stderr, "kbgen: EAL init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	memset(&g.dst, 0xff, sizeof(g.dst));
	while ((c = getopt_long(argc, argv, "d:n:s:e:t:a:z:h", opts, NULL)) != -1) {
		long long *dst = NULL, lo = 0, hi = 0;
		switch (c) {
		case 'd':
			if (kb_parse_mac(optarg, g.dst.addr_bytes) < 0) {
				fprintf(stderr, "kbgen: --dst expects a MAC, got '%s'\n", optarg);
				return 2;
			}
			continue;
		case 'a': start_after = optarg; continue;
		case 'z': stop_after = optarg; continue;
		case 'n': dst = &g.count; hi = 1LL << 40; break;
		case 's': dst = &g.size; lo = 22; hi = 1514; break;
		case 'e': dst = &g.expect; hi = 1LL << 40; break;
		case 't': dst = &g.seconds; lo = 1; hi = 3600; break;
		default: return 2;
		}
		if (kb_parse_int(optarg, lo, hi, dst) < 0) {
			fprintf(stderr, "kbgen: -%c expects %lld..%lld, got '%s'\n", c, lo, hi, optarg);
			return 2;
		}
	}
	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "kbgen: expected exactly one port (give one --vdev)\n");
		return 2;
	}
	g.pid = (uint16_t)rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
	g.pool = rte_pktmbuf_pool_create("kbgen", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	if (!g.pool || rte_eth_dev_configure(g.pid, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(g.pid, 0, 1024, rte_eth_dev_socket_id(g.pid), NULL, g.pool) < 0 ||
	    rte_eth_tx_queue_setup(g.pid, 0, 1024, rte_eth_dev_socket_id(g.pid), NULL) < 0 ||
	    rte_eth_dev_start(g.pid) < 0) {
		fprintf(stderr, "kbgen: cannot set up port %u\n", g.pid);
		return 1;
	}
	rte_eth_macaddr_get(g.pid, &g.mac);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	kb_idle_init(&g.idle, false, 200);
	end = now_s() + (double)g.seconds;
	printf("kbgen: ready\n");
	fflush(stdout);
	/* Wait for the link and the go signal, receiving meanwhile. */
	while (!g_stop && now_s() < end) {
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(g.pid, &link);
		if (link.link_status && (!start_after || access(start_after, F_OK) == 0))
			break;
		kb_idle_account(&g.idle, rx_once(&g));
	}
	send_all(&g);
	while (!g_stop && now_s() < end && (g.expect < 0 || g.rx < (uint64_t)g.expect))
		kb_idle_account(&g.idle, rx_once(&g));
	/* Stay attached (virtio has no tx completion) until told to go. */
	while (!g_stop && now_s() < end && stop_after && access(stop_after, F_OK) != 0)
		kb_idle_account(&g.idle, rx_once(&g));
	printf("kbgen: tx=%" PRIu64 " tx_drop=%" PRIu64 " rx=%" PRIu64 " rx_unicast=%" PRIu64
	       " rx_broadcast=%" PRIu64 " rx_other=%" PRIu64 " rx_bytes=%" PRIu64 "\n",
	       g.tx, g.tx_drop, g.rx, g.rx_uni, g.rx_bcast, g.rx_other, g.rx_bytes);
	fflush(stdout);
	rte_eth_dev_stop(g.pid);
	rte_eth_dev_close(g.pid);
	rte_eal_cleanup();
	return 0;
}
