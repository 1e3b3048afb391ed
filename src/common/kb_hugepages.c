/* kb_hugepages.c: hugepages a DPDK process can still get (libc only). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_hugepages.h"

long kb_hugepages_free_mb(const char *meminfo, const char *mounts)
{
	char line[512];
	bool mounted = false;
	long free_pages = 0, rsvd = 0, page_kb = 2048;
	FILE *f = fopen(mounts ? mounts : "/proc/mounts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " hugetlbfs "))
			mounted = true;
	fclose(f);
	if (!mounted || !(f = fopen(meminfo ? meminfo : "/proc/meminfo", "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Free: %ld", &free_pages);
		sscanf(line, "HugePages_Rsvd: %ld", &rsvd);
		sscanf(line, "Hugepagesize: %ld kB", &page_kb);
	}
	fclose(f);
	return free_pages > rsvd ? (free_pages - rsvd) * page_kb / 1024 : 0;
}

/* -m MB, -mMB (EAL's getopt forms); -1 when absent or not a number */
static long mem_opt(int argc, char **argv, int i)
{
	const char *v = argv[i][2] ? argv[i] + 2 : i + 1 < argc ? argv[i + 1] : NULL;
	char *end;
	long mb;

	if (!v)
		return -1;
	mb = strtol(v, &end, 10);
	return end != v && !*end && mb > 0 ? mb : -1;
}

int kb_hugepages_fit_args(int argc, char **argv, char **out, int max, long free_mb,
			  long *asked_mb)
{
	int eal = argc, in_memory = -1, n = 0;
	bool shconf = true;
	long mb = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			eal = i;
			break;
		}
		if (!strcmp(argv[i], "--in-memory"))
			in_memory = i;
		else if (!strcmp(argv[i], "--no-huge"))
			return 0;
		else if (!strcmp(argv[i], "--no-shconf"))
			shconf = false;
		else if (!strncmp(argv[i], "-m", 2))
			mb = mem_opt(argc, argv, i);
	}
	if (asked_mb)
		*asked_mb = mb;
	if (in_memory < 0 || mb < 0 || free_mb >= mb)
		return 0;
	if (argc + 2 > max)
		return -1;
	for (int i = 0; i < argc; i++) {
		if (i == eal && shconf)
			out[n++] = "--no-shconf";
		out[n++] = i == in_memory ? "--no-huge" : argv[i];
	}
	if (eal == argc && shconf)
		out[n++] = "--no-shconf";
	out[n] = NULL;
	return n;
}

char **kb_hugepages_fit(const char *prog, int *argc, char **argv)
{
	long free_mb = kb_hugepages_free_mb(NULL, NULL), mb;
	char **out = calloc((size_t)*argc + 2, sizeof(*out));
	int n = out ? kb_hugepages_fit_args(*argc, argv, out, *argc + 2, free_mb, &mb) : 0;

	if (n <= 0) {
		free(out);
		return NULL;
	}
	fprintf(stderr, "%s: -m %ld asks for hugepages, but only %ld MB are free "
		"(the machine's pages are shared): --no-huge\n", prog, mb, free_mb);
	*argc = n;
	return out;
}
