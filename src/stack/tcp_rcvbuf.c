#include "tcp_rcvbuf.h"

#include <stdlib.h>
#include <string.h>

#include "tcp_seq.h"

#define PIECE(rb, i) (&(rb)->p[((rb)->head + (i)) & ((rb)->n_max - 1)])

uint32_t rcvbuf_slots(uint32_t cap)
{
	/* about one slot per 512 bytes of window: small segments are copied
	 * together, so this is room for the worst mix of sizes */
	return tcp_buf_ring_size(cap / 512 + 64, 64);
}

void rcvbuf_setup(struct tcp_rcvbuf *rb, const struct tcp_bufops *bo, uint32_t cap,
		  struct rcv_piece *ring, uint32_t seq)
{
	memset(rb, 0, sizeof(*rb));
	rb->p = ring;
	rb->bo = bo;
	rb->n_max = rcvbuf_slots(cap);
	rb->cap = cap;
	rcvbuf_reset(rb, seq);
}

int rcvbuf_init(struct tcp_rcvbuf *rb, const struct tcp_bufops *bo, uint32_t cap, uint32_t seq)
{
	struct rcv_piece *ring = calloc(rcvbuf_slots(cap), sizeof(*ring));

	if (!ring)
		return -1;
	rcvbuf_setup(rb, bo, cap, ring, seq);
	rb->owns_ring = true;
	return 0;
}

static void drop_pieces(struct tcp_rcvbuf *rb)
{
	for (uint32_t i = 0; i < rb->n; i++)
		rb->bo->free(rb->bo->arg, PIECE(rb, i)->f.buf);
	rb->n = rb->head = rb->n_ooo_pieces = 0;
}

void rcvbuf_free(struct tcp_rcvbuf *rb)
{
	if (rb->p)
		drop_pieces(rb);
	if (rb->owns_ring) {
		free(rb->p);
		rb->p = NULL;
	}
}

void rcvbuf_reset(struct tcp_rcvbuf *rb, uint32_t seq)
{
	drop_pieces(rb);
	rb->head_seq = rb->nxt = seq;
	rb->n_ooo = 0;
	rb->stamp = 0;
}

static void ooo_remove(struct tcp_rcvbuf *rb, int i)
{
	memmove(&rb->ooo[i], &rb->ooo[i + 1],
		(size_t)(rb->n_ooo - i - 1) * sizeof(rb->ooo[0]));
	rb->n_ooo--;
}

/* Would [s,e) fit in the range list (touch a range, or a free slot)? */
static bool ooo_fits(const struct tcp_rcvbuf *rb, uint32_t s, uint32_t e)
{
	if (rb->n_ooo < RCVBUF_MAX_OOO)
		return true;
	for (int i = 0; i < rb->n_ooo; i++)
		if (seq_geq(rb->ooo[i].end, s) && seq_leq(rb->ooo[i].start, e))
			return true;
	return false;
}

/* Add [s,e) to the sorted disjoint list, merging neighbours it touches
 * (ooo_fits() said it fits). */
static void ooo_add(struct tcp_rcvbuf *rb, uint32_t s, uint32_t e)
{
	int i = 0;

	while (i < rb->n_ooo && seq_lt(rb->ooo[i].end, s))
		i++;
	if (i == rb->n_ooo || seq_lt(e, rb->ooo[i].start)) {
		memmove(&rb->ooo[i + 1], &rb->ooo[i],
			(size_t)(rb->n_ooo - i) * sizeof(rb->ooo[0]));
		rb->ooo[i] = (struct rcv_range){ s, e, ++rb->stamp };
		rb->n_ooo++;
		return;
	}
	/* overlaps or touches ooo[i]: grow it, then swallow followers */
	rb->ooo[i].start = seq_min(rb->ooo[i].start, s);
	rb->ooo[i].end = seq_max(rb->ooo[i].end, e);
	rb->ooo[i].stamp = ++rb->stamp;
	while (i + 1 < rb->n_ooo && seq_leq(rb->ooo[i + 1].start, rb->ooo[i].end)) {
		rb->ooo[i].end = seq_max(rb->ooo[i].end, rb->ooo[i + 1].end);
		ooo_remove(rb, i + 1);
	}
}

/* A slot for a piece at seq, in sorted position. */
static struct rcv_piece *piece_slot(struct tcp_rcvbuf *rb, uint32_t seq, bool ooo)
{
	if (rb->n == rb->n_max || (ooo && rb->n_ooo_pieces >= rb->n_max / 2))
		return NULL;
	uint32_t i = rb->n;

	/* new data lands at or near the end: shift only what lies after it */
	while (i > 0 && seq_gt(PIECE(rb, i - 1)->seq, seq)) {
		*PIECE(rb, i) = *PIECE(rb, i - 1);
		i--;
	}
	rb->n++;
	rb->n_ooo_pieces += ooo;
	PIECE(rb, i)->seq = seq;
	return PIECE(rb, i);
}

/* Keep v (len bytes of payload at seq).  Small or borrowed pieces are
 * copied behind the last piece when it ends right there and has room;
 * borrowed ones that do not fit go into fresh buffers.  Returns the bytes
 * stored from the front of v; *kept says v's buffer was taken. */
static uint32_t store(struct tcp_rcvbuf *rb, uint32_t seq, const struct tcp_frag *v, bool ooo,
		      bool *kept)
{
	struct rcv_piece *last = rb->n ? PIECE(rb, rb->n - 1) : NULL;

	*kept = false;
	if ((!v->buf || v->len <= RCVBUF_COPY_MAX) && last &&
	    last->seq + last->f.len == seq && last->f.room >= v->len) {
		memcpy(last->f.data + last->f.len, v->data, v->len);
		last->f.len += v->len;
		last->f.room -= v->len;
		return v->len;
	}
	if (v->buf) {
		struct rcv_piece *p = piece_slot(rb, seq, ooo);

		if (!p)
			return 0;
		p->f = *v;
		*kept = true;
		return v->len;
	}
	uint32_t done = 0;

	while (done < v->len) {
		struct tcp_frag nf;

		if (rb->n == rb->n_max || (ooo && rb->n_ooo_pieces >= rb->n_max / 2))
			break;
		if (rb->bo->alloc(rb->bo->arg, &nf) < 0) {
			rb->nobuf++;
			break;
		}
		uint32_t k = v->len - done < nf.room ? v->len - done : nf.room;

		memcpy(nf.data, v->data + done, k);
		nf.len = k;
		nf.room -= k;
		piece_slot(rb, seq + done, ooo)->f = nf;
		done += k;
	}
	return done;
}

static bool held(const struct tcp_rcvbuf *rb, uint32_t s, uint32_t e)
{
	for (int i = 0; i < rb->n_ooo; i++)
		if (seq_geq(s, rb->ooo[i].start) && seq_leq(e, rb->ooo[i].end))
			return true;
	return false;
}

enum rcv_insert_result rcvbuf_insert_frags(struct tcp_rcvbuf *rb, uint32_t seq,
					   struct tcp_frag *f, int n, uint32_t *advanced)
{
	uint32_t total = 0;

	*advanced = 0;
	for (int i = 0; i < n; i++)
		total += f[i].len;
	uint32_t s0 = seq, e0 = seq + total, limit = rb->head_seq + rb->cap;

	if (seq_lt(s0, rb->nxt))
		s0 = rb->nxt;
	if (seq_gt(e0, limit))
		e0 = limit;
	if (seq_leq(e0, s0))
		return RCV_OLD;
	bool ooo = s0 != rb->nxt;

	if (ooo && held(rb, s0, e0))
		return RCV_OLD;
	if (ooo && !ooo_fits(rb, s0, e0))
		return RCV_NO_RANGE;

	uint32_t at = seq, stored = s0;

	for (int i = 0; i < n; i++) {
		uint32_t fs = at, fe = at + f[i].len;

		at = fe;
		if (seq_leq(fe, stored) || seq_geq(fs, e0))
			continue;
		uint32_t cs = seq_max(fs, stored), ce = seq_min(fe, e0);
		/* bytes cut off at the window's edge are data, not room */
		struct tcp_frag v = { f[i].buf, f[i].data + (cs - fs), ce - cs,
				      ce == fe ? f[i].room : 0 };
		bool kept;
		uint32_t k = store(rb, cs, &v, ooo, &kept);

		if (kept)
			f[i].buf = NULL;
		stored = cs + k;
		if (k < ce - cs)
			break;
	}
	if (stored == s0)
		return RCV_NO_RANGE;
	if (ooo) {
		ooo_add(rb, s0, stored);
		return RCV_OOO;
	}
	uint32_t old = rb->nxt;

	rb->nxt = stored;
	while (rb->n_ooo && seq_leq(rb->ooo[0].start, rb->nxt)) {
		rb->nxt = seq_max(rb->nxt, rb->ooo[0].end);
		ooo_remove(rb, 0);
	}
	if (rb->n_ooo_pieces) {
		/* pieces RCV.NXT just passed are in order now */
		uint32_t k = 0;

		while (k < rb->n && seq_geq(PIECE(rb, rb->n - 1 - k)->seq, rb->nxt))
			k++;
		rb->n_ooo_pieces = k;
	}
	*advanced = rb->nxt - old;
	return RCV_IN_ORDER;
}

enum rcv_insert_result rcvbuf_insert(struct tcp_rcvbuf *rb, uint32_t seq,
				     const uint8_t *data, uint32_t len,
				     uint32_t *advanced)
{
	struct tcp_frag f = { NULL, (uint8_t *)data, len, 0 };

	return rcvbuf_insert_frags(rb, seq, &f, 1, advanced);
}

static void pop(struct tcp_rcvbuf *rb)
{
	rb->bo->free(rb->bo->arg, PIECE(rb, 0)->f.buf);
	rb->head = (rb->head + 1) & (rb->n_max - 1);
	rb->n--;
}

uint32_t rcvbuf_read(struct tcp_rcvbuf *rb, uint8_t *dst, uint32_t len)
{
	uint32_t avail = rcvbuf_readable(rb), done = 0;

	if (len > avail)
		len = avail;
	while (done < len) {
		struct rcv_piece *h = PIECE(rb, 0);
		uint32_t off = rb->head_seq - h->seq;

		if (off >= h->f.len) {   /* overlapped by what was read before */
			pop(rb);
			continue;
		}
		uint32_t k = h->f.len - off < len - done ? h->f.len - off : len - done;

		if (dst)
			memcpy(dst + done, h->f.data + off, k);
		done += k;
		rb->head_seq += k;
		if (off + k == h->f.len)
			pop(rb);
	}
	/* pieces wholly before what is left to read */
	while (rb->n && seq_leq(PIECE(rb, 0)->seq + PIECE(rb, 0)->f.len, rb->head_seq) &&
	       seq_lt(PIECE(rb, 0)->seq, rb->nxt))
		pop(rb);
	return done;
}

int rcvbuf_sack_blocks(const struct tcp_rcvbuf *rb, uint32_t (*blk)[2], int max)
{
	bool used[RCVBUF_MAX_OOO] = { false };
	int n = 0;

	while (n < max && n < rb->n_ooo) {
		int best = -1;

		for (int i = 0; i < rb->n_ooo; i++)
			if (!used[i] && (best < 0 ||
					 (int32_t)(rb->ooo[best].stamp - rb->ooo[i].stamp) < 0))
				best = i;
		used[best] = true;
		blk[n][0] = rb->ooo[best].start;
		blk[n][1] = rb->ooo[best].end;
		n++;
	}
	return n;
}
