#include "tcp_sndbuf.h"

#include <stdlib.h>
#include <string.h>

#include "tcp_seq.h"

#define CHUNK(sb, i) (&(sb)->c[((sb)->head + (i)) & ((sb)->n_max - 1)])

uint32_t sndbuf_slots(uint32_t cap)
{
	/* every buffer but the last is full, and buffers hold 1 KB or more */
	return tcp_buf_ring_size(cap / 1024 + 2, 4);
}

void sndbuf_setup(struct tcp_sndbuf *sb, const struct tcp_bufops *bo, uint32_t cap,
		  struct snd_chunk *ring, uint32_t seq)
{
	memset(sb, 0, sizeof(*sb));
	sb->c = ring;
	sb->bo = bo;
	sb->n_max = sndbuf_slots(cap);
	sb->cap = cap;
	sb->una_seq = seq;
}

int sndbuf_init(struct tcp_sndbuf *sb, const struct tcp_bufops *bo, uint32_t cap, uint32_t seq)
{
	struct snd_chunk *ring = calloc(sndbuf_slots(cap), sizeof(*ring));

	if (!ring)
		return -1;
	sndbuf_setup(sb, bo, cap, ring, seq);
	sb->owns_ring = true;
	return 0;
}

static void drop_all(struct tcp_sndbuf *sb)
{
	for (uint32_t i = 0; i < sb->n; i++)
		sb->bo->free(sb->bo->arg, CHUNK(sb, i)->f.buf);
	sb->n = sb->head = 0;
	sb->len = 0;
}

void sndbuf_free(struct tcp_sndbuf *sb)
{
	if (sb->c)
		drop_all(sb);
	if (sb->owns_ring) {
		free(sb->c);
		sb->c = NULL;
	}
}

void sndbuf_reset(struct tcp_sndbuf *sb, uint32_t seq)
{
	drop_all(sb);
	sb->una_seq = seq;
}

uint32_t sndbuf_write(struct tcp_sndbuf *sb, const uint8_t *src, uint32_t len)
{
	uint32_t done = 0;

	if (len > sb->cap - sb->len)
		len = sb->cap - sb->len;
	while (done < len) {
		struct snd_chunk *t = sb->n ? CHUNK(sb, sb->n - 1) : NULL;

		if (!t || !t->f.room) {
			if (sb->n == sb->n_max)
				break;
			t = CHUNK(sb, sb->n);
			if (sb->bo->alloc(sb->bo->arg, &t->f) < 0) {
				sb->nobuf++;
				break;
			}
			t->seq = sndbuf_end(sb);
			sb->n++;
		}
		uint32_t k = len - done < t->f.room ? len - done : t->f.room;

		memcpy(t->f.data + t->f.len, src + done, k);
		t->f.len += k;
		t->f.room -= k;
		sb->len += k;
		done += k;
	}
	return done;
}

void sndbuf_ack(struct tcp_sndbuf *sb, uint32_t seq)
{
	if (seq_leq(seq, sb->una_seq))
		return;
	uint32_t n = seq - sb->una_seq;

	if (n > sb->len)
		n = sb->len;
	sb->una_seq += n;
	sb->len -= n;
	/* a buffer goes back when all of it is acknowledged; the tail stays
	 * while it can take more */
	while (sb->n) {
		struct snd_chunk *h = CHUNK(sb, 0);

		if (seq_gt(h->seq + h->f.len, sb->una_seq) || (sb->n == 1 && h->f.room))
			break;
		sb->bo->free(sb->bo->arg, h->f.buf);
		sb->head = (sb->head + 1) & (sb->n_max - 1);
		sb->n--;
	}
}

/* The chunk holding seq (which lies inside the queue). */
static uint32_t find(const struct tcp_sndbuf *sb, uint32_t seq)
{
	uint32_t lo = 0, hi = sb->n - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi + 1) / 2;

		if (seq_leq(CHUNK(sb, mid)->seq, seq))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int sndbuf_frags(const struct tcp_sndbuf *sb, uint32_t seq, uint32_t len,
		 struct tcp_frag *out, int max, uint32_t *got)
{
	int k = 0;

	*got = 0;
	if (!len || !sb->n)
		return 0;
	for (uint32_t i = find(sb, seq); i < sb->n && *got < len && k < max; i++) {
		const struct snd_chunk *ch = CHUNK(sb, i);
		uint32_t off = seq + *got - ch->seq;
		uint32_t l = ch->f.len - off;

		if (l > len - *got)
			l = len - *got;
		out[k++] = (struct tcp_frag){ ch->f.buf, ch->f.data + off, l, 0 };
		*got += l;
	}
	return k;
}

void sndbuf_peek(const struct tcp_sndbuf *sb, uint32_t seq, uint8_t *dst, uint32_t len)
{
	struct tcp_frag f[16];
	uint32_t got;

	while (len) {
		int n = sndbuf_frags(sb, seq, len, f, 16, &got);

		for (int i = 0; i < n; i++) {
			memcpy(dst, f[i].data, f[i].len);
			dst += f[i].len;
		}
		seq += got;
		len -= got;
	}
}
