/* l2_table: open-addressing MAC -> gate table with fixed-size buckets.
 *
 * Immutable once published: the control side clones, edits and swaps it
 * (module_l2forward.c), so the data path reads it without locks. */
#ifndef KB_SWITCH_L2_TABLE_H
#define KB_SWITCH_L2_TABLE_H

#include <stdint.h>

#define L2_VALID (1ull << 63)

struct l2_entry {
	uint64_t key;     /* MAC in the low 48 bits | L2_VALID */
	uint64_t gate;
};

struct l2_table {
	uint32_t size;        /* entries in all, a power of two */
	uint32_t bucket;      /* entries per bucket, a power of two <= size */
	uint32_t mask;        /* bucket index mask */
	uint32_t count;
	struct l2_entry e[];
};

static inline uint64_t l2_mac_key(const uint8_t *mac)
{
	return ((uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		(uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5]) | L2_VALID;
}

static inline uint32_t l2_hash(uint64_t key)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32);
}

/* The gate for key, or -1. */
static inline int l2_lookup(const struct l2_table *t, uint64_t key)
{
	const struct l2_entry *b = &t->e[(l2_hash(key) & t->mask) * t->bucket];

	for (uint32_t i = 0; i < t->bucket; i++)
		if (b[i].key == key)
			return (int)b[i].gate;
	return -1;
}

struct l2_table *l2_table_new(uint32_t size, uint32_t bucket);
struct l2_table *l2_table_clone(const struct l2_table *t);
/* 0; -1 when the key's bucket is full; -2 when the key is present. */
int l2_table_add(struct l2_table *t, uint64_t key, int gate);
/* 0, or -1 when absent. */
int l2_table_del(struct l2_table *t, uint64_t key);

#endif
