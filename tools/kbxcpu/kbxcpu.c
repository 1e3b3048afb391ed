/* kbxcpu: how fast this host hands data from one CPU to another.
 *
 * A VM's bytes cross CPUs on their way through kbswitch (the sender's CPU,
 * the switch's, the receiver's).  On a VM whose vCPUs the host moves, that
 * hand-off speed changes over minutes (measured 44-45 GB/s in some spells,
 * 19-20 in others on the same VM), and bulk figures move with it, so
 * bench/run prints it next to its results.  One thread on CPU A copies a
 * 256 KB buffer in, one on CPU B copies it out, in turn (a spin flag hands
 * over); the figure is bytes handed over per second. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUF_SZ (256 * 1024)

struct xcpu {
	char *src, *mid, *dst;
	atomic_int turn;      /* 0: A copies in, 1: B copies out */
	atomic_long rounds;
	atomic_int stop;
	int cpu[2];
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* One side of the hand-off: side 0 (on cpu[0]) copies src into mid, side
 * 1 (on cpu[1]) copies mid into dst and counts a round; each waits for its
 * turn. */
struct side {
	struct xcpu *x;
	int id;
};

static void *side_main(void *arg)
{
	const struct side *sd = arg;
	struct xcpu *x = sd->x;
	char *to = sd->id ? x->dst : x->mid;
	const char *from = sd->id ? x->mid : x->src;

	if (pin(x->cpu[sd->id]))
		return (void *)1;
	while (!atomic_load(&x->stop)) {
		while (atomic_load(&x->turn) != sd->id)
			if (atomic_load(&x->stop))
				return NULL;
		memcpy(to, from, BUF_SZ);
		if (sd->id)
			atomic_fetch_add(&x->rounds, 1);
		atomic_store(&x->turn, !sd->id);
	}
	return NULL;
}

/* Runs the two threads for secs; prints the figure.  Returns the exit
 * status. */
static int measure(struct xcpu *x, double secs)
{
	pthread_t ta, tb;
	void *ra = NULL, *rb = NULL;
	struct side a = { x, 0 }, b = { x, 1 };

	memset(x->src, 1, BUF_SZ);
	memset(x->mid, 0, BUF_SZ);
	memset(x->dst, 0, BUF_SZ);
	if (pthread_create(&ta, NULL, side_main, &a)) {
		fprintf(stderr, "kbxcpu: cannot start a thread\n");
		return 1;
	}
	if (pthread_create(&tb, NULL, side_main, &b)) {
		atomic_store(&x->stop, 1);
		pthread_join(ta, NULL);
		fprintf(stderr, "kbxcpu: cannot start a thread\n");
		return 1;
	}
	/* a short warm-up: both threads placed, buffers in cache */
	struct timespec w = { 0, 50 * 1000 * 1000 };

	nanosleep(&w, NULL);
	long r0 = atomic_load(&x->rounds);
	double t0 = now_s();
	struct timespec d = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

	nanosleep(&d, NULL);
	long r1 = atomic_load(&x->rounds);
	double t1 = now_s();

	atomic_store(&x->stop, 1);
	pthread_join(ta, &ra);
	pthread_join(tb, &rb);
	if (ra || rb) {
		fprintf(stderr, "kbxcpu: cannot run on CPUs %d and %d\n", x->cpu[0], x->cpu[1]);
		return 1;
	}
	printf("kbxcpu: CPU %d -> CPU %d: %.1f GB/s handed over (%.2f us per 256 KB)\n",
	       x->cpu[0], x->cpu[1], (double)(r1 - r0) * BUF_SZ / (t1 - t0) / 1e9,
	       r1 > r0 ? (t1 - t0) / (double)(r1 - r0) * 1e6 : 0.0);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kbxcpu [-a CPU] [-b CPU] [-t SECONDS]\n"
		"Prints how many GB/s one CPU hands to another through the caches: a\n"
		"thread on CPU A copies 256 KB in, one on CPU B copies it out, in turn.\n"
		"  -a CPU      the writer's CPU (default 0)\n"
		"  -b CPU      the reader's CPU (default 1)\n"
		"  -t SECONDS  how long to measure (default 0.5, at most 60)\n"
		"  -h, --help  this text\n"
		"Both CPUs spin for the whole time: run it on an otherwise idle host.\n"
		"Exit status: 0 ok, 1 the CPUs cannot be used, 2 bad usage.\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || *out < lo || *out > hi ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct xcpu x = { .cpu = { 0, 1 } };
	double secs = 0.5, v;
	int c;

	while ((c = getopt_long(argc, argv, "a:b:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'a': case 'b':
			if (parse_num(optarg, 0, CPU_SETSIZE - 1, &v) || v != (int)v) {
				fprintf(stderr, "kbxcpu: -%c: expected a CPU number, got '%s'\n", c, optarg);
				return 2;
			}
			x.cpu[c == 'b'] = (int)v;
			break;
		case 't':
			if (parse_num(optarg, 0.05, 60, &secs)) {
				fprintf(stderr, "kbxcpu: -t: expected seconds in 0.05..60, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kbxcpu: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	x.src = aligned_alloc(4096, BUF_SZ);
	x.mid = aligned_alloc(4096, BUF_SZ);
	x.dst = aligned_alloc(4096, BUF_SZ);

	int rc = 1;

	if (x.src && x.mid && x.dst)
		rc = measure(&x, secs);
	else
		fprintf(stderr, "kbxcpu: out of memory\n");
	free(x.src);
	free(x.mid);
	free(x.dst);
	return rc;
}
