/* PMDPort: any DPDK vdev, PCI device or already-probed port id. */
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "kb_parse.h"
#include "sw_pipeline.h"

int sw_port_create(struct sw_pipeline *pl, const char *name,
		   const struct script_args *a, const struct script_pos *pos,
		   struct kb_err *err)
{
	static const char *const keys[] = { "vdev", "port_id", "pci", "num_inc_q",
		"num_out_q", "size_inc_q", "size_out_q", NULL };
	const char *vdev = NULL, *pci = NULL;
	int64_t port_id = -1, niq = 1, noq = 1, siq = 1024, soq = 1024;

	if (pl->n_ports == SW_MAX_PORTS)
		return script_err_at(err, pos, "too many ports (at most %d)", SW_MAX_PORTS);
	if (script_args_check(a, "PMDPort", keys, err) ||
	    script_arg_str(a, "PMDPort", "vdev", 0, &vdev, err) ||
	    script_arg_str(a, "PMDPort", "pci", 0, &pci, err) ||
	    script_arg_int(a, "PMDPort", "port_id", 0, 0, RTE_MAX_ETHPORTS - 1, &port_id, err) ||
	    script_arg_int(a, "PMDPort", "num_inc_q", 0, 1, SW_MAX_QUEUES, &niq, err) ||
	    script_arg_int(a, "PMDPort", "num_out_q", 0, 1, SW_MAX_QUEUES, &noq, err) ||
	    script_arg_int(a, "PMDPort", "size_inc_q", 0, 64, 16384, &siq, err) ||
	    script_arg_int(a, "PMDPort", "size_out_q", 0, 64, 16384, &soq, err))
		return -1;
	int given = !!vdev + !!pci + (port_id >= 0);
	if (given != 1)
		return script_err_at(err, &a->pos, "PMDPort: exactly one of vdev=, pci=, port_id= "
				     "is expected (%d given)", given);
	if (vdev && !*vdev)
		return script_err_at(err, &script_args_get(a, "vdev")->pos,
				     "PMDPort: 'vdev' must name a driver, e.g. 'net_vhost0,iface=PATH'");
	const char *sz[] = { "size_inc_q", "size_out_q" };
	int64_t sv[] = { siq, soq };
	for (int i = 0; i < 2; i++)
		if (!kb_is_pow2((uint64_t)sv[i]))
			return script_err_at(err, &script_args_get(a, sz[i])->pos,
					     "PMDPort: '%s' must be a power of two, not %lld",
					     sz[i], (long long)sv[i]);
	for (int i = 0; i < pl->n_ports; i++) {
		const char *d = pl->ports[i].devargs;
		const char *mine = vdev ? vdev : pci;
		size_t l1 = d ? strcspn(d, ",") : 0, l2 = mine ? strcspn(mine, ",") : 0;
		if ((d && mine && l1 == l2 && !strncmp(d, mine, l1)) ||
		    (port_id >= 0 && pl->ports[i].port_id == port_id))
			return script_err_at(err, pos, "port '%s' opens the same device as '%s'",
					     name, pl->ports[i].name);
	}

	struct sw_port *p = &pl->ports[pl->n_ports];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->pos = *pos;
	p->devargs = vdev ? strdup(vdev) : pci ? strdup(pci) : NULL;
	p->port_id = (int)port_id;
	p->n_inc_q = (int)niq;
	p->n_out_q = (int)noq;
	p->size_inc_q = (int)siq;
	p->size_out_q = (int)soq;
	pl->n_ports++;
	return 0;
}

int sw_port_open(struct sw_pipeline *pl, struct sw_port *p, struct kb_err *err)
{
	uint16_t pid;
	int rc;

	if (p->devargs) {
		char dev[128];
		size_t l = strcspn(p->devargs, ",");
		snprintf(dev, sizeof(dev), "%.*s", (int)l, p->devargs);
		rc = rte_dev_probe(p->devargs);
		if (rc)
			return kb_err_at(err, p->pos.file, p->pos.line, p->pos.col,
					 "port '%s': cannot probe '%s': %s", p->name, p->devargs,
					 rte_strerror(-rc));
		p->probed = true;
		if (rte_eth_dev_get_port_by_name(dev, &pid))
			return kb_err_at(err, p->pos.file, p->pos.line, p->pos.col,
					 "port '%s': '%s' is not an ethdev", p->name, dev);
		p->port_id = pid;
	} else {
		pid = (uint16_t)p->port_id;
		if (!rte_eth_dev_is_valid_port(pid))
			return kb_err_at(err, p->pos.file, p->pos.line, p->pos.col,
					 "port '%s': no DPDK port %d", p->name, p->port_id);
	}

	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = { 0 };
	if ((rc = rte_eth_dev_info_get(pid, &info)))
		goto fail;
	if (p->n_inc_q > info.max_rx_queues || p->n_out_q > info.max_tx_queues) {
		return kb_err_at(err, p->pos.file, p->pos.line, p->pos.col,
				 "port '%s': %d/%d queues asked, device has %u/%u", p->name,
				 p->n_inc_q, p->n_out_q, info.max_rx_queues, info.max_tx_queues);
	}
	/* Frames larger than one mbuf arrive and leave as chains. */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if ((rc = rte_eth_dev_configure(pid, (uint16_t)p->n_inc_q, (uint16_t)p->n_out_q, &conf)))
		goto fail;
	uint16_t nrx = (uint16_t)p->size_inc_q, ntx = (uint16_t)p->size_out_q;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx)))
		goto fail;
	int sock = rte_eth_dev_socket_id(pid);
	for (int q = 0; q < p->n_inc_q; q++)
		if ((rc = rte_eth_rx_queue_setup(pid, (uint16_t)q, nrx, (unsigned)sock, NULL, pl->pool)))
			goto fail;
	for (int q = 0; q < p->n_out_q; q++)
		if ((rc = rte_eth_tx_queue_setup(pid, (uint16_t)q, ntx, (unsigned)sock, NULL)))
			goto fail;
	if ((rc = rte_eth_dev_start(pid)))
		goto fail;
	rte_eth_promiscuous_enable(pid);   /* a switch port sees every frame; some PMDs refuse */
	p->started = true;
	return 0;
fail:
	return kb_err_at(err, p->pos.file, p->pos.line, p->pos.col, "port '%s': %s",
			 p->name, rte_strerror(rc < 0 ? -rc : rc));
}

void sw_port_close(struct sw_port *p)
{
	if (p->started) {
		rte_eth_dev_stop((uint16_t)p->port_id);
		p->started = false;
	}
	if (p->probed) {
		/* Closing flushes pcap output and removes a vhost socket. */
		rte_eth_dev_close((uint16_t)p->port_id);
		p->probed = false;
	}
}

void sw_port_show(struct sw_port *p, FILE *f)
{
	struct rte_eth_stats st = { 0 };
	struct rte_eth_link link = { 0 };
	if (p->port_id >= 0 && rte_eth_dev_is_valid_port((uint16_t)p->port_id)) {
		rte_eth_stats_get((uint16_t)p->port_id, &st);
		rte_eth_link_get_nowait((uint16_t)p->port_id, &link);
	}
	fprintf(f, "port %s (dpdk %d, %s, link %s): rx_pkts=%" PRIu64 " rx_bytes=%" PRIu64
		" tx_pkts=%" PRIu64 " tx_bytes=%" PRIu64 " rx_missed=%" PRIu64
		" rx_errors=%" PRIu64 " tx_errors=%" PRIu64 " rx_nombuf=%" PRIu64 "\n",
		p->name, p->port_id, p->devargs ? p->devargs : "port_id",
		link.link_status ? "up" : "down", st.ipackets, st.ibytes, st.opackets,
		st.obytes, st.imissed, st.ierrors, st.oerrors, st.rx_nombuf);
}
