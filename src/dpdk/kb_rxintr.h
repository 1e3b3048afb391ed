/* kb_rxintr: a DPDK port's rx queue as a wake-up for a poller that blocks
 * (kb_idle.h, kb_wait.h), shared by kbswitch's workers and the DPDK layer.
 *
 * virtio kicks are eventfds already: the virtio driver writes the vring's
 * kickfd when it adds buffers and the backend asked for notifications, the
 * vhost backend writes the callfd when it fills the guest's ring and the
 * guest did not suppress interrupts.  DPDK 22.11 exposes both as rx queue
 * interrupts (dev_conf.intr_conf.rxq = 1, as examples/l3fwd-power does):
 *   net_vhost        the fd is a per-queue proxy epoll fd holding the
 *                    queue's kickfd (re-pointed by the PMD when the
 *                    frontend reconnects); enable = rte_vhost guest
 *                    notification on.  Nobody reads the kickfd, so we
 *                    drain it here, or it stays readable for ever.
 *   net_virtio_user  the fd is the queue's callfd; enable clears
 *                    VRING_AVAIL_F_NO_INTERRUPT; we drain the eventfd.
 * A queue that is no ethdev's (kbswitch's own vhost-user port) brings its
 * own fd and set_notify(), which turns the guest's kicks on and off and
 * drains the fd.
 * Other drivers get no fd (kb_rxintr.fd == -1) and their pollers sleep in
 * steps as before; so do --pure-poll / pure_poll = yes users.
 *
 * Protocol (no lost wake-up): arm, poll the queue once more, block only if
 * that poll was empty; on wake-up disarm (which drains).  While disarmed
 * the peer does not kick at all, so a busy queue costs no syscalls. */
#ifndef KB_RXINTR_H
#define KB_RXINTR_H

#include <stdbool.h>
#include <stdint.h>

struct rte_eth_conf;

struct kb_rxintr {
	uint16_t port, queue;
	int fd;            /* to wait on; -1: this queue cannot wake anyone */
	bool vhost;        /* drain the vring's kickfd */
	bool armed;
	int kickfd;        /* vhost: the last kickfd seen (made non-blocking) */
	void (*set_notify)(struct kb_rxintr *q, bool on);   /* not an ethdev's */
	void *ctx;         /* set_notify's */
};

/* Reads an eventfd's count without ever blocking: RWF_NOWAIT, not
 * O_NONBLOCK alone, since the peer (a guest, a frontend) shares the fd's
 * flags and may clear it.  fd < 0: nothing. */
void kb_fd_drain(int fd);

/* Before rte_eth_dev_configure(): asks for rx queue interrupts in conf when
 * the port's driver supports them as above.  Returns whether it did. */
bool kb_rxintr_configure(uint16_t port, struct rte_eth_conf *conf);

/* After rte_eth_dev_start(): q->fd is the queue's fd, or -1. */
void kb_rxintr_init(struct kb_rxintr *q, uint16_t port, uint16_t queue, bool configured);

void kb_rxintr_arm(struct kb_rxintr *q);
/* Also clears the fd's readiness. */
void kb_rxintr_disarm(struct kb_rxintr *q);

#endif
