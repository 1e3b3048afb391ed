/* QueueOut(port, qid): sends to one tx queue; what it can't take is freed and
 * counted in the module's drops. */
#include "pipeline.h"
#include "port.h"
#include "port_tx.h"

struct queue_out {
	struct module *port;   /* its port_base(): port.h */
	int64_t qid;
	uint64_t sent;
};

static int qout_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"port", "qid", NULL};
	struct queue_out *q = m->priv;

	if (script_args_check(a, "QueueOut", allowed, err) ||
	    script_arg_int(a, "QueueOut", "qid", 0, 0, 15, &q->qid, err))
		return -1;
	if (!script_args_get(a, "port"))
		return script_err_at(err, &a->pos, "QueueOut: missing argument 'port'");
	return port_claim(m, script_args_get(a, "port"), PORT_OUT, (int)q->qid, &q->port, err);
}

static void qout_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct queue_out *q = m->priv;
	q->sent += port_tx(m, port_base(q->port), (uint16_t)q->qid, b);
}

static int qout_tx_port(const struct module *m)
{
	const struct queue_out *q = m->priv;
	return port_base(q->port)->pid;
}

static void qout_describe(const struct module *m, char *buf, size_t len)
{
	const struct queue_out *q = m->priv;
	snprintf(buf, len, "port=%s qid=%lld sent=%" PRIu64, q->port->name,
		 (long long)q->qid, q->sent);
}

const struct module_class mod_queue_out = {
	.name = "QueueOut",
	.help = "sends to one queue of a port: QueueOut(port, qid=0)",
	.priv_size = sizeof(struct queue_out),
	.max_igates = 1,
	.init = qout_init,
	.process = qout_process,
	.describe = qout_describe,
	.tx_port = qout_tx_port,
};
