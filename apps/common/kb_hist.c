#include <string.h>

#include "kb_hist.h"

void kb_hist_init(struct kb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned kb_hist_index(uint64_t v)
{
	if (v < KB_HIST_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);   /* >= SUB_BITS */
	unsigned sub = (unsigned)(v >> (e - KB_HIST_SUB_BITS)) & (KB_HIST_SUB - 1);
	return (e - KB_HIST_SUB_BITS + 1) * KB_HIST_SUB + sub;
}

void kb_hist_range(unsigned idx, uint64_t *lo, uint64_t *hi)
{
	if (idx < KB_HIST_SUB) {
		*lo = *hi = idx;
		return;
	}
	unsigned e = idx / KB_HIST_SUB + KB_HIST_SUB_BITS - 1;
	uint64_t sub = idx % KB_HIST_SUB;
	uint64_t w = 1ull << (e - KB_HIST_SUB_BITS);
	*lo = (1ull << e) + sub * w;
	*hi = *lo + w - 1;
}

void kb_hist_add(struct kb_hist *h, uint64_t v)
{
	h->bucket[kb_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void kb_hist_merge(struct kb_hist *into, const struct kb_hist *from)
{
	for (unsigned i = 0; i < KB_HIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t kb_hist_pct(const struct kb_hist *h, double p)
{
	if (!h->count)
		return 0;
	/* rank of the sample at p, 1-based, rounded up (nearest-rank method) */
	double r = p / 100.0 * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < KB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t lo, hi;
			kb_hist_range(i, &lo, &hi);
			return hi > h->max ? h->max : hi < h->min ? h->min : hi;
		}
	}
	return h->max;
}
