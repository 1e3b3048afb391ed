#include "tcp_timer.h"

static void unlink_t(struct tw_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = t;
}

void tw_init(struct timer_wheel *tw, uint64_t now_us, uint32_t tick_us)
{
	for (unsigned i = 0; i < TW_SLOTS; i++)
		tw->slot[i].next = tw->slot[i].prev = &tw->slot[i];
	tw->tick_us = tick_us ? tick_us : 1000;
	tw->cur = now_us / tw->tick_us;
	tw->n_armed = 0;
	tw->running = false;
}

void tw_arm(struct timer_wheel *tw, struct tw_timer *t, uint64_t now_us, uint64_t delay_us)
{
	if (t->armed) {
		unlink_t(t);
		tw->n_armed--;
	}
	uint64_t exp = (now_us + delay_us + tw->tick_us - 1) / tw->tick_us;

	/* never behind the hand (it would wait a whole turn); inside a run,
	 * not in the slot being processed either (it would fire forever) */
	uint64_t min = tw->cur + (tw->running ? 1 : 0);

	if (exp < min)
		exp = min;
	t->expire = exp;
	struct tw_timer *h = &tw->slot[exp & (TW_SLOTS - 1)];

	t->next = h->next;
	t->prev = h;
	h->next->prev = t;
	h->next = t;
	t->armed = true;
	tw->n_armed++;
}

void tw_cancel(struct timer_wheel *tw, struct tw_timer *t)
{
	if (!t->armed)
		return;
	unlink_t(t);
	t->armed = false;
	tw->n_armed--;
}

unsigned tw_run(struct timer_wheel *tw, uint64_t now_us, tw_fire_fn fire, void *arg)
{
	uint64_t now = now_us / tw->tick_us;
	unsigned fired = 0;

	if (!tw->n_armed) {
		if (now + 1 > tw->cur)
			tw->cur = now + 1;
		return 0;
	}
	/* after a long gap one turn visits every slot once */
	if (now >= tw->cur + TW_SLOTS)
		tw->cur = now - TW_SLOTS + 1;
	tw->running = true;
	for (; tw->cur <= now; tw->cur++) {
		struct tw_timer *h = &tw->slot[tw->cur & (TW_SLOTS - 1)];
		struct tw_timer *t = h->next;

		while (t != h) {
			struct tw_timer *nx = t->next;

			if (t->expire <= now) {
				unlink_t(t);
				t->armed = false;
				tw->n_armed--;
				fired++;
				fire(arg, t);
				/* the callback may have changed the list: restart */
				nx = h->next;
			}
			t = nx;
		}
	}
	tw->running = false;
	return fired;
}
