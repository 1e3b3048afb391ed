/* worker: polls its tasks in bursts; backs off through kb_idle when every
 * input is empty.  The epoch bump is the quiescent point that
 * pipeline_synchronize() waits for before freeing a replaced table. */
#include "pipeline.h"

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *pl = w->pl;

	while (!pl->stop) {
		unsigned n = 0;
		for (int i = 0; i < w->n_tasks; i++)
			n += w->tasks[i]->cls->run_task(w, w->tasks[i]);
		__atomic_store_n(&w->epoch, w->epoch + 1, __ATOMIC_RELEASE);
		w->loops++;
		w->busy_loops += n != 0;
		kb_idle_account(&w->idle, n);
	}
	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	return 0;
}
