/* Replicate(gates=[...]): every packet goes out of each listed gate.
 *
 * Copies share the packet by reference count (every segment's), which is
 * cheaper than rte_pktmbuf_copy and safe because no module writes packets. */
#include <string.h>

#include "sw_pipeline.h"

struct replicate {
	_Atomic(struct gates *) cur;
};
struct gates { int n; uint16_t g[SW_MAX_GATES]; };

static int parse_gates(struct sw_module *m, const struct script_args *a,
		       struct gates *out, struct kb_err *err)
{
	const struct script_value *l = NULL;
	if (script_arg_list(a, "Replicate", "gates", 1, &l, err))
		return -1;
	if (l->list.n > SW_MAX_GATES)
		return script_err_at(err, &l->pos, "Replicate: at most %d gates", SW_MAX_GATES);
	out->n = 0;
	for (size_t i = 0; i < l->list.n; i++) {
		int64_t g;
		if (script_value_int(l->list.items[i], "gate", 0, SW_MAX_GATES - 1, &g, err))
			return -1;
		for (int j = 0; j < out->n; j++)
			if (out->g[j] == g)
				return script_err_at(err, &l->list.items[i]->pos,
						     "Replicate: gate %lld is listed twice", (long long)g);
		out->g[out->n++] = (uint16_t)g;
	}
	return 0;
}

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const keys[] = { "gates", NULL };
	struct replicate *r = m->priv;
	struct gates *g = calloc(1, sizeof(*g));
	if (!g)
		return script_err_at(err, &a->pos, "out of memory");
	if (script_args_check(a, "Replicate", keys, err) || parse_gates(m, a, g, err)) {
		free(g);
		return -1;
	}
	atomic_store(&r->cur, g);
	return 0;
}

static int cmd_set_gates(struct sw_module *m, const struct script_args *a,
			 struct script_value **result, struct kb_err *err)
{
	static const char *const keys[] = { "gates", NULL };
	struct replicate *r = m->priv;
	struct gates *g = calloc(1, sizeof(*g));
	if (!g)
		return script_err_at(err, &a->pos, "out of memory");
	if (script_args_check(a, "Replicate.set_gates", keys, err) || parse_gates(m, a, g, err)) {
		free(g);
		return -1;
	}
	struct gates *old = atomic_exchange(&r->cur, g);
	sw_pipeline_quiesce(m->pl);   /* no worker still reads old */
	free(old);
	return 0;
}

static inline void ref_chain(struct rte_mbuf *p, int16_t n)
{
	for (; p; p = p->next)
		rte_mbuf_refcnt_update(p, n);
}

static void process(struct sw_module *m, struct sw_batch *b)
{
	struct replicate *r = m->priv;
	const struct gates *g = atomic_load_explicit(&r->cur, memory_order_acquire);
	if (!g->n) {
		m->drop_unconnected += b->n;
		rte_pktmbuf_free_bulk(b->pkts, b->n);
		b->n = 0;
		return;
	}
	for (uint16_t i = 0; i < b->n; i++)
		ref_chain(b->pkts[i], (int16_t)(g->n - 1));
	struct sw_batch out;
	for (int k = 0; k < g->n; k++) {
		out.n = b->n;
		memcpy(out.pkts, b->pkts, b->n * sizeof(b->pkts[0]));
		sw_emit(m, g->g[k], &out);
	}
	b->n = 0;
}

static void stop(struct sw_module *m)
{
	struct replicate *r = m->priv;
	free(atomic_exchange(&r->cur, NULL));
}

static int show(struct sw_module *m, char *buf, size_t len)
{
	struct replicate *r = m->priv;
	const struct gates *g = atomic_load(&r->cur);
	int k = snprintf(buf, len, "gates=[");
	for (int i = 0; g && i < g->n && (size_t)k < len; i++)
		k += snprintf(buf + k, len - (size_t)k, "%s%u", i ? "," : "", g->g[i]);
	if ((size_t)k < len)
		snprintf(buf + k, len - (size_t)k, "]");
	return 0;
}

static const struct sw_cmd cmds[] = { { "set_gates", cmd_set_gates }, { NULL, NULL } };

const struct sw_class sw_replicate_class = {
	.name = "Replicate", .max_igates = SW_MAX_GATES, .max_ogates = SW_MAX_GATES,
	.priv_size = sizeof(struct replicate), .init = init, .process = process,
	.stop = stop, .show = show, .cmds = cmds,
};
