/* kb_wait: where an idle poller sleeps until there is work (kb_idle.h says
 * when).  An epoll set of the fds that signal work (a NIC queue's interrupt
 * eventfd, ...) plus one eventfd of its own, the kick, through which other
 * threads (a ring's producer, the control thread, a signal handler) wake it.
 *
 * No lost wake-up between a producer that enqueues on a ring and an owner
 * that goes to sleep on it (Dekker: each side stores, fences, then loads):
 *
 *   owner:    kb_wait_prepare(w); if (ring empty) kb_wait_block(w, t); kb_wait_done(w);
 *   producer: enqueue; kb_wait_notify(w);
 *
 * The owner's store of `sleeping` and the producer's enqueue are both
 * followed by a full fence before the other side's load, so either the
 * owner sees the packet or the producer sees `sleeping` and kicks. */
#ifndef KB_WAIT_H
#define KB_WAIT_H

#include <stdint.h>

struct kb_wait {
	int epfd;
	int kickfd;            /* eventfd */
	int n_fds;             /* fds added besides the kick */
	uint32_t sleeping;     /* owner: 1 while it may block (atomic) */
	uint64_t blocks;       /* times the owner blocked (stats) */
	uint64_t kicks;        /* kicks sent to it */
};

/* A wait set that holds nothing yet (kicks go nowhere): for zeroed structs. */
static inline void kb_wait_clear(struct kb_wait *w)
{
	w->epfd = w->kickfd = -1;
	w->n_fds = 0;
	w->sleeping = 0;
}

/* 0, or -1 with errno (no fd left). */
int kb_wait_init(struct kb_wait *w);
void kb_wait_fini(struct kb_wait *w);
/* Watch fd for readability (level-triggered). 0 or -1 with errno. */
int kb_wait_add(struct kb_wait *w, int fd);
int kb_wait_del(struct kb_wait *w, int fd);

/* Block until a watched fd is readable, a kick, or timeout_ns passes
 * (< 0: no limit).  Consumes the kick.  Returns how many fds were ready
 * (the kick counts) and fills ready[] with up to max of the watched ones
 * (not the kick); 0 on timeout or signal. */
int kb_wait_block(struct kb_wait *w, int64_t timeout_ns, int *ready, int max);

/* Wake the owner now.  Any thread; async-signal-safe (one write()). */
void kb_wait_kick(struct kb_wait *w);

static inline void kb_wait_prepare(struct kb_wait *w)
{
	__atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void kb_wait_done(struct kb_wait *w)
{
	__atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
}

/* Producer, after making work visible: kick the owner if it may sleep.
 * Costs one fence when it does not. */
static inline void kb_wait_notify(struct kb_wait *w)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->sleeping, __ATOMIC_RELAXED))
		kb_wait_kick(w);
}

#endif
