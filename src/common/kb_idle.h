/* kb_idle: adaptive back-off for poll loops that share CPUs.
 *
 * On a 2-core host a switch plus two VMs are three pollers.  Two pollers
 * spinning on one CPU collapse to ~0.03 Mpps because each burns its whole
 * time slice while the other holds the work.  So a loop that finds nothing
 * first spins briefly (cheap, lowest latency), then yields the CPU (lets a
 * co-scheduled poller run), then sleeps with a growing interval capped at
 * max_sleep_us, so an idle process costs almost nothing.  Any work resets it.
 *
 * Usage:  kb_idle_init(&idle, pure_poll, 50);
 *         for (;;) { n = poll(); kb_idle_account(&idle, n); }
 */
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

struct kb_idle {
	uint32_t empty;        /* consecutive empty polls */
	uint32_t sleep_ns;     /* next sleep length */
	uint32_t max_sleep_ns;
	bool pure_poll;        /* never back off */
	uint64_t yields;       /* counters a user can read (stats) */
	uint64_t sleeps;
};

/* Also lowers this thread's timer slack to 1 us so short sleeps stay short
 * (the default 50 us slack would dominate first-packet latency). */
void kb_idle_init(struct kb_idle *s, bool pure_poll, uint32_t max_sleep_us);

/* Back off once: sleep or yield depending on how long we have been idle. */
void kb_idle_backoff(struct kb_idle *s);

static inline void kb_idle_account(struct kb_idle *s, unsigned work)
{
	if (work) {
		s->empty = 0;
		s->sleep_ns = KB_IDLE_MIN_SLEEP_NS;
		return;
	}
	if (s->pure_poll)
		return;
	if (++s->empty <= KB_IDLE_SPIN_POLLS) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	kb_idle_backoff(s);
}

#endif
