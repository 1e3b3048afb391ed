/* kb_hist: a log-linear latency histogram (HdrHistogram-like).
 *
 * Values (nanoseconds) below 32 get exact buckets; above, each power of two
 * is split into 32 buckets, so a reported percentile is within ~3% of the
 * truth at any scale, in fixed memory, with O(1) recording and merging
 * (one histogram per worker thread, merged at the end). */
#ifndef KB_HIST_H
#define KB_HIST_H

#include <stdint.h>

#define KB_HIST_SUB_BITS 5
#define KB_HIST_SUB      (1u << KB_HIST_SUB_BITS)
#define KB_HIST_BUCKETS  ((64 - KB_HIST_SUB_BITS + 1) * KB_HIST_SUB)

struct kb_hist {
	uint64_t count;
	uint64_t min, max;
	uint64_t sum;
	uint64_t bucket[KB_HIST_BUCKETS];
};

void kb_hist_init(struct kb_hist *h);
void kb_hist_add(struct kb_hist *h, uint64_t v);
void kb_hist_merge(struct kb_hist *into, const struct kb_hist *from);
/* Value at percentile p (0..100): the upper bound of the bucket holding it,
 * clamped to the exact max.  0 for an empty histogram. */
uint64_t kb_hist_pct(const struct kb_hist *h, double p);
/* Bucket index of v and the inclusive range a bucket covers. */
unsigned kb_hist_index(uint64_t v);
void kb_hist_range(unsigned idx, uint64_t *lo, uint64_t *hi);

#endif
