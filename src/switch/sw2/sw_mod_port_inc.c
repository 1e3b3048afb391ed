/* PortInc(port): polls every incoming queue of a port, round-robin. */
#include "sw_portq.h"

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	return sw_portq_init(m, a, true, true, err);
}

static unsigned run_task(struct sw_module *m)
{
	struct sw_portq *s = m->priv;
	struct sw_batch b;
	unsigned total = 0;
	for (int q = 0; q < s->port->n_inc_q; q++) {
		total += sw_portq_rx(s, (uint16_t)q, &b);
		sw_emit(m, 0, &b);
	}
	return total;
}

const struct sw_class sw_port_inc_class = {
	.name = "PortInc", .max_igates = 0, .max_ogates = 1,
	.priv_size = sizeof(struct sw_portq), .init = init, .run_task = run_task,
	.show = sw_portq_show,
};
