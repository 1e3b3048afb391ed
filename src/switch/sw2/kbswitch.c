/* kbswitch: a BESS-style software switch.
 *
 *   kbswitch [EAL options] -- -f SCRIPT [--pure-poll] [--idle-max-us N]
 *                             [--ctl PATH]
 *
 * The script is parsed, run and every module validated before EAL starts,
 * so a bad script exits non-zero with file:line:col and opens nothing. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "kb_parse.h"
#include "sw_ctl.h"
#include "sw_pipeline.h"

static volatile sig_atomic_t g_stop;   /* only the signal handler writes it */

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbswitch [EAL options] -- -f SCRIPT [options]\n"
		"  Builds the pipeline a BESS script describes (PMDPort, QueueInc, QueueOut,\n"
		"  PortInc, PortOut, L2Forward, Replicate, Merge, Sink, Source) and runs it\n"
		"  until SIGINT/SIGTERM, then prints port and module statistics.\n"
		"options:\n"
		"  -f, --file SCRIPT     the script (required)\n"
		"  --pure-poll           never back off when idle (lowest latency, 100%% CPU)\n"
		"  --idle-max-us N       longest idle sleep in microseconds (default 50)\n"
		"  --ctl PATH            control socket for kbctl (default %s)\n"
		"  -h, --help            this text\n", SW_CTL_DEFAULT);
}

struct opts {
	const char *script, *ctl;
	bool pure_poll;
	unsigned idle_max_us;
};

/* 0, 1 (--help shown), or -1 (error printed). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "pure-poll", no_argument, NULL, 'p' },
		{ "idle-max-us", required_argument, NULL, 'i' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->script = optarg; break;
		case 'p': o->pure_poll = true; break;
		case 'c': o->ctl = optarg; break;
		case 'i':
			if (kb_parse_int(optarg, 1, 1000000, &v)) {
				fprintf(stderr, "kbswitch: --idle-max-us: an integer in [1, 1000000] "
					"is expected, not '%s'\n", optarg);
				return -1;
			}
			o->idle_max_us = (unsigned)v;
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kbswitch: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->script) {
		fprintf(stderr, "kbswitch: -f SCRIPT is required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sw_pipeline pl;
	struct opts o = { .ctl = SW_CTL_DEFAULT, .idle_max_us = 50 };
	struct kb_err err = { 0 };
	char buf[1024];
	int dd = argc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			dd = i;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	}
	/* The application's options follow "--"; argv[dd] becomes their argv[0]. */
	char *prog = argv[0];
	int rc = parse_opts(dd < argc ? argc - dd : 1, dd < argc ? argv + dd : &prog, &o);
	if (rc)
		return rc > 0 ? 0 : 2;

	sw_pipeline_init(&pl);
	pl.pure_poll = o.pure_poll;
	pl.idle_max_us = o.idle_max_us;
	pl.stop = &g_stop;
	struct script_builder b = sw_pipeline_builder(&pl);
	if (script_run_file(o.script, &b, &err)) {
		fprintf(stderr, "kbswitch: %s\n", kb_err_str(&err, buf, sizeof(buf)));
		sw_pipeline_free(&pl);
		return 2;
	}

	argv[dd < argc ? dd : argc - 1] = prog;   /* EAL sees argv[0..dd) */
	if (rte_eal_init(dd, argv) < 0) {
		fprintf(stderr, "kbswitch: EAL init failed: %s\n", rte_strerror(rte_errno));
		sw_pipeline_free(&pl);
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct sw_ctl ctl = { 0 };
	rc = 1;
	if (sw_pipeline_start(&pl, &err) || sw_ctl_start(&ctl, &pl, o.ctl, &err)) {
		fprintf(stderr, "kbswitch: %s\n", kb_err_str(&err, buf, sizeof(buf)));
		goto out;
	}
	int nw = 0;
	for (int w = 0; w < SW_MAX_WORKERS; w++)
		nw += pl.workers[w].defined;
	printf("kbswitch: running %d ports, %d modules, %d worker%s (%s), control %s\n",
	       pl.n_ports, pl.n_mods, nw, nw > 1 ? "s" : "",
	       o.pure_poll ? "pure poll" : "adaptive idle", o.ctl);
	for (int i = 0; i < pl.n_ports; i++)
		printf("kbswitch: port %s = dpdk port %d (%s)\n", pl.ports[i].name,
		       pl.ports[i].port_id, pl.ports[i].devargs ? pl.ports[i].devargs : "port_id");
	fflush(stdout);
	if (sw_pipeline_run(&pl, &err)) {
		fprintf(stderr, "kbswitch: %s\n", kb_err_str(&err, buf, sizeof(buf)));
		goto out;
	}
	rc = 0;
	printf("kbswitch: stopping\n");
out:
	sw_ctl_stop(&ctl);
	sw_pipeline_stats(&pl, stdout);
	sw_pipeline_stop(&pl);
	sw_pipeline_free(&pl);
	rte_eal_cleanup();
	return rc;
}
