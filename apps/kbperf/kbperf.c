/* kbperf: iperf/netperf-like measurements over kbnet's mTCP API or Linux
 * sockets (--kernel).  Argument parsing and reporting; the two sides are in
 * kbperf_server.c and kbperf_client.c. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_apputil.h"
#include "kbperf.h"

static const char *prog = "kbperf";

static void usage(void)
{
	printf(
"Usage: kbperf -s [options]            server\n"
"       kbperf -c IP[:PORT] [options]  client\n"
"\n"
"Measures TCP throughput, request/response latency and connection rate, over\n"
"kbnet's stack (mTCP API, needs -f CONF) or, with --kernel, Linux sockets.\n"
"\n"
"  -s, --server        run the server (until SIGINT/SIGTERM)\n"
"  -c, --client IP     run a test against the server at IP[:PORT]\n"
"  -B, --bind IP       server: address to listen on (default 0.0.0.0)\n"
"  -p, --port N        TCP port (default 5201)\n"
"  -t, --test T        bulk | rr | crr (default bulk)\n"
"                        bulk: the server streams to the client; Gbit/s\n"
"                        rr:   -l byte request, -l byte response, one at a\n"
"                              time per flow; transactions/s and latency\n"
"                        crr:  connect, request, response, close; conns/s\n"
"  -P, --flows N       parallel flows (default 1; max %d)\n"
"  -d, --seconds S     test length (default 5)\n"
"  -i, --interval S    client: a report every S seconds (0.1..3600), as iperf3\n"
"  -b, --bytes SIZE    bulk: bytes per flow instead of a duration (64k, 20m..)\n"
"  -l, --len SIZE      rr/crr message size (default 64)\n"
"  -N, --cores N       worker threads, one per core (default 1)\n"
"  -f, --conf FILE     mTCP config file (kbnet stack; see docs/porting.md)\n"
"      --kernel        use Linux sockets and epoll instead of kbnet\n"
"      --json          client: print one JSON object (for bench/run)\n"
"  -k, --keepalive     SO_KEEPALIVE on every connection (timing: the config's\n"
"                      tcp_keepalive_* keys, or Linux's sysctls)\n"
"  -v, --verbose       report each flow error (server: each connection's)\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 ok, 1 the test failed (errors, nothing measured), 2 bad usage.\n",
	KBPERF_MAX_FLOWS);
}

static const char *test_name(enum kbperf_test t)
{
	return t == KBPERF_BULK ? "bulk" : t == KBPERF_RR ? "rr" : "crr";
}

static void print_hist_json(const struct kb_hist *h)
{
	printf("\"hist_ns\":[");
	bool first = true;
	for (unsigned i = 0; i < KB_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		uint64_t lo, hi;
		kb_hist_range(i, &lo, &hi);
		printf("%s[%llu,%llu,%llu]", first ? "" : ",", (unsigned long long)lo,
		       (unsigned long long)hi, (unsigned long long)h->bucket[i]);
		first = false;
	}
	printf("]");
}

void kbperf_print_interval(const struct kbperf_opts *o, const struct kbperf_interval *v)
{
	double secs = v->end - v->start > 1e-9 ? v->end - v->start : 1e-9;

	if (o->test == KBPERF_BULK)
		printf("[SUM] %6.2f-%-6.2f sec %10.2f MBytes %10.2f Mbits/sec\n", v->start, v->end,
		       (double)v->bytes / 1048576, (double)v->bytes * 8 / secs / 1e6);
	else
		printf("[SUM] %6.2f-%-6.2f sec %10llu %-6s %10.1f %s/sec\n", v->start, v->end,
		       (unsigned long long)(o->test == KBPERF_CRR ? v->conns : v->transactions),
		       o->test == KBPERF_CRR ? "conns" : "trans",
		       (double)(o->test == KBPERF_CRR ? v->conns : v->transactions) / secs,
		       o->test == KBPERF_CRR ? "conns" : "trans");
	fflush(stdout);
}

static void print_intervals_json(const struct kbperf_result *r)
{
	printf("\"intervals\":[");
	for (int i = 0; i < r->n_iv; i++)
		printf("%s{\"start\":%.3f,\"end\":%.3f,\"bytes\":%llu,\"transactions\":%llu,"
		       "\"conns\":%llu}", i ? "," : "", r->iv[i].start, r->iv[i].end,
		       (unsigned long long)r->iv[i].bytes, (unsigned long long)r->iv[i].transactions,
		       (unsigned long long)r->iv[i].conns);
	printf("],");
}

static void report(const struct kbperf_opts *o, const struct kbperf_result *r)
{
	double secs = (double)(r->end_ns - r->start_ns) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	double gbps = (double)r->bytes * 8 / secs / 1e9;
	double tps = (double)r->transactions / secs;
	const struct kb_hist *h = &r->lat;
	double us[5] = { kb_hist_pct(h, 50) / 1e3, kb_hist_pct(h, 90) / 1e3,
			 kb_hist_pct(h, 99) / 1e3, kb_hist_pct(h, 99.9) / 1e3,
			 (double)(h->count ? h->max : 0) / 1e3 };
	if (o->json) {
		printf("{\"tool\":\"kbperf\",\"stack\":\"%s\",\"test\":\"%s\",\"flows\":%d,"
		       "\"cores\":%d,\"msg\":%u,\"seconds\":%.3f,\"bytes\":%llu,\"gbps\":%.4f,"
		       "\"transactions\":%llu,\"rate\":%.1f,\"conns\":%llu,\"errors\":%llu,"
		       "\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,"
		       "\"max_us\":%.2f,\"rto\":%llu,\"rto_per_gb\":%.2f,",
		       o->ops->name, test_name(o->test), o->flows, o->cores, o->msg, secs,
		       (unsigned long long)r->bytes, gbps, (unsigned long long)r->transactions,
		       tps, (unsigned long long)r->conns, (unsigned long long)r->errors,
		       us[0], us[1], us[2], us[3], us[4], (unsigned long long)r->ns.rto,
		       kb_rto_per_gb(&r->ns));
		if (o->interval > 0)
			print_intervals_json(r);
		print_hist_json(h);
		printf("}\n");
		return;
	}
	printf("kbperf %s over %s: %d flow(s), %.2f s\n", test_name(o->test), o->ops->name,
	       o->flows, secs);
	if (o->test == KBPERF_BULK)
		printf("  %llu bytes, %.3f Gbit/s\n", (unsigned long long)r->bytes, gbps);
	else
		printf("  %llu transactions, %.1f %s/s; latency us: p50 %.1f p90 %.1f "
		       "p99 %.1f p99.9 %.1f max %.1f\n", (unsigned long long)r->transactions,
		       tps, o->test == KBPERF_CRR ? "conns" : "trans",
		       us[0], us[1], us[2], us[3], us[4]);
	printf("  connections %llu, errors %llu\n", (unsigned long long)r->conns,
	       (unsigned long long)r->errors);
	printf("  retransmission timeouts: %llu in %llu bytes (%.2f per GB)\n",
	       (unsigned long long)r->ns.rto, (unsigned long long)r->ns.bytes,
	       kb_rto_per_gb(&r->ns));
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", no_argument, NULL, 's' }, { "client", required_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'B' }, { "port", required_argument, NULL, 'p' },
		{ "test", required_argument, NULL, 't' }, { "flows", required_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 'd' }, { "bytes", required_argument, NULL, 'b' },
		{ "len", required_argument, NULL, 'l' }, { "cores", required_argument, NULL, 'N' },
		{ "conf", required_argument, NULL, 'f' }, { "kernel", no_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'J' }, { "verbose", no_argument, NULL, 'v' },
		{ "interval", required_argument, NULL, 'i' },
		{ "keepalive", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct kbperf_opts o = { .cores = 1, .test = KBPERF_BULK, .flows = 1, .seconds = 5,
				 .msg = 64 };
	bool server = false, kernel = false;
	const char *peer = NULL, *bind_ip = "0.0.0.0";
	long long port = 5201;
	int c;
	while ((c = getopt_long(argc, argv, ":sc:B:p:t:P:d:b:l:N:f:i:kvh", lo, NULL)) != -1) {
		switch (c) {
		case 's': server = true; break;
		case 'c': peer = optarg; break;
		case 'B': bind_ip = optarg; break;
		case 'k': o.keepalive = true; break;
		case 'p': port = kb_opt_int(prog, "-p", optarg, 1, 65535); break;
		case 't':
			if (!strcmp(optarg, "bulk")) o.test = KBPERF_BULK;
			else if (!strcmp(optarg, "rr")) o.test = KBPERF_RR;
			else if (!strcmp(optarg, "crr")) o.test = KBPERF_CRR;
			else kb_usage_error(prog, "-t: expected bulk, rr or crr, got '%s'", optarg);
			break;
		case 'P': o.flows = (int)kb_opt_int(prog, "-P", optarg, 1, KBPERF_MAX_FLOWS); break;
		case 'd': o.seconds = (double)kb_opt_int(prog, "-d", optarg, 1, 3600); break;
		case 'b': o.bytes = kb_opt_size(prog, "-b", optarg, 1ull << 40);
			if (!o.bytes) kb_usage_error(prog, "-b: expected at least 1 byte");
			break;
		case 'l': o.msg = (uint32_t)kb_opt_size(prog, "-l", optarg, KBPERF_MAX_MSG);
			if (!o.msg) kb_usage_error(prog, "-l: expected at least 1 byte");
			break;
		case 'N': o.cores = (int)kb_opt_int(prog, "-N", optarg, 1, 128); break;
		case 'f': o.conf = optarg; break;
		case 'i': {
			char *end;
			o.interval = strtod(optarg, &end);
			if (end == optarg || *end || !(o.interval >= 0.1 && o.interval <= 3600))
				kb_usage_error(prog, "-i: expected seconds in 0.1..3600, got '%s'", optarg);
			break;
		}
		case 'K': kernel = true; break;
		case 'J': o.json = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(); return 0;
		default: kb_opt_bad(prog, c, argv);
		}
	}
	if (optind < argc)
		kb_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (server == (peer != NULL))
		kb_usage_error(prog, "give exactly one of -s (server) or -c IP (client)");
	if (o.bytes && o.test != KBPERF_BULK)
		kb_usage_error(prog, "-b applies to -t bulk only");
	if (o.interval > 0 && server)
		kb_usage_error(prog, "-i applies to the client only");
	if (kernel) {
		o.ops = &kb_netops_kernel;
	} else {
		o.ops = kb_netops_mtcp;
		if (!o.ops)
			kb_usage_error(prog, "built without libkbnet: use --kernel");
		if (!o.conf)
			kb_usage_error(prog, "the kbnet stack needs -f CONF (or use --kernel)");
	}
	const char *a = server ? bind_ip : peer;
	if (kb_parse_addr(a, (uint16_t)port, &o.addr) < 0)
		kb_usage_error(prog, "%s: expected IPv4[:port], got '%s'", server ? "-B" : "-c", a);

	if (o.ops->global_init(o.conf, o.cores) < 0)
		return 2;   /* the config error was printed with its position */
	if (o.ops->cores() < o.cores) {
		fprintf(stderr, "kbperf: -N %d but the config gives %d core(s)\n", o.cores,
			o.ops->cores());
		o.ops->global_fini();
		return 2;
	}
	kb_netops_on_signals(o.ops);
	int rc;
	if (server) {
		rc = kbperf_server(&o) < 0 ? 1 : 0;
	} else {
		struct kbperf_result r = {0};
		if (o.interval > 0 && !o.json)
			printf("[ ID] Interval           %s\n", o.test == KBPERF_BULK ?
			       "     Transfer         Bitrate" : o.test == KBPERF_CRR ?
			       "Connections           Rate" : "Transactions          Rate");
		rc = kbperf_client(&o, &r) < 0 ? 1 : 0;
		if (rc == 0) {
			report(&o, &r);
			bool measured = o.test == KBPERF_BULK ? r.bytes > 0 : r.transactions > 0;
			if (!measured || r.errors)
				rc = 1;
		}
		free(r.iv);
	}
	o.ops->global_fini();
	return rc;
}
