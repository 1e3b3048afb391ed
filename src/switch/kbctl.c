/* kbctl: asks a running kbswitch through its control socket. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "kbctl.h"

static const char usage[] =
	"usage: kbctl [--ctl PATH] [-t SECONDS] COMMAND [ARGS...]\n"
	"  show port|module|pipeline       ports, modules, per-gate counters, workers\n"
	"  monitor port|pipeline [-n N]    per-second rates (pps, Mbps, drops) until Ctrl-C\n"
	"  capture MODULE[:GATE] [in|out] -w FILE [-c N]\n"
	"                                  copies of the frames through a gate, as pcap\n"
	"  command module NAME [CMD [ARGS...]]\n"
	"                                  a module's own command (without CMD: its list)\n"
	"  add l2 NAME MAC GATE            = command module NAME add MAC GATE (L2Forward)\n"
	"  del l2 NAME MAC                 = command module NAME delete MAC (L2Forward)\n"
	"  save FILE                       every L2Forward's table as script lines\n"
	"  --ctl PATH                      kbswitch's control socket (default /tmp/kbswitch.ctl)\n"
	"  -t, --timeout SECONDS           wait this long for a reply (default 5)\n"
	"  COMMAND --help                  help on one command\n";

static const char *const cmd_help[][2] = {
	{"show", "usage: kbctl show port|module|pipeline\n"
		 "Per-module 'drops' counts packets to unconnected gates and the module's\n"
		 "own drops (L2Forward misses and runts, QueueOut's full tx ring).\n"},
	{"add", "usage: kbctl add l2 NAME MAC GATE\n"
		"Adds MAC (02:00:00:00:00:01) -> output GATE to L2Forward NAME while it runs.\n"
		"The same as: kbctl command module NAME add MAC GATE\n"},
	{"del", "usage: kbctl del l2 NAME MAC\n"
		"Deletes MAC from L2Forward NAME while it runs.\n"
		"The same as: kbctl command module NAME delete MAC\n"},
	{"command", "usage: kbctl command module NAME [CMD [ARGS...]]\n"
		    "Runs command CMD of module NAME with ARGS, as BESS's `command module`.\n"
		    "The commands come from the module's class; without CMD (or with 'help')\n"
		    "kbctl lists NAME's commands and their arguments, e.g.\n"
		    "  kbctl command module l2               # L2Forward: add, delete, lookup, ...\n"
		    "  kbctl command module l2 add 02:00:00:00:00:03 1\n"},
	{"save", "usage: kbctl save FILE\n"
		 "Writes every L2Forward's table, as it is now (kbctl add/del included), as\n"
		 "script lines (NAME.clear() and NAME.add(entries=[...])) to FILE (written\n"
		 "whole, then renamed into place).  A script that runs FILE after its own\n"
		 "add() gets the run-time table back after a restart; conf/forward_script.bess\n"
		 "does that for $KB_L2_SAVED.\n"},
	{"monitor", "usage: kbctl monitor port|pipeline [-n COUNT]\n"
		    "Prints rates every second until Ctrl-C (or COUNT intervals): per port\n"
		    "received/sent packets and Mbit per second and drops per second (rx:\n"
		    "missed, errors, no mbuf; tx: errors and full tx rings); per connected\n"
		    "gate packets and Mbit per second, per module drops per second.\n"
		    "  -n, --count COUNT   stop after COUNT intervals\n"},
	{"capture", "usage: kbctl capture MODULE[:GATE] [in|out] -w FILE [-c N]\n"
		    "       kbctl capture MODULE in|out GATE -w FILE [-c N]\n"
		    "Writes copies of the frames passing output GATE (default 0) of MODULE, or\n"
		    "with 'in' its input GATE (as bessctl's `tcpdump MODULE [in|out] [GATE]`),\n"
		    "to FILE as pcap (tcpdump -r FILE, Wireshark); -w - writes to stdout.\n"
		    "Stops after N frames (-c) or on Ctrl-C, then reports the frames written and\n"
		    "the frames the switch dropped because this reader was behind (the switch\n"
		    "never waits for a capture).\n"
		    "  -w, --write FILE   the pcap file (required)\n"
		    "  -c, --count N      stop after N frames\n"},
};

static const char *help_of(const char *cmd)
{
	for (size_t h = 0; h < sizeof(cmd_help) / sizeof(cmd_help[0]); h++)
		if (!strcmp(cmd, cmd_help[h][0]))
			return cmd_help[h][1];
	return NULL;
}

/* Refuses a command with the wrong number of words before asking the switch
 * (the switch checks again). */
static int check_words(int argc, char **argv)
{
	const char *c = argv[0];
	int want = 0;

	if (!strcmp(c, "show"))
		want = 2;
	else if (!strcmp(c, "add"))
		want = 5;
	else if (!strcmp(c, "del"))
		want = 4;
	if (want && argc != want) {
		fprintf(stderr, "kbctl: %s: expected %d word%s after '%s', got %d\n%s", c, want - 1,
			want == 2 ? "" : "s", c, argc - 1, help_of(c));
		return -1;
	}
	if (!strcmp(c, "command") && (argc < 3 || strcmp(argv[1], "module"))) {
		fprintf(stderr, "kbctl: command: expected 'command module NAME [CMD [ARGS...]]'\n");
		return -1;
	}
	return 0;
}

/* save FILE: `command module NAME save` of each L2Forward `show module` lists. */
static int save(const struct kbctl *k, const char *file)
{
	char *mods, *body, tmp[4096], line[CTL_MAX_LINE];
	size_t mlen, len, n = 0;
	FILE *f;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp)) {
		fprintf(stderr, "kbctl: save: file name too long\n");
		return 2;
	}
	if (kbctl_request(k, "show module", &mods, &mlen) != 0)
		return 1;
	if (!(f = fopen(tmp, "w"))) {
		fprintf(stderr, "kbctl: save: %s: %s\n", tmp, strerror(errno));
		free(mods);
		return 1;
	}
	fprintf(f, "# kbctl save: L2Forward tables of %s\n", k->path);
	for (char *s = mods, *e; rc == 0 && s < mods + mlen; s = e + 1) {
		char *sep;

		if (!(e = memchr(s, '\n', (size_t)(mods + mlen - s))))
			e = mods + mlen;
		/* "NAME::L2Forward drops=..." */
		sep = memmem(s, (size_t)(e - s), "::L2Forward ", 12);
		if (!sep || sep - s >= 200 || memchr(s, ' ', (size_t)(sep - s)))
			continue;
		snprintf(line, sizeof(line), "command module %.*s save", (int)(sep - s), s);
		if (kbctl_request(k, line, &body, &len) != 0) {
			rc = 1;
			break;
		}
		fwrite(body, 1, len, f);
		free(body);
		n++;
	}
	free(mods);
	if (fclose(f) != 0 || rc) {
		unlink(tmp);
		return rc ? rc : 1;
	}
	if (rename(tmp, file) < 0) {
		fprintf(stderr, "kbctl: save: %s: %s\n", file, strerror(errno));
		unlink(tmp);
		return 1;
	}
	printf("kbctl: saved %zu L2Forward table%s to %s\n", n, n == 1 ? "" : "s", file);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	kbctl_interrupted = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ctl", required_argument, NULL, 'C'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kbctl k = {.path = "/tmp/kbswitch.ctl", .timeout_s = 5};
	struct sigaction sa = {.sa_handler = on_signal};
	char line[CTL_MAX_LINE] = "", *body, *end;
	size_t len;
	int c, rc;

	/* Global options come before the command; the command's own follow it. */
	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': k.path = optarg; break;
		case 't':
			k.timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || !(k.timeout_s >= 0.001 && k.timeout_s <= 86400)) {
				fprintf(stderr, "kbctl: --timeout expects seconds in 0.001..86400, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fputs(usage, stderr);
		return 2;
	}
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(help_of(argv[0]) ? help_of(argv[0]) : usage, stdout);
			return 0;
		}
	/* SIGPIPE would kill kbctl without a word when the switch hangs up;
	 * sends use MSG_NOSIGNAL, and this covers stdout into a closed pipe. */
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: waits see EINTR */
	sigaction(SIGTERM, &sa, NULL);
	if (!strcmp(argv[0], "monitor"))
		return kbctl_monitor(&k, argc, argv);
	if (!strcmp(argv[0], "capture"))
		return kbctl_capture(&k, argc, argv);
	if (!strcmp(argv[0], "save")) {
		if (argc != 2) {
			fprintf(stderr, "kbctl: save: expected 'save FILE'\n%s", help_of("save"));
			return 2;
		}
		return save(&k, argv[1]);
	}
	if (!help_of(argv[0])) {
		fprintf(stderr, "kbctl: unknown command '%s'\n%s", argv[0], usage);
		return 2;
	}
	if (check_words(argc, argv) < 0)
		return 2;
	for (int i = 0; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + 2 >= sizeof(line)) {
			fprintf(stderr, "kbctl: command longer than %d bytes\n", CTL_MAX_LINE - 2);
			return 2;
		}
		if (strpbrk(argv[i], " \t\r\n") || !argv[i][0]) {
			fprintf(stderr, "kbctl: argument '%s' is empty or holds white space\n", argv[i]);
			return 2;
		}
		strcat(line, i ? " " : "");
		strcat(line, argv[i]);
	}
	rc = kbctl_request(&k, line, &body, &len);
	if (rc < 0)
		return 1;
	fwrite(body, 1, len, rc ? stderr : stdout);
	free(body);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "kbctl: writing the reply: stdout failed\n");
		return 1;
	}
	return rc;
}
