/* kb_hugepages: the hugepages a new DPDK process can still get, counted as
 * EAL counts them, and --no-huge when they are too few at EAL init. */
#ifndef KB_HUGEPAGES_H
#define KB_HUGEPAGES_H

/* MB of hugepages a process can map now: (HugePages_Free - HugePages_Rsvd)
 * x Hugepagesize, as EAL counts them (a page another process has mapped
 * but not touched yet is free, yet spoken for), or 0 when no hugetlbfs is
 * mounted.  meminfo and mounts: NULL for /proc/meminfo and /proc/mounts. */
long kb_hugepages_free_mb(const char *meminfo, const char *mounts);

/* The hugepages scripts/eal-mem.sh chose by counting free pages may be
 * gone when EAL starts (the machine's pages are shared; another process
 * took them in between), and EAL then fails ("Cannot get hugepage
 * information", "Not enough memory available").  When the EAL options of
 * argv (before "--") ask for --in-memory with -m MB and fewer than MB are
 * free (free_mb), out gets argv with --in-memory turned into --no-huge and
 * --no-shconf added: what eal-mem.sh would have chosen.  out has room for
 * max pointers (argc + 2 is enough).  Returns out's argc, 0 when argv
 * needs no change, -1 when out is too small. */
int kb_hugepages_fit_args(int argc, char **argv, char **out, int max, long free_mb,
			  long *asked_mb);

/* kb_hugepages_fit_args on this machine's free hugepages, for a program's
 * main() right before rte_eal_init(): a new argv (to free; *argc updated)
 * after one line on stderr that says why, or NULL when argv stays. */
char **kb_hugepages_fit(const char *prog, int *argc, char **argv);

#endif
