/* tcp_rcvbuf.h: a connection's receive buffer and out-of-order reassembly.
 *
 * One byte ring of the configured size holds both the in-order bytes the
 * application has not read yet and out-of-order bytes inside the window, at
 * the ring position their sequence number maps to, so reassembly never
 * copies twice.  Out-of-order data is tracked as a short sorted list of
 * disjoint ranges; a segment that would need more ranges than the list
 * holds is dropped (counted by the caller) and the peer retransmits it.
 * Each range remembers when it last grew, so SACK blocks can report the
 * most recent first (RFC 2018 section 4). */
#ifndef TCP_RCVBUF_H
#define TCP_RCVBUF_H

#include <stdbool.h>
#include <stdint.h>

#define RCVBUF_MAX_OOO 16

struct rcv_range {
	uint32_t start, end;   /* [start, end) */
	uint32_t stamp;        /* insertion counter when it last grew */
};

struct tcp_rcvbuf {
	uint8_t *buf;
	uint32_t cap;
	uint32_t head_seq;     /* first byte the application has not read */
	uint32_t head_pos;     /* its position in buf */
	uint32_t nxt;          /* end of in-order data: RCV.NXT */
	uint32_t stamp;
	int n_ooo;
	struct rcv_range ooo[RCVBUF_MAX_OOO];
};

enum rcv_insert_result {
	RCV_OLD = 0,        /* nothing new (entirely duplicate or outside) */
	RCV_IN_ORDER = 1,   /* RCV.NXT advanced */
	RCV_OOO = 2,        /* stored out of order */
	RCV_NO_RANGE = 3,   /* out of order but no free range: dropped */
};

int rcvbuf_init(struct tcp_rcvbuf *rb, uint32_t cap, uint32_t seq);
void rcvbuf_free(struct tcp_rcvbuf *rb);
/* Restart at seq (the SYN's ISN + 1) without reallocating. */
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

/* Store len bytes at seq, trimmed to [RCV.NXT, head + cap).  *advanced
 * receives how far RCV.NXT moved (may include earlier out-of-order data). */
enum rcv_insert_result rcvbuf_insert(struct tcp_rcvbuf *rb, uint32_t seq,
				     const uint8_t *data, uint32_t len,
				     uint32_t *advanced);
/* Copy out up to len in-order bytes; returns the count. dst may be NULL
 * to discard. */
uint32_t rcvbuf_read(struct tcp_rcvbuf *rb, uint8_t *dst, uint32_t len);
/* Up to max [start,end) pairs, most recently changed first. */
int rcvbuf_sack_blocks(const struct tcp_rcvbuf *rb, uint32_t (*blk)[2], int max);

#endif
