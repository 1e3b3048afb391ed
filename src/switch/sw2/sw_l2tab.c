#include "sw_l2tab.h"

struct sw_l2tab *sw_l2_new(uint32_t size, uint32_t bucket)
{
	struct sw_l2tab *t = calloc(1, sizeof(*t) + size * sizeof(struct sw_l2ent));
	if (!t)
		return NULL;
	t->size = size;
	t->bucket = bucket;
	t->mask = size / bucket - 1;
	return t;
}

struct sw_l2tab *sw_l2_clone(const struct sw_l2tab *t)
{
	size_t sz = sizeof(*t) + t->size * sizeof(struct sw_l2ent);
	struct sw_l2tab *c = malloc(sz);
	if (c)
		memcpy(c, t, sz);
	return c;
}

int sw_l2_add(struct sw_l2tab *t, uint64_t mac, int gate, int *dup)
{
	struct sw_l2ent *b = sw_l2_bucket(t, mac), *free_slot = NULL;
	*dup = 0;
	for (uint32_t i = 0; i < t->bucket; i++) {
		if (b[i].key == (mac | SW_L2_VALID)) {
			*dup = 1;
			return -1;
		}
		if (!(b[i].key & SW_L2_VALID) && !free_slot)
			free_slot = &b[i];
	}
	if (!free_slot)
		return -1;
	free_slot->key = mac | SW_L2_VALID;
	free_slot->gate = (uint64_t)gate;
	t->count++;
	return 0;
}

int sw_l2_del(struct sw_l2tab *t, uint64_t mac)
{
	struct sw_l2ent *b = sw_l2_bucket(t, mac);
	for (uint32_t i = 0; i < t->bucket; i++)
		if (b[i].key == (mac | SW_L2_VALID)) {
			b[i].key = 0;
			t->count--;
			return 0;
		}
	return -1;
}
