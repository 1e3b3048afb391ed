/* vhost_dev: split virtqueues, zero-copy out of the guest, one copy into
 * the next (vhost_dev.h).  Everything the guest wrote -- indexes, chains,
 * lengths, addresses -- is read once and checked before use: a bad chain
 * is a counted drop, a bad index stops the device (vhost_dev.broken). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ether.h>

#include "port_offload.h"
#include "vhost_dev.h"

#define MAX_PIECES 128     /* data pieces of one transmit chain */
#define PIECE_MAX 32768    /* an mbuf's buf_len is 16 bits */

/* ---- the used ring ---- */

static inline void used_push(struct vhost_vq *vq, uint16_t id, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->last_used & vq->mask];

	e->id = id;
	e->len = len;
	vq->last_used++;
}

static void used_publish(struct vhost_vq *vq, struct vhost_stats *st)
{
	__atomic_store_n(&vq->used->idx, vq->last_used, __ATOMIC_RELEASE);
	/* the guest re-enables interrupts, then re-checks used->idx: our
	 * check of its flag must not pass our store, or both sleep */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->callfd >= 0 &&
	    !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT)) {
		/* The guest shares the fd's flags: it may clear O_NONBLOCK and
		 * fill the counter, and write() would block the worker.  So
		 * only when a write goes now (a full counter is a call
		 * pending anyway). */
		struct pollfd pf = { .fd = vq->callfd, .events = POLLOUT };
		uint64_t one = 1;

		if (poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT &&
		    write(vq->callfd, &one, sizeof(one)) == sizeof(one))
			st->calls++;
	}
}

/* ---- life ---- */

static void dev_free(struct vhost_dev *d)
{
	free(d->done);
	free(d->tok);
	free(d->shinfo);
	vhost_mem_put(d->mem);
	free(d);
}

void vhost_dev_put(struct vhost_dev *d)
{
	if (d && __atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		dev_free(d);
}

static int vq_init(struct vhost_vq *vq, const struct vhost_mem *mem, const struct vhost_vq_setup *s,
		   const char **why)
{
	uint32_t n = s->num;

	if (!n || n > VHOST_QSIZE_MAX || (n & (n - 1))) {
		*why = "ring size is not a power of two up to 32768";
		return -1;
	}
	vq->size = (uint16_t)n;
	vq->mask = (uint16_t)(n - 1);
	vq->desc = (struct vring_desc *)vhost_mem_uva(mem, s->desc, 16ull * n);
	vq->avail = (struct vring_avail *)vhost_mem_uva(mem, s->avail, 4 + 2ull * n);
	vq->used = (struct vring_used *)vhost_mem_uva(mem, s->used, 4 + 8ull * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		*why = "a ring is not in the guest's memory";
		return -1;
	}
	if (((uintptr_t)vq->desc & 15) || ((uintptr_t)vq->avail & 1) || ((uintptr_t)vq->used & 3)) {
		*why = "a ring is misaligned";
		return -1;
	}
	vq->kickfd = s->kickfd;
	vq->callfd = s->callfd;
	vq->last_avail = vq->last_used = s->base;
	/* A guest that outlived the switch kept its rings: what it last saw
	 * used is where we go on (as DPDK's vhost library does).  Frames
	 * taken but not returned are sent again, buffers filled but not
	 * returned are filled again. */
	uint16_t u = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	if (u != s->base)
		vq->last_avail = vq->last_used = u;
	/* we poll; a kick is asked for only when the worker would sleep */
	__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELEASE);
	return 0;
}

struct vhost_dev *vhost_dev_new(struct vhost_mem *mem, uint64_t features, uint16_t port_id,
				const struct vhost_vq_setup setup[2], const char **why)
{
	struct vhost_dev *d = calloc(1, sizeof(*d));
	uint32_t n, cnt;
	ssize_t sz;

	if (!d) {
		*why = "out of memory";
		return NULL;
	}
	d->refcnt = 1;
	d->features = features;
	d->hdr_len = features & ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF)) ?
		sizeof(struct virtio_net_hdr_mrg_rxbuf) : sizeof(struct virtio_net_hdr);
	d->port_id = port_id;
	for (int q = 0; q < 2; q++)
		if (vq_init(&d->vq[q], mem, &setup[q], why) < 0)
			goto bad;
	n = d->vq[1].size;
	cnt = 2 * n;   /* a power of two above n: room for every head at once */
	sz = rte_ring_get_memsize(cnt);
	d->tok = calloc(n, sizeof(*d->tok));
	d->shinfo = calloc(n, sizeof(*d->shinfo));
	/* not rte_ring_create(): no memzone, so any thread may free it */
	if (sz < 0 || !d->tok || !d->shinfo || posix_memalign((void **)&d->done, 64, (size_t)sz)) {
		*why = "out of memory";
		goto bad;
	}
	rte_ring_init(d->done, "vhost_done", cnt, RING_F_SC_DEQ);
	for (uint32_t i = 0; i < n; i++) {
		d->tok[i].dev = d;
		d->tok[i].head = (uint16_t)i;
	}
	vhost_mem_get(mem);
	d->mem = mem;
	return d;
bad:
	free(d->done);
	free(d->tok);
	free(d->shinfo);
	free(d);
	return NULL;
}

void vhost_dev_notify(struct vhost_dev *d, bool on)
{
	__atomic_store_n(&d->vq[1].used->flags, on ? 0 : VRING_USED_F_NO_NOTIFY, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- out of the guest ---- */

/* The last mbuf of a lent chain let go: the guest may have it back. */
static void tx_done(void *addr, void *opaque)
{
	struct vhost_tok *t = opaque;
	struct vhost_dev *d = t->dev;

	(void)addr;
	__atomic_store_n(&t->lent, false, __ATOMIC_RELEASE);
	/* never full: at most one entry per head */
	rte_ring_mp_enqueue(d->done, (void *)(uintptr_t)t->head);
	vhost_dev_put(d);
}

/* The freed chains into the used ring (published by the caller). */
static void take_done(struct vhost_dev *d, struct vhost_vq *vq)
{
	void *h[64];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst(d->done, h, 64, NULL)) != 0)
		for (unsigned i = 0; i < n; i++)
			used_push(vq, (uint16_t)(uintptr_t)h[i], 0);
}

void vhost_dev_complete(struct vhost_dev *d, struct vhost_stats *st)
{
	struct vhost_vq *vq = &d->vq[1];
	uint16_t u0 = vq->last_used;

	take_done(d, vq);
	if (vq->last_used != u0)
		used_publish(vq, st);
}

/* The guest's header as Tx requests (the flags offload_rx_to_tx_one gives
 * a net_vhost frame): false for one whose headers we cannot find. */
static bool hdr_to_flags(struct rte_mbuf *m, const struct virtio_net_hdr *h)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t dl = m->data_len, l2 = RTE_ETHER_HDR_LEN, l3;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint64_t ipv;
	uint16_t et;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return gso == VIRTIO_NET_HDR_GSO_NONE;   /* GSO always asks for a checksum */
	if (dl < l2)
		return false;
	et = (uint16_t)(p[12] << 8 | p[13]);
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (dl < l2 + 4)
			return false;
		et = (uint16_t)(p[16] << 8 | p[17]);
		l2 += 4;
	}
	if (et == RTE_ETHER_TYPE_IPV4)
		ipv = RTE_MBUF_F_TX_IPV4;
	else if (et == RTE_ETHER_TYPE_IPV6)
		ipv = RTE_MBUF_F_TX_IPV6;
	else
		return false;
	if (h->csum_start < l2 + 20 || h->csum_start > dl)
		return false;
	l3 = h->csum_start - l2;
	/* the IP header (ihl's length for IPv4) must lie before csum_start,
	 * and l3 fit mbuf.l3_len: the checksums completed in software
	 * (port_offload.c) are written where these lengths say */
	if (l3 > 511 || l3 < (ipv == RTE_MBUF_F_TX_IPV4 ? (p[l2] & 15) * 4u : 40u))
		return false;
	if (h->csum_offset == 6)   /* UDP */
		return gso == VIRTIO_NET_HDR_GSO_NONE && offload_tx_cksum(m, l2, l3, ipv, false);
	if (h->csum_offset != 16 || !offload_tx_cksum(m, l2, l3, ipv, true))
		return false;
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6) || !h->gso_size ||
	    m->l4_len < 20 || dl < l2 + l3 + m->l4_len)
		return false;
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	m->tso_segsz = h->gso_size;
	return true;
}

struct piece {
	uint8_t *p;
	uint32_t len;
};

/* One transmit chain as an mbuf chain on the guest's buffers.  Returns 0
 * (*out set), -ENOMEM (left in the ring), -EINVAL (bad chain: the caller
 * returns it unused), -EPROTO (bad header: already returned) or -EBUSY
 * (a head posted again while lent: it comes back once, when freed).
 * *budget: descriptors the burst may still walk (chains that share
 * descriptors would otherwise cost a burst size * ring size). */
static int take_chain(struct vhost_dev *d, struct vhost_vq *vq, struct rte_mempool *mp,
		      uint16_t head, struct rte_mbuf **out, uint32_t *budget)
{
	union {
		struct virtio_net_hdr_mrg_rxbuf m;
		uint8_t b[sizeof(struct virtio_net_hdr_mrg_rxbuf)];
	} hdr;
	struct piece pc[MAX_PIECES];
	struct rte_mbuf *ms[MAX_PIECES];
	uint32_t hdr_left = d->hdr_len, np = 0, pkt_len = 0;
	uint16_t idx = head;

	/* its shinfo and reference are in use: reusing them would leak the device */
	if (__atomic_load_n(&d->tok[head].lent, __ATOMIC_ACQUIRE))
		return -EBUSY;
	for (;;) {
		struct vring_desc dsc;
		uint8_t *p;
		uint32_t len;

		if (idx >= vq->size || *budget == 0)
			return -EINVAL;   /* out of the table, or a loop */
		(*budget)--;
		memcpy(&dsc, &vq->desc[idx], sizeof(dsc));   /* read once */
		if (dsc.flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT))
			return -EINVAL;
		len = dsc.len;
		p = vhost_mem_gpa(d->mem, dsc.addr, len);
		if (!p && len)
			return -EINVAL;
		if (hdr_left && len) {   /* (p is NULL for an empty one) */
			uint32_t k = len < hdr_left ? len : hdr_left;

			memcpy(hdr.b + (d->hdr_len - hdr_left), p, k);
			p += k;
			len -= k;
			hdr_left -= k;
		}
		while (len) {
			uint32_t k = len < PIECE_MAX ? len : PIECE_MAX;

			if (np == MAX_PIECES)
				return -EINVAL;
			pc[np].p = p;
			pc[np++].len = k;
			pkt_len += k;
			p += k;
			len -= k;
		}
		if (!(dsc.flags & VRING_DESC_F_NEXT))
			break;
		idx = dsc.next;
	}
	if (hdr_left || !np)
		return -EINVAL;
	if (rte_pktmbuf_alloc_bulk(mp, ms, np) != 0)
		return -ENOMEM;

	struct rte_mbuf_ext_shared_info *sh = &d->shinfo[head];

	sh->free_cb = tx_done;
	sh->fcb_opaque = &d->tok[head];
	__atomic_store_n(&d->tok[head].lent, true, __ATOMIC_RELAXED);
	rte_mbuf_ext_refcnt_set(sh, (uint16_t)np);
	vhost_dev_get(d, 1);   /* dropped in tx_done */
	for (uint32_t i = 0; i < np; i++) {
		rte_pktmbuf_attach_extbuf(ms[i], pc[i].p, (rte_iova_t)(uintptr_t)pc[i].p,
					  (uint16_t)pc[i].len, sh);
		ms[i]->data_len = (uint16_t)pc[i].len;
		ms[i]->next = i + 1 < np ? ms[i + 1] : NULL;
	}
	ms[0]->nb_segs = (uint16_t)np;
	ms[0]->pkt_len = pkt_len;
	ms[0]->port = d->port_id;
	if (!hdr_to_flags(ms[0], &hdr.m.hdr)) {
		rte_pktmbuf_free(ms[0]);   /* tx_done returns the chain */
		return -EPROTO;
	}
	*out = ms[0];
	return 0;
}

uint16_t vhost_dev_dequeue(struct vhost_dev *d, struct rte_mempool *mp, struct rte_mbuf **pkts,
			   uint16_t n, struct vhost_stats *st)
{
	struct vhost_vq *vq = &d->vq[1];
	uint16_t u0 = vq->last_used, avail, cnt, got = 0;
	uint32_t budget = vq->size;   /* a burst of distinct chains walks no more */

	if (unlikely(d->broken))
		return 0;
	take_done(d, vq);
	avail = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	cnt = (uint16_t)(avail - vq->last_avail);
	if (unlikely(cnt > vq->size)) {
		d->broken = true;
		st->rx_bad++;
		cnt = 0;
	}
	if (cnt > n)
		cnt = n;
	for (uint16_t i = 0; i < cnt; i++) {
		uint16_t head = __atomic_load_n(&vq->avail->ring[vq->last_avail & vq->mask],
						__ATOMIC_RELAXED);
		int r;

		if (unlikely(head >= vq->size)) {
			d->broken = true;
			st->rx_bad++;
			break;
		}
		r = take_chain(d, vq, mp, head, &pkts[got], &budget);
		if (unlikely(r == -ENOMEM)) {
			st->rx_nombuf++;
			break;
		}
		vq->last_avail++;
		if (unlikely(r < 0)) {
			st->rx_bad++;
			if (r == -EINVAL)
				used_push(vq, head, 0);
			continue;
		}
		st->rx_bytes += pkts[got]->pkt_len;
		got++;
	}
	st->rx_pkts += got;
	if (vq->last_used != u0)
		used_publish(vq, st);
	return got;
}

/* ---- into the guest ---- */

static void flags_to_hdr(const struct rte_mbuf *m, struct virtio_net_hdr_mrg_rxbuf *h)
{
	uint64_t f = m->ol_flags, l4 = f & RTE_MBUF_F_TX_L4_MASK;

	memset(h, 0, sizeof(*h));
	if (f & RTE_MBUF_F_TX_TCP_SEG)
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		h->hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->hdr.csum_start = (uint16_t)(m->l2_len + m->l3_len);
		h->hdr.csum_offset = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? 16 : 6;
	}
	if (f & RTE_MBUF_F_TX_TCP_SEG) {
		h->hdr.gso_type = f & RTE_MBUF_F_TX_IPV6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
							  VIRTIO_NET_HDR_GSO_TCPV4;
		h->hdr.gso_size = m->tso_segsz;
		h->hdr.hdr_len = (uint16_t)(m->l2_len + m->l3_len + m->l4_len);
	}
}

/* One frame into as many receive buffers as it takes (one unless
 * MRG_RXBUF).  Nothing is committed unless the whole frame fits: the used
 * entries written past used->idx are invisible to the guest until then. */
static int put_frame(struct vhost_dev *d, struct vhost_vq *vq, const struct rte_mbuf *m,
		     uint16_t avail, bool mrg)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	uint16_t la = vq->last_avail, nbufs = 0;
	const struct rte_mbuf *s = m;
	/* hops: over all its buffers, which a guest may chain through the
	 * same descriptors (ring size * ring size steps, else) */
	uint32_t soff = 0, left = m->pkt_len, hdr_left = d->hdr_len, hops = 0;
	uint8_t *hdr_at = NULL;

	while (hdr_left || left) {
		uint16_t head, idx;
		uint32_t written = 0;

		if (nbufs && !mrg)   /* before -ENOBUFS: it would never fit */
			return -EMSGSIZE;
		if (la == avail)
			return -ENOBUFS;
		head = __atomic_load_n(&vq->avail->ring[la & vq->mask], __ATOMIC_RELAXED);
		la++;
		idx = head;
		for (;;) {
			struct vring_desc dsc;
			uint8_t *p;
			uint32_t room;

			if (idx >= vq->size || hops++ >= vq->size)
				return -EINVAL;
			memcpy(&dsc, &vq->desc[idx], sizeof(dsc));
			if (!(dsc.flags & VRING_DESC_F_WRITE) || (dsc.flags & VRING_DESC_F_INDIRECT))
				return -EINVAL;
			room = dsc.len;
			p = vhost_mem_gpa(d->mem, dsc.addr, room);
			if (!p && room)
				return -EINVAL;
			if (hdr_left) {
				/* the header in one piece, as every driver posts it */
				if (room < hdr_left)
					return -EINVAL;
				hdr_at = p;
				p += hdr_left;
				room -= hdr_left;
				written += hdr_left;
				hdr_left = 0;
			}
			while (room && left) {
				uint32_t k;

				while (soff == s->data_len) {
					s = s->next;
					soff = 0;
				}
				k = s->data_len - soff;
				if (k > room)
					k = room;
				memcpy(p, rte_pktmbuf_mtod_offset(s, const uint8_t *, soff), k);
				p += k;
				room -= k;
				soff += k;
				left -= k;
				written += k;
			}
			if (!left || !(dsc.flags & VRING_DESC_F_NEXT))
				break;
			idx = dsc.next;
		}
		used_push(vq, head, written);
		nbufs++;
	}
	flags_to_hdr(m, &hdr);
	hdr.num_buffers = nbufs;
	memcpy(hdr_at, &hdr, d->hdr_len);
	vq->last_avail = la;
	return 0;
}

uint16_t vhost_dev_enqueue(struct vhost_dev *d, struct rte_mbuf **pkts, uint16_t n,
			   struct vhost_stats *st)
{
	struct vhost_vq *vq = &d->vq[0];
	bool mrg = d->features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	uint16_t u0 = vq->last_used, avail, i;

	if (unlikely(d->broken))
		return 0;
	avail = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (unlikely((uint16_t)(avail - vq->last_avail) > vq->size)) {
		d->broken = true;
		st->tx_bad++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint16_t lu = vq->last_used;
		int r = put_frame(d, vq, pkts[i], avail, mrg);

		if (likely(r == 0)) {
			st->tx_pkts++;
			st->tx_bytes += pkts[i]->pkt_len;
			continue;
		}
		vq->last_used = lu;   /* roll back its used entries */
		if (r == -EMSGSIZE) {
			st->tx_toobig++;   /* consumed: dropped, counted here */
			continue;
		}
		if (r == -ENOBUFS)
			st->tx_full += n - i;
		else {
			d->broken = true;
			st->tx_bad += n - i;
		}
		break;
	}
	if (vq->last_used != u0)
		used_publish(vq, st);
	return i;
}
