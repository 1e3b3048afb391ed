/* dpdk_loops.c: the Rx (1kb: RxTx) and Tx threads of the multi-core modes. */
#include "dpdk_priv.h"

static bool stopping(const struct dpdk_layer *dl)
{
	return __atomic_load_n(&dl->stop, __ATOMIC_ACQUIRE) != 0;
}

int rx_main_loop(void *arg)
{
	struct dpdk_layer *dl = arg;
	struct rte_mbuf *pkts[DPDK_MAX_BURST];
	struct rte_mbuf *out[DPDK_MAX_CORES][DPDK_MAX_BURST];
	uint16_t nout[DPDK_MAX_CORES] = { 0 };
	bool rxtx = dl->info.mode == DPDK_MODE_1KB;

	kb_idle_init(&dl->rxs.idle, dl->cfg.pure_poll, dl->cfg.idle_max_us);
	while (!stopping(dl)) {
		uint16_t n = rte_eth_rx_burst(dl->info.port_id, 0, pkts, DPDK_MAX_BURST);
		unsigned work = n;

		if (n) {
			dl_rx_process(dl, pkts, n, out, nout);
			dl_rx_distribute(dl, out, nout);
		}
		if (rxtx)
			work += dl_tx_drain(dl);
		kb_idle_account(&dl->rxs.idle, work);
	}
	return 0;
}

int tx_main_loop(void *arg)
{
	struct dpdk_layer *dl = arg;

	kb_idle_init(&dl->txs.idle, dl->cfg.pure_poll, dl->cfg.idle_max_us);
	while (!stopping(dl))
		kb_idle_account(&dl->txs.idle, dl_tx_drain(dl));
	return 0;
}
