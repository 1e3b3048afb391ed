/* kbctl monitor port|pipeline: rates from two "stats" snapshots a second
 * apart, as bessctl's `monitor port`.  The switch reports counters and its
 * own monotonic time; the rates are the counters' differences over that
 * time, so a late kbctl wakeup does not skew them. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kbctl.h"

#define MON_MAX_ROWS 4096
#define MON_COLS 6

struct row {
	char kind;               /* 'p' port, 'g' gate, 'm' module */
	char name[160];
	uint64_t v[MON_COLS];
};

struct snap {
	uint64_t t_ns;
	int n;
	struct row r[MON_MAX_ROWS];
};

static int parse_line(char *l, struct snap *s)
{
	struct row *r = &s->r[s->n];
	char kind[8], extra;
	int n;

	if (sscanf(l, "time %" SCNu64 "%c", &s->t_ns, &extra) == 1)
		return 0;
	if (s->n == MON_MAX_ROWS)
		return -1;
	memset(r, 0, sizeof(*r));
	n = sscanf(l, "%7s %159s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 "%c", kind, r->name, &r->v[0], &r->v[1], &r->v[2], &r->v[3],
		   &r->v[4], &r->v[5], &extra);
	if (!strcmp(kind, "port") && n == 8)
		r->kind = 'p';
	else if (!strcmp(kind, "gate") && n == 4)
		r->kind = 'g';
	else if (!strcmp(kind, "module") && n == 3)
		r->kind = 'm';
	else
		return -1;
	s->n++;
	return 0;
}

static int snapshot(const struct kbctl *k, struct snap *s)
{
	char *body, *save, *l;
	size_t len;
	int rc = kbctl_request(k, "stats", &body, &len);

	if (rc != 0) {
		if (rc > 0)
			fputs(body, stderr);
		free(body);
		return -1;
	}
	s->n = 0;
	s->t_ns = 0;
	for (l = strtok_r(body, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (parse_line(l, s) < 0) {
			free(body);
			return kbctl_malformed(k, "a stats line kbctl cannot read");
		}
	free(body);
	if (!s->t_ns)
		return kbctl_malformed(k, "stats without a time");
	return 0;
}

static const struct row *find(const struct snap *s, const struct row *r)
{
	for (int i = 0; i < s->n; i++)
		if (s->r[i].kind == r->kind && !strcmp(s->r[i].name, r->name))
			return &s->r[i];
	return NULL;
}

/* A counter that went down (a port restarted) reads as 0, not as 2^64. */
static double rate(uint64_t now, uint64_t then, double dt)
{
	return now >= then ? (double)(now - then) / dt : 0;
}

static void print_interval(const struct snap *a, const struct snap *b, bool ports)
{
	double dt = (double)(b->t_ns - a->t_ns) / 1e9;
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%03ld  interval %.3f s\n", when, ts.tv_nsec / 1000000, dt);
	if (ports)
		printf("  %-20s %12s %10s %10s %12s %10s %10s\n", "port", "rx_pps", "rx_Mbps",
		       "rx_drop/s", "tx_pps", "tx_Mbps", "tx_drop/s");
	else
		printf("  %-36s %12s %10s\n", "gate", "pps", "Mbps");
	for (int i = 0; i < b->n; i++) {
		const struct row *r = &b->r[i], *o = find(a, r);
		if (!o || r->kind != (ports ? 'p' : 'g'))
			continue;
		if (ports)
			printf("  %-20s %12.0f %10.3f %10.0f %12.0f %10.3f %10.0f\n", r->name,
			       rate(r->v[0], o->v[0], dt), rate(r->v[1], o->v[1], dt) * 8 / 1e6,
			       rate(r->v[2], o->v[2], dt), rate(r->v[3], o->v[3], dt),
			       rate(r->v[4], o->v[4], dt) * 8 / 1e6, rate(r->v[5], o->v[5], dt));
		else
			printf("  %-36s %12.0f %10.3f\n", r->name, rate(r->v[0], o->v[0], dt),
			       rate(r->v[1], o->v[1], dt) * 8 / 1e6);
	}
	if (!ports) {
		printf("  %-36s %12s\n", "module", "drop/s");
		for (int i = 0; i < b->n; i++) {
			const struct row *r = &b->r[i], *o = find(a, r);
			if (o && r->kind == 'm')
				printf("  %-36s %12.0f\n", r->name, rate(r->v[0], o->v[0], dt));
		}
	}
	fflush(stdout);
}

int kbctl_monitor(const struct kbctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"count", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct snap *s[2];
	long long count = -1;
	bool ports;
	char *end;
	int c, rc = 0;

	optind = 0;   /* 0: GNU getopt forgets the "+" of the global options */
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: kbctl monitor port|pipeline [-n COUNT]\n");
			return 2;
		}
		count = strtoll(optarg, &end, 10);
		if (end == optarg || *end || count < 1 || count > 1000000000) {
			fprintf(stderr, "kbctl: monitor: -n expects a count of intervals >= 1, got '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "port") && strcmp(argv[optind], "pipeline"))) {
		fprintf(stderr, "usage: kbctl monitor port|pipeline [-n COUNT]\n");
		return 2;
	}
	ports = !strcmp(argv[optind], "port");
	if (!(s[0] = malloc(sizeof(*s[0]))) || !(s[1] = malloc(sizeof(*s[1])))) {
		fprintf(stderr, "kbctl: out of memory\n");
		return 1;
	}
	if (snapshot(k, s[0]) < 0) {
		rc = 1;
		goto out;
	}
	if (count < 0)
		fprintf(stderr, "kbctl: monitoring %s every second (Ctrl-C stops)\n", argv[optind]);
	for (long long i = 0; (count < 0 || i < count) && !kbctl_interrupted; i++) {
		struct snap *t;
		struct timespec one = {1, 0};

		/* Interrupted: stop quietly, as bessctl does on Ctrl-C. */
		if (nanosleep(&one, NULL) < 0 && kbctl_interrupted)
			break;
		if (snapshot(k, s[1]) < 0) {
			rc = kbctl_interrupted ? 0 : 1;
			break;
		}
		if (s[1]->t_ns <= s[0]->t_ns) {
			kbctl_malformed(k, "stats time did not advance");
			rc = 1;
			break;
		}
		print_interval(s[0], s[1], ports);
		t = s[0];
		s[0] = s[1];
		s[1] = t;
	}
out:
	free(s[0]);
	free(s[1]);
	return rc;
}
