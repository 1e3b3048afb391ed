/* kbrssbench: soft RSS cost, ours (table-driven) vs DPDK's rte_softrss
 * (bit by bit), over the same N random tuples.  Run under callgrind (see
 * bench/dpdk_rss.sh), whose instruction counts are stable on a noisy host;
 * also prints a wall-clock ns/hash that is only indicative here.
 *   kbrssbench [N] [ours|dpdk|both] */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_thash.h>

#include "dpdk_api.h"
#include "softrss.h"

static uint64_t ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Kept out of line so callgrind attributes the cost to exactly one function. */
__attribute__((noinline)) uint32_t bench_ours(const uint32_t *tu, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++, tu += 3)
		acc ^= dpdk_softrss_hash(tu[0], tu[1], (uint16_t)tu[2], (uint16_t)(tu[2] >> 16));
	return acc;
}

__attribute__((noinline)) uint32_t bench_dpdk(const uint32_t *tu, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++, tu += 3) {
		/* rte_softrss wants host-order words: saddr, daddr, sport<<16|dport */
		uint32_t in[3] = { ntohl(tu[0]), ntohl(tu[1]),
				   (uint32_t)ntohs((uint16_t)tu[2]) << 16 | ntohs((uint16_t)(tu[2] >> 16)) };

		acc ^= rte_softrss(in, 3, softrss_sym_key);
	}
	return acc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: kbrssbench [N] [ours|dpdk|both]\n"
		       "  hashes N random IPv4 4-tuples with the layer's table-driven soft RSS\n"
		       "  and/or rte_softrss; checks both agree and prints ns/hash\n");
		return 0;
	}
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *which = argc > 2 ? argv[2] : "both";
	uint32_t *tu = malloc(n * 3 * sizeof(*tu));

	if (!n || !tu)
		return 2;
	srandom(42);
	for (size_t i = 0; i < n * 3; i++)
		tu[i] = (uint32_t)random() ^ (uint32_t)random() << 16;
	for (size_t i = 0; i < n && i < 1000; i++) {
		uint32_t in[3] = { ntohl(tu[3 * i]), ntohl(tu[3 * i + 1]),
				   (uint32_t)ntohs((uint16_t)tu[3 * i + 2]) << 16 |
				   ntohs((uint16_t)(tu[3 * i + 2] >> 16)) };

		if (rte_softrss(in, 3, softrss_sym_key) !=
		    dpdk_softrss_hash(tu[3 * i], tu[3 * i + 1], (uint16_t)tu[3 * i + 2],
				      (uint16_t)(tu[3 * i + 2] >> 16))) {
			fprintf(stderr, "kbrssbench: hashes differ at tuple %zu\n", i);
			return 1;
		}
	}
	uint32_t acc = 0;

	if (strcmp(which, "dpdk")) {
		uint64_t t = ns();

		acc ^= bench_ours(tu, n);
		printf("ours: %.1f ns/hash\n", (double)(ns() - t) / (double)n);
	}
	if (strcmp(which, "ours")) {
		uint64_t t = ns();

		acc ^= bench_dpdk(tu, n);
		printf("rte_softrss: %.1f ns/hash\n", (double)(ns() - t) / (double)n);
	}
	printf("xor of all hashes, both ways: %08x (0 = they agree)\n", acc);
	free(tu);
	return 0;
}
