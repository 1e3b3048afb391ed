/* PortOut(port): sends through the port's tx queues, one per worker (worker
 * id modulo the queue count), so two workers never share a queue unless the
 * port has fewer queues than workers. */
#include "pipeline.h"
#include "port.h"
#include "port_tx.h"

struct port_out {
	struct module *port;   /* its port_base(): port.h */
	uint16_t nq;
	uint64_t sent;
};

static int pout_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"port", NULL};
	struct port_out *p = m->priv;

	if (script_args_check(a, "PortOut", allowed, err))
		return -1;
	if (!script_args_get(a, "port"))
		return script_err_at(err, &a->pos, "PortOut: missing argument 'port'");
	return port_claim(m, script_args_get(a, "port"), PORT_OUT, -1, &p->port, err);
}

static int pout_start(struct module *m, struct kb_err *err)
{
	struct port_out *p = m->priv;
	p->nq = (uint16_t)port_base(p->port)->nq[PORT_OUT];
	return 0;
}

static void pout_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct port_out *p = m->priv;
	p->sent += port_tx(m, port_base(p->port), (uint16_t)(w->wid % p->nq), b);
}

static int pout_tx_port(const struct module *m)
{
	const struct port_out *p = m->priv;
	return port_base(p->port)->pid;
}

static void pout_describe(const struct module *m, char *buf, size_t len)
{
	const struct port_out *p = m->priv;
	snprintf(buf, len, "port=%s sent=%" PRIu64, p->port->name, p->sent);
}

const struct module_class mod_port_out = {
	.name = "PortOut",
	.help = "sends through a port: PortOut(port)",
	.priv_size = sizeof(struct port_out),
	.max_igates = 1,
	.init = pout_init,
	.start = pout_start,
	.process = pout_process,
	.describe = pout_describe,
	.tx_port = pout_tx_port,
};
