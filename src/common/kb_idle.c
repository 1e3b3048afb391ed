#include "kb_idle.h"

#include <sys/prctl.h>

void kb_idle_init(struct kb_idle *s, bool pure_poll, uint32_t max_sleep_us)
{
	s->empty = 0;
	s->sleep_ns = KB_IDLE_MIN_SLEEP_NS;
	s->max_sleep_ns = (max_sleep_us ? max_sleep_us : KB_IDLE_DEFAULT_MAX_SLEEP_US) * 1000u;
	if (s->max_sleep_ns < KB_IDLE_MIN_SLEEP_NS)
		s->max_sleep_ns = KB_IDLE_MIN_SLEEP_NS;
	s->window = KB_IDLE_DEF_WINDOW;
	s->pure_poll = pure_poll;
	s->can_block = false;
	s->yields = s->sleeps = s->blocks = 0;
	if (!pure_poll)
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

void kb_idle_can_block(struct kb_idle *s)
{
	s->can_block = !s->pure_poll;
}

void kb_idle_backoff(struct kb_idle *s)
{
	/* a blocking loop yields for its whole window (it never sleeps) */
	if (s->can_block || s->empty <= KB_IDLE_SPIN_POLLS + KB_IDLE_YIELD_POLLS) {
		s->yields++;
		sched_yield();
		return;
	}
	struct timespec ts = { 0, (long)s->sleep_ns };

	s->sleeps++;
	nanosleep(&ts, NULL);
	s->sleep_ns *= 2;
	if (s->sleep_ns > s->max_sleep_ns)
		s->sleep_ns = s->max_sleep_ns;
}

void kb_idle_woke(struct kb_idle *s, uint64_t blocked_ns, bool kicked)
{
	s->blocks++;
	if (kicked && blocked_ns < KB_IDLE_SHORT_BLOCK_NS) {
		s->window *= 2;
		if (s->window > KB_IDLE_MAX_WINDOW)
			s->window = KB_IDLE_MAX_WINDOW;
	} else if (blocked_ns > KB_IDLE_LONG_BLOCK_NS) {
		s->window /= 2;
		if (s->window < KB_IDLE_MIN_WINDOW)
			s->window = KB_IDLE_MIN_WINDOW;
	}
	/* a timeout (the caller's own deadline) leaves it idle: its next wait
	 * blocks at once instead of polling a whole window again */
	if (kicked)
		s->empty = 0;
	s->sleep_ns = KB_IDLE_MIN_SLEEP_NS;
}
