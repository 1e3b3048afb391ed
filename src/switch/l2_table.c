#include <stdlib.h>
#include <string.h>

#include "l2_table.h"

static size_t table_bytes(uint32_t size)
{
	return sizeof(struct l2_table) + (size_t)size * sizeof(struct l2_entry);
}

struct l2_table *l2_table_new(uint32_t size, uint32_t bucket)
{
	struct l2_table *t = calloc(1, table_bytes(size));

	if (!t)
		return NULL;
	t->size = size;
	t->bucket = bucket;
	t->mask = size / bucket - 1;
	return t;
}

struct l2_table *l2_table_clone(const struct l2_table *t)
{
	struct l2_table *c = malloc(table_bytes(t->size));

	if (c)
		memcpy(c, t, table_bytes(t->size));
	return c;
}

int l2_table_add(struct l2_table *t, uint64_t key, int gate)
{
	struct l2_entry *b = &t->e[(l2_hash(key) & t->mask) * t->bucket];
	struct l2_entry *free_slot = NULL;

	for (uint32_t i = 0; i < t->bucket; i++) {
		if (b[i].key == key)
			return -2;
		if (!b[i].key && !free_slot)
			free_slot = &b[i];
	}
	if (!free_slot)
		return -1;
	free_slot->gate = (uint64_t)gate;
	free_slot->key = key;
	t->count++;
	return 0;
}

int l2_table_del(struct l2_table *t, uint64_t key)
{
	struct l2_entry *b = &t->e[(l2_hash(key) & t->mask) * t->bucket];

	for (uint32_t i = 0; i < t->bucket; i++)
		if (b[i].key == key) {
			b[i].key = 0;
			t->count--;
			return 0;
		}
	return -1;
}
