/* QueueInc(port, qid): a task that receives bursts from one rx queue. */
#include <rte_ethdev.h>

#include "pipeline.h"
#include "port.h"
#include "port_offload.h"
#include "port_rx.h"

struct queue_inc {
	struct module *port;   /* its port_base(): port.h */
	int64_t qid;
	uint16_t want;   /* next burst's size (port_rx.h) */
	bool offloads;
};

static int qinc_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"port", "qid", "prefetch", NULL};
	struct queue_inc *q = m->priv;

	if (script_args_check(a, "QueueInc", allowed, err) ||
	    script_arg_int(a, "QueueInc", "qid", 0, 0, 15, &q->qid, err))
		return -1;
	if (!script_args_get(a, "port"))
		return script_err_at(err, &a->pos, "QueueInc: missing argument 'port'");
	return port_claim(m, script_args_get(a, "port"), PORT_INC, (int)q->qid, &q->port, err);
}

static int qinc_start(struct module *m, struct kb_err *err)
{
	struct queue_inc *q = m->priv;
	q->offloads = port_base(q->port)->offloads;
	return 0;
}

static unsigned qinc_run(struct worker *w, struct module *m)
{
	struct queue_inc *q = m->priv;
	struct pkt_batch b;

	if (port_rx_burst(port_base(q->port), (uint16_t)q->qid, &b, &q->want)) {
		unsigned n = b.cnt;

		if (q->offloads)
			offload_rx_to_tx(b.pkts, n);
		module_emit(w, m, 0, &b);
		return n;
	}
	return 0;
}

static int qinc_wakeups(struct module *m, struct kb_rxintr **out, int max)
{
	struct queue_inc *q = m->priv;

	if (max < 1 || !(out[0] = port_rxintr(port_base(q->port), (int)q->qid)))
		return -1;
	return 1;
}

static void qinc_describe(const struct module *m, char *buf, size_t len)
{
	const struct queue_inc *q = m->priv;
	snprintf(buf, len, "port=%s qid=%lld", q->port->name, (long long)q->qid);
}

const struct module_class mod_queue_inc = {
	.name = "QueueInc",
	.help = "receives from one queue of a port: QueueInc(port, qid=0)",
	.priv_size = sizeof(struct queue_inc),
	.max_ogates = 1,
	.init = qinc_init,
	.start = qinc_start,
	.run_task = qinc_run,
	.wakeups = qinc_wakeups,
	.describe = qinc_describe,
};
