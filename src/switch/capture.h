/* capture: copies of the frames passing a gate, for `kbctl capture` (BESS's
 * tcpdump gate hook).
 *
 * A worker that sends a burst through a hooked output gate copies it into
 * mbufs of the capture's own pool and enqueues the copies on a ring the
 * control thread drains (capture_burst, module.h).  When the pool or the ring
 * is full the copy is not made and the frame is counted in drops: a slow
 * reader costs counted drops, never a stalled worker.  The hook is one
 * pointer per output gate, NULL while nobody captures.
 *
 * Capturing input gate G of M hooks every output gate connected to it (a
 * Merge may be fed by several), so both directions use the same hook. */
#ifndef KB_SWITCH_CAPTURE_H
#define KB_SWITCH_CAPTURE_H

#include <stdint.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "pipeline.h"

#define CAPTURE_RING 4096      /* copies in flight; the pool has as many */
#define CAPTURE_MAX_HOOKS 64

struct capture {
	struct pipeline *pl;
	struct rte_ring *ring;         /* multi-producer (workers), single consumer */
	struct rte_mempool *pool;      /* each copy's private area holds its TSC */
	uint64_t drops;                /* added to atomically by workers and the reader */
	uint64_t frames;               /* drained by the control thread */
	uint64_t tsc0, hz;             /* TSC at start, to stamp copies in wall time */
	struct timespec t0;
	struct ogate *hooks[CAPTURE_MAX_HOOKS];
	int n_hooks;
};

/* Hooks gate `gate` of module `name` (in: every output gate feeding that
 * input gate; out: that output gate).  The switch must be running. */
int capture_open(struct capture **out, struct pipeline *pl, const char *name, bool in,
		 int gate, struct kb_err *err);
/* Unhooks, waits until no worker can still be inside capture_burst, frees. */
void capture_close(struct capture *c);
/* Dequeues up to n copies; the caller frees them with rte_pktmbuf_free. */
unsigned capture_drain(struct capture *c, struct rte_mbuf **pkts, unsigned n);
/* A copy's capture time, in nanoseconds since the Unix epoch. */
uint64_t capture_time_ns(const struct capture *c, const struct rte_mbuf *copy);

#endif
