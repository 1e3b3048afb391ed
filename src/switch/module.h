/* module: the BESS-style building block of a kbswitch pipeline.
 *
 * A module class validates its arguments in init (no DPDK calls there, so a
 * whole script is checked before any port opens), acquires DPDK resources in
 * start, and moves packets in process (called with a batch that arrived on an
 * input gate) or run_task (a task polled by a worker: QueueInc, Source...).
 * Output gates carry packet/byte/drop counters; packets sent to an
 * unconnected gate are freed and counted in the module's own drop counter.
 *
 * Two ways in while running, both on the control thread (never a worker):
 * cmds, the script's method calls (l2.add(...)), and ctl_cmds, the words of
 * `kbctl command module NAME CMD ARGS...`.  Either may swap published state
 * (an RCU-style pointer, then pipeline_synchronize()) but never block a
 * worker.  An output gate's cap is a capture hook (capture.h): NULL while
 * nobody captures, so the data path pays one load and branch per burst. */
#ifndef KB_SWITCH_MODULE_H
#define KB_SWITCH_MODULE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "kb_err.h"
#include "script_value.h"

#define KB_BURST 32
#define KB_MAX_GATES 64

struct pkt_batch {
	uint16_t cnt;
	struct rte_mbuf *pkts[KB_BURST];
};

struct module;
struct pipeline;
struct worker;
struct kb_rxintr;

struct gate_stats {
	uint64_t pkts;
	uint64_t bytes;
};

struct capture;

struct ogate {
	struct module *next;   /* NULL: unconnected */
	int igate;
	struct gate_stats st;
	struct capture *cap;   /* set/cleared by the control thread only */
};

/* Copies b's packets to a capture (capture.c); never blocks, counts what it
 * cannot copy. */
void capture_burst(struct capture *cap, const struct pkt_batch *b);

struct module_cmd {
	const char *name;
	const char *help;
	/* Runs before start (from the script) and while running (from kbctl,
	 * on the control thread): must not block the data path. */
	int (*fn)(struct module *m, const struct script_args *a,
		  struct script_value **result, struct kb_err *err);
};

/* A command kbctl sends as words: `kbctl command module NAME CMD ARGS...`.
 * ctl checks the word count against min_args..max_args before fn runs, so fn
 * sees exactly what its usage promises.  fn writes its answer (if any) to
 * out and returns 0, or returns -1 with err set. */
struct module_ctl_cmd {
	const char *name;
	const char *usage;     /* the argument words, e.g. "MAC GATE" */
	const char *help;
	int min_args, max_args;
	int (*fn)(struct module *m, int argc, char *const argv[], FILE *out,
		  struct kb_err *err);
};

struct module_class {
	const char *name;
	const char *help;
	size_t priv_size;
	int max_igates;        /* 0: no input gates */
	int max_ogates;        /* 0: no output gates */
	bool is_port;          /* a PMDPort: no gates, referenced by modules */
	int (*init)(struct module *m, const struct script_args *a, struct kb_err *err);
	int (*start)(struct module *m, struct kb_err *err);
	void (*stop)(struct module *m);
	/* Frees what init allocated (after stop, or when never started). */
	void (*destroy)(struct module *m);
	void (*process)(struct worker *w, struct module *m, struct pkt_batch *b);
	/* Returns the number of packets it moved (0: idle). */
	unsigned (*run_task)(struct worker *w, struct module *m);
	/* The DPDK port this module sends to (QueueOut, PortOut), or -1; valid
	 * once the ports started (L2Forward's learning maps ports to gates). */
	int (*tx_port)(const struct module *m);
	/* Tasks that read port queues: the queues' wake-ups, so an idle worker
	 * can block until one fires (kb_rxintr.h).  Fills out[] (at most max)
	 * and returns how many, or -1 when some input cannot wake the worker
	 * (it then sleeps in steps).  A task without the hook never lets its
	 * worker block (Source always has work). */
	int (*wakeups)(struct module *m, struct kb_rxintr **out, int max);
	/* One line of class-specific state for `kbctl show module/port`. */
	void (*describe)(const struct module *m, char *buf, size_t len);
	const struct module_cmd *cmds;
	const struct module_ctl_cmd *ctl_cmds;   /* NULL-name terminated */
};

struct module {
	char name[64];
	const struct module_class *cls;
	struct pipeline *pl;
	struct script_pos pos;     /* where it was created */
	struct ogate ogates[KB_MAX_GATES];
	int n_ogates;              /* highest connected ogate + 1 */
	uint64_t igate_used;       /* bitmask of connected input gates */
	uint64_t drops;            /* unconnected gate, or the class's own reason */
	int wid;                   /* task modules: attached worker, -1 default */
	int seq;                   /* index in pl->mods (set by pipeline_check) */
	void *priv;
};

/* The bytes of b's frames (whole chains). */
static inline uint32_t pkt_batch_bytes(const struct pkt_batch *b)
{
	uint32_t n = 0;

	for (uint16_t i = 0; i < b->cnt; i++)
		n += b->pkts[i]->pkt_len;
	return n;
}

/* Send b out of ogate; consumes every packet in it. */
static inline void module_emit(struct worker *w, struct module *m, int og,
			       struct pkt_batch *b)
{
	struct ogate *g;
	struct capture *cap;

	if (!b->cnt)
		return;
	if (og < 0 || og >= m->n_ogates || !(g = &m->ogates[og])->next) {
		m->drops += b->cnt;
		rte_pktmbuf_free_bulk(b->pkts, b->cnt);
		b->cnt = 0;
		return;
	}
	g->st.pkts += b->cnt;
	g->st.bytes += pkt_batch_bytes(b);
	cap = __atomic_load_n(&g->cap, __ATOMIC_ACQUIRE);
	if (unlikely(cap != NULL))
		capture_burst(cap, b);
	g->next->cls->process(w, g->next, b);
	b->cnt = 0;
}

/* Frees and counts as this module's drops. */
static inline void module_drop(struct module *m, struct rte_mbuf *pkt)
{
	m->drops++;
	rte_pktmbuf_free(pkt);
}

#endif
