/* dpdk_io.c: receive classification, ARP, and the transmit side, shared by
 * the single-core data path and the Rx/Tx threads. */
#include <string.h>

#include <rte_cycles.h>

#include "dpdk_priv.h"
#include "softrss.h"

#define ARP_MIN_FRAME 60   /* Ethernet minimum without FCS; vhost does not pad */

uint64_t dl_now_us(const struct dpdk_layer *dl)
{
	return rte_get_tsc_cycles() / dl->tsc_per_us;
}

int dl_resolve(const struct dpdk_layer *dl, uint32_t daddr, uint8_t mac[6], uint32_t *nh)
{
	uint32_t mask = dpdk_cfg_mask(dl->info.prefix);

	if (daddr == 0xffffffffu || (dl->info.prefix <= 30 && (daddr & ~mask) == ~mask)) {
		memset(mac, 0xff, 6);
		return 0;
	}
	*nh = dpdk_cfg_next_hop(&dl->cfg, daddr);
	return arp_table_lookup(&dl->arp, *nh, mac);
}

static struct rte_mbuf *arp_frame(struct dpdk_layer *dl, struct rte_mbuf *m, uint16_t op,
				  const uint8_t dst_mac[6], uint32_t dst_ip)
{
	if (!m) {
		m = rte_pktmbuf_alloc(dl->pool);
		if (!m)
			return NULL;
	}
	/* reuse of a received mbuf: start from a clean single segment */
	rte_pktmbuf_reset(m);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	memset(f, 0, ARP_MIN_FRAME);
	arp_build(f, op, dl->info.mac, dl->info.ip, dst_mac, dst_ip);
	m->data_len = m->pkt_len = ARP_MIN_FRAME;
	return m;
}

static void send_arp_request(struct dpdk_layer *dl, uint32_t ip)
{
	static const uint8_t none[6];
	struct rte_mbuf *m = arp_frame(dl, NULL, ARP_OP_REQUEST, none, ip);

	if (!m) {
		dl->txs.nobuf++;
		return;
	}
	dl->txs.arp_req_tx++;
	dl_tx_send(dl, &m, 1, NULL);
}

static void rx_arp(struct dpdk_layer *dl, struct rte_mbuf *m)
{
	struct dpdk_rxside *rs = &dl->rxs;
	struct arp_msg a;
	uint8_t known[6];

	if (arp_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &a) < 0 ||
	    (a.op != ARP_OP_REQUEST && a.op != ARP_OP_REPLY)) {
		rs->arp_bad++;
		rte_pktmbuf_free(m);
		return;
	}
	if (a.op == ARP_OP_REQUEST)
		rs->arp_req_rx++;
	else
		rs->arp_reply_rx++;
	/* RFC 826: always refresh a known sender; add a new one only when the
	 * packet is for us, so other hosts' chatter cannot fill the table. */
	if (a.spa && (a.tpa == dl->info.ip || arp_table_lookup(&dl->arp, a.spa, known) == 0)) {
		enum arp_learn r = arp_table_learn(&dl->arp, a.spa, a.sha, false);

		if (r == ARP_LEARN_NEW || r == ARP_LEARN_UPDATED)
			rs->arp_learned++;
		else if (r == ARP_LEARN_FULL)
			rs->arp_table_full++;
	}
	if (a.op != ARP_OP_REQUEST || a.tpa != dl->info.ip) {
		rte_pktmbuf_free(m);
		return;
	}
	if (m->nb_segs > 1) {   /* reset would orphan the other segments */
		rte_pktmbuf_free(m);
		m = NULL;
	}
	m = arp_frame(dl, m, ARP_OP_REPLY, a.sha, a.spa);
	if (!m) {
		rs->nobuf++;
		return;
	}
	if (dl->ctl_ring) {
		/* 2kb, inline: only the Tx side may touch the NIC's tx queue */
		if (rte_ring_sp_enqueue(dl->ctl_ring, m) != 0) {
			rs->ctl_ring_full++;
			rte_pktmbuf_free(m);
			return;
		}
		if (!dl->info.rxtx_inline)
			kb_wait_notify(&dl->txs.wait);
		return;
	}
	dl->txs.arp_reply_tx++;
	dl_tx_send(dl, &m, 1, NULL);
}

static enum pkt_cksum rx_cksum(const struct dpdk_layer *dl, const struct rte_mbuf *m)
{
	if (!dl->info.rx_cksum_offload)
		return PKT_CKSUM_UNKNOWN;
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD: return PKT_CKSUM_GOOD;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD: return PKT_CKSUM_BAD;
	default: return PKT_CKSUM_UNKNOWN;
	}
}

/* A frame that fits the pool's 2 KB, in a big rx buffer, is copied into one
 * and its buffer goes back to the vNIC at once: the stack keeps received
 * pieces until the application reads them, and 16 KB held for each 1 KB
 * message would drain the rx pool.  Frames up to DPDK_RX_KEEP_MAX stay:
 * the stack lets go of header-only ones (ACKs, SYNs) at once and copies a
 * payload of up to 512 bytes behind what it already holds (tcp_rcvbuf.h),
 * so copying them here would only cost (5% of connections/s, measured).
 * While few big buffers are free (low: receive queues that are not read
 * hold them), every frame is copied: the vNIC's refill must never run
 * short, or every connection's packets would wait for the slowest reader.
 * Without a mbuf the big one stays. */
static struct rte_mbuf *rx_copybreak(struct dpdk_layer *dl, struct rte_mbuf *m, bool low)
{
	bool fits = m->pkt_len <= DPDK_RX_BUF_STD && m->pkt_len > DPDK_RX_KEEP_MAX;

	if (!fits && !low)
		return m;
	struct rte_mbuf *c = rte_pktmbuf_copy(m, dl->pool, 0, UINT32_MAX);

	if (!c)
		return m;
	if (fits)
		dl->rxs.rx_copied++;
	else
		dl->rxs.rx_pool_low++;
	rte_pktmbuf_free(m);
	return c;
}

void dl_rx_process(struct dpdk_layer *dl, struct rte_mbuf **pkts, uint16_t n,
		   struct rte_mbuf *out[][DPDK_MAX_BURST], uint16_t *nout)
{
	struct dpdk_rxside *rs = &dl->rxs;
	const struct softrss_table *tb = softrss_sym_table();
	int n_app = dl->info.n_app_cores;

	/* the big rx pool has no lcore cache: its free count is one ring's */
	bool low = dl->rx_pool != dl->pool && rte_mempool_avail_count(dl->rx_pool) < dl->rx_low;

	rs->nic_rx += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_info pi;
		/* chained mbufs: look only at the first segment (headers are there) */
		enum pkt_verdict v = pkt_classify_seg(rte_pktmbuf_mtod(m, const uint8_t *),
						      rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m),
						      dl->info.ip, rx_cksum(dl, m), &pi);

		if (v == PKT_OURS) {
			int core = pi.rss ? softrss_core(softrss_hash_tb(tb, pi.saddr, pi.daddr,
									 pi.sport, pi.dport), n_app) : 0;

			if (m->pool != dl->pool)
				m = rx_copybreak(dl, m, low);
			out[core][nout[core]++] = m;
			continue;
		}
		rs->verdict[v]++;
		if (v == PKT_ARP)
			rx_arp(dl, m);
		else
			rte_pktmbuf_free(m);
	}
}

void dl_rx_distribute(struct dpdk_layer *dl, struct rte_mbuf *out[][DPDK_MAX_BURST],
		      uint16_t *nout, int self)
{
	for (int c = 0; c < dl->info.n_app_cores; c++) {
		if (!nout[c])
			continue;
		unsigned k = rte_ring_sp_enqueue_burst(dl->core[c].rx_ring, (void **)out[c],
						       nout[c], NULL);

		if (k < nout[c]) {
			dl->rxs.ring_full[c] += nout[c] - k;
			rte_pktmbuf_free_bulk(out[c] + k, nout[c] - k);
		}
		if (k && c != self)
			kb_wait_notify(&dl->core[c].wait);
		nout[c] = 0;
	}
}

unsigned dl_txq_flush(struct dpdk_layer *dl, struct dl_txq *q)
{
	uint16_t n = q->n, sent;

	if (!n)
		return 0;
	if (q->ring)
		sent = (uint16_t)rte_ring_sp_enqueue_burst(q->ring, (void **)q->m, n, NULL);
	else
		sent = rte_eth_tx_burst(dl->info.port_id, 0, q->m, n);
	q->sent += sent;
	if (sent)
		q->stall_us = 0;
	else if (!q->stall_us)
		q->stall_us = dl_now_us(dl);
	if (sent < n) {
		/* keep the rest, in order, for the next flush */
		q->backlog += !q->full;
		memmove(q->m, q->m + sent, (size_t)(n - sent) * sizeof(q->m[0]));
	}
	q->full = sent < n;
	q->n = (uint16_t)(n - sent);
	return sent;
}

void dl_txq_add(struct dpdk_layer *dl, struct dl_txq *q, struct rte_mbuf **pkts, uint16_t n,
		uint64_t *drop)
{
	if (q->n + n > DL_TXQ_SIZE)
		dl_txq_flush(dl, q);
	uint16_t fit = (uint16_t)(DL_TXQ_SIZE - q->n);

	if (fit > n)
		fit = n;
	memcpy(q->m + q->n, pkts, (size_t)fit * sizeof(q->m[0]));
	q->n = (uint16_t)(q->n + fit);
	if (fit < n) {
		q->dropped += n - fit;
		if (drop)
			*drop += n - fit;
		rte_pktmbuf_free_bulk(pkts + fit, n - fit);
	}
}

unsigned dl_rx_poll(struct dpdk_layer *dl, int self)
{
	struct rte_mbuf *pkts[DPDK_MAX_BURST];
	struct rte_mbuf *out[DPDK_MAX_CORES][DPDK_MAX_BURST];
	uint16_t nout[DPDK_MAX_CORES] = { 0 };
	uint16_t n = rte_eth_rx_burst(dl->info.port_id, 0, pkts, DPDK_MAX_BURST);

	if (n) {
		dl_rx_process(dl, pkts, n, out, nout);
		dl_rx_distribute(dl, out, nout, self);
	}
	return n;
}

int dl_inline_rx(struct dpdk_layer *dl, int self)
{
	if (!rte_spinlock_trylock(&dl->io.rx_lock))
		return -1;
	unsigned n = dl_rx_poll(dl, self);

	rte_spinlock_unlock(&dl->io.rx_lock);
	/* an ARP reply waits in the ctl ring for the Tx side */
	if (n && !rte_ring_empty(dl->ctl_ring))
		dl_tx_kick(dl);
	return (int)n;
}

bool dl_tx_pending(const struct dpdk_layer *dl)
{
	if (dl->ctl_ring && !rte_ring_empty(dl->ctl_ring))
		return true;
	for (int c = 0; c < dl->info.n_app_cores; c++)
		if (!rte_ring_empty(dl->core[c].tx_ring) || !rte_ring_empty(dl->core[c].arp_ring))
			return true;
	return dl_tx_backlogged(dl);
}

#define INLINE_TX_ROUNDS 8   /* a holder drains for others at most this often per call */

void dl_inline_tx(struct dpdk_layer *dl, bool service)
{
	struct dpdk_inline *io = &dl->io;

	/* Flat combining: one core at a time drains every core's rings.  A
	 * core that finds the lock taken leaves its packets to the holder,
	 * which sees its tx_req bump after unlocking and drains once more (or
	 * the bump came after the unlock, and so did that core's trylock).
	 * Nothing new (tx_req == tx_done) and nothing left: two loads. */
	for (int i = 0; i < INLINE_TX_ROUNDS; i++) {
		uint32_t seen = __atomic_load_n(&io->tx_req, __ATOMIC_SEQ_CST);

		if ((!service && seen == __atomic_load_n(&io->tx_done, __ATOMIC_RELAXED) &&
		     !__atomic_load_n(&io->tx_left, __ATOMIC_RELAXED)) ||
		    !rte_spinlock_trylock(&io->tx_lock))
			return;
		__atomic_store_n(&io->tx_done, seen, __ATOMIC_RELAXED);
		unsigned moved = dl_tx_drain(dl);
		bool left = dl_tx_pending(dl);

		__atomic_store_n(&io->tx_left, left, __ATOMIC_RELAXED);
		rte_spinlock_unlock(&io->tx_lock);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&io->tx_req, __ATOMIC_RELAXED) == seen && !(moved && left))
			return;
		service = false;
	}
}

void dl_tx_kick(struct dpdk_layer *dl)
{
	if (!dl->info.rxtx_inline) {
		kb_wait_notify(dl->tx_wake);
		return;
	}
	__atomic_fetch_add(&dl->io.tx_req, 1, __ATOMIC_SEQ_CST);
	dl_inline_tx(dl, false);
}

void dl_nic_sleep(struct dpdk_layer *dl)
{
	rte_spinlock_lock(&dl->io.nic_lock);
	if (dl->io.nic_sleepers++ == 0)
		kb_rxintr_arm(&dl->rxq);
	rte_spinlock_unlock(&dl->io.nic_lock);
}

void dl_nic_wake(struct dpdk_layer *dl)
{
	/* the last sleeper to wake disarms (and drains the eventfd); the
	 * others left it readable, so they woke too */
	rte_spinlock_lock(&dl->io.nic_lock);
	if (--dl->io.nic_sleepers == 0)
		kb_rxintr_disarm(&dl->rxq);
	rte_spinlock_unlock(&dl->io.nic_lock);
}

void dl_tx_send(struct dpdk_layer *dl, struct rte_mbuf **pkts, uint16_t n, uint64_t *drop)
{
	struct dl_txq *q = dl->txs.nic;

	dl_txq_add(dl, q, pkts, n, drop);
	if (dl_txq_flush(dl, q))
		dl->txs.last_tx_us = dl_now_us(dl);
}

static void set_dst(struct rte_mbuf *m, const uint8_t mac[6])
{
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac, 6);
}

static uint32_t pkt_daddr(struct rte_mbuf *m)
{
	uint32_t d;

	memcpy(&d, rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN + 16), 4);
	return d;
}

void dl_tx_unresolved(struct dpdk_layer *dl, struct rte_mbuf *m, uint64_t now_us)
{
	uint8_t mac[6];
	uint32_t nh = 0;

	if (dl_resolve(dl, pkt_daddr(m), mac, &nh) == 0) {
		set_dst(m, mac);
		dl_tx_send(dl, &m, 1, NULL);
		return;
	}
	switch (arp_hold_add(&dl->txs.hold, nh, m, now_us)) {
	case ARP_HOLD_SEND_REQUEST:
		send_arp_request(dl, nh);
		break;
	case ARP_HOLD_QUEUED:
		break;
	case ARP_HOLD_FULL:
		dl->txs.arp_hold_dropped++;
		rte_pktmbuf_free(m);
		break;
	}
}

void dl_tx_service_hold(struct dpdk_layer *dl, uint64_t now_us)
{
	struct arp_hold *h = &dl->txs.hold;

	for (unsigned i = 0; i < ARP_HOLD_HOPS && h->active; i++) {
		void *out[ARP_HOLD_PKTS];
		unsigned n;
		uint32_t ip;
		uint8_t mac[6];

		switch (arp_hold_check(h, i, &dl->arp, now_us, &ip, mac, out, &n)) {
		case ARP_HOLD_IDLE:
			break;
		case ARP_HOLD_RESOLVED:
			for (unsigned k = 0; k < n; k++)
				set_dst(out[k], mac);
			dl_tx_send(dl, (struct rte_mbuf **)out, (uint16_t)n, NULL);
			break;
		case ARP_HOLD_RETRY:
			send_arp_request(dl, ip);
			break;
		case ARP_HOLD_EXPIRED:
			dl->txs.arp_hold_dropped += n;
			rte_pktmbuf_free_bulk((struct rte_mbuf **)out, n);
			break;
		}
	}
}

unsigned dl_tx_drain(struct dpdk_layer *dl)
{
	struct dpdk_txside *ts = &dl->txs;
	int n_app = dl->info.n_app_cores;
	struct rte_mbuf *b[DPDK_MAX_BURST];
	/* the port's backlog first; while it lasts, what the cores queued
	 * waits in their rings, which push back on them in turn */
	unsigned moved = dl_txq_flush(dl, ts->nic);
	bool port_full = ts->nic->n != 0;

	if (dl->ctl_ring) {
		unsigned k = rte_ring_sc_dequeue_burst(dl->ctl_ring, (void **)b, DPDK_MAX_BURST, NULL);

		if (k) {
			ts->arp_reply_tx += k;
			dl_tx_send(dl, b, (uint16_t)k, NULL);
			moved += k;
		}
	}
	/* start one core further each round so no core's ring is always last */
	for (int j = 0; j < n_app; j++) {
		int c = (int)((ts->rr + (unsigned)j) % (unsigned)n_app);
		struct dpdk_core *core = &dl->core[c];
		unsigned k = port_full ? 0 : rte_ring_sc_dequeue_burst(core->tx_ring, (void **)b,
								       DPDK_MAX_BURST, NULL);

		if (k) {
			dl_tx_send(dl, b, (uint16_t)k, &ts->dropped[c]);
			port_full = ts->nic->n != 0;
		}
		moved += k;
		unsigned u = rte_ring_sc_dequeue_burst(core->arp_ring, (void **)b, DPDK_MAX_BURST, NULL);

		if (u) {
			uint64_t now = dl_now_us(dl);

			for (unsigned i = 0; i < u; i++)
				dl_tx_unresolved(dl, b[i], now);
		}
		moved += u;
	}
	ts->rr++;
	if (ts->hold.active)
		dl_tx_service_hold(dl, dl_now_us(dl));
	return moved;
}
