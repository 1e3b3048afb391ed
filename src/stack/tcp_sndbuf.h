/* tcp_sndbuf.h: a connection's send queue, from SND.UNA to the last byte
 * the application wrote, as a ring of buffers (mbufs in production).
 *
 * mtcp_write() copies the application's bytes into the tail buffer -- the
 * only copy on the send side.  Segments, first transmissions and
 * retransmissions alike, are cut from the queue as references to pieces of
 * these buffers (sndbuf_frags()), which the network sends without copying
 * (attached mbufs) and lets go of when the port is done.  A buffer is given
 * back once every byte in it is acknowledged.  Every buffer but the last is
 * full, so the ring needs about cap / buffer size slots. */
#ifndef TCP_SNDBUF_H
#define TCP_SNDBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_buf.h"

struct snd_chunk {
	struct tcp_frag f;   /* f.len bytes of data, f.room free behind them */
	uint32_t seq;        /* sequence number of f.data[0] */
};

struct tcp_sndbuf {
	const struct tcp_bufops *bo;
	struct snd_chunk *c;   /* ring of n_max (a power of two) */
	uint32_t n_max, head, n;
	uint32_t cap;          /* bytes the application may queue */
	uint32_t len;          /* bytes held: [una_seq, una_seq + len) */
	uint32_t una_seq;
	uint64_t nobuf;        /* writes cut short: no buffer */
	bool owns_ring;        /* sndbuf_init() allocated c (else the pool's) */
};

/* Chunk slots for cap bytes in buffers of at least 1 KB (a power of two). */
uint32_t sndbuf_slots(uint32_t cap);
/* Over a ring of sndbuf_slots(cap) chunks the caller keeps (tcp_pool). */
void sndbuf_setup(struct tcp_sndbuf *sb, const struct tcp_bufops *bo, uint32_t cap,
		  struct snd_chunk *ring, uint32_t seq);
/* The same with a ring of its own (unit tests). */
int sndbuf_init(struct tcp_sndbuf *sb, const struct tcp_bufops *bo, uint32_t cap, uint32_t seq);
/* Gives back every buffer (and the ring, when sndbuf_init() made it). */
void sndbuf_free(struct tcp_sndbuf *sb);
/* Empty it (gives back the buffers) and start at seq. */
void sndbuf_reset(struct tcp_sndbuf *sb, uint32_t seq);

static inline uint32_t sndbuf_space(const struct tcp_sndbuf *sb)
{
	/* a full ring has no room either (the last slot may still have some) */
	return sb->n >= sb->n_max ? 0 : sb->cap - sb->len;
}
static inline uint32_t sndbuf_end(const struct tcp_sndbuf *sb) { return sb->una_seq + sb->len; }

/* Append up to len bytes (copied); returns how many fit (fewer when the
 * buffer space, the ring or the pool runs out). */
uint32_t sndbuf_write(struct tcp_sndbuf *sb, const uint8_t *src, uint32_t len);
/* Release everything before seq (clamped to what is held). */
void sndbuf_ack(struct tcp_sndbuf *sb, uint32_t seq);
/* References to [seq, seq + len), which must lie inside the queue, in at
 * most max pieces.  Returns the number of pieces; *got the bytes they
 * cover (less than len only when max ran out). */
int sndbuf_frags(const struct tcp_sndbuf *sb, uint32_t seq, uint32_t len,
		 struct tcp_frag *out, int max, uint32_t *got);
/* Copy len bytes starting at seq, which must lie inside the queue. */
void sndbuf_peek(const struct tcp_sndbuf *sb, uint32_t seq, uint8_t *dst, uint32_t len);

#endif
