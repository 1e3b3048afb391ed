/* gate_list: gates=[...] for Replicate and RoundRobin. */
#include <stdio.h>

#include "gate_list.h"

int gate_list_parse(const struct script_value *v, const char *what, bool unique,
		    struct gate_list *gl, struct kb_err *err)
{
	if (v->type != SV_LIST)
		return script_err_at(err, &v->pos, "%s: expected gates=[N, ...], got %s", what,
				     script_vtype_name(v->type));
	if (!v->list.n)
		return script_err_at(err, &v->pos,
				     "%s: gates=[] lists no gate (every packet would be dropped; expected at least one)",
				     what);
	if (v->list.n > KB_MAX_GATES)
		return script_err_at(err, &v->pos, "%s: at most %d gates", what, KB_MAX_GATES);
	gl->n = 0;
	for (size_t i = 0; i < v->list.n; i++) {
		int64_t g;
		if (script_value_int(v->list.items[i], "gate", 0, KB_MAX_GATES - 1, &g, err))
			return -1;
		if (unique && gate_list_has(gl, (int)g))
			return script_err_at(err, &v->list.items[i]->pos,
					     "%s: gate %lld is listed twice", what, (long long)g);
		gl->g[gl->n++] = (int)g;
	}
	return 0;
}

void gate_list_describe(const struct gate_list *gl, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "gates=[");
	for (int k = 0; k < gl->n && o < len; k++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", k ? ", " : "", gl->g[k]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}
