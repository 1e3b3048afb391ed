/* dpdk_data.c: the per-core API the stack calls (seed names). */
#include <string.h>

#include "dpdk_priv.h"

/* get_buffer_tx() hands out data at a fixed offset in the mbuf, so the mbuf
 * is found again by arithmetic instead of a lookup (pool priv_size is 0). */
static inline struct rte_mbuf *mbuf_of_tx(uint8_t *buf)
{
	return (struct rte_mbuf *)(buf - ETH_HLEN - RTE_PKTMBUF_HEADROOM - sizeof(struct rte_mbuf));
}

/* Single mode: read the NIC, keep what is ours in dst. */
static uint16_t single_poll(struct dpdk_core *c, struct rte_mbuf **dst)
{
	struct dpdk_layer *dl = c->dl;
	struct rte_mbuf *pkts[DPDK_MAX_BURST];
	struct rte_mbuf *out[1][DPDK_MAX_BURST];
	uint16_t nout[1] = { 0 };
	uint16_t n = rte_eth_rx_burst(dl->info.port_id, 0, pkts, DPDK_MAX_BURST);

	if (dl->txs.hold.active)
		dl_tx_service_hold(dl, dl_now_us(dl));
	if (!n)
		return 0;
	dl_rx_process(dl, pkts, n, out, nout);
	memcpy(dst, out[0], nout[0] * sizeof(*dst));
	return nout[0];
}

void dpdk_flush_tx(struct dpdk_core *c)
{
	struct dpdk_layer *dl = c->dl;

	if (!c->tx.n)
		return;
	unsigned k = dl_txq_flush(dl, &c->tx);

	/* inline: this core is the ring's consumer (or the one draining for
	 * all is), also when the ring was full */
	if (dl->info.rxtx_inline) {
		dl_tx_kick(dl);
		return;
	}
	if (!k)
		return;
	if (dl->info.mode == DPDK_MODE_SINGLE)
		dl->txs.last_tx_us = dl_now_us(dl);
	else
		dl_tx_kick(dl);
}

unsigned dpdk_tx_room(const struct dpdk_core *c)
{
	/* a full port (or ring) refused part of the last flush: no new data
	 * until the backlog is gone; the reserve is for ACKs meanwhile */
	if (c->tx.full || c->tx.n >= DL_TXQ_SIZE - DL_TXQ_RESERVE)
		return 0;
	return (unsigned)(DL_TXQ_SIZE - DL_TXQ_RESERVE - c->tx.n);
}

/* inline: the Tx side's work, when any waits (held ARP packets too) */
static inline void inline_tx_poll(struct dpdk_layer *dl)
{
	if (dl_inline_tx_due(dl))
		dl_inline_tx(dl, dl->txs.hold.active);
}

int get_rx_count(struct dpdk_core *c)
{
	if (c->rx_n) {
		rte_pktmbuf_free_bulk(c->rx, c->rx_n);
		c->rx_n = 0;
	}
	c->rx_next = 0;
	dpdk_flush_tx(c);

	uint16_t n;

	if (c->dl->info.mode == DPDK_MODE_SINGLE) {
		if (c->stash_n) {
			n = c->stash_n;
			memcpy(c->rx, c->stash, n * sizeof(c->rx[0]));
			c->stash_n = 0;
		} else {
			n = single_poll(c, c->rx);
		}
	} else {
		struct dpdk_layer *dl = c->dl;

		/* inline: this core is the Rx thread when its ring ran dry,
		 * and the Tx thread while tx work waits */
		if (dl->info.rxtx_inline) {
			if (rte_ring_empty(c->rx_ring))
				dl_inline_rx(dl, c->id);
			inline_tx_poll(dl);
		}
		n = (uint16_t)rte_ring_sc_dequeue_burst(c->rx_ring, (void **)c->rx, DPDK_MAX_BURST, NULL);
	}
	c->rx_n = n;
	if (n) {
		c->st.rx_pkts += n;
		kb_idle_account(&c->idle, n);
	}
	return n;
}

uint8_t *get_buffer_rx(struct dpdk_core *c, uint16_t *len)
{
	if (c->rx_next >= c->rx_n)
		return NULL;
	struct rte_mbuf *m = c->rx[c->rx_next++];
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);

	/* total length was checked against the frame by pkt_classify_seg();
	 * a chained packet is seen up to the end of its first segment */
	uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
	uint16_t first = (uint16_t)(rte_pktmbuf_data_len(m) - ETH_HLEN);

	*len = tot < first ? tot : first;
	c->st.rx_bytes += tot;
	return ip;
}

int get_frags_rx(struct dpdk_core *c, struct dpdk_frag *f, int max, unsigned *flags)
{
	const struct dpdk_info *in = &c->dl->info;

	while (c->rx_next < c->rx_n) {
		struct rte_mbuf *m = c->rx[c->rx_next];

		/* handed over: get_rx_count() no longer frees it */
		c->rx[c->rx_next++] = NULL;
		if (unlikely(m->nb_segs > max)) {
			c->st.rx_too_many_frags++;
			rte_pktmbuf_free(m);
			continue;
		}
		uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
		uint32_t left = (uint32_t)(ip[2] << 8 | ip[3]);
		uint64_t ol = m->ol_flags;
		int n = 0;

		c->st.rx_bytes += left;
		*flags = 0;
		if (in->rx_l4_cksum && ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
					(ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE))
			*flags |= DPDK_RX_L4_CKSUM_OK;
		if (ol & RTE_MBUF_F_RX_LRO)
			*flags |= DPDK_RX_LRO;
		/* every segment becomes a buffer of its own */
		for (struct rte_mbuf *seg = m, *next; seg; seg = next) {
			uint8_t *d = seg == m ? ip : rte_pktmbuf_mtod(seg, uint8_t *);
			uint32_t len = seg->data_len - (uint32_t)(seg == m ? ETH_HLEN : 0);
			uint8_t *end = (uint8_t *)seg->buf_addr + seg->buf_len;

			next = seg->next;
			seg->next = NULL;
			seg->nb_segs = 1;
			if (len > left)
				len = left;   /* Ethernet padding */
			if (!len && seg != m) {
				rte_pktmbuf_free_seg(seg);
				continue;
			}
			seg->pkt_len = seg->data_len;
			f[n++] = (struct dpdk_frag){ seg, d, len, (uint32_t)(end - d - len) };
			left -= len;
		}
		return n;
	}
	return 0;
}

/* m as an empty payload buffer: its whole data room, no headroom */
static int as_frag(struct rte_mbuf *m, struct dpdk_frag *f)
{
	m->data_off = 0;
	f->mb = m;
	f->data = m->buf_addr;
	f->len = 0;
	f->room = m->buf_len;
	return 0;
}

int dpdk_buf_alloc(struct dpdk_core *c, struct dpdk_frag *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dl->pool);

	if (!m) {
		c->st.tx_nobuf++;
		return -1;
	}
	return as_frag(m, f);
}

int dpdk_sndbuf_alloc(struct dpdk_core *c, struct dpdk_frag *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dl->snd_pool);

	return m ? as_frag(m, f) : dpdk_buf_alloc(c, f);
}

void dpdk_buf_free(struct dpdk_core *c, void *mb)
{
	(void)c;
	rte_pktmbuf_free_seg(mb);
}

uint8_t *get_buffer_tx(struct dpdk_core *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dl->pool);

	if (!m) {
		c->st.tx_nobuf++;
		return NULL;
	}
	return rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
}

void dpdk_free_tx(struct dpdk_core *c, uint8_t *buf)
{
	if (buf)
		rte_pktmbuf_free(mbuf_of_tx(buf));
}

/* tx_pkts/tx_bytes count what addBufferToRing() took; later losses (ring
 * full, NIC refusal, ARP timeout) have their own counters. */
static inline int accepted(struct dpdk_core *c, uint32_t len)
{
	c->st.tx_pkts++;
	c->st.tx_bytes += len;
	return 0;
}

/* Ask the port for the TCP checksum (and segmentation) the stack left to
 * it: the stack wrote the pseudo-header sum (dpdk_info.tx_cksum_offload). */
static inline void tx_offload(const struct dpdk_layer *dl, struct rte_mbuf *m, const uint8_t *ip,
			      uint16_t tso_segsz)
{
	if (!dl->info.tx_cksum_offload || ip[9] != IPPROTO_TCP_)
		return;
	unsigned ihl = (ip[0] & 0x0f) * 4u;

	m->l2_len = ETH_HLEN;
	m->l3_len = ihl;
	/* net_tap checksums in software over l2+l3+l4_len of headers */
	m->l4_len = (ip[ihl + 12] >> 4) * 4u;
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	if (tso_segsz) {
		m->tso_segsz = tso_segsz;
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	}
}

/* The Ethernet header, then batch (resolved) or hold (unresolved) m; the
 * rest of addBufferToRing() and addFragsToRing(). */
static int tx_enqueue(struct dpdk_core *c, struct rte_mbuf *m, uint8_t *buf, uint32_t len)
{
	struct dpdk_layer *dl = c->dl;
	uint8_t *f = buf - ETH_HLEN;
	uint8_t mac[6];
	uint32_t daddr, nh = 0;

	memcpy(f + 6, dl->info.mac, 6);
	f[12] = ETHTYPE_IPV4 >> 8;
	f[13] = ETHTYPE_IPV4 & 0xff;
	memcpy(&daddr, buf + 16, 4);
	if (dl_resolve(dl, daddr, mac, &nh) == 0) {
		memcpy(f, mac, 6);
		dl_txq_add(dl, &c->tx, &m, 1, &c->st.tx_dropped);
		/* a burst at a time; behind a full port, the next flush */
		if (c->tx.n >= DPDK_MAX_BURST && !c->tx.full)
			dpdk_flush_tx(c);
		return accepted(c, len);
	}
	if (dl->info.mode == DPDK_MODE_SINGLE) {
		/* keep order: what was batched before goes first */
		dpdk_flush_tx(c);
		uint64_t before = dl->txs.arp_hold_dropped;

		dl_tx_unresolved(dl, m, dl_now_us(dl));
		if (dl->txs.arp_hold_dropped != before) {
			c->st.tx_noarp++;
			return -1;
		}
		return accepted(c, len);
	}
	if (rte_ring_sp_enqueue(c->arp_ring, m) != 0) {
		c->st.tx_noarp++;
		rte_pktmbuf_free(m);
		return -1;
	}
	dl_tx_kick(dl);
	return accepted(c, len);
}

/* Packets for this core are waiting (single mode: read from the NIC into
 * the stash, for the next get_rx_count()).  Inline, also true while
 * another core polls the NIC: what it reads may be ours. */
static bool rx_ready(struct dpdk_core *c)
{
	struct dpdk_layer *dl = c->dl;

	if (dl->info.mode != DPDK_MODE_SINGLE) {
		if (!rte_ring_empty(c->rx_ring))
			return true;
		if (!dl->info.rxtx_inline)
			return false;
		inline_tx_poll(dl);
		return dl_inline_rx(dl, c->id) < 0 || !rte_ring_empty(c->rx_ring);
	}
	if (!c->stash_n)
		c->stash_n = single_poll(c, c->stash);
	return c->stash_n != 0;
}

/* Poll window over: arm the wake-ups, look once more (what arrived before
 * the arm sent no kick), block.  Single mode and inline: the NIC's rx
 * interrupt (armed while any core sleeps) and, inline, the kick of a core
 * that filled our ring; 1kb/2kb threads: the Rx thread's kick. */
static void core_block(struct dpdk_core *c, uint64_t timeout_us)
{
	struct dpdk_layer *dl = c->dl;
	bool nic = dl->info.mode == DPDK_MODE_SINGLE || dl->info.rxtx_inline;
	int64_t t = (int64_t)timeout_us * 1000;

	/* inline, no Tx thread looks again for us: at packets the full port
	 * held back after a short step, at packets held for ARP after one
	 * retry period */
	if (dl->info.rxtx_inline && dl_tx_backlogged(dl)) {
		int64_t step = (int64_t)dl_tx_step_us(dl) * 1000;

		if (t > step)
			t = step;
	}
	if (dl->info.rxtx_inline && dl->txs.hold.active && t > (int64_t)dl->cfg.arp_retry_ms * 1000000)
		t = (int64_t)dl->cfg.arp_retry_ms * 1000000;
	if (nic)
		dl_nic_sleep(dl);
	kb_wait_prepare(&c->wait);
	if (!rx_ready(c))
		dl_block(&c->wait, &c->idle, t);
	kb_wait_done(&c->wait);
	if (nic)
		dl_nic_wake(dl);
}

int addBufferToRing(struct dpdk_core *c, uint8_t *buf, uint16_t len)
{
	struct rte_mbuf *m = mbuf_of_tx(buf);

	if (len < 20 || len > DPDK_MTU) {
		c->st.tx_dropped++;
		rte_pktmbuf_free(m);
		return -1;
	}
	m->data_len = m->pkt_len = (uint32_t)len + ETH_HLEN;
	tx_offload(c->dl, m, buf, 0);
	return tx_enqueue(c, m, buf, len);
}

int addFragsToRing(struct dpdk_core *c, uint8_t *buf, uint16_t hlen,
		   const struct dpdk_frag *f, int n, uint16_t tso_segsz)
{
	struct dpdk_layer *dl = c->dl;
	struct rte_mbuf *m = mbuf_of_tx(buf), *last = m;
	uint32_t len = hlen;

	for (int i = 0; i < n; i++)
		len += f[i].len;
	if (!dl->info.tso)
		tso_segsz = 0;
	if (hlen < 20 || len > (tso_segsz ? DPDK_TSO_MAX : dl->info.mtu) ||
	    n >= DPDK_MAX_FRAGS || (!dl->info.multi_seg && len > DPDK_MTU)) {
		c->st.tx_dropped++;
		rte_pktmbuf_free(m);
		return -1;
	}
	m->data_len = (uint16_t)(hlen + ETH_HLEN);
	if (!dl->info.multi_seg) {
		/* the port takes one buffer per packet: copy behind the headers */
		for (int i = 0; i < n; i++) {
			memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len), f[i].data, f[i].len);
			m->data_len = (uint16_t)(m->data_len + f[i].len);
		}
		n = 0;
	}
	struct rte_mbuf *ind[DPDK_MAX_FRAGS];

	/* one mempool call for the whole chain, not one per 2 KB piece */
	if (n && unlikely(rte_pktmbuf_alloc_bulk(dl->ind_pool, ind, (unsigned)n) != 0)) {
		c->st.tx_nobuf++;
		rte_pktmbuf_free(m);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *mi = ind[i];

		/* a reference, not a copy: the send queue's buffer stays
		 * alive until the port let go of mi */
		rte_pktmbuf_attach(mi, f[i].mb);
		mi->data_off = (uint16_t)(f[i].data - (uint8_t *)mi->buf_addr);
		mi->data_len = (uint16_t)f[i].len;
		mi->pkt_len = f[i].len;
		last->next = mi;
		last = mi;
		m->nb_segs++;
	}
	m->pkt_len = len + ETH_HLEN;
	tx_offload(dl, m, buf, tso_segsz);
	return tx_enqueue(c, m, buf, len);
}

void dpdk_wait_rx(struct dpdk_core *c, uint32_t timeout_us)
{
	struct dpdk_layer *dl = c->dl;
	uint64_t deadline = dl_now_us(dl) + timeout_us;
	bool held = c->tx.n != 0;

	dpdk_flush_tx(c);
	while (!rx_ready(c)) {
		uint64_t now = dl_now_us(dl);

		/* the backlog went out: there is room for what the stack holds */
		if ((held && !c->tx.n) || now >= deadline)
			return;
		if (kb_idle_account(&c->idle, 0)) {
			uint64_t t = deadline - now;

			/* virtio signals no tx completion: behind a full port
			 * (or ring), look again after a short step */
			if (c->tx.n && t > dl_tx_step_us(dl))
				t = dl_tx_step_us(dl);
			core_block(c, t);
		}
		dpdk_flush_tx(c);
	}
}
