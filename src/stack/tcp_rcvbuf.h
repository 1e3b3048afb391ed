/* tcp_rcvbuf.h: a connection's received data, in the buffers it arrived in.
 *
 * Payload is not copied on arrival: each piece of a segment (one mbuf of a
 * chain in production) is kept as it is, in sequence order, in-order data
 * first and out-of-order data behind it, until the application's read
 * copies it out -- the only copy on the receive side.  Small pieces (a
 * request, an ACK's worth of data) are copied into the room behind the
 * previous piece instead, so a connection of small segments holds about
 * one buffer per buffer's worth of data, as Linux's receive collapse does.
 *
 * The window is counted in bytes, as before: cap bytes past the first
 * unread one.  Out-of-order data is also tracked as a short sorted list of
 * disjoint ranges (for RCV.NXT and SACK); pieces may overlap, a read
 * skips what it already copied.  A segment that would need more ranges or
 * more pieces than there are slots is dropped (counted by the caller) and
 * the peer retransmits it; out-of-order pieces may take only half the
 * slots, so in-order data always finds one.  Each range remembers when it
 * last grew, so SACK blocks report the most recent first (RFC 2018 4). */
#ifndef TCP_RCVBUF_H
#define TCP_RCVBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_buf.h"

#define RCVBUF_MAX_OOO 16
#define RCVBUF_COPY_MAX 512   /* pieces up to this size are copied behind the previous one */

struct rcv_range {
	uint32_t start, end;   /* [start, end) */
	uint32_t stamp;        /* insertion counter when it last grew */
};

struct rcv_piece {
	struct tcp_frag f;
	uint32_t seq;          /* of f.data[0] */
};

struct tcp_rcvbuf {
	const struct tcp_bufops *bo;
	uint32_t cap;
	uint32_t head_seq;     /* first byte the application has not read */
	uint32_t nxt;          /* end of in-order data: RCV.NXT */
	uint32_t stamp;
	int n_ooo;
	struct rcv_range ooo[RCVBUF_MAX_OOO];
	struct rcv_piece *p;   /* ring of n_max (power of two), sorted by seq */
	uint32_t n_max, head, n;
	uint32_t n_ooo_pieces; /* pieces past RCV.NXT */
	bool owns_ring;        /* rcvbuf_init() allocated p (else the pool's) */
	uint64_t nobuf;        /* a borrowed segment found no buffer to be copied into */
};

enum rcv_insert_result {
	RCV_OLD = 0,        /* nothing new (entirely duplicate or outside) */
	RCV_IN_ORDER = 1,   /* RCV.NXT advanced */
	RCV_OOO = 2,        /* stored out of order */
	RCV_NO_RANGE = 3,   /* no free range or piece slot (or buffer): dropped */
};

/* Piece slots for a window of cap bytes (a power of two). */
uint32_t rcvbuf_slots(uint32_t cap);
/* Over a ring of rcvbuf_slots(cap) pieces the caller keeps (tcp_pool). */
void rcvbuf_setup(struct tcp_rcvbuf *rb, const struct tcp_bufops *bo, uint32_t cap,
		  struct rcv_piece *ring, uint32_t seq);
/* The same with a ring of its own (unit tests). */
int rcvbuf_init(struct tcp_rcvbuf *rb, const struct tcp_bufops *bo, uint32_t cap, uint32_t seq);
/* Gives back every buffer (and the ring, when rcvbuf_init() made it). */
void rcvbuf_free(struct tcp_rcvbuf *rb);
/* Restart at seq (the SYN's ISN + 1), giving back what is held. */
void rcvbuf_reset(struct tcp_rcvbuf *rb, uint32_t seq);

/* Bytes the application can read. */
static inline uint32_t rcvbuf_readable(const struct tcp_rcvbuf *rb)
{
	return rb->nxt - rb->head_seq;
}
/* Free space past RCV.NXT: the window to advertise. */
static inline uint32_t rcvbuf_window(const struct tcp_rcvbuf *rb)
{
	return rb->cap - rcvbuf_readable(rb);
}

/* Store the n pieces f (consecutive payload starting at seq), trimmed to
 * [RCV.NXT, head + cap).  Pieces with a buffer are kept by reference: the
 * rcvbuf takes the buffers it keeps and sets their f[i].buf to NULL (the
 * caller frees the rest); pieces without one are copied.  *advanced
 * receives how far RCV.NXT moved (may include earlier out-of-order data). */
enum rcv_insert_result rcvbuf_insert_frags(struct tcp_rcvbuf *rb, uint32_t seq,
					   struct tcp_frag *f, int n, uint32_t *advanced);
/* One borrowed piece (copied). */
enum rcv_insert_result rcvbuf_insert(struct tcp_rcvbuf *rb, uint32_t seq,
				     const uint8_t *data, uint32_t len,
				     uint32_t *advanced);
/* Copy out up to len in-order bytes; returns the count. dst may be NULL
 * to discard. */
uint32_t rcvbuf_read(struct tcp_rcvbuf *rb, uint8_t *dst, uint32_t len);
/* Up to max [start,end) pairs, most recently changed first. */
int rcvbuf_sack_blocks(const struct tcp_rcvbuf *rb, uint32_t (*blk)[2], int max);

#endif
