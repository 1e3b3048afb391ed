/* kbping: ICMP echo from a VM, over the DPDK layer.
 *
 * mTCP's API has no raw sockets, so a ping between two VMs is a layer-level
 * tool: it builds IPv4/ICMP echo requests in get_buffer_tx() buffers and
 * hands them to addBufferToRing(), which resolves the next hop by ARP (the
 * first request waits in the layer's hold queue while the broadcast goes
 * through the switch's Replicate), and waits for the replies the peer's
 * stack sends.  It runs as a VM on its own: it owns the VM's port while it
 * runs, like any other kbnet process. */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dpdk_api.h"
#include "kb_conf.h"
#include "kb_err.h"
#include "kb_parse.h"

#define IP_HLEN   20
#define ICMP_HLEN 8

struct ping_opts {
	const char *conf;
	uint32_t dst;
	int count;
	int interval_ms;
	int size;          /* ICMP payload bytes */
	int timeout_ms;    /* per reply */
};

struct ping_state {
	uint16_t ident;
	int sent, received;
	double rtt_min, rtt_max, rtt_sum;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint16_t cksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (; len > 1; len -= 2, b += 2)
		s += (uint32_t)b[0] << 8 | b[1];
	if (len)
		s += (uint32_t)b[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* Write an echo request for seq into buf (an L3 buffer); returns its length. */
static uint16_t build_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t ident,
			   uint16_t seq, int payload)
{
	uint16_t len = (uint16_t)(IP_HLEN + ICMP_HLEN + payload);
	uint8_t *icmp = buf + IP_HLEN;
	double t = now_ms();

	memset(buf, 0, len);
	buf[0] = 0x45;
	*(uint16_t *)(buf + 2) = htons(len);
	*(uint16_t *)(buf + 4) = htons(seq);
	buf[8] = 64;   /* TTL */
	buf[9] = IPPROTO_ICMP;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	*(uint16_t *)(buf + 10) = cksum(buf, IP_HLEN);
	icmp[0] = 8;   /* echo request */
	*(uint16_t *)(icmp + 4) = htons(ident);
	*(uint16_t *)(icmp + 6) = htons(seq);
	if (payload >= (int)sizeof(t))
		memcpy(icmp + ICMP_HLEN, &t, sizeof(t));
	for (int i = (int)sizeof(t); i < payload; i++)
		icmp[ICMP_HLEN + i] = (uint8_t)i;
	*(uint16_t *)(icmp + 2) = cksum(icmp, (size_t)(ICMP_HLEN + payload));
	return len;
}

/* Is pkt an echo reply to us?  Returns its sequence number, or -1. */
static int match_reply(const uint8_t *pkt, uint16_t len, uint32_t peer, uint16_t ident)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	uint32_t src;

	if (len < ihl + ICMP_HLEN || pkt[9] != IPPROTO_ICMP)
		return -1;
	memcpy(&src, pkt + 12, 4);
	const uint8_t *icmp = pkt + ihl;

	if (src != peer || icmp[0] != 0 || ntohs(*(const uint16_t *)(icmp + 4)) != ident)
		return -1;
	if (cksum(icmp, len - ihl) != 0)
		return -1;
	return ntohs(*(const uint16_t *)(icmp + 6));
}

/* Poll until the reply for seq arrives or the deadline passes.
 * Returns the RTT in ms, or -1 on timeout. */
static double wait_reply(struct dpdk_core *c, const struct ping_opts *o,
			 struct ping_state *st, uint16_t seq, double sent_at)
{
	double deadline = sent_at + o->timeout_ms;

	while (!stop_flag && now_ms() < deadline) {
		int n = get_rx_count(c);
		double got = -1;

		for (int i = 0; i < n; i++) {
			uint16_t len;
			uint8_t *p = get_buffer_rx(c, &len);

			if (p && match_reply(p, len, o->dst, st->ident) == seq)
				got = now_ms() - sent_at;
		}
		if (got >= 0)
			return got;
		if (!n)
			dpdk_wait_rx(c, 1000);
	}
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kbping -f CONF [-c COUNT] [-i MS] [-s BYTES] [-W MS] DEST\n"
		"\n"
		"Sends ICMP echo requests from the VM that CONF describes (its port,\n"
		"IP and MAC; see docs/dpdk-layer.md) to DEST, an IPv4 address, through\n"
		"the DPDK layer; the first request resolves DEST by ARP.\n"
		"\n"
		"  -f, --conf FILE     the VM's config (DPDK layer keys)\n"
		"  -c, --count N       requests to send (default 4)\n"
		"  -i, --interval MS   between requests (default 200)\n"
		"  -s, --size BYTES    ICMP payload (default 56, max 1472)\n"
		"  -W, --timeout MS    wait for each reply (default 1000)\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 when every request was answered, 1 otherwise, 2 bad usage.\n");
}

static int parse_args(int argc, char **argv, struct ping_opts *o)
{
	static const struct option lo[] = {
		{ "conf", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	int ch;

	*o = (struct ping_opts){ .count = 4, .interval_ms = 200, .size = 56, .timeout_ms = 1000 };
	while ((ch = getopt_long(argc, argv, "f:c:i:s:W:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': o->conf = optarg; break;
		case 'c':
			if (kb_parse_int(optarg, 1, 1000000, &v) < 0)
				goto bad_num;
			o->count = (int)v;
			break;
		case 'i':
			if (kb_parse_int(optarg, 0, 60000, &v) < 0)
				goto bad_num;
			o->interval_ms = (int)v;
			break;
		case 's':
			if (kb_parse_int(optarg, 0, DPDK_MTU - IP_HLEN - ICMP_HLEN, &v) < 0)
				goto bad_num;
			o->size = (int)v;
			break;
		case 'W':
			if (kb_parse_int(optarg, 1, 600000, &v) < 0)
				goto bad_num;
			o->timeout_ms = (int)v;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!o->conf || optind != argc - 1) {
		fprintf(stderr, "kbping: need -f CONF and one DEST (see --help)\n");
		return -1;
	}
	if (kb_parse_ipv4(argv[optind], &o->dst) < 0) {
		fprintf(stderr, "kbping: DEST '%s': expected an IPv4 address\n", argv[optind]);
		return -1;
	}
	return 0;
bad_num:
	fprintf(stderr, "kbping: -%c '%s': expected a number in range (see --help)\n", ch, optarg);
	return -1;
}

int main(int argc, char **argv)
{
	struct ping_opts o;
	struct ping_state st = { .ident = (uint16_t)getpid(), .rtt_min = 1e9 };
	struct kb_err err;
	char eb[1024], ip[16];

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* The VM's file is its whole mtcp.conf: the stack's keys are there too,
	 * so only the layer's keys are claimed and the rest is left alone. */
	struct kb_conf conf;

	if (kb_conf_load(&conf, o.conf, &err) < 0) {
		fprintf(stderr, "kbping: %s\n", kb_err_str(&err, eb, sizeof(eb)));
		return 2;
	}
	struct dpdk_layer *dl = dpdk_init_conf(&conf, &err);

	kb_conf_free(&conf);
	if (!dl) {
		fprintf(stderr, "kbping: %s\n", kb_err_str(&err, eb, sizeof(eb)));
		return 2;
	}
	struct dpdk_core *c = dpdk_core_attach(dl, 0);
	const struct dpdk_info *info = dpdk_get_info(dl);

	printf("PING %s from %s: %d data bytes\n", kb_fmt_ipv4(o.dst, ip),
	       kb_fmt_ipv4(info->ip, eb), o.size);
	for (int seq = 1; seq <= o.count && !stop_flag; seq++) {
		uint8_t *buf = get_buffer_tx(c);

		if (!buf) {
			fprintf(stderr, "kbping: no tx buffer\n");
			break;
		}
		uint16_t len = build_echo(buf, info->ip, o.dst, st.ident, (uint16_t)seq, o.size);
		double t0 = now_ms();

		st.sent++;
		if (addBufferToRing(c, buf, len) < 0) {
			printf("seq=%d: dropped by the layer (see its tx counters)\n", seq);
			continue;
		}
		dpdk_flush_tx(c);
		double rtt = wait_reply(c, &o, &st, (uint16_t)seq, t0);

		if (rtt < 0) {
			printf("seq=%d: no reply within %d ms\n", seq, o.timeout_ms);
		} else {
			st.received++;
			st.rtt_sum += rtt;
			st.rtt_min = rtt < st.rtt_min ? rtt : st.rtt_min;
			st.rtt_max = rtt > st.rtt_max ? rtt : st.rtt_max;
			printf("%d bytes from %s: icmp_seq=%d time=%.3f ms%s\n", o.size + ICMP_HLEN,
			       ip, seq, rtt, seq == 1 ? " (includes ARP resolution)" : "");
		}
		fflush(stdout);
		if (seq < o.count && o.interval_ms)
			usleep((useconds_t)o.interval_ms * 1000);
	}
	printf("--- %s ping statistics ---\n%d transmitted, %d received, %d%% loss",
	       ip, st.sent, st.received, st.sent ? 100 * (st.sent - st.received) / st.sent : 0);
	if (st.received)
		printf(", rtt min/avg/max = %.3f/%.3f/%.3f ms", st.rtt_min,
		       st.rtt_sum / st.received, st.rtt_max);
	printf("\n");
	dpdk_destroy(dl);
	return st.sent && st.received == st.sent ? 0 : 1;
}
