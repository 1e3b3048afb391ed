/* QueueOut(port, qid): sends to one outgoing queue; frees and counts what
 * the ring can't take. */
#include "sw_portq.h"

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	return sw_portq_init(m, a, false, false, err);
}

static void process(struct sw_module *m, struct sw_batch *b)
{
	struct sw_portq *s = m->priv;
	sw_portq_tx(s, (uint16_t)s->qid, b);
}

const struct sw_class sw_queue_out_class = {
	.name = "QueueOut", .max_igates = SW_MAX_GATES, .max_ogates = 0,
	.priv_size = sizeof(struct sw_portq), .init = init, .process = process,
	.show = sw_portq_show,
};
