/* Replicate(gates=[...]): every packet out of every listed gate.
 *
 * Copies share the mbuf (refcnt on every segment) instead of copying data:
 * a copy costs a buffer and a memcpy per gate, and most paths (QueueOut,
 * PortOut, L2Forward) only read; a module that writes to a packet (Rewrite,
 * VLANPush, ...) copies it first when it is shared (pkt_writable.h).  An
 * empty gate list is refused: it would only drop. */
#include <stdlib.h>
#include <string.h>

#include "kb_parse.h"
#include "gate_list.h"
#include "pipeline.h"

struct replicate {
	struct gate_list *gl;    /* published; swapped whole by set_gates */
};

static int parse_gates(const struct script_args *a, const char *what,
		       struct gate_list **out, struct kb_err *err)
{
	static const char *const allowed[] = {"gates", "", NULL};
	const struct script_value *v = script_args_get(a, "gates");
	struct gate_list *gl;

	if (script_args_check(a, what, allowed, err))
		return -1;
	if (!v)
		v = script_args_get(a, "");
	if (!v)
		return script_err_at(err, &a->pos, "%s: missing argument 'gates'", what);
	if (!(gl = calloc(1, sizeof(*gl))))
		return script_err_at(err, &v->pos, "out of memory");
	if (gate_list_parse(v, what, true, gl, err) < 0) {
		free(gl);
		return -1;
	}
	*out = gl;
	return 0;
}

static int rep_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	struct replicate *r = m->priv;
	return parse_gates(a, "Replicate", &r->gl, err);
}

/* Publish gl; free the old list once no worker can hold it. */
static void publish(struct module *m, struct gate_list *gl)
{
	struct replicate *r = m->priv;
	struct gate_list *old = r->gl;

	__atomic_store_n(&r->gl, gl, __ATOMIC_RELEASE);
	pipeline_synchronize(m->pl);
	free(old);
}

static int cmd_set_gates(struct module *m, const struct script_args *a,
			 struct script_value **res, struct kb_err *err)
{
	struct gate_list *gl;

	if (parse_gates(a, "Replicate.set_gates", &gl, err))
		return -1;
	publish(m, gl);
	return 0;
}

/* kbctl command module NAME set_gates GATE... */
static int ctl_set_gates(struct module *m, int argc, char *const argv[], FILE *out,
			 struct kb_err *err)
{
	struct gate_list *gl = calloc(1, sizeof(*gl));
	long long g;

	if (!gl)
		return kb_err_set(err, "out of memory");
	for (int i = 0; i < argc; i++) {
		bool bad = kb_parse_int(argv[i], 0, KB_MAX_GATES - 1, &g) < 0;
		if (bad || gate_list_has(gl, (int)g)) {
			free(gl);
			return kb_err_set(err, "gate '%s' is %s", argv[i],
					  bad ? "not an integer 0..63" : "listed twice");
		}
		gl->g[gl->n++] = (int)g;
	}
	publish(m, gl);
	fprintf(out, "ok\n");
	return 0;
}

static void rep_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct replicate *r = m->priv;
	const struct gate_list *gl = __atomic_load_n(&r->gl, __ATOMIC_ACQUIRE);
	struct pkt_batch copy;

	if (gl->n > 1)
		for (uint16_t i = 0; i < b->cnt; i++)
			for (struct rte_mbuf *s = b->pkts[i]; s; s = s->next)
				rte_mbuf_refcnt_update(s, (int16_t)(gl->n - 1));
	for (int k = 0; k < gl->n; k++) {
		copy.cnt = b->cnt;
		memcpy(copy.pkts, b->pkts, b->cnt * sizeof(b->pkts[0]));
		module_emit(w, m, gl->g[k], &copy);
	}
	b->cnt = 0;
}

static void rep_describe(const struct module *m, char *buf, size_t len)
{
	const struct replicate *r = m->priv;
	gate_list_describe(r->gl, buf, len);
}

static void rep_destroy(struct module *m)
{
	struct replicate *r = m->priv;
	free(r->gl);
	r->gl = NULL;
}

static const struct module_cmd rep_cmds[] = {
	{"set_gates", "set_gates(gates=[N, ...])", cmd_set_gates},
	{NULL, NULL, NULL},
};

static const struct module_ctl_cmd rep_ctl_cmds[] = {
	{"set_gates", "GATE...", "copy every packet out of these gates (at least one, as in the script)",
	 1, KB_MAX_GATES, ctl_set_gates},
	{NULL, NULL, NULL, 0, 0, NULL},
};

const struct module_class mod_replicate = {
	.name = "Replicate",
	.help = "every packet out of every listed gate: Replicate(gates=[...])",
	.priv_size = sizeof(struct replicate),
	.max_igates = 1,
	.max_ogates = KB_MAX_GATES,
	.init = rep_init,
	.destroy = rep_destroy,
	.process = rep_process,
	.describe = rep_describe,
	.cmds = rep_cmds,
	.ctl_cmds = rep_ctl_cmds,
};
