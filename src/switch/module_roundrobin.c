/* RoundRobin(gates=[...], mode='batch'|'packet'): spreads packets over the
 * listed output gates in turn, a whole batch at a time (BESS's default) or
 * packet by packet. */
#include <stdlib.h>
#include <string.h>

#include "gate_list.h"
#include "kb_parse.h"
#include "pipeline.h"

struct rr_conf {
	bool per_packet;
	struct gate_list gl;
};

struct roundrobin {
	struct rr_conf *c;        /* published; swapped whole by the commands */
	unsigned next;
};

static int parse_mode(const struct script_value *v, const char *what, struct rr_conf *c,
		      struct kb_err *err)
{
	if (v->type != SV_STR || (strcmp(v->s, "batch") && strcmp(v->s, "packet")))
		return script_err_at(err, &v->pos, "%s: mode is 'batch' or 'packet'", what);
	c->per_packet = !strcmp(v->s, "packet");
	return 0;
}

/* A new configuration: the current one (or the defaults) changed by a, then
 * published.  A lone positional argument is gates (init, set_gates) or the
 * mode (set_mode, need_gates false). */
static int configure(struct module *m, const struct script_args *a, const char *what,
		     const char *const *allowed, bool need_gates, struct kb_err *err)
{
	struct roundrobin *r = m->priv;
	const struct script_value *g = script_args_get(a, "gates"), *mode = script_args_get(a, "mode");
	const struct script_value *pos = script_args_get(a, "");
	struct rr_conf *c, *old = r->c;

	if (script_args_check(a, what, allowed, err) < 0)
		return -1;
	if (need_gates && !g)
		g = pos;
	else if (!need_gates && !mode)
		mode = pos;
	if (!g && need_gates)
		return script_err_at(err, &a->pos, "%s needs gates=[N, ...]", what);
	if (!mode && !need_gates)
		return script_err_at(err, &a->pos, "%s needs mode='batch' or 'packet'", what);
	if (!(c = calloc(1, sizeof(*c))))
		return script_err_at(err, &a->pos, "%s: out of memory", what);
	if (old)
		*c = *old;
	if ((g && gate_list_parse(g, what, false, &c->gl, err) < 0) || (mode && parse_mode(mode, what, c, err) < 0)) {
		free(c);
		return -1;
	}
	__atomic_store_n(&r->c, c, __ATOMIC_RELEASE);
	if (old) {
		pipeline_synchronize(m->pl);
		free(old);
	}
	return 0;
}

static int rr_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"gates", "mode", "", NULL};
	return configure(m, a, "RoundRobin", allowed, true, err);
}

static int cmd_set_gates(struct module *m, const struct script_args *a,
			 struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {"gates", "", NULL};
	return configure(m, a, "RoundRobin.set_gates", allowed, true, err);
}

static int cmd_set_mode(struct module *m, const struct script_args *a,
			struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {"mode", "", NULL};
	return configure(m, a, "RoundRobin.set_mode", allowed, false, err);
}

/* kbctl command module NAME set_gates GATE... | set_mode batch|packet: the
 * same configure() as the script's commands, from words */
static int ctl_configure(struct module *m, int argc, char *const argv[], bool gates,
			 FILE *out, struct kb_err *err)
{
	static const char *const allowed[] = {"gates", "mode", NULL};
	struct script_pos at = { .file = NULL };
	struct script_value *list = script_value_new(gates ? SV_LIST : SV_STR, at);
	struct script_kv kv = { .key = (char *)(gates ? "gates" : "mode"), .val = list };
	struct script_args a = { .items = &kv, .n = 1 };
	int rc = -1;

	if (!list)
		return kb_err_set(err, "out of memory");
	if (gates) {
		if (!(list->list.items = calloc((size_t)argc, sizeof(*list->list.items))))
			goto out;
		for (int i = 0; i < argc; i++) {
			long long g;
			if (kb_parse_int(argv[i], 0, KB_MAX_GATES - 1, &g) < 0) {
				kb_err_set(err, "gate '%s' is not an integer 0..%d", argv[i], KB_MAX_GATES - 1);
				goto out;
			}
			if (!(list->list.items[i] = script_value_new(SV_INT, at)))
				goto out;
			list->list.items[i]->i = g;
			list->list.n++;
		}
	} else if (!(list->s = strdup(argv[0]))) {
		goto out;
	}
	if ((rc = configure(m, &a, gates ? "set_gates" : "set_mode", allowed, gates, err)) == 0)
		fprintf(out, "ok\n");
out:
	if (rc < 0 && !err->msg[0])
		kb_err_set(err, "out of memory");
	script_value_free(list);
	return rc;
}

static int ctl_set_gates(struct module *m, int argc, char *const argv[], FILE *out,
			 struct kb_err *err)
{
	return ctl_configure(m, argc, argv, true, out, err);
}

static int ctl_set_mode(struct module *m, int argc, char *const argv[], FILE *out,
			struct kb_err *err)
{
	return ctl_configure(m, argc, argv, false, out, err);
}

static void rr_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct roundrobin *r = m->priv;
	const struct rr_conf *c = __atomic_load_n(&r->c, __ATOMIC_ACQUIRE);
	unsigned n = (unsigned)c->gl.n, next = r->next % n;
	struct pkt_batch out;

	if (!c->per_packet) {
		r->next = next + 1;
		module_emit(w, m, c->gl.g[next], b);
		return;
	}
	/* packet i goes to gate (next + i) % n: one pass per gate keeps each
	 * gate's packets in order */
	for (unsigned k = 0; k < n && k < b->cnt; k++) {
		out.cnt = 0;
		for (unsigned i = k; i < b->cnt; i += n)
			out.pkts[out.cnt++] = b->pkts[i];
		module_emit(w, m, c->gl.g[(next + k) % n], &out);
	}
	r->next = next + b->cnt;
	b->cnt = 0;
}

static void rr_describe(const struct module *m, char *buf, size_t len)
{
	const struct roundrobin *r = m->priv;
	int o = snprintf(buf, len, "mode=%s ", r->c->per_packet ? "packet" : "batch");
	if (o > 0 && (size_t)o < len)
		gate_list_describe(&r->c->gl, buf + o, len - (size_t)o);
}

static void rr_destroy(struct module *m)
{
	struct roundrobin *r = m->priv;
	free(r->c);
	r->c = NULL;
}

static const struct module_cmd rr_cmds[] = {
	{"set_gates", "set_gates(gates=[N, ...])", cmd_set_gates},
	{"set_mode", "set_mode(mode='batch'|'packet')", cmd_set_mode},
	{NULL, NULL, NULL},
};

static const struct module_ctl_cmd rr_ctl_cmds[] = {
	{"set_gates", "GATE...", "spread packets over these gates", 1, KB_MAX_GATES, ctl_set_gates},
	{"set_mode", "batch|packet", "a whole batch per gate, or packet by packet", 1, 1, ctl_set_mode},
	{NULL, NULL, NULL, 0, 0, NULL},
};

const struct module_class mod_roundrobin = {
	.name = "RoundRobin",
	.help = "spreads packets over gates in turn: RoundRobin(gates=[...], mode='batch'|'packet')",
	.priv_size = sizeof(struct roundrobin),
	.max_igates = 1,
	.max_ogates = KB_MAX_GATES,
	.init = rr_init,
	.destroy = rr_destroy,
	.process = rr_process,
	.describe = rr_describe,
	.cmds = rr_cmds,
	.ctl_cmds = rr_ctl_cmds,
};
