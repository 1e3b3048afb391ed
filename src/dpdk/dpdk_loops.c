/* dpdk_loops.c: the Rx (1kb: RxTx) and Tx threads of the multi-core modes.
 *
 * Idle (kb_idle.h): after their poll window both block.  The Rx thread
 * waits on the NIC's rx interrupt (kb_rxintr) and, in 1kb mode where it
 * also drains the cores' tx rings, on its kick, which the cores send when
 * they queue packets while it sleeps; the 2kb Tx thread waits on its kick
 * alone.  Packets waiting for ARP bound the block to one ARP retry
 * period, since nothing else would wake the thread to resend, and packets
 * the full port held back (dl_txq) to one short step. */
#include "dpdk_priv.h"

static bool stopping(const struct dpdk_layer *dl)
{
	return __atomic_load_n(&dl->stop, __ATOMIC_ACQUIRE) != 0;
}

void dl_kick_threads(struct dpdk_layer *dl)
{
	kb_wait_kick(&dl->rxs.wait);
	kb_wait_kick(&dl->txs.wait);
}

void dl_block(struct kb_wait *w, struct kb_idle *idle, int64_t timeout_ns)
{
	uint64_t t0 = kb_idle_now_ns();
	int r = kb_wait_block(w, timeout_ns, NULL, 0);

	kb_idle_woke(idle, kb_idle_now_ns() - t0, r > 0);
}

static int64_t hold_timeout_ns(const struct dpdk_layer *dl)
{
	/* packets the full port held back: virtio signals no tx completion,
	 * so look again after a short step */
	if (dl_tx_backlogged(dl))
		return (int64_t)dl_tx_step_us(dl) * 1000;
	return dl->txs.hold.active ? (int64_t)dl->cfg.arp_retry_ms * 1000000 : -1;
}

static unsigned rx_once(struct dpdk_layer *dl, bool rxtx)
{
	unsigned work = dl_rx_poll(dl, -1);

	if (rxtx)
		work += dl_tx_drain(dl);
	return work;
}

int rx_main_loop(void *arg)
{
	struct dpdk_layer *dl = arg;
	struct dpdk_rxside *rs = &dl->rxs;
	bool rxtx = dl->info.mode == DPDK_MODE_1KB;

	kb_idle_init(&rs->idle, dl->cfg.pure_poll, dl->cfg.idle_max_us);
	if (dl->rxq.fd >= 0 && rs->wait.n_fds > 0)
		kb_idle_can_block(&rs->idle);
	while (!stopping(dl)) {
		unsigned work = rx_once(dl, rxtx);

		if (!kb_idle_account(&rs->idle, work))
			continue;
		/* arm, re-check, block: a packet or a tx kick after the arm wakes us */
		kb_rxintr_arm(&dl->rxq);
		kb_wait_prepare(&rs->wait);
		work = rx_once(dl, rxtx);
		if (!work && !stopping(dl))
			dl_block(&rs->wait, &rs->idle, rxtx ? hold_timeout_ns(dl) : -1);
		kb_wait_done(&rs->wait);
		kb_rxintr_disarm(&dl->rxq);
		kb_idle_account(&rs->idle, work);
	}
	return 0;
}

int tx_main_loop(void *arg)
{
	struct dpdk_layer *dl = arg;
	struct dpdk_txside *ts = &dl->txs;

	kb_idle_init(&ts->idle, dl->cfg.pure_poll, dl->cfg.idle_max_us);
	if (ts->wait.kickfd >= 0)
		kb_idle_can_block(&ts->idle);
	while (!stopping(dl)) {
		unsigned work = dl_tx_drain(dl);

		if (!kb_idle_account(&ts->idle, work))
			continue;
		kb_wait_prepare(&ts->wait);
		work = dl_tx_drain(dl);
		if (!work && !stopping(dl))
			dl_block(&ts->wait, &ts->idle, hold_timeout_ns(dl));
		kb_wait_done(&ts->wait);
		kb_idle_account(&ts->idle, work);
	}
	return 0;
}
