#include "tcp_rcvbuf.h"

#include <stdlib.h>
#include <string.h>

#include "tcp_seq.h"

int rcvbuf_init(struct tcp_rcvbuf *rb, uint32_t cap, uint32_t seq)
{
	memset(rb, 0, sizeof(*rb));
	rb->buf = malloc(cap);
	if (!rb->buf)
		return -1;
	rb->cap = cap;
	rcvbuf_reset(rb, seq);
	return 0;
}

void rcvbuf_free(struct tcp_rcvbuf *rb)
{
	free(rb->buf);
	rb->buf = NULL;
}

void rcvbuf_reset(struct tcp_rcvbuf *rb, uint32_t seq)
{
	rb->head_seq = rb->nxt = seq;
	rb->head_pos = 0;
	rb->n_ooo = 0;
	rb->stamp = 0;
}

static void ring_put(struct tcp_rcvbuf *rb, uint32_t seq, const uint8_t *d,
		     uint32_t len)
{
	uint32_t off = (uint32_t)(seq - rb->head_seq);
	uint32_t pos = (uint32_t)(((uint64_t)rb->head_pos + off) % rb->cap);
	uint32_t first = rb->cap - pos < len ? rb->cap - pos : len;

	memcpy(rb->buf + pos, d, first);
	if (first < len)
		memcpy(rb->buf, d + first, len - first);
}

static void ooo_remove(struct tcp_rcvbuf *rb, int i)
{
	memmove(&rb->ooo[i], &rb->ooo[i + 1],
		(size_t)(rb->n_ooo - i - 1) * sizeof(rb->ooo[0]));
	rb->n_ooo--;
}

/* Add [s,e) to the sorted disjoint list, merging neighbours it touches.
 * Returns false when it needs a new slot and none is free. */
static bool ooo_add(struct tcp_rcvbuf *rb, uint32_t s, uint32_t e)
{
	int i = 0;

	while (i < rb->n_ooo && seq_lt(rb->ooo[i].end, s))
		i++;
	if (i == rb->n_ooo || seq_lt(e, rb->ooo[i].start)) {
		if (rb->n_ooo == RCVBUF_MAX_OOO)
			return false;
		memmove(&rb->ooo[i + 1], &rb->ooo[i],
			(size_t)(rb->n_ooo - i) * sizeof(rb->ooo[0]));
		rb->ooo[i] = (struct rcv_range){ s, e, ++rb->stamp };
		rb->n_ooo++;
		return true;
	}
	/* overlaps or touches ooo[i]: grow it, then swallow followers */
	rb->ooo[i].start = seq_min(rb->ooo[i].start, s);
	rb->ooo[i].end = seq_max(rb->ooo[i].end, e);
	rb->ooo[i].stamp = ++rb->stamp;
	while (i + 1 < rb->n_ooo && seq_leq(rb->ooo[i + 1].start, rb->ooo[i].end)) {
		rb->ooo[i].end = seq_max(rb->ooo[i].end, rb->ooo[i + 1].end);
		ooo_remove(rb, i + 1);
	}
	return true;
}

enum rcv_insert_result rcvbuf_insert(struct tcp_rcvbuf *rb, uint32_t seq,
				     const uint8_t *data, uint32_t len,
				     uint32_t *advanced)
{
	uint32_t end = seq + len;
	uint32_t limit = rb->head_seq + rb->cap;

	*advanced = 0;
	if (seq_lt(seq, rb->nxt)) {
		if (seq_leq(end, rb->nxt))
			return RCV_OLD;
		data += rb->nxt - seq;
		seq = rb->nxt;
	}
	if (seq_gt(end, limit))
		end = limit;
	if (seq_leq(end, seq))
		return RCV_OLD;
	len = end - seq;

	if (seq != rb->nxt) {
		/* already fully held? then it is a duplicate */
		for (int i = 0; i < rb->n_ooo; i++)
			if (seq_geq(seq, rb->ooo[i].start) && seq_leq(end, rb->ooo[i].end))
				return RCV_OLD;
		if (!ooo_add(rb, seq, end))
			return RCV_NO_RANGE;
		ring_put(rb, seq, data, len);
		return RCV_OOO;
	}
	ring_put(rb, seq, data, len);
	uint32_t old = rb->nxt;

	rb->nxt = end;
	while (rb->n_ooo && seq_leq(rb->ooo[0].start, rb->nxt)) {
		rb->nxt = seq_max(rb->nxt, rb->ooo[0].end);
		ooo_remove(rb, 0);
	}
	*advanced = rb->nxt - old;
	return RCV_IN_ORDER;
}

uint32_t rcvbuf_read(struct tcp_rcvbuf *rb, uint8_t *dst, uint32_t len)
{
	uint32_t avail = rcvbuf_readable(rb);

	if (len > avail)
		len = avail;
	if (dst && len) {
		uint32_t pos = rb->head_pos;
		uint32_t first = rb->cap - pos < len ? rb->cap - pos : len;

		memcpy(dst, rb->buf + pos, first);
		if (first < len)
			memcpy(dst + first, rb->buf, len - first);
	}
	rb->head_pos = (uint32_t)(((uint64_t)rb->head_pos + len) % rb->cap);
	rb->head_seq += len;
	return len;
}

int rcvbuf_sack_blocks(const struct tcp_rcvbuf *rb, uint32_t (*blk)[2], int max)
{
	bool used[RCVBUF_MAX_OOO] = { false };
	int n = 0;

	while (n < max && n < rb->n_ooo) {
		int best = -1;

		for (int i = 0; i < rb->n_ooo; i++)
			if (!used[i] && (best < 0 ||
					 (int32_t)(rb->ooo[i].stamp - rb->ooo[best].stamp) > 0))
				best = i;
		used[best] = true;
		blk[n][0] = rb->ooo[best].start;
		blk[n][1] = rb->ooo[best].end;
		n++;
	}
	return n;
}
