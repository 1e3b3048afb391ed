/* dpdk_priv.h: the layer's state, shared by its .c files only.
 *
 * Who writes what (one writer per field, so no locks):
 *   struct dpdk_core   its application thread;
 *   struct dpdk_rxside the thread that reads the NIC (core 0 in single mode,
 *                      the Rx/RxTx thread otherwise) -- it also writes the
 *                      ARP table;
 *   struct dpdk_txside the thread that writes the NIC (core 0 in single
 *                      mode, the RxTx thread in 1kb, the Tx thread in 2kb)
 *                      -- it owns the ARP hold queue.
 * With rxtx_inline the Rx and Tx sides are roles, not threads: the app core
 * that holds io.rx_lock (io.tx_lock) is the one writer of dpdk_rxside
 * (dpdk_txside) and the producer of the rx rings (consumer of the tx, ARP
 * and ctl rings), and the lock's acquire/release orders one holder's
 * writes before the next one's.
 * Readers of counters on other threads may see slightly stale values. */
#ifndef KB_DPDK_PRIV_H
#define KB_DPDK_PRIV_H

#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "arp_table.h"
#include "dpdk_api.h"
#include "dpdk_cfg.h"
#include "kb_idle.h"
#include "kb_rxintr.h"
#include "kb_wait.h"
#include "pkt_parse.h"

/* A sender's backlog: packets on their way to one sink -- the NIC's tx
 * queue, or in 1kb/2kb mode a core's tx ring -- oldest first.  A full
 * sink (virtio's ring not yet drained by the switch) refuses part of a
 * burst; what it refuses stays here and goes first at the next flush, and
 * the core tells the stack there is no room (dpdk_tx_room()) until the
 * backlog is gone, as a qdisc pushes back on Linux's TCP.  Only a backlog
 * that overflows loses packets: the stack stops building data segments
 * long before, so that takes a flood of control packets.  Written by the
 * sink's one writer (dpdk_core: its application thread; the NIC's queue:
 * the Tx side's thread). */
#define DL_TXQ_SIZE    DPDK_TX_BACKLOG
#define DL_TXQ_RESERVE 128   /* kept for ACKs and control once data stops */

struct dl_txq {
	struct rte_ring *ring;      /* the sink: a ring, or NULL for the NIC's tx queue */
	uint16_t n;                 /* m[0..n) waits, in order */
	bool full;                  /* the sink refused part of the last flush */
	uint64_t stall_us;          /* since when the sink takes nothing (0: it does) */
	uint64_t sent;              /* packets the sink took */
	uint64_t backlog;           /* times the sink filled up and packets waited here */
	uint64_t dropped;           /* the backlog itself was full: lost */
	struct rte_mbuf *m[DL_TXQ_SIZE];
};

struct dpdk_core {
	struct dpdk_layer *dl;
	int id;
	bool attached;
	/* the burst announced by get_rx_count(), freed by the next one */
	struct rte_mbuf *rx[DPDK_MAX_BURST];
	uint16_t rx_n, rx_next;
	/* single mode: a burst dpdk_wait_rx() already read from the NIC */
	struct rte_mbuf *stash[DPDK_MAX_BURST];
	uint16_t stash_n;
	/* addBufferToRing()'s batch and backlog: to the NIC in single mode,
	 * to tx_ring otherwise */
	struct dl_txq tx;
	struct rte_ring *rx_ring;   /* Rx thread -> this core (SP/SC) */
	struct rte_ring *tx_ring;   /* this core -> Tx side (SP/SC) */
	struct rte_ring *arp_ring;  /* this core -> Tx side: next hop unresolved */
	struct kb_idle idle;
	/* where dpdk_wait_rx() blocks: single mode, the NIC's rx interrupt;
	 * 1kb/2kb, the kick of the Rx thread after it filled rx_ring */
	struct kb_wait wait;
	struct dpdk_core_stats st;
} __rte_cache_aligned;

struct dpdk_rxside {
	uint64_t nic_rx;
	uint64_t verdict[PKT_VERDICTS];
	uint64_t arp_req_rx, arp_reply_rx, arp_bad, arp_learned, arp_table_full;
	uint64_t ring_full[DPDK_MAX_CORES];
	uint64_t nobuf;               /* no mbuf for an ARP reply */
	uint64_t ctl_ring_full;       /* 2kb: ARP reply could not reach the Tx thread */
	uint64_t rx_copied;           /* small frames copied out of big rx buffers */
	uint64_t rx_pool_low;         /* bigger ones copied out, the big buffers running out */
	struct kb_idle idle;
	struct kb_wait wait;          /* NIC rx interrupt (+ 1kb: the cores' tx kicks) */
} __rte_cache_aligned;

struct dpdk_txside {
	/* the NIC's tx queue: core 0's tx in single mode, else q (the thread
	 * that drains the cores' rings) */
	struct dl_txq *nic;
	struct dl_txq q;
	uint64_t arp_req_tx, arp_reply_tx;
	uint64_t arp_hold_dropped;    /* held packets given up (timeout or full) */
	uint64_t dropped[DPDK_MAX_CORES];
	uint64_t nobuf;               /* no mbuf for an ARP request */
	uint64_t last_tx_us;          /* for the linger at shutdown */
	unsigned rr;                  /* round-robin start */
	struct arp_hold hold;
	struct kb_idle idle;
	struct kb_wait wait;          /* 2kb Tx thread: the cores' tx kicks */
} __rte_cache_aligned;

/* rxtx_inline: the app cores share the Rx and Tx work (dpdk_io.c). */
struct dpdk_inline {
	rte_spinlock_t rx_lock;       /* held (trylock) while polling the NIC */
	rte_spinlock_t tx_lock;       /* held (trylock) while draining to the NIC */
	uint32_t tx_req;              /* atomic, any core: bumped after queueing tx work */
	uint32_t tx_done;             /* tx_req when the Tx side last drained (Tx lock holder) */
	bool tx_left;                 /* the last drain left work: a full port, long rings
				       * (Tx lock holder) */
	rte_spinlock_t nic_lock;      /* guards nic_sleepers and the rx interrupt's arm */
	int nic_sleepers;             /* app cores blocked on the NIC's interrupt */
} __rte_cache_aligned;

struct dpdk_layer {
	struct dpdk_cfg cfg;
	FILE *log;                /* cfg.log_file, EAL's log stream; NULL = stderr */
	struct dpdk_info info;
	struct rte_mempool *pool;
	struct rte_mempool *ind_pool; /* data-less mbufs that attach payload (addFragsToRing) */
	struct rte_mempool *snd_pool; /* DPDK_SND_BUF-byte send-queue buffers */
	struct rte_mempool *rx_pool;  /* the vNIC's rx buffers: pool, or bigger ones (info.rx_buf) */
	uint32_t rx_low;              /* free big buffers below which every frame is copied out */
	struct dpdk_core core[DPDK_MAX_CORES];
	struct dpdk_rxside rxs;
	struct dpdk_txside txs;
	struct rte_ring *ctl_ring;    /* 2kb, inline: Rx side -> Tx side (ARP replies) */
	struct dpdk_inline io;
	struct arp_table arp;
	struct kb_rxintr rxq;         /* the NIC queue's interrupt (fd -1: none) */
	struct kb_wait *tx_wake;      /* 1kb/2kb: the thread that drains tx rings */
	uint32_t stop;                /* atomic: threads exit */
	int rx_lcore, tx_lcore;       /* -1 when not launched */
	uint64_t tsc_per_us;
	bool port_started;
	bool drained;
	uint64_t link_down, link_up;  /* written by the interrupt thread only */
};

/* dpdk_io.c: the pieces the app cores and the Rx/Tx threads share. */
uint64_t dl_now_us(const struct dpdk_layer *dl);
/* 0 with the destination MAC for daddr, or -1 with *nh the next hop to resolve. */
int dl_resolve(const struct dpdk_layer *dl, uint32_t daddr, uint8_t mac[6], uint32_t *nh);
/* Classify n received mbufs: keep ours in per-core arrays out[core] (counts
 * in nout[core]), answer/learn ARP, free and count the rest. */
void dl_rx_process(struct dpdk_layer *dl, struct rte_mbuf **pkts, uint16_t n,
		   struct rte_mbuf *out[][DPDK_MAX_BURST], uint16_t *nout);
/* Hand q's backlog to its sink, oldest first; keep what it refuses.
 * Returns the packets it took. */
unsigned dl_txq_flush(struct dpdk_layer *dl, struct dl_txq *q);
/* Queue n packets behind q's backlog (flushing first when it lacks room);
 * what does not fit even then is freed and counted in q->dropped (and in
 * *drop when given). */
void dl_txq_add(struct dpdk_layer *dl, struct dl_txq *q, struct rte_mbuf **pkts, uint16_t n,
		uint64_t *drop);
/* Send to the NIC (Tx side's thread only), behind its backlog. */
void dl_tx_send(struct dpdk_layer *dl, struct rte_mbuf **pkts, uint16_t n, uint64_t *drop);
/* The Tx side holds packets the NIC refused: a loop must poll again soon
 * (virtio signals no tx completion) instead of blocking for long. */
static inline bool dl_tx_backlogged(const struct dpdk_layer *dl)
{
	return dl->txs.nic->n != 0;
}
/* How long a loop holding a backlog waits before it looks again: one
 * idle_max_us step (50 us) while the switch drains the ring, then a
 * quarter of the time the port has taken nothing, up to 128 steps (6.4
 * ms): a switch that is gone (restarting) must not cost each VM a wake-up
 * every 50 us. */
static inline uint32_t dl_tx_step_us(const struct dpdk_layer *dl)
{
	uint32_t base = dl->cfg.idle_max_us ? dl->cfg.idle_max_us : KB_IDLE_DEFAULT_MAX_SLEEP_US;
	uint64_t since = __atomic_load_n(&dl->txs.nic->stall_us, __ATOMIC_RELAXED);
	uint64_t t = since ? (dl_now_us(dl) - since) / 4 : 0;

	return t <= base ? base : t >= 128ull * base ? 128 * base : (uint32_t)t;
}
/* Tx side: a packet whose next hop was unresolved; send or hold it. */
void dl_tx_unresolved(struct dpdk_layer *dl, struct rte_mbuf *m, uint64_t now_us);
/* Tx side: retry/resolve/expire held packets. */
void dl_tx_service_hold(struct dpdk_layer *dl, uint64_t now_us);
/* Tx side: drain the cores' tx and arp rings round-robin. Returns packets moved. */
unsigned dl_tx_drain(struct dpdk_layer *dl);
/* Rx side: hand classified bursts to the cores' rx rings (kicks the cores
 * that may sleep, but self: the app core doing this, or -1). */
void dl_rx_distribute(struct dpdk_layer *dl, struct rte_mbuf *out[][DPDK_MAX_BURST],
		      uint16_t *nout, int self);

/* Rx side: read a burst from the NIC, classify it and hand it to the
 * cores' rx rings.  Returns the packets read.  The body of rx_main_loop()
 * and, inline, of the app cores' polls. */
unsigned dl_rx_poll(struct dpdk_layer *dl, int self);
/* Tx side has work: a core's tx or ARP ring, or the ctl ring, holds packets. */
bool dl_tx_pending(const struct dpdk_layer *dl);
/* rxtx_inline, app cores: dl_rx_poll() unless another core is at it
 * (then -1: that core hands our packets over and kicks us). */
int dl_inline_rx(struct dpdk_layer *dl, int self);
/* rxtx_inline, app cores: dl_tx_drain() while there is tx work, unless
 * another core is at it (it looks again after us: tx_req).  service: also
 * when only the ARP hold queue waits (its retry timer). */
void dl_inline_tx(struct dpdk_layer *dl, bool service);
/* rxtx_inline: tx work may wait (cheap: an app core asks on every poll). */
static inline bool dl_inline_tx_due(const struct dpdk_layer *dl)
{
	return __atomic_load_n(&dl->io.tx_req, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&dl->io.tx_done, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&dl->io.tx_left, __ATOMIC_RELAXED) || dl->txs.hold.active;
}
/* An app core queued tx work: kick the Tx side (threads) or do it (inline). */
void dl_tx_kick(struct dpdk_layer *dl);
/* The NIC's rx interrupt for app cores that block on it (single mode,
 * inline): armed while at least one sleeps. */
void dl_nic_sleep(struct dpdk_layer *dl);
void dl_nic_wake(struct dpdk_layer *dl);

/* rte_eal_init with its output held back (dpdk_eal_init.c): on failure,
 * why = the line that says why, *bad_args = EAL refused its arguments. */
int dpdk_eal_init(int argc, char **argv, char *why, size_t len, bool *bad_args);
/* dpdk_loops.c: wake the Rx/Tx threads (stop). */
void dl_kick_threads(struct dpdk_layer *dl);
/* A thread's block: wait (after its arm + re-check found nothing) for up
 * to timeout_ns (< 0: no limit), then tell kb_idle how it went. */
void dl_block(struct kb_wait *w, struct kb_idle *idle, int64_t timeout_ns);

#endif
