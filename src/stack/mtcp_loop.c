/* mtcp_loop.c: one core's event loop (see mtcp_loop.h). */
#include <time.h>

#include "mtcp_loop.h"

uint64_t mtcp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void mtcp_loop_flush(struct mtcp_loop *l)
{
	tcp_flush_output(l->st);
	l->be.flush(l->be.core);
	l->queued_at = 0;
}

int mtcp_loop_poll(struct mtcp_loop *l)
{
	uint64_t now = mtcp_now_us();
	int n = l->be.rx_count(l->be.core);

	for (int i = 0; i < n; i++) {
		if (l->be.rx_frags) {
			/* zero copy: the stack keeps the payload buffers it wants */
			struct tcp_frag f[TCP_MAX_FRAGS];
			unsigned flags;
			int k = l->be.rx_frags(l->be.core, f, TCP_MAX_FRAGS, &flags);

			if (!k)
				break;
			tcp_ip_input_frags(l->st, f, k, flags, now);
			for (int j = 0; j < k; j++)
				if (f[j].buf)
					l->be.buf_free(l->be.core, f[j].buf);
			continue;
		}
		uint16_t len;
		uint8_t *pkt = l->be.rx_buf(l->be.core, &len);

		if (!pkt)
			break;
		tcp_ip_input(l->st, pkt, len, now);
	}
	tcp_timers(l->st, now);
	mtcp_loop_flush(l);
	if (l->stats_req && l->stats_seen != *l->stats_req) {
		l->stats_seen = *l->stats_req;
		l->print_stats(l->arg);
	}
	return n;
}

void mtcp_loop_wait(struct mtcp_loop *l, uint32_t max_us)
{
	/* the timer wheel ticks in ms: never sleep past the next tick while a
	 * timer is armed; with none, packets (the layer's kick) or the caller's
	 * deadline end the wait, and 100 ms bounds how late a signal is seen */
	uint32_t cap = tcp_timers_armed(l->st) ? 1000 : 100000;

	if (max_us > cap)
		max_us = cap;
	l->be.wait(l->be.core, max_us);
}

void mtcp_loop_block(struct mtcp_loop *l)
{
	if (!mtcp_loop_poll(l))
		mtcp_loop_wait(l, 1000);
}

void mtcp_loop_queued(struct mtcp_loop *l)
{
	/* a read that queued no window update starts no deadline: a write
	 * right after it must not find one already expired */
	if (!tcp_output_pending(l->st))
		return;
	uint64_t now = mtcp_now_us();

	if (!l->queued_at)
		l->queued_at = now;
	if (now - l->queued_at >= l->drain_us)
		mtcp_loop_flush(l);
}
