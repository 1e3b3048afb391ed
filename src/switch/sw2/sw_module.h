/* sw_module: the module model of kbswitch (sw2), after BESS.
 *
 * A module class validates its arguments at create time (init: no DPDK
 * calls, errors positioned at the offending value), acquires resources in
 * start (after rte_eal_init), and moves packets in process (a batch arrives
 * on an input gate) or run_task (a polling source: QueueInc, PortInc,
 * Source).  Packets leave through output gates; each gate feeds exactly one
 * downstream module and counts what it passed.  A packet sent to an
 * unconnected gate is freed and counted in the module's own drop counter. */
#ifndef SW_MODULE_H
#define SW_MODULE_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "kb_err.h"
#include "script_value.h"

#define SW_BURST 32
#define SW_MAX_GATES 64
#define SW_NAME_LEN 64

struct sw_batch {
	uint16_t n;
	struct rte_mbuf *pkts[SW_BURST];
};

struct sw_module;
struct sw_pipeline;

struct sw_ogate {
	struct sw_module *next;   /* NULL: unconnected */
	uint16_t igate;
	uint64_t pkts, bytes;
};

/* What a command call may hand back to the script or to kbctl. */
struct sw_cmd {
	const char *name;
	int (*fn)(struct sw_module *m, const struct script_args *a,
		  struct script_value **result, struct kb_err *err);
};

struct sw_class {
	const char *name;
	int max_igates;           /* 0: a source; connecting into it is an error */
	int max_ogates;           /* 0: a sink */
	size_t priv_size;
	int (*init)(struct sw_module *m, const struct script_args *a, struct kb_err *err);
	int (*start)(struct sw_module *m, struct kb_err *err);
	void (*stop)(struct sw_module *m);
	void (*process)(struct sw_module *m, struct sw_batch *b);
	unsigned (*run_task)(struct sw_module *m);   /* packets handled */
	/* Extra counters for stats (name=value pairs). */
	int (*show)(struct sw_module *m, char *buf, size_t len);
	const struct sw_cmd *cmds;
};

struct sw_module {
	char name[SW_NAME_LEN];
	const struct sw_class *cls;
	struct sw_pipeline *pl;
	struct script_pos pos;
	int wid;                  /* worker of a task module; -1: default */
	int n_igates_in;          /* upstream gates connected into this module */
	struct sw_ogate ogates[SW_MAX_GATES];
	int n_ogates;             /* highest connected ogate + 1 */
	uint64_t drop_unconnected;
	void *priv;
};

/* Send a batch out of ogate; consumes the batch's packets either way. */
static inline void sw_emit(struct sw_module *m, int ogate, struct sw_batch *b)
{
	if (!b->n)
		return;
	struct sw_ogate *g = &m->ogates[ogate];
	if (ogate >= m->n_ogates || !g->next) {
		m->drop_unconnected += b->n;
		rte_pktmbuf_free_bulk(b->pkts, b->n);
		b->n = 0;
		return;
	}
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	g->pkts += b->n;
	g->bytes += bytes;
	g->next->cls->process(g->next, b);
	b->n = 0;
}

/* Module classes (one per file). */
extern const struct sw_class sw_queue_inc_class, sw_queue_out_class,
	sw_port_inc_class, sw_port_out_class, sw_l2forward_class,
	sw_replicate_class, sw_merge_class, sw_sink_class, sw_source_class;

#endif
