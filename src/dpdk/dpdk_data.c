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
	uint16_t n = c->tx_n;

	if (!n)
		return;
	c->tx_n = 0;
	if (c->dl->info.mode == DPDK_MODE_SINGLE) {
		dl_tx_send(c->dl, c->tx, n, &c->st.tx_dropped);
		return;
	}
	unsigned k = rte_ring_sp_enqueue_burst(c->tx_ring, (void **)c->tx, n, NULL);

	if (k < n) {
		c->st.tx_ring_full += n - k;
		rte_pktmbuf_free_bulk(c->tx + k, n - k);
	}
	if (k)
		kb_wait_notify(c->dl->tx_wake);
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

	/* total length was checked against the frame by pkt_classify() */
	*len = (uint16_t)(ip[2] << 8 | ip[3]);
	c->st.rx_bytes += *len;
	return ip;
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
static inline int accepted(struct dpdk_core *c, uint16_t len)
{
	c->st.tx_pkts++;
	c->st.tx_bytes += len;
	return 0;
}

int addBufferToRing(struct dpdk_core *c, uint8_t *buf, uint16_t len)
{
	struct dpdk_layer *dl = c->dl;
	struct rte_mbuf *m = mbuf_of_tx(buf);
	uint8_t *f = buf - ETH_HLEN;
	uint8_t mac[6];
	uint32_t daddr, nh = 0;

	if (len < 20 || len > DPDK_MTU) {
		c->st.tx_dropped++;
		rte_pktmbuf_free(m);
		return -1;
	}
	m->data_len = m->pkt_len = (uint32_t)len + ETH_HLEN;
	memcpy(f + 6, dl->info.mac, 6);
	f[12] = ETHTYPE_IPV4 >> 8;
	f[13] = ETHTYPE_IPV4 & 0xff;
	memcpy(&daddr, buf + 16, 4);
	if (dl_resolve(dl, daddr, mac, &nh) == 0) {
		memcpy(f, mac, 6);
		c->tx[c->tx_n++] = m;
		if (c->tx_n == DPDK_MAX_BURST)
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
	kb_wait_notify(dl->tx_wake);
	return accepted(c, len);
}

/* Packets for this core are waiting (single mode: read from the NIC into
 * the stash, for the next get_rx_count()). */
static bool rx_ready(struct dpdk_core *c)
{
	if (c->dl->info.mode != DPDK_MODE_SINGLE)
		return rte_ring_count(c->rx_ring) != 0;
	if (!c->stash_n)
		c->stash_n = single_poll(c, c->stash);
	return c->stash_n != 0;
}

/* Poll window over: arm the wake-up, look once more (what arrived before
 * the arm sent no kick), block.  Single mode: the NIC's rx interrupt;
 * 1kb/2kb: the Rx thread's kick after it filled our ring. */
static void core_block(struct dpdk_core *c, uint64_t timeout_us)
{
	bool single = c->dl->info.mode == DPDK_MODE_SINGLE;

	if (single)
		kb_rxintr_arm(&c->dl->rxq);
	else
		kb_wait_prepare(&c->wait);
	if (!rx_ready(c))
		dl_block(&c->wait, &c->idle, (int64_t)timeout_us * 1000);
	if (single)
		kb_rxintr_disarm(&c->dl->rxq);
	else
		kb_wait_done(&c->wait);
}

void dpdk_wait_rx(struct dpdk_core *c, uint32_t timeout_us)
{
	struct dpdk_layer *dl = c->dl;
	uint64_t deadline = dl_now_us(dl) + timeout_us;

	dpdk_flush_tx(c);
	while (!rx_ready(c)) {
		uint64_t now = dl_now_us(dl);

		if (now >= deadline)
			return;
		if (kb_idle_account(&c->idle, 0))
			core_block(c, deadline - now);
	}
}
