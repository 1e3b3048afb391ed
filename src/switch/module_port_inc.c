/* PortInc(port): a task that receives from every rx queue of a port. */
#include <rte_ethdev.h>

#include "pipeline.h"
#include "port.h"
#include "port_offload.h"
#include "port_rx.h"

struct port_inc {
	struct module *port;   /* its port_base(): port.h */
	uint16_t nq;
	bool offloads;
	uint16_t want[RTE_MAX_QUEUES_PER_PORT];   /* per queue (port_rx.h) */
};

static int pinc_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"port", "prefetch", NULL};
	struct port_inc *p = m->priv;

	if (script_args_check(a, "PortInc", allowed, err))
		return -1;
	if (!script_args_get(a, "port"))
		return script_err_at(err, &a->pos, "PortInc: missing argument 'port'");
	return port_claim(m, script_args_get(a, "port"), PORT_INC, -1, &p->port, err);
}

static int pinc_start(struct module *m, struct kb_err *err)
{
	struct port_inc *p = m->priv;
	p->nq = (uint16_t)port_base(p->port)->nq[PORT_INC];
	p->offloads = port_base(p->port)->offloads;
	return 0;
}

static unsigned pinc_run(struct worker *w, struct module *m)
{
	struct port_inc *p = m->priv;
	struct pkt_batch b;
	unsigned n = 0;

	for (uint16_t q = 0; q < p->nq; q++) {
		n += port_rx_burst(port_base(p->port), q, &b, &p->want[q]);
		if (p->offloads)
			offload_rx_to_tx(b.pkts, b.cnt);
		module_emit(w, m, 0, &b);
	}
	return n;
}

static int pinc_wakeups(struct module *m, struct kb_rxintr **out, int max)
{
	struct port_inc *p = m->priv;

	if (p->nq > max)
		return -1;
	for (uint16_t q = 0; q < p->nq; q++)
		if (!(out[q] = port_rxintr(port_base(p->port), q)))
			return -1;
	return p->nq;
}

static void pinc_describe(const struct module *m, char *buf, size_t len)
{
	const struct port_inc *p = m->priv;
	snprintf(buf, len, "port=%s", p->port->name);
}

const struct module_class mod_port_inc = {
	.name = "PortInc",
	.help = "receives from every queue of a port: PortInc(port)",
	.priv_size = sizeof(struct port_inc),
	.max_ogates = 1,
	.init = pinc_init,
	.start = pinc_start,
	.run_task = pinc_run,
	.wakeups = pinc_wakeups,
	.describe = pinc_describe,
};
