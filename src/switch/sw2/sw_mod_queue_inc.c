/* QueueInc(port, qid): polls one incoming queue of a port. */
#include "sw_portq.h"

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	return sw_portq_init(m, a, true, false, err);
}

static unsigned run_task(struct sw_module *m)
{
	struct sw_portq *s = m->priv;
	struct sw_batch b;
	uint16_t n = sw_portq_rx(s, (uint16_t)s->qid, &b);
	sw_emit(m, 0, &b);
	return n;
}

const struct sw_class sw_queue_inc_class = {
	.name = "QueueInc", .max_igates = 0, .max_ogates = 1,
	.priv_size = sizeof(struct sw_portq), .init = init, .run_task = run_task,
	.show = sw_portq_show,
};
