/* PMDPort(vdev= | port_id= | pci=, num_inc_q, num_out_q, size_inc_q,
 * size_out_q).  Init only validates; the device is probed at start. */
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "kb_parse.h"
#include "kb_rxintr.h"
#include "pipeline.h"
#include "port_offload.h"
#include "port_pmd.h"

struct pmd_port {
	struct port_base base;      /* first: port.h */
	const char *src_key;        /* "vdev", "pci" or "port_id" */
	char dev[256];              /* the vdev/pci string */
	int64_t port_id;
	int64_t qsize[2];
	bool probed;                /* we probed it, so we remove it */
	bool started;
	bool intr;                  /* rx interrupts configured */
	bool cb_registered;
	struct kb_rxintr rxintr[PORT_MAX_Q];
};

static struct kb_rxintr *pmd_rxintr(struct port_base *pb, int qid);
static int pmd_counters(const struct port_base *pb, struct port_counters *c);
static unsigned pmd_mbufs_needed(const struct port_base *pb);

static const struct port_ops pmd_ops = {
	.rxintr = pmd_rxintr,
	.counters = pmd_counters,
	.mbufs_needed = pmd_mbufs_needed,
};

static int pmd_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"vdev", "port_id", "pci", "num_inc_q",
		"num_out_q", "size_inc_q", "size_out_q", NULL};
	struct pmd_port *p = m->priv;
	const char *vdev = NULL, *pci = NULL;
	int n = 0;

	p->base.ops = &pmd_ops;
	p->port_id = -1;
	p->base.nq[0] = p->base.nq[1] = 1;
	p->qsize[0] = p->qsize[1] = 1024;
	if (script_args_check(a, "PMDPort", allowed, err) ||
	    script_arg_str(a, "PMDPort", "vdev", 0, &vdev, err) ||
	    script_arg_str(a, "PMDPort", "pci", 0, &pci, err) ||
	    script_arg_int(a, "PMDPort", "port_id", 0, 0, RTE_MAX_ETHPORTS - 1, &p->port_id, err) ||
	    script_arg_int(a, "PMDPort", "num_inc_q", 0, 1, PORT_MAX_Q, &p->base.nq[0], err) ||
	    script_arg_int(a, "PMDPort", "num_out_q", 0, 1, PORT_MAX_Q, &p->base.nq[1], err) ||
	    script_arg_int(a, "PMDPort", "size_inc_q", 0, 64, 16384, &p->qsize[0], err) ||
	    script_arg_int(a, "PMDPort", "size_out_q", 0, 64, 16384, &p->qsize[1], err))
		return -1;
	n = !!vdev + !!pci + (p->port_id >= 0);
	if (n != 1)
		return script_err_at(err, &a->pos,
				     "PMDPort: expected exactly one of vdev=, pci= or port_id= (got %d)", n);
	for (int d = 0; d < 2; d++)
		if (!kb_is_pow2((uint64_t)p->qsize[d]))
			return script_err_at(err, &script_args_get(a, d ? "size_out_q" : "size_inc_q")->pos,
					     "PMDPort: %s must be a power of two (got %lld)",
					     d ? "size_out_q" : "size_inc_q", (long long)p->qsize[d]);
	if (vdev || pci) {
		const char *s = vdev ? vdev : pci;
		const struct script_value *v = script_args_get(a, vdev ? "vdev" : "pci");
		if (!*s || strlen(s) >= sizeof(p->dev))
			return script_err_at(err, &v->pos, "PMDPort: expected a device string of 1..255 bytes");
		snprintf(p->dev, sizeof(p->dev), "%s", s);
		p->src_key = vdev ? "vdev" : "pci";
		/* Two ports on one device would fight over its queues. */
		size_t l = strcspn(p->dev, ",");
		for (int i = 0; i < m->pl->n_mods; i++) {
			struct module *o = m->pl->mods[i];
			struct pmd_port *q = o->priv;
			if (o->cls == m->cls && q->dev[0] && strcspn(q->dev, ",") == l &&
			    !strncmp(q->dev, p->dev, l))
				return script_err_at(err, &v->pos, "PMDPort: device '%.*s' is already port '%s'",
						     (int)l, p->dev, o->name);
		}
	} else {
		p->src_key = "port_id";
	}
	return 0;
}

static unsigned pmd_mbufs_needed(const struct port_base *pb)
{
	return (unsigned)(pb->nq[0] * ((const struct pmd_port *)pb)->qsize[0] +
			  pb->nq[1] * ((const struct pmd_port *)pb)->qsize[1]);
}

static int pmd_counters(const struct port_base *pb, struct port_counters *c)
{
	const struct pmd_port *p = (const struct pmd_port *)pb;
	struct rte_eth_stats st;

	if (!p->started || rte_eth_stats_get(pb->pid, &st) != 0)
		return -1;
	c->rx_pkts = st.ipackets;
	c->rx_bytes = st.ibytes;
	c->rx_drops = st.imissed + st.ierrors + st.rx_nombuf;
	c->tx_pkts = st.opackets;
	c->tx_bytes = st.obytes;
	c->tx_drops = st.oerrors;
	return 0;
}

static int find_or_probe(struct pmd_port *p, struct kb_err *err)
{
	char name[256];
	int rc;

	if (p->port_id >= 0) {
		if (!rte_eth_dev_is_valid_port((uint16_t)p->port_id))
			return kb_err_set(err, "no DPDK port %lld", (long long)p->port_id);
		p->base.pid = (uint16_t)p->port_id;
		return 0;
	}
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(p->dev, ","), p->dev);
	if (rte_eth_dev_get_port_by_name(name, &p->base.pid) == 0)
		return 0;   /* probed by EAL (-a / --vdev) */
	if ((rc = rte_dev_probe(p->dev)) < 0)
		/* EAL says only "Bad address" when no driver takes the name */
		return kb_err_set(err, "cannot probe %s '%s': %s%s", p->src_key, p->dev,
				  rte_strerror(-rc), p->src_key[0] != 'v' ? "" :
				  " (a vdev is named for its driver plus a number: net_vhost0, "
				  "net_virtio_user0, net_tap0, net_pcap0, net_null0, ...)");
	p->probed = true;
	if (rte_eth_dev_get_port_by_name(name, &p->base.pid) != 0)
		return kb_err_set(err, "'%s' probed but is not an ethdev", p->dev);
	return 0;
}

static struct kb_rxintr *pmd_rxintr(struct port_base *pb, int qid)
{
	struct pmd_port *p = (struct pmd_port *)pb;

	if (!p->started || qid < 0 || qid >= pb->nq[PORT_INC] || p->rxintr[qid].fd < 0)
		return NULL;
	return &p->rxintr[qid];
}

/* A VM connected, left or enabled a ring (vhost-events thread): new
 * virtio rings come up with notifications off, so a worker blocked on the
 * old state must wake, poll, and re-arm. */
static int on_port_event(uint16_t pid, enum rte_eth_event_type type, void *arg, void *ret)
{
	pipeline_kick(arg);
	return 0;
}

static const enum rte_eth_event_type kick_events[] = {
	RTE_ETH_EVENT_INTR_LSC, RTE_ETH_EVENT_QUEUE_STATE,
};

static int pmd_start(struct module *m, struct kb_err *err)
{
	struct pmd_port *p = m->priv;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx, ntx;
	int rc;

	if (find_or_probe(p, err) < 0)
		return -1;
	if ((rc = rte_eth_dev_info_get(p->base.pid, &info)) < 0)
		return kb_err_set(err, "device info: %s", rte_strerror(-rc));
	if (p->base.nq[0] > info.max_rx_queues || p->base.nq[1] > info.max_tx_queues)
		return kb_err_set(err, "the device has %u rx / %u tx queues, %lld/%lld asked",
				  info.max_rx_queues, info.max_tx_queues,
				  (long long)p->base.nq[0], (long long)p->base.nq[1]);
	memset(&conf, 0, sizeof(conf));
	/* Pass big and partially checksummed frames through untouched: take
	 * them chained (SCATTER), keep their checksums partial on receive
	 * (Rx TCP/UDP_CKSUM: else net_vhost completes them in software), and
	 * hand them on with their requests (Tx TSO/CKSUM, MULTI_SEGS) for the
	 * next port -- a vhost-user port writes them into its guest's virtio
	 * header, or completes them itself for a guest that cannot take them. */
	conf.rxmode.offloads = info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_SCATTER |
		RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	conf.txmode.offloads = info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
		RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_TSO);
	/* net_tap's software checksum and GSO get chains wrong (see the
	 * layer's negotiate_offloads): port_offload.c does them instead */
	if (info.driver_name && !strcmp(info.driver_name, "net_tap"))
		conf.txmode.offloads &= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	p->base.offloads = (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
	p->base.ol.vhost = info.driver_name && !strcmp(info.driver_name, "net_vhost");
	p->base.ol.tx_offloads = conf.txmode.offloads;
	p->base.ol.gso = (struct rte_gso_ctx){ .direct_pool = m->pl->pool, .indirect_pool = m->pl->pool,
					  .gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO };
	/* an idle worker blocks on the queues' kicks instead of polling */
	p->intr = !m->pl->pure_poll && kb_rxintr_configure(p->base.pid, &conf);
	if ((rc = rte_eth_dev_configure(p->base.pid, (uint16_t)p->base.nq[0], (uint16_t)p->base.nq[1], &conf)) < 0)
		return kb_err_set(err, "configure: %s", rte_strerror(-rc));
	nrx = (uint16_t)p->qsize[0];
	ntx = (uint16_t)p->qsize[1];
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->base.pid, &nrx, &ntx)) < 0)
		return kb_err_set(err, "queue sizes: %s", rte_strerror(-rc));
	for (uint16_t q = 0; q < p->base.nq[0]; q++)
		if ((rc = rte_eth_rx_queue_setup(p->base.pid, q, nrx, rte_eth_dev_socket_id(p->base.pid),
						 NULL, m->pl->pool)) < 0)
			return kb_err_set(err, "rx queue %u: %s", q, rte_strerror(-rc));
	for (uint16_t q = 0; q < p->base.nq[1]; q++)
		if ((rc = rte_eth_tx_queue_setup(p->base.pid, q, ntx, rte_eth_dev_socket_id(p->base.pid),
						 NULL)) < 0)
			return kb_err_set(err, "tx queue %u: %s", q, rte_strerror(-rc));
	if ((rc = rte_eth_dev_start(p->base.pid)) < 0)
		return kb_err_set(err, "start: %s", rte_strerror(-rc));
	p->started = true;
	rte_eth_promiscuous_enable(p->base.pid);   /* a switch port sees every MAC */
	for (uint16_t q = 0; q < p->base.nq[0]; q++)
		kb_rxintr_init(&p->rxintr[q], p->base.pid, q, p->intr);
	if (p->intr) {
		for (size_t i = 0; i < sizeof(kick_events) / sizeof(kick_events[0]); i++)
			rte_eth_dev_callback_register(p->base.pid, kick_events[i], on_port_event, m->pl);
		p->cb_registered = true;
	}
	return 0;
}

static void pmd_stop(struct module *m)
{
	struct pmd_port *p = m->priv;
	struct rte_eth_dev_info info;
	char name[RTE_DEV_NAME_MAX_LEN] = "";

	if (!p->started)
		return;
	p->started = false;
	if (p->cb_registered)
		for (size_t i = 0; i < sizeof(kick_events) / sizeof(kick_events[0]); i++)
			rte_eth_dev_callback_unregister(p->base.pid, kick_events[i], on_port_event, m->pl);
	p->cb_registered = false;
	if (rte_eth_dev_info_get(p->base.pid, &info) == 0 && info.device)
		snprintf(name, sizeof(name), "%s", rte_dev_name(info.device));
	rte_eth_dev_stop(p->base.pid);   /* net_pcap flushes its dump files here */
	rte_eth_dev_close(p->base.pid);  /* net_vhost removes its socket here */
	if (p->probed && name[0])
		rte_eal_hotplug_remove("vdev", name);
}

static void pmd_describe(const struct module *m, char *buf, size_t len)
{
	const struct pmd_port *p = m->priv;
	struct rte_eth_stats st;
	struct rte_ether_addr mac;
	struct rte_eth_link link;
	char macs[RTE_ETHER_ADDR_FMT_SIZE] = "?";

	if (!p->started) {
		snprintf(buf, len, "%s=%s (not started)", p->src_key, p->dev);
		return;
	}
	memset(&st, 0, sizeof(st));
	memset(&link, 0, sizeof(link));
	rte_eth_stats_get(p->base.pid, &st);
	rte_eth_link_get_nowait(p->base.pid, &link);
	if (rte_eth_macaddr_get(p->base.pid, &mac) == 0)
		rte_ether_format_addr(macs, sizeof(macs), &mac);
	snprintf(buf, len,
		 "port_id=%u %s=%s mac=%s link=%s offloads=%s gso_frames=%" PRIu64 " gso_segs=%" PRIu64
		 " sw_cksum=%" PRIu64 " gso_drops=%" PRIu64 " inc_q=%lld out_q=%lld "
		 "rx_pkts=%" PRIu64 " rx_bytes=%" PRIu64 " rx_missed=%" PRIu64 " rx_errors=%" PRIu64
		 " tx_pkts=%" PRIu64 " tx_bytes=%" PRIu64 " tx_errors=%" PRIu64,
		 p->base.pid, p->src_key, p->port_id >= 0 ? "" : p->dev, macs,
		 link.link_status ? "up" : "down", p->base.offloads ? "on" : "off", p->base.ol.gso_frames,
		 p->base.ol.gso_segs, p->base.ol.sw_cksum, p->base.ol.gso_drops, (long long)p->base.nq[0], (long long)p->base.nq[1],
		 st.ipackets, st.ibytes, st.imissed, st.ierrors, st.opackets, st.obytes,
		 st.oerrors);
}

const struct module_class mod_pmdport = {
	.name = "PMDPort",
	.help = "a DPDK port: PMDPort(vdev=|pci=|port_id=, num_inc_q, num_out_q, size_inc_q, size_out_q)",
	.priv_size = sizeof(struct pmd_port),
	.is_port = true,
	.init = pmd_init,
	.start = pmd_start,
	.stop = pmd_stop,
	.describe = pmd_describe,
};
