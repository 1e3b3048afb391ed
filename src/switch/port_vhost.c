/* VhostPort(path, client=0): a VM's vhost-user port, served by kbswitch
 * itself rather than by DPDK's net_vhost (vhost_dev.h says why: one copy
 * per frame instead of two).  One queue pair.  client=1 connects to a
 * guest that listens (virtio-user server=1, QEMU's server=on) and
 * reconnects when it comes back; else kbswitch listens on path.
 *
 * Its frames leave with Tx offload requests already (the guest's virtio
 * header), so QueueInc has nothing to turn; what the next guest cannot
 * take is done in software by port_offload.c.
 *
 * The wake-up (kb_rxintr) is an epoll fd of the port's own holding the
 * guest's kickfd (swapped when the guest reconnects) and an eventfd that
 * the vhost-user thread writes when a new device appears, so a sleeping
 * worker turns notifications on for the new rings. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_spinlock.h>

#include "kb_rxintr.h"
#include "pipeline.h"
#include "port.h"
#include "vhost_user.h"

extern const struct module_class mod_vhostport;

struct vhost_port {
	struct port_base base;            /* first: port.h */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int64_t client;
	struct module *m;
	struct vhost_user *vu;
	struct vhost_dev *live;           /* written by the vhost-user thread only */
	struct vhost_stats rx_st;         /* the rx task's worker writes these */
	struct vhost_stats tx_st;         /* under tx_lock */
	rte_spinlock_t tx_lock;           /* QueueOut may run on several workers */
	struct kb_rxintr rxintr;
	int epfd, selffd;
	bool started;
};

static const struct port_ops vport_ops;

static int vport_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"path", "client", NULL};
	struct vhost_port *p = m->priv;
	const char *path = NULL;

	p->base.ops = &vport_ops;
	p->m = m;
	p->epfd = p->selffd = -1;
	p->base.nq[PORT_INC] = p->base.nq[PORT_OUT] = 1;
	if (script_args_check(a, "VhostPort", allowed, err) ||
	    script_arg_str(a, "VhostPort", "path", 1, &path, err) ||
	    script_arg_int(a, "VhostPort", "client", 0, 0, 1, &p->client, err))
		return -1;
	if (!*path || strlen(path) >= sizeof(p->path))
		return script_err_at(err, &script_args_get(a, "path")->pos,
				     "VhostPort: expected a socket path of 1..%zu bytes", sizeof(p->path) - 1);
	snprintf(p->path, sizeof(p->path), "%s", path);
	for (int i = 0; i < m->pl->n_mods; i++) {
		struct module *o = m->pl->mods[i];

		if (o != m && o->cls == &mod_vhostport && !strcmp(((struct vhost_port *)o->priv)->path, p->path))
			return script_err_at(err, &script_args_get(a, "path")->pos,
					     "VhostPort: socket '%s' is already port '%s'", p->path, o->name);
	}
	return 0;
}

/* ---- data path ---- */

static uint16_t vport_rx(struct port_base *pb, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhost_port *p = (struct vhost_port *)pb;
	struct vhost_dev *d = __atomic_load_n(&p->live, __ATOMIC_ACQUIRE);

	(void)q;
	return d ? vhost_dev_dequeue(d, p->m->pl->pool, pkts, n, &p->rx_st) : 0;
}

/* Copied frames are freed here (which hands their senders' buffers back);
 * the rest are the caller's to drop. */
static uint16_t vport_tx(struct port_base *pb, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhost_port *p = (struct vhost_port *)pb;
	struct vhost_dev *d = __atomic_load_n(&p->live, __ATOMIC_ACQUIRE);
	uint16_t k = 0;

	(void)q;
	if (d) {
		rte_spinlock_lock(&p->tx_lock);
		k = vhost_dev_enqueue(d, pkts, n, &p->tx_st);
		rte_spinlock_unlock(&p->tx_lock);
	}
	rte_pktmbuf_free_bulk(pkts, k);
	return k;
}

/* Makes the port's wake-up readable: a worker blocked on it polls. */
static void kick_self(struct vhost_port *p)
{
	uint64_t one = 1;

	if (write(p->selffd, &one, sizeof(one)) < 0)
		return;   /* EAGAIN: already readable */
}

/* kb_rxintr's arm/disarm, on the worker. */
static void vport_notify(struct kb_rxintr *ri, bool on)
{
	struct vhost_port *p = ri->ctx;
	struct vhost_dev *d = __atomic_load_n(&p->live, __ATOMIC_ACQUIRE);

	if (d)
		vhost_dev_notify(d, on);
	if (on) {
		/* a guest that gave no kickfd cannot wake us: do not sleep */
		if (d && d->vq[1].kickfd < 0)
			kick_self(p);
		return;
	}
	if (d)
		kb_fd_drain(d->vq[1].kickfd);
	kb_fd_drain(p->selffd);
}

static struct kb_rxintr *vport_rxintr(struct port_base *pb, int q)
{
	struct vhost_port *p = (struct vhost_port *)pb;

	return p->started && q == 0 && p->rxintr.fd >= 0 ? &p->rxintr : NULL;
}

static int vport_counters(const struct port_base *pb, struct port_counters *c)
{
	const struct vhost_port *p = (const struct vhost_port *)pb;

	if (!p->started)
		return -1;
	c->rx_pkts = __atomic_load_n(&p->rx_st.rx_pkts, __ATOMIC_RELAXED);
	c->rx_bytes = __atomic_load_n(&p->rx_st.rx_bytes, __ATOMIC_RELAXED);
	c->rx_drops = __atomic_load_n(&p->rx_st.rx_bad, __ATOMIC_RELAXED) +
		      __atomic_load_n(&p->rx_st.rx_nombuf, __ATOMIC_RELAXED);
	c->tx_pkts = __atomic_load_n(&p->tx_st.tx_pkts, __ATOMIC_RELAXED);
	c->tx_bytes = __atomic_load_n(&p->tx_st.tx_bytes, __ATOMIC_RELAXED);
	c->tx_drops = __atomic_load_n(&p->tx_st.tx_toobig, __ATOMIC_RELAXED);
	return 0;
}

/* Headers of frames lent out by the guest's transmit ring (at most one per
 * descriptor of a ring of up to 1024, a few more for pieces over 32 KB). */
static unsigned vport_mbufs_needed(const struct port_base *pb)
{
	(void)pb;
	return 2048;
}

static const struct port_ops vport_ops = {
	.rx = vport_rx,
	.tx = vport_tx,
	.rxintr = vport_rxintr,
	.counters = vport_counters,
	.mbufs_needed = vport_mbufs_needed,
};

/* ---- control ---- */

/* The vhost-user thread hands over a device (or takes it back). */
static void vport_publish(void *ctx, struct vhost_dev *d)
{
	struct vhost_port *p = ctx;
	struct vhost_dev *old = p->live;

	if (old && old->vq[1].kickfd >= 0)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, old->vq[1].kickfd, NULL);
	if (d && d->vq[1].kickfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };

		epoll_ctl(p->epfd, EPOLL_CTL_ADD, d->vq[1].kickfd, &ev);
	}
	__atomic_store_n(&p->base.ol.guest_features, d ? d->features : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->live, d, __ATOMIC_RELEASE);
	if (old)
		pipeline_synchronize(p->m->pl);
	if (d)
		kick_self(p);   /* a sleeping worker arms the new rings */
}

/* An id for m->port that no ethdev has (L2Forward learns by it). */
static uint16_t pick_pid(struct module *m)
{
	for (int id = RTE_MAX_ETHPORTS - 1; id >= 0; id--) {
		bool taken = rte_eth_dev_is_valid_port((uint16_t)id);

		for (int i = 0; i < m->pl->n_mods && !taken; i++) {
			struct module *o = m->pl->mods[i];

			taken = o != m && o->cls == &mod_vhostport &&
				((struct vhost_port *)o->priv)->started &&
				((struct vhost_port *)o->priv)->base.pid == id;
		}
		if (!taken)
			return (uint16_t)id;
	}
	return RTE_MAX_ETHPORTS;   /* none: it is not learned from */
}

static void vport_stop(struct module *m);

static int vport_start(struct module *m, struct kb_err *err)
{
	struct vhost_port *p = m->priv;
	struct epoll_event ev = { .events = EPOLLIN };
	struct vhost_user_cfg cfg;

	p->base.pid = pick_pid(m);
	p->base.offloads = false;
	p->base.ol = (struct port_offload){ .own_vhost = true,
		.gso = { .direct_pool = m->pl->pool, .indirect_pool = m->pl->pool,
			 .gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO } };
	rte_spinlock_init(&p->tx_lock);
	memset(&p->rxintr, 0, sizeof(p->rxintr));
	p->rxintr.fd = p->rxintr.kickfd = -1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->selffd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->epfd < 0 || p->selffd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->selffd, &ev) < 0) {
		kb_err_set(err, "VhostPort %s: epoll: %s", p->path, strerror(errno));
		vport_stop(m);
		return -1;
	}
	if (!m->pl->pure_poll) {
		p->rxintr.fd = p->epfd;
		p->rxintr.port = p->base.pid;
		p->rxintr.set_notify = vport_notify;
		p->rxintr.ctx = p;
	}
	p->started = true;
	cfg = (struct vhost_user_cfg){ .path = p->path, .client = p->client, .port_id = p->base.pid,
				       .publish = vport_publish, .ctx = p };
	if (vhost_user_start(&p->vu, &cfg, err) < 0) {
		p->vu = NULL;
		vport_stop(m);
		return -1;
	}
	return 0;
}

static void vport_stop(struct module *m)
{
	struct vhost_port *p = m->priv;

	vhost_user_stop(p->vu);   /* unpublishes */
	p->vu = NULL;
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->selffd >= 0)
		close(p->selffd);
	p->epfd = p->selffd = -1;
	p->started = false;
}

static void vport_describe(const struct module *m, char *buf, size_t len)
{
	const struct vhost_port *p = m->priv;
	struct vhost_user_info in;
	const struct port_offload *ol = &p->base.ol;

	if (!p->started || !p->vu) {
		snprintf(buf, len, "path=%s (not started)", p->path);
		return;
	}
	vhost_user_info(p->vu, &in);
	snprintf(buf, len,
		 "port_id=%u path=%s %s link=%s features=0x%" PRIx64 " connects=%" PRIu64
		 " gso_frames=%" PRIu64 " gso_segs=%" PRIu64 " sw_cksum=%" PRIu64 " gso_drops=%" PRIu64
		 " rx_pkts=%" PRIu64 " rx_bytes=%" PRIu64 " rx_bad=%" PRIu64 " rx_nombuf=%" PRIu64
		 " tx_pkts=%" PRIu64 " tx_bytes=%" PRIu64 " tx_full=%" PRIu64 " tx_toobig=%" PRIu64
		 " tx_bad=%" PRIu64 " calls=%" PRIu64 " stuck=%" PRIu64 " proto_errors=%" PRIu64 "%s%s",
		 p->base.pid, p->path, p->client ? "client" : "server", in.live ? "up" : "down",
		 in.features, in.connects, ol->gso_frames, ol->gso_segs, ol->sw_cksum, ol->gso_drops,
		 p->rx_st.rx_pkts, p->rx_st.rx_bytes, p->rx_st.rx_bad, p->rx_st.rx_nombuf,
		 p->tx_st.tx_pkts, p->tx_st.tx_bytes, p->tx_st.tx_full, p->tx_st.tx_toobig,
		 p->tx_st.tx_bad, p->rx_st.calls + p->tx_st.calls, in.stuck, in.proto_errors,
		 in.last_error[0] ? " last_error=" : "", in.last_error);
}

const struct module_class mod_vhostport = {
	.name = "VhostPort",
	.help = "a VM's vhost-user port served by kbswitch (one copy per frame): "
		"VhostPort(path, client=0)",
	.priv_size = sizeof(struct vhost_port),
	.is_port = true,
	.init = vport_init,
	.start = vport_start,
	.stop = vport_stop,
	.describe = vport_describe,
};
