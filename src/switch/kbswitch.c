/* kbswitch: runs a BESS script (Python) to build and validate the pipeline,
 * then starts EAL and the pipeline, runs its workers until SIGINT/SIGTERM,
 * and prints statistics and closes ports.  The script runs before EAL: a
 * bad script, or --check, never starts DPDK. */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "ctl.h"
#include "kb_hugepages.h"
#include "kb_parse.h"
#include "kb_place.h"
#include "pipeline.h"

static const char usage[] =
	"usage: kbswitch [EAL options] -- -f SCRIPT [options]\n"
	"Runs the BESS-style pipeline SCRIPT describes (see docs/switch.md).\n"
	"Without -l/--lcores/--main-lcore the default worker runs alone on the last\n"
	"CPU (VMs avoid it; docs/design.md, placement).\n"
	"  -f, --file SCRIPT     the pipeline script (required)\n"
	"  -c, --ctl PATH        control socket for kbctl (default /tmp/kbswitch.ctl)\n"
	"  -p, --pure-poll       never back off or block when idle (a full CPU each worker)\n"
	"  -i, --idle-max-us N   longest idle sleep of a worker whose inputs cannot wake\n"
	"                        it (no rx interrupt), in microseconds (default 50);\n"
	"                        others block until a VM's kick\n"
	"  -n, --check           validate the script and exit (starts no EAL, opens no port)\n"
	"      --script-mem MB   memory the script may use (default 1024)\n"
	"      --script-time S   seconds the script may run (default 60)\n"
	"  -h, --help            this text\n";

/* The one global: a signal handler has no other way to reach the pipeline. */
static struct pipeline *g_signal_pl;

static void on_signal(int sig)
{
	(void)sig;
	if (g_signal_pl) {
		g_signal_pl->stop = 1;
		pipeline_kick(g_signal_pl);   /* idle workers block */
	}
}

static bool lcore_ok(int core)
{
	return core < RTE_MAX_LCORE && rte_lcore_is_enabled((unsigned)core);
}

/* Whether the EAL options (before --) choose the lcores or the main one. */
static bool lcores_given(int argc, char **argv)
{
	static const char *const opts[] = {"-l", "-c", "--lcores", "--main-lcore",
		"--master-lcore", NULL};

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		for (int k = 0; opts[k]; k++) {
			size_t n = strlen(opts[k]);

			/* -l 0, -l0, --lcores 0, --lcores=0 */
			if (!strncmp(argv[i], opts[k], n) &&
			    (!argv[i][n] || argv[i][n] == '=' || opts[k][1] != '-'))
				return true;
		}
	return false;
}

/* Default placement (kb_place.h): the main lcore, which runs BESS's default
 * worker, on the last CPU we may use, so the VMs (which avoid it) never
 * preempt the switch.  -l / --lcores / --main-lcore choose otherwise.
 * Returns a new argv (to free) with --main-lcore=N added, or NULL. */
static char **place_default(int *argc, char **argv, char *opt, size_t len)
{
	cpu_set_t allowed;
	int cpu;
	char **nv;

	if (lcores_given(*argc, argv) || sched_getaffinity(0, sizeof(allowed), &allowed) < 0 ||
	    (cpu = kb_place_switch_cpu(&allowed)) < 0 || !(nv = calloc((size_t)*argc + 2, sizeof(*nv))))
		return NULL;
	snprintf(opt, len, "--main-lcore=%d", cpu);
	nv[0] = argv[0];
	nv[1] = opt;
	for (int i = 1; i < *argc; i++)
		nv[i + 1] = argv[i];
	(*argc)++;
	return nv;
}

static bool wants_help(int argc, char **argv)
{
	bool app = false;
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return true;   /* EAL's own options: kbswitch --help -- (or -h) */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			app = true;
		else if (app && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"ctl", required_argument, NULL, 'c'},
		{"pure-poll", no_argument, NULL, 'p'},
		{"idle-max-us", required_argument, NULL, 'i'},
		{"check", no_argument, NULL, 'n'},
		{"script-mem", required_argument, NULL, 'M'},
		{"script-time", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *script = NULL, *ctl_path = "/tmp/kbswitch.ctl";
	unsigned mem_mb = 1024, time_s = 60;
	struct pipeline pl;
	struct script_builder b;
	struct kb_err err = {0};
	struct ctl ctl = {0};
	char ebuf[1024];
	bool check = false;
	long long v;
	int eal_argc = argc, app_argc, c, rc = 0;
	char **app_argv;

	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	pipeline_init(&pl);
	/* [EAL options] -- [kbswitch options]: ours are read first, and the
	 * script runs, before EAL sees its part */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			eal_argc = i;
			break;
		}
	app_argc = argc - eal_argc;
	app_argv = argv + eal_argc;
	if (app_argc == 0) {
		app_argc = 1;
		app_argv = argv;
	}
	app_argv[0] = argv[0];
	optind = 1;
	while ((c = getopt_long(app_argc, app_argv, "f:c:pi:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': script = optarg; break;
		case 'c': ctl_path = optarg; break;
		case 'p': pl.pure_poll = true; break;
		case 'n': check = true; break;
		case 'M':
		case 'T':
			if (kb_parse_int(optarg, 1, c == 'M' ? 1 << 20 : 86400, &v) < 0) {
				fprintf(stderr, "kbswitch: --script-%s expects %s, got '%s'\n",
					c == 'M' ? "mem" : "time", c == 'M' ? "MB (1..1048576)" :
					"seconds (1..86400)", optarg);
				return 2;
			}
			if (c == 'M')
				mem_mb = (unsigned)v;
			else
				time_s = (unsigned)v;
			break;
		case 'i':
			if (kb_parse_int(optarg, 1, 1000000, &v) < 0) {
				fprintf(stderr, "kbswitch: --idle-max-us expects 1..1000000, got '%s'\n", optarg);
				return 2;
			}
			pl.idle_max_us = (uint32_t)v;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!script || optind < app_argc) {
		fprintf(stderr, "kbswitch: %s\n%s", script ? "unexpected argument" :
			"-f SCRIPT is required", usage);
		return 2;
	}
	pipeline_builder(&pl, &b);
	script_limits(mem_mb, time_s);
	rc = script_run_file(script, &b, &err);
	script_engine_shutdown();   /* the data path never enters Python */
	if (rc < 0 || pipeline_check(&pl, &err) < 0) {
		fprintf(stderr, "%s\n", kb_err_str(&err, ebuf, sizeof(ebuf)));
		pipeline_free(&pl);
		return 2;
	}
	if (check) {
		printf("kbswitch: %s: OK, %d modules\n", script, pl.n_mods);
		pipeline_free(&pl);
		return 0;
	}
	char main_opt[32];
	char **placed = place_default(&eal_argc, argv, main_opt, sizeof(main_opt));
	char **fit = kb_hugepages_fit("kbswitch", &eal_argc, placed ? placed : argv);

	if (rte_eal_init(eal_argc, fit ? fit : placed ? placed : argv) < 0) {
		fprintf(stderr, "kbswitch: EAL init failed: %s\n", rte_strerror(rte_errno));
		pipeline_free(&pl);
		free(placed);
		free(fit);
		return 1;
	}
	pl.core_ok = lcore_ok;
	pl.main_core = (int)rte_get_main_lcore();
	if (pipeline_check_cores(&pl, &err) < 0) {
		fprintf(stderr, "%s\n", kb_err_str(&err, ebuf, sizeof(ebuf)));
		rc = 2;
		goto out_free;
	}
	g_signal_pl = &pl;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* A control client that leaves before its reply must not kill the
	 * switch; ctl also sends with MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	if (pipeline_start(&pl, &err) < 0) {
		/* positioned like a script error when a module failed */
		fprintf(stderr, "%s%s\n", err.file[0] ? "" : "kbswitch: ",
			kb_err_str(&err, ebuf, sizeof(ebuf)));
		rc = 1;
		goto out_stop;
	}
	if (ctl_start(&ctl, &pl, ctl_path, &err) < 0) {
		fprintf(stderr, "kbswitch: %s\n", kb_err_str(&err, ebuf, sizeof(ebuf)));
		rc = 1;
		goto out_stop;
	}
	printf("kbswitch: running %s (%d modules), control socket %s, idle %s, main lcore %u%s\n",
	       script, pl.n_mods, ctl_path, pl.pure_poll ? "pure-poll" : "poll then block",
	       rte_get_main_lcore(), placed ? " (default placement: the last CPU)" : "");
	pipeline_show(&pl, "port", stdout);
	fflush(stdout);
	pipeline_run(&pl);
	ctl_stop(&ctl);
	printf("kbswitch: stopping; statistics:\n");
	pipeline_show(&pl, "pipeline", stdout);
	pipeline_show(&pl, "port", stdout);
	fflush(stdout);
out_stop:
	ctl_stop(&ctl);
	pipeline_stop(&pl);
out_free:
	pipeline_free(&pl);
	rte_eal_cleanup();
	free(placed);
	free(fit);
	return rc;
}
