/* PortOut(port): sends through the port's tx queues, one per worker (worker
 * id modulo the queue count), so two workers never share a queue unless the
 * port has fewer queues than workers. */
#include "pipeline.h"
#include "port_pmd.h"
#include "port_tx.h"

struct port_out {
	struct module *port;
	uint16_t pid;
	uint16_t nq;
	uint64_t sent;
	struct port_offload *ol;
};

static int pout_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"port", NULL};
	struct port_out *p = m->priv;

	if (script_args_check(a, "PortOut", allowed, err))
		return -1;
	if (!script_args_get(a, "port"))
		return script_err_at(err, &a->pos, "PortOut: missing argument 'port'");
	return pmd_port_claim(m, script_args_get(a, "port"), PORT_OUT, -1, &p->port, err);
}

static int pout_start(struct module *m, struct kb_err *err)
{
	struct port_out *p = m->priv;
	p->pid = pmd_port_id(p->port);
	p->ol = pmd_port_offload(p->port);
	p->nq = (uint16_t)pmd_port_nb_queues(p->port, PORT_OUT);
	return 0;
}

static void pout_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct port_out *p = m->priv;
	p->sent += port_tx(m, p->pid, (uint16_t)(w->wid % p->nq), b, p->ol);
}

static int pout_tx_port(const struct module *m)
{
	const struct port_out *p = m->priv;
	return pmd_port_id(p->port);
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
