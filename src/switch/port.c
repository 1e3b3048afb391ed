/* port: the class-independent side of a port (port.h). */
#include <string.h>

#include "pipeline.h"
#include "port.h"

static const char *const dir_name[2] = {"incoming", "outgoing"};

int port_claim(struct module *claimer, const struct script_value *v, enum port_dir dir, int qid,
	       struct module **port, struct kb_err *err)
{
	struct module *m;
	struct port_base *p;

	if (!v || (v->type != SV_OBJ && v->type != SV_STR))
		return script_err_at(err, v ? &v->pos : NULL, "%s: expected port=<a PMDPort or VhostPort>",
				     claimer->cls->name);
	m = pipeline_find(claimer->pl, v->s);
	if (!m)
		return script_err_at(err, &v->pos, "undefined name '%s'", v->s);
	if (!m->cls->is_port)
		return script_err_at(err, &v->pos, "%s: '%s' is a %s, expected a PMDPort or VhostPort",
				     claimer->cls->name, v->s, m->cls->name);
	p = port_base(m);
	if (qid >= p->nq[dir])
		return script_err_at(err, &v->pos, "%s: port '%s' has %lld %s queue(s), no queue %d",
				     claimer->cls->name, v->s, (long long)p->nq[dir], dir_name[dir], qid);
	for (int q = 0; q < p->nq[dir]; q++)
		if ((qid < 0 || q == qid) && p->claim[dir][q])
			return script_err_at(err, &v->pos,
					     "%s: %s queue %d of port '%s' is already claimed by '%s'",
					     claimer->cls->name, dir_name[dir], q, v->s,
					     p->claim[dir][q]->name);
	for (int q = 0; q < p->nq[dir]; q++)
		if (qid < 0 || q == qid)
			p->claim[dir][q] = claimer;
	*port = m;
	return 0;
}

unsigned port_mbufs_needed(struct module *port)
{
	struct port_base *pb = port_base(port);

	return pb->ops->mbufs_needed(pb);
}

struct kb_rxintr *port_rxintr(struct port_base *pb, int q)
{
	return pb->ops->rxintr(pb, q);
}

int port_counters(struct module *port, struct port_counters *c)
{
	struct port_base *p = port_base(port);

	memset(c, 0, sizeof(*c));
	if (p->ops->counters(p, c) < 0)
		return -1;
	/* A PortOut claims every queue: count each sender once. */
	for (int q = 0; q < p->nq[PORT_OUT]; q++) {
		const struct module *s = p->claim[PORT_OUT][q];
		bool seen = false;
		for (int k = 0; k < q && !seen; k++)
			seen = p->claim[PORT_OUT][k] == s;
		if (s && !seen)
			c->tx_drops += __atomic_load_n(&s->drops, __ATOMIC_RELAXED);
	}
	return 0;
}
