/* vhost_dev: the data path of kbswitch's own vhost-user backend: one
 * connected guest's split virtqueues (virtio 1.1, 2.6), read and written
 * by the worker.
 *
 * Why our own and not DPDK's net_vhost: the vhost library copies every
 * frame twice in the switch, out of the sender's ring into an mbuf
 * (dequeue) and out of the mbuf into the receiver's ring (enqueue), with
 * the SSE rte_memcpy Debian builds it with.  Through the switch one bulk
 * flow then spends ~94% of the switch's CPU in those two copies
 * (docs/design.md).  Here a frame the guest sends is not copied on the way
 * in: its mbufs point into the guest's own buffers (external buffers,
 * rte_pktmbuf_attach_extbuf), and the guest gets the descriptors back when
 * the last mbuf lets go of them.  The one copy left is straight into the
 * receiver's buffers, with glibc's memcpy.
 *
 * Queue 0 is the guest's receive ring (we write it: vhost_dev_enqueue),
 * queue 1 its transmit ring (we read it: vhost_dev_dequeue).  Features
 * offered (VHOST_DEV_FEATURES): checksum and TSO both ways, mergeable
 * receive buffers, VERSION_1; no indirect descriptors, event index or
 * packed rings.
 *
 * A vhost_dev is built by the control thread (vhost_user.c) once the guest
 * has set everything up, published to the worker, and unpublished (then
 * pipeline_synchronize()) before anything in it changes.  It is refcounted:
 * the connection's reference, plus one per frame in flight. */
#ifndef KB_SWITCH_VHOST_DEV_H
#define KB_SWITCH_VHOST_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vhost_mem.h"

#define VHOST_DEV_FEATURES ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) | \
	(1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | \
	(1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
	(1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_F_ANY_LAYOUT) | \
	(1ULL << VIRTIO_F_VERSION_1))

#define VHOST_QSIZE_MAX 32768

struct vhost_vq {
	uint16_t size, mask;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kickfd, callfd;          /* -1: none (the guest polls) */
	uint16_t last_avail;         /* next avail entry to take */
	uint16_t last_used;          /* next used entry to fill */
};

/* What the data path counts; one writer (the worker that runs the queue),
 * read by the control thread. */
struct vhost_stats {
	uint64_t rx_pkts, rx_bytes;     /* frames taken from the guest */
	uint64_t rx_bad;                /* malformed chains (returned unused) */
	uint64_t rx_nombuf;             /* no mbuf: left in the ring for later */
	uint64_t tx_pkts, tx_bytes;     /* frames written to the guest */
	uint64_t tx_full;               /* no receive buffer in the guest */
	uint64_t tx_toobig;             /* larger than the buffers it posted */
	uint64_t tx_bad;                /* its ring is malformed */
	uint64_t calls;                 /* interrupts we sent it */
};

struct vhost_tok {                 /* a transmit chain lent to the switch */
	struct vhost_dev *dev;
	uint16_t head;
	bool lent;                        /* out now: the guest may not post it again */
};

struct vhost_dev {
	int refcnt;
	bool broken;                  /* its ring lied (index out of range): stop */
	uint64_t features;
	uint16_t hdr_len;             /* 12 (VERSION_1 or MRG_RXBUF) or 10 */
	uint16_t port_id;             /* stamped on received mbufs */
	struct vhost_mem *mem;
	struct vhost_vq vq[2];        /* 0: guest rx (we write), 1: guest tx (we read) */
	struct rte_ring *done;        /* heads of tx chains the switch let go of */
	struct vhost_tok *tok;                    /* [tx size] */
	struct rte_mbuf_ext_shared_info *shinfo;  /* [tx size] */
};

struct vhost_vq_setup {
	uint32_t num;
	uint64_t desc, avail, used;   /* frontend addresses (uva) */
	uint16_t base;
	int kickfd, callfd;
};

/* Builds a device on mem (a reference is taken) for the two queues; takes
 * neither fd.  NULL with *why set when a ring does not lie in guest memory
 * or its size is no power of two up to VHOST_QSIZE_MAX. */
struct vhost_dev *vhost_dev_new(struct vhost_mem *mem, uint64_t features, uint16_t port_id,
				const struct vhost_vq_setup setup[2], const char **why);
void vhost_dev_put(struct vhost_dev *d);
static inline void vhost_dev_get(struct vhost_dev *d, int n)
{
	__atomic_add_fetch(&d->refcnt, n, __ATOMIC_RELAXED);
}

/* Up to n frames from the guest's transmit ring, as mbufs (from mp, for
 * the headers only) whose data is the guest's buffers.  First hands the
 * guest back the chains the switch freed since the last call (their
 * descriptors go back into its used ring). */
uint16_t vhost_dev_dequeue(struct vhost_dev *d, struct rte_mempool *mp, struct rte_mbuf **pkts,
			   uint16_t n, struct vhost_stats *st);
/* Hands back the transmit chains that were freed: the worker's, or the
 * control thread's once it unpublished d. */
void vhost_dev_complete(struct vhost_dev *d, struct vhost_stats *st);
/* Copies frames into the guest's receive buffers, in order, until one does
 * not fit; returns how many went.  Frees none of them. */
uint16_t vhost_dev_enqueue(struct vhost_dev *d, struct rte_mbuf **pkts, uint16_t n,
			   struct vhost_stats *st);

/* The guest kicks us when it adds transmit buffers only while notify is on
 * (rx interrupts, kb_rxintr.h).  After turning it on, poll once more. */
void vhost_dev_notify(struct vhost_dev *d, bool on);

#endif
