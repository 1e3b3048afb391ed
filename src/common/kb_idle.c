#include "kb_idle.h"

#include <sys/prctl.h>

void kb_idle_init(struct kb_idle *s, bool pure_poll, uint32_t max_sleep_us)
{
	s->empty = 0;
	s->sleep_ns = KB_IDLE_MIN_SLEEP_NS;
	s->max_sleep_ns = (max_sleep_us ? max_sleep_us : KB_IDLE_DEFAULT_MAX_SLEEP_US) * 1000u;
	if (s->max_sleep_ns < KB_IDLE_MIN_SLEEP_NS)
		s->max_sleep_ns = KB_IDLE_MIN_SLEEP_NS;
	s->pure_poll = pure_poll;
	s->yields = s->sleeps = 0;
	if (!pure_poll)
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

void kb_idle_backoff(struct kb_idle *s)
{
	if (s->empty <= KB_IDLE_SPIN_POLLS + KB_IDLE_YIELD_POLLS) {
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
