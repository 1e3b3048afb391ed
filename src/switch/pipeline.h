/* pipeline: the graph of modules a script builds, its workers, and its
 * lifecycle: build (script_builder callbacks, validation only) -> start
 * (ports opened, pools created) -> run (workers poll tasks) -> stop. */
#ifndef KB_SWITCH_PIPELINE_H
#define KB_SWITCH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kb_idle.h"
#include "kb_wait.h"
#include "module.h"
#include "script_builder.h"

#define KB_MAX_WORKERS 16
#define KB_MAX_WAKEUPS 64   /* rx queues one worker can block on */

struct worker {
	struct pipeline *pl;
	int wid;
	int core;                  /* EAL lcore id */
	bool defined;              /* by bess.add_worker, or the implicit one */
	struct script_pos pos;     /* its bess.add_worker, for errors after EAL starts */
	struct module **tasks;
	int n_tasks;
	struct kb_idle idle;
	/* blocking when idle: every task's input queues can wake it */
	struct kb_wait wait;
	struct kb_rxintr *wakeup[KB_MAX_WAKEUPS];
	int n_wakeups;
	uint64_t epoch;            /* bumped every loop: quiescent-state counter */
	int running;
	uint64_t loops;
	uint64_t busy_loops;
};

struct pipeline {
	struct module **mods;      /* in creation order */
	int n_mods, cap_mods;
	/* name -> module, open addressing (linear probing), at most half full:
	 * a script of 40k modules builds in linear time */
	struct module **index;
	uint32_t index_mask;
	struct worker workers[KB_MAX_WORKERS];
	struct rte_mempool *pool;
	volatile int stop;
	bool started;
	bool pure_poll;
	uint32_t idle_max_us;
	int anon_seq;
	/* Accepts a worker's core; NULL accepts any (before EAL, unit tests). */
	bool (*core_ok)(int core);
	int main_core;
};

void pipeline_init(struct pipeline *pl);
void pipeline_builder(struct pipeline *pl, struct script_builder *b);
struct module *pipeline_find(struct pipeline *pl, const char *name);
/* The whole graph, once the script is built: -1 with the position of a
 * module on a cycle (a packet would loop forever) when there is one. */
int pipeline_check(struct pipeline *pl, struct kb_err *err);
const struct module_class *pipeline_class(const char *name);

/* Once EAL runs: every worker's core is one of its lcores (the script ran
 * before EAL, so this is checked here, blaming the add_worker call). */
int pipeline_check_cores(struct pipeline *pl, struct kb_err *err);

/* Opens ports, creates the pool, assigns tasks to workers. */
int pipeline_start(struct pipeline *pl, struct kb_err *err);
/* Runs every worker until pl->stop; returns when all have stopped. */
void pipeline_run(struct pipeline *pl);
/* Stops modules and closes ports (flushing pcap output). */
void pipeline_stop(struct pipeline *pl);
void pipeline_free(struct pipeline *pl);

/* Waits until every running worker has finished the loop it was in, so an
 * object unpublished before the call is no longer referenced. */
void pipeline_synchronize(struct pipeline *pl);

/* kbctl requests (ctl_cmd.c): "show port|module|pipeline", "stats",
 * "command module NAME CMD ARGS...", and the aliases "add l2 NAME MAC GATE",
 * "del l2 NAME MAC".  Writes the answer to out; returns 0 or -1 (out then
 * holds the error, "error: ..."). */
int pipeline_ctl(struct pipeline *pl, const char *line, FILE *out);
void pipeline_show(struct pipeline *pl, const char *what, FILE *out);
/* Counters in columns for kbctl monitor (pipeline_show.c). */
void pipeline_stats(struct pipeline *pl, FILE *out);

/* Wakes every worker blocked while idle (control changes, a port event,
 * stop).  Any thread; async-signal-safe. */
void pipeline_kick(struct pipeline *pl);

/* Prepares w to block when idle (its wait set, its tasks' wake-ups);
 * without them it sleeps in steps.  worker_fini undoes it. */
void worker_setup(struct worker *w);
void worker_fini(struct worker *w);
/* A worker's main loop (also used by tests). */
int worker_main(void *arg);

#endif
