/* Argument checks and queue claims shared by the port-facing modules. */
#include "sw_portq.h"

int sw_portq_init(struct sw_module *m, const struct script_args *a, bool rx,
		  bool all_queues, struct kb_err *err)
{
	static const char *const kq[] = { "port", "qid", NULL };
	static const char *const kp[] = { "port", NULL };
	struct sw_portq *s = m->priv;
	const char *what = m->cls->name;
	int64_t qid = 0;

	if (script_args_check(a, what, all_queues ? kp : kq, err) ||
	    sw_arg_port(m->pl, a, what, &s->port, err))
		return -1;
	int nq = rx ? s->port->n_inc_q : s->port->n_out_q;
	if (all_queues) {
		s->qid = -1;
		for (int q = 0; q < nq; q++)
			if (sw_port_claim(m->pl, s->port, rx, q, m->name,
					  &script_args_get(a, "port")->pos, err))
				return -1;
		return 0;
	}
	if (script_arg_int(a, what, "qid", 0, 0, nq - 1, &qid, err))
		return -1;
	const struct script_value *v = script_args_get(a, "qid");
	s->qid = (int)qid;
	return sw_port_claim(m->pl, s->port, rx, s->qid, m->name,
			     v ? &v->pos : &script_args_get(a, "port")->pos, err);
}
