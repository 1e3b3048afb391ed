/* PortOut(port): sends to the port's outgoing queues, one batch each in
 * turn; frees and counts what a ring can't take. */
#include "sw_portq.h"

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	return sw_portq_init(m, a, false, true, err);
}

static void process(struct sw_module *m, struct sw_batch *b)
{
	struct sw_portq *s = m->priv;
	uint16_t q = (uint16_t)s->next_q;
	s->next_q = (s->next_q + 1) % s->port->n_out_q;
	sw_portq_tx(s, q, b);
}

const struct sw_class sw_port_out_class = {
	.name = "PortOut", .max_igates = SW_MAX_GATES, .max_ogates = 0,
	.priv_size = sizeof(struct sw_portq), .init = init, .process = process,
	.show = sw_portq_show,
};
