/* kb_idle: the idle policy of every poll loop that shares CPUs.
 *
 * On a 2-core host a switch plus two VMs are three pollers.  Two pollers
 * spinning on one CPU collapse to ~0.03 Mpps because each burns its whole
 * time slice while the other holds the work.  So a loop that finds nothing
 * first spins briefly (cheap, lowest latency), then yields the CPU (lets a
 * co-scheduled poller run) for the rest of its poll window, and then
 *   - blocks, when the loop has a wake-up (kb_idle_can_block(): a NIC
 *     queue's interrupt eventfd or a ring's kick, see kb_wait.h): idle costs
 *     no CPU, and the next packet wakes it through a kick, not a timer;
 *   - otherwise sleeps with a growing interval capped at max_sleep_us.
 * Any work resets it.
 *
 * The poll window adapts: a block that a kick ends within
 * KB_IDLE_SHORT_BLOCK_NS was a lull that polling would have covered more
 * cheaply than a sleep and a wake-up, so the window doubles (up to
 * KB_IDLE_MAX_WINDOW polls); a block longer than KB_IDLE_LONG_BLOCK_NS
 * halves it (down to KB_IDLE_MIN_WINDOW).
 *
 * Usage:  kb_idle_init(&idle, pure_poll, 50); kb_idle_can_block(&idle);
 *         for (;;) {
 *                 n = poll();
 *                 if (kb_idle_account(&idle, n)) {   // window over: block
 *                         arm wake-ups; if (!poll()) { t = now; block; }
 *                         disarm; kb_idle_woke(&idle, now - t, kicked);
 *                 }
 *         }
 * Loops without a wake-up ignore the return value. */
#ifndef KB_IDLE_H
#define KB_IDLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sched.h>
#include <time.h>

#define KB_IDLE_SPIN_POLLS   64u    /* empty polls before the first yield */
#define KB_IDLE_YIELD_POLLS  256u   /* further empty polls spent yielding */
#define KB_IDLE_MIN_SLEEP_NS 1000u
#define KB_IDLE_DEFAULT_MAX_SLEEP_US 50u
/* blocking loops: empty polls before blocking (spin + yield), adaptive */
#define KB_IDLE_MIN_WINDOW   (KB_IDLE_SPIN_POLLS + 64u)
#define KB_IDLE_DEF_WINDOW   (KB_IDLE_SPIN_POLLS + KB_IDLE_YIELD_POLLS)
#define KB_IDLE_MAX_WINDOW   8192u
#define KB_IDLE_SHORT_BLOCK_NS 100000u     /* 100 us */
#define KB_IDLE_LONG_BLOCK_NS  10000000u   /* 10 ms */

struct kb_idle {
	uint32_t empty;        /* consecutive empty polls */
	uint32_t sleep_ns;     /* next sleep length */
	uint32_t max_sleep_ns;
	uint32_t window;       /* blocking loops: empty polls before blocking */
	bool pure_poll;        /* never back off */
	bool can_block;        /* the loop has a wake-up: block instead of sleeping */
	uint64_t yields;       /* counters a user can read (stats) */
	uint64_t sleeps;
	uint64_t blocks;       /* times it blocked (kb_idle_woke calls) */
};

/* Also lowers this thread's timer slack to 1 us so short sleeps stay short
 * (the default 50 us slack would dominate first-packet latency). */
void kb_idle_init(struct kb_idle *s, bool pure_poll, uint32_t max_sleep_us);

/* The loop has a wake-up: kb_idle_account() returns true when it should
 * block instead of sleeping in steps.  No effect with pure_poll. */
void kb_idle_can_block(struct kb_idle *s);

/* Back off once: sleep or yield depending on how long we have been idle. */
void kb_idle_backoff(struct kb_idle *s);

/* The loop blocked for blocked_ns; kicked: a wake-up (not the timeout)
 * ended it.  Adapts the window; a kick starts a new poll window, a timeout
 * does not (the next empty poll blocks again). */
void kb_idle_woke(struct kb_idle *s, uint64_t blocked_ns, bool kicked);

/* How long a loop without a wake-up should wait now (its next sleep step),
 * for loops that wait on some fds but must also poll others. */
static inline uint32_t kb_idle_step_ns(const struct kb_idle *s)
{
	return s->sleep_ns;
}

/* Returns true when the caller should block now (only after
 * kb_idle_can_block()); otherwise it spun, yielded or slept. */
static inline bool kb_idle_account(struct kb_idle *s, unsigned work)
{
	if (work) {
		s->empty = 0;
		s->sleep_ns = KB_IDLE_MIN_SLEEP_NS;
		return false;
	}
	if (s->pure_poll)
		return false;
	if (++s->empty <= KB_IDLE_SPIN_POLLS) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return false;
	}
	if (s->can_block && s->empty > s->window)
		return true;
	kb_idle_backoff(s);
	return false;
}

/* Monotonic nanoseconds (for kb_idle_woke). */
static inline uint64_t kb_idle_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#endif
