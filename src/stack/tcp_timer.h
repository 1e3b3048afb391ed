/* tcp_timer.h: a hashed timer wheel per core (Varghese & Lauck).
 *
 * Timers are intrusive list nodes inside the connection, so arming and
 * cancelling are O(1) and allocate nothing.  The wheel has TW_SLOTS slots
 * of tick_us each; a timer further out than one turn sits in its slot and
 * is skipped until its tick comes round.  Expired timers are unlinked
 * before their callback runs, so callbacks may re-arm or free. */
#ifndef TCP_TIMER_H
#define TCP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TW_SLOTS 4096u   /* power of two */

struct tw_timer {
	struct tw_timer *next, *prev;
	uint64_t expire;    /* tick */
	bool armed;
	uint8_t kind;       /* owner's tag: which timer of its struct this is */
};

struct timer_wheel {
	struct tw_timer slot[TW_SLOTS];   /* list heads */
	uint64_t cur;                     /* next tick to process */
	uint32_t tick_us;
	uint32_t n_armed;
	bool running;                     /* inside tw_run */
};

typedef void (*tw_fire_fn)(void *arg, struct tw_timer *t);

void tw_init(struct timer_wheel *tw, uint64_t now_us, uint32_t tick_us);
/* (Re)arm t to fire delay_us after now_us (rounded up to a tick). */
void tw_arm(struct timer_wheel *tw, struct tw_timer *t, uint64_t now_us, uint64_t delay_us);
void tw_cancel(struct timer_wheel *tw, struct tw_timer *t);
/* Fire everything due at now_us; returns how many fired. */
unsigned tw_run(struct timer_wheel *tw, uint64_t now_us, tw_fire_fn fire, void *arg);

#endif
