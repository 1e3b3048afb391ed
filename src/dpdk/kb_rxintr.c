#include "kb_rxintr.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_vhost.h>

static bool driver_is(uint16_t port, const char *name)
{
	struct rte_eth_dev_info di;

	return rte_eth_dev_info_get(port, &di) == 0 && di.driver_name &&
	       strcmp(di.driver_name, name) == 0;
}

void kb_fd_drain(int fd)
{
	uint64_t v;
	struct iovec iov = { .iov_base = &v, .iov_len = sizeof(v) };

	if (fd >= 0 && preadv2(fd, &iov, 1, -1, RWF_NOWAIT) < 0)
		return;   /* EAGAIN: nothing to drain */
}

bool kb_rxintr_configure(uint16_t port, struct rte_eth_conf *conf)
{
	if (!driver_is(port, "net_vhost") && !driver_is(port, "net_virtio_user"))
		return false;
	conf->intr_conf.rxq = 1;
	return true;
}

void kb_rxintr_init(struct kb_rxintr *q, uint16_t port, uint16_t queue, bool configured)
{
	memset(q, 0, sizeof(*q));
	q->port = port;
	q->queue = queue;
	q->fd = -1;
	q->kickfd = -1;
	if (!configured)
		return;
	q->vhost = driver_is(port, "net_vhost");
	q->fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port, queue);
	if (q->fd < 0) {
		q->fd = -1;
		return;
	}
	if (!q->vhost) {
		/* the callfd: drained by read(), which must never block us */
		int fl = fcntl(q->fd, F_GETFL);

		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(q->fd, F_SETFL, fl | O_NONBLOCK);
	}
	rte_eth_dev_rx_intr_disable(port, queue);
}

void kb_rxintr_arm(struct kb_rxintr *q)
{
	if (q->fd < 0 || q->armed)
		return;
	q->armed = true;
	if (q->set_notify)
		q->set_notify(q, true);
	else
		rte_eth_dev_rx_intr_enable(q->port, q->queue);
}

/* The kickfd of the vring our rx queue reads (the guest's tx ring). */
static void drain_vhost_kick(struct kb_rxintr *q)
{
	int vid = rte_eth_vhost_get_vid_from_port_id(q->port);
	struct rte_vhost_vring vr;

	if (vid < 0 || rte_vhost_get_vhost_vring(vid, (uint16_t)(q->queue * 2 + 1), &vr) != 0 ||
	    vr.kickfd < 0)
		return;
	if (vr.kickfd != q->kickfd) {
		/* the frontend's eventfd; reading it must never block us */
		int fl = fcntl(vr.kickfd, F_GETFL);

		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(vr.kickfd, F_SETFL, fl | O_NONBLOCK);
		q->kickfd = vr.kickfd;
	}
	kb_fd_drain(vr.kickfd);
}

void kb_rxintr_disarm(struct kb_rxintr *q)
{
	if (q->fd < 0 || !q->armed)
		return;
	q->armed = false;
	if (q->set_notify) {
		q->set_notify(q, false);
		return;
	}
	rte_eth_dev_rx_intr_disable(q->port, q->queue);
	if (q->vhost)
		drain_vhost_kick(q);
	else
		kb_fd_drain(q->fd);
}
