/* The worker loop: poll every task, run packets to completion through the
 * graph, back off with kb_idle when every task came back empty. */
#include <rte_lcore.h>

#include "kb_idle.h"
#include "sw_pipeline.h"

int sw_worker_main(void *arg)
{
	struct sw_worker *w = arg;
	struct sw_pipeline *pl = w->pl;
	struct kb_idle idle;

	kb_idle_init(&idle, pl->pure_poll, pl->idle_max_us);
	while (!*pl->stop) {
		unsigned work = 0;
		for (int i = 0; i < w->n_tasks; i++)
			work += w->tasks[i]->cls->run_task(w->tasks[i]);
		/* A plain store (x86): the control thread only needs to see it move. */
		atomic_store_explicit(&pl->epoch[w->wid], ++w->loops, memory_order_release);
		kb_idle_account(&idle, work);
	}
	w->idle_sleeps = idle.sleeps;
	return 0;
}
