/* sw_l2tab: MAC -> gate table of L2Forward, set-associative.
 *
 * `size` entries in size/bucket buckets of `bucket` ways; a MAC hashes to
 * one bucket and lives in one of its ways, so lookup touches one or two
 * cache lines and delete needs no tombstones.  A full bucket is an error
 * the user sees (add fails), never a silent eviction.  Readers never lock:
 * updates build a new table and swap the pointer (see L2Forward). */
#ifndef SW_L2TAB_H
#define SW_L2TAB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SW_L2_VALID (1ull << 48)

struct sw_l2ent {
	uint64_t key;     /* MAC in the low 48 bits, SW_L2_VALID when used */
	uint64_t gate;
};

struct sw_l2tab {
	uint32_t size, bucket, mask;   /* mask = buckets - 1 */
	uint32_t count;
	struct sw_l2ent e[];
};

static inline uint64_t sw_mac_key(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static inline struct sw_l2ent *sw_l2_bucket(const struct sw_l2tab *t, uint64_t mac)
{
	uint64_t h = (mac * 0x9e3779b97f4a7c15ull) >> 32;
	return (struct sw_l2ent *)&t->e[(h & t->mask) * t->bucket];
}

/* The gate of mac, or -1. */
static inline int sw_l2_lookup(const struct sw_l2tab *t, uint64_t mac)
{
	const struct sw_l2ent *b = sw_l2_bucket(t, mac);
	for (uint32_t i = 0; i < t->bucket; i++)
		if (b[i].key == (mac | SW_L2_VALID))
			return (int)b[i].gate;
	return -1;
}

struct sw_l2tab *sw_l2_new(uint32_t size, uint32_t bucket);
struct sw_l2tab *sw_l2_clone(const struct sw_l2tab *t);
/* 0; -1 when the MAC is present (dup) or its bucket is full (full). */
int sw_l2_add(struct sw_l2tab *t, uint64_t mac, int gate, int *dup);
/* 0, or -1 when absent. */
int sw_l2_del(struct sw_l2tab *t, uint64_t mac);

#endif
