/* mtcp_loop.h: one core's event loop (as Redis keeps ae.c): receive burst
 * -> IPv4/TCP input, due timers, queued output, transmit flush; and the
 * back-off when idle.  It knows the stack and the backend, not sockets or
 * epoll: those call into it, never the other way round.
 *
 * Send semantics are mTCP's: tcp_send()/tcp_close() only queue.  Segments
 * are cut and leave when the application returns to the loop
 * (mtcp_epoll_wait, or any call that blocks), when a transmit burst fills
 * (the DPDK layer flushes 32 packets at once), or at the drain deadline:
 * like l3fwd's BURST_TX_DRAIN_US, output queued `drain_us` ago goes out at
 * the next API call, so nothing waits long while the application keeps
 * computing between calls. */
#ifndef MTCP_LOOP_H
#define MTCP_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcp.h"

#define MTCP_DRAIN_US_DEFAULT 5

struct mtcp_backend {
	void *core;   /* per-core handle (struct dpdk_core *) */
	int (*rx_count)(void *core);
	uint8_t *(*rx_buf)(void *core, uint16_t *len);
	uint8_t *(*tx_buf)(void *core);
	int (*tx_send)(void *core, uint8_t *buf, uint16_t len);
	void (*flush)(void *core);
	void (*wait)(void *core, uint32_t timeout_us);
	/* Optional, all or none (NULL: rx_buf, and payload copied): the next
	 * packet handed over in pieces (0 at the end of the burst), payload
	 * buffers, and sending payload by reference (tcp_ops). */
	int (*rx_frags)(void *core, struct tcp_frag *f, int max, unsigned *flags);
	int (*buf_alloc)(void *core, struct tcp_frag *f);
	void (*buf_free)(void *core, void *buf);
	int (*tx_send_frags)(void *core, uint8_t *buf, uint16_t hlen, const struct tcp_frag *f,
			     int n, uint16_t tso_mss);
	/* Optional: packets the port takes now (tcp_ops.tx_room). */
	unsigned (*tx_room)(void *core);
	/* Optional: send-queue buffers (tcp_ops.snd_buf_alloc). */
	int (*sndbuf_alloc)(void *core, struct tcp_frag *f);
};

struct mtcp_loop {
	struct tcp_stack *st;
	struct mtcp_backend be;
	uint32_t drain_us;
	uint64_t queued_at;       /* us when output was queued first since the
				   * last flush; 0 when nothing waits */
	/* stat_print: *stats_req counts requests (SIGUSR1); each pass answers
	 * a new one by calling print_stats(arg) from the loop's own thread */
	volatile sig_atomic_t *stats_req;
	sig_atomic_t stats_seen;
	void (*print_stats)(void *arg);
	void *arg;
};

uint64_t mtcp_now_us(void);
/* One pass; returns the packets received. */
int mtcp_loop_poll(struct mtcp_loop *l);
/* Wait for packets (the layer polls briefly, then blocks on the vNIC's
 * kick) up to max_us: at most 1 ms while a timer is armed (the wheel ticks
 * in ms), else at most 100 ms. */
void mtcp_loop_wait(struct mtcp_loop *l, uint32_t max_us);
/* A call cannot complete yet: one pass, and a wait if it found nothing. */
void mtcp_loop_block(struct mtcp_loop *l);
/* Send everything queued now. */
void mtcp_loop_flush(struct mtcp_loop *l);
/* The application queued output (data, FIN, a window update): send it
 * if the oldest queued output has waited drain_us. */
void mtcp_loop_queued(struct mtcp_loop *l);

#endif
