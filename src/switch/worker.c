/* worker: polls its tasks in bursts; when every input is empty it backs
 * off through kb_idle and, once its poll window is over, blocks on its
 * input queues' kicks (kb_rxintr) and its own kick (kb_wait: control
 * changes, port events, stop) -- an idle switch costs no CPU.  Workers
 * with an input that cannot wake them sleep in steps instead.  The epoch
 * bump is the quiescent point that pipeline_synchronize() waits for before
 * freeing a replaced table. */
#include <stdlib.h>

#include "kb_rxintr.h"
#include "pipeline.h"

void worker_setup(struct worker *w)
{
	w->n_wakeups = 0;
	if (w->pl->pure_poll || kb_wait_init(&w->wait) < 0)
		return;
	for (int i = 0; i < w->n_tasks; i++) {
		struct module *m = w->tasks[i];
		int n = m->cls->wakeups ? m->cls->wakeups(m, w->wakeup + w->n_wakeups,
							   KB_MAX_WAKEUPS - w->n_wakeups) : -1;
		if (n < 0) {
			w->n_wakeups = -1;
			break;
		}
		w->n_wakeups += n;
	}
	for (int i = 0; i < w->n_wakeups; i++)
		if (kb_wait_add(&w->wait, w->wakeup[i]->fd) < 0) {
			w->n_wakeups = -1;
			break;
		}
	if (w->n_wakeups > 0)
		kb_idle_can_block(&w->idle);
}

void worker_fini(struct worker *w)
{
	kb_wait_fini(&w->wait);
}

static unsigned run_tasks(struct worker *w)
{
	unsigned n = 0;

	for (int i = 0; i < w->n_tasks; i++)
		n += w->tasks[i]->cls->run_task(w, w->tasks[i]);
	__atomic_store_n(&w->epoch, w->epoch + 1, __ATOMIC_RELEASE);
	w->loops++;
	w->busy_loops += n != 0;
	return n;
}

/* Arm every input, poll once more (a packet that came before the arm sent
 * no kick), and only then sleep until a kick. */
static void worker_block(struct worker *w)
{
	struct pipeline *pl = w->pl;
	int ready[KB_MAX_WAKEUPS];
	unsigned n;

	for (int i = 0; i < w->n_wakeups; i++)
		kb_rxintr_arm(w->wakeup[i]);
	n = run_tasks(w);
	if (!n && !pl->stop) {
		uint64_t t0 = kb_idle_now_ns();
		int r = kb_wait_block(&w->wait, -1, ready, KB_MAX_WAKEUPS);

		kb_idle_woke(&w->idle, kb_idle_now_ns() - t0, r > 0);
	}
	for (int i = 0; i < w->n_wakeups; i++)
		kb_rxintr_disarm(w->wakeup[i]);
	kb_idle_account(&w->idle, n);
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *pl = w->pl;

	while (!pl->stop)
		if (kb_idle_account(&w->idle, run_tasks(w)))
			worker_block(w);
	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	return 0;
}
