/* tcp_buf.h: payload buffers the stack keeps -- mbufs in production.
 *
 * The stack never owns payload memory of its own: received payload stays
 * in the buffer it arrived in (tcp_rcvbuf), and data the application
 * writes is copied once into buffers the send queue holds and hands to the
 * network by reference (tcp_sndbuf).  Who provides them is the tcp_ops
 * owner's business: the DPDK layer's mbuf pool in libkbnet, malloc in the
 * unit tests. */
#ifndef KB_TCP_BUF_H
#define KB_TCP_BUF_H

#include <stdint.h>

/* A piece of payload in a buffer. */
struct tcp_frag {
	void *buf;       /* the buffer; NULL: borrowed from the caller (copy it) */
	uint8_t *data;
	uint32_t len;
	uint32_t room;   /* writable bytes after data + len */
};

struct tcp_bufops {
	void *arg;
	/* An empty buffer: f->data, f->room set, f->len 0.  -1 when none. */
	int (*alloc)(void *arg, struct tcp_frag *f);
	void (*free)(void *arg, void *buf);
};

/* Ring slots: the power of two from min up that holds want. */
static inline uint32_t tcp_buf_ring_size(uint32_t want, uint32_t min)
{
	uint32_t n = min;

	while (n < want)
		n *= 2;
	return n;
}

#endif
