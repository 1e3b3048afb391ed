/* dpdk_init.c: bring-up and tear-down of the layer, attach, statistics. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_log.h>
#include <rte_lcore.h>

#include "dpdk_priv.h"
#include "kb_parse.h"
#include "kb_unix.h"
#include "softrss.h"

#define POOL_CACHE 256

/* Interrupt thread: the vhost-user connection went down or came back
 * (server mode: the switch restarted and reconnected). */
static int lsc_event(uint16_t pid, enum rte_eth_event_type ev, void *arg, void *ret)
{
	struct dpdk_layer *dl = arg;
	struct rte_eth_link link;

	(void)ev; (void)ret;
	if (rte_eth_link_get_nowait(pid, &link) != 0)
		return 0;
	if (link.link_status)
		__atomic_fetch_add(&dl->link_up, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&dl->link_down, 1, __ATOMIC_RELAXED);
	return 0;
}


/* Ask for every offload that lets bigger segments and fewer checksums
 * through, as far as the port offers them.  virtio-user against a vhost-user
 * port with tso=1 offers Tx TCP_TSO, TCP_CKSUM and MULTI_SEGS, Rx TCP_LRO,
 * TCP_CKSUM and SCATTER (mergeable buffers); asking for Rx LRO makes
 * virtio negotiate GUEST_TSO4, Rx TCP_CKSUM GUEST_CSUM.  The stack reads
 * the outcome from dpdk_info. */
static void negotiate_offloads(struct dpdk_layer *dl, const struct rte_eth_dev_info *di,
			       struct rte_eth_conf *pc)
{
	const struct dpdk_cfg *cfg = &dl->cfg;
	uint64_t rx = di->rx_offload_capa, tx = di->tx_offload_capa;
	struct dpdk_info *in = &dl->info;

	in->mtu = (uint16_t)cfg->mtu;
	pc->rxmode.mtu = cfg->mtu;
	if (rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		pc->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		in->rx_cksum_offload = true;
	}
	/* a frame larger than one mbuf arrives chained */
	if (rx & RTE_ETH_RX_OFFLOAD_SCATTER)
		pc->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (tx & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		pc->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		in->multi_seg = true;
	}
	if (!cfg->offloads)
		return;
	if (rx & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) {
		pc->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		in->rx_l4_cksum = true;
	}
	if ((rx & RTE_ETH_RX_OFFLOAD_TCP_LRO) && (rx & RTE_ETH_RX_OFFLOAD_SCATTER)) {
		pc->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
		/* max_lro_pkt_size stays 0: ethdev takes the frame size, and
		 * virtio's own limit is its guest's 64 KB GSO */
		in->lro = true;
	}
	/* net_tap "offloads" in software, and gets both wrong for our
	 * segments: its checksum sums each piece of a chain as if it began at
	 * an even offset, and its GSO counts the Ethernet header into the MTU
	 * it checks tso_segsz against.  The kernel behind it gains nothing
	 * from them anyway: the stack does its own. */
	if (!strcmp(di->driver_name, "net_tap"))
		return;
	if (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		pc->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		in->tx_cksum_offload = true;
	}
	if ((tx & RTE_ETH_TX_OFFLOAD_TCP_TSO) && in->tx_cksum_offload && in->multi_seg) {
		pc->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
		in->tso = true;
	}
}

/* The vNIC's receive buffers (dpdk_cfg_rx_buf): the pool's 2 KB mbufs, or
 * with LRO 16 KB ones of their own pool.  A 64 KB segment then fills 4-5
 * buffers instead of 33, so whoever fills them (the switch) copies it in a
 * few long runs: through kbswitch one flow went from 41 to 63-65 Gbit/s
 * when the host's two CPUs share no cache, and kept its 85-90 when they do
 * (docs/design.md, "Receive buffers").  Small frames do not stay in them
 * (dl_rx_process).  Without the memory for them (a mem_mb given too small)
 * the default falls back to 2 KB, saying so; a rx_buf asked for fails. */
static int rx_pool_setup(struct dpdk_layer *dl, uint32_t posted, struct kb_err *err)
{
	struct dpdk_cfg *cfg = &dl->cfg;
	uint32_t b = dpdk_cfg_rx_buf(cfg, dl->info.lro);

	dl->rx_pool = dl->pool;
	dl->info.rx_buf = DPDK_RX_BUF_STD;
	if (b == DPDK_RX_BUF_STD)
		return 0;
	/* no lcore cache: dl_rx_process() reads the free count every burst,
	 * which is then one ring's count (with caches it walks every lcore's,
	 * and counts buffers the refilling lcore cannot reach); a 16 KB buffer
	 * is freed a few hundred thousand times a second at most */
	struct rte_mempool *mp = rte_pktmbuf_pool_create("kb_rx", cfg->rx_pool_size, 0, 0,
							 (uint16_t)(b + RTE_PKTMBUF_HEADROOM),
							 SOCKET_ID_ANY);

	if (!mp) {
		if (cfg->rx_buf)
			return kb_err_set(err, "rx_buf: a pool of %u x %u bytes: %s (mem_mb %u)",
					  cfg->rx_pool_size, b, rte_strerror(rte_errno), cfg->mem_mb);
		fprintf(stderr, "kbdpdk: no memory for %u receive buffers of %u bytes (mem_mb %u): "
			"2 KB ones\n", cfg->rx_pool_size, b, cfg->mem_mb);
		return 0;
	}
	dl->rx_pool = mp;
	dl->info.rx_buf = b;
	/* beyond the posted buffers, half of the rest stays free: the refill
	 * takes what one burst used (up to 64 descriptors and a frame's rest)
	 * all at once or not at all */
	if (posted < cfg->rx_pool_size)
		dl->rx_low = (cfg->rx_pool_size - posted) / 2;
	return 0;
}

static int port_setup(struct dpdk_layer *dl, struct kb_err *err)
{
	struct dpdk_cfg *cfg = &dl->cfg;
	uint16_t pid;

	if (rte_eth_dev_get_port_by_name(cfg->port_name, &pid) != 0) {
		/* a PCI address may be spelt differently from EAL's name */
		if (cfg->port_is_vdev || rte_eth_dev_count_avail() != 1)
			return kb_err_set(err, "port %s: no such device after EAL init%s", cfg->port_name,
					  cfg->port_is_virtio_user ? " (is the switch up, and the port's path= "
					  "its vhost-user socket?)" : "");
		RTE_ETH_FOREACH_DEV(pid)
			break;
	}
	dl->info.port_id = pid;

	struct rte_eth_dev_info di;
	struct rte_eth_conf pc;
	int rc = rte_eth_dev_info_get(pid, &di);

	if (rc != 0)
		return kb_err_set(err, "port %s: dev_info: %s", cfg->port_name, rte_strerror(-rc));
	if (cfg->mtu > di.max_mtu)
		return kb_err_set(err, "port %s: mtu %u is more than the port's %u", cfg->port_name,
				  cfg->mtu, di.max_mtu);
	memset(&pc, 0, sizeof(pc));
	/* virtio-user's link follows its vhost-user connection; in server mode
	 * the LSC interrupt is also what accepts the switch's reconnection */
	if (cfg->port_is_virtio_user && di.dev_flags && (*di.dev_flags & RTE_ETH_DEV_INTR_LSC)) {
		pc.intr_conf.lsc = 1;
		rte_eth_dev_callback_register(pid, RTE_ETH_EVENT_INTR_LSC, lsc_event, dl);
	}
	/* idle threads block on the queue's kick (kb_rxintr.h) */
	bool intr = !cfg->pure_poll && kb_rxintr_configure(pid, &pc);

	negotiate_offloads(dl, &di, &pc);
	rc = rte_eth_dev_configure(pid, 1, 1, &pc);
	if (rc != 0)
		return kb_err_set(err, "port %s: configure: %s", cfg->port_name, rte_strerror(-rc));
	uint16_t nrx = (uint16_t)cfg->nic_rx_desc, ntx = (uint16_t)cfg->nic_tx_desc;

	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	int sock = rte_eth_dev_socket_id(pid);

	uint32_t vr = cfg->port_is_virtio_user ? dpdk_cfg_vring_size(cfg) : 0;

	if (rx_pool_setup(dl, vr > nrx ? vr : nrx, err) < 0)
		return -1;
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(pid, 0, nrx, (unsigned)sock, NULL, dl->rx_pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(pid, 0, ntx, (unsigned)sock, NULL);
	if (rc != 0)
		return kb_err_set(err, "port %s: queue setup: %s", cfg->port_name, rte_strerror(-rc));
	if (cfg->has_mac && !cfg->port_is_virtio_user) {
		struct rte_ether_addr a;

		memcpy(a.addr_bytes, cfg->mac, 6);
		/* some PMDs (vhost) cannot change it; their frames still carry ours */
		rte_eth_dev_default_mac_addr_set(pid, &a);
	}
	if (cfg->has_mac) {
		memcpy(dl->info.mac, cfg->mac, 6);
	} else {
		struct rte_ether_addr a;

		rte_eth_macaddr_get(pid, &a);
		memcpy(dl->info.mac, a.addr_bytes, 6);
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0)
		return kb_err_set(err, "port %s: start: %s", cfg->port_name, rte_strerror(-rc));
	dl->port_started = true;
	/* frames for other MACs are the switch's business, ARP broadcasts ours */
	rte_eth_promiscuous_disable(pid);
	kb_rxintr_init(&dl->rxq, pid, 0, intr);
	return 0;
}

/* Where each thread blocks when idle (kb_wait.h); a thread whose wait set
 * cannot be made sleeps in steps instead. */
static void waits_setup(struct dpdk_layer *dl)
{
	struct dpdk_core *c0 = &dl->core[0];
	int nic = dl->rxq.fd;

	if (dl->cfg.pure_poll)
		return;
	if (dl->info.mode == DPDK_MODE_SINGLE) {
		/* core 0 reads the NIC itself */
		if (nic >= 0 && kb_wait_init(&c0->wait) == 0 && kb_wait_add(&c0->wait, nic) < 0)
			kb_wait_fini(&c0->wait);
		return;
	}
	if (dl->info.rxtx_inline) {
		/* every app core may poll the NIC, so every one that sleeps
		 * waits on it too (dl_nic_sleep), and on its kick (a packet
		 * another core handed to its ring) */
		for (int c = 0; c < dl->info.n_app_cores; c++) {
			struct kb_wait *w = &dl->core[c].wait;

			if (nic >= 0 && kb_wait_init(w) == 0 && kb_wait_add(w, nic) < 0)
				kb_wait_fini(w);
		}
		return;
	}
	for (int c = 0; c < dl->info.n_app_cores; c++)
		kb_wait_init(&dl->core[c].wait);
	if (nic >= 0 && kb_wait_init(&dl->rxs.wait) == 0 && kb_wait_add(&dl->rxs.wait, nic) < 0)
		kb_wait_fini(&dl->rxs.wait);
	if (dl->info.mode == DPDK_MODE_2KB) {
		kb_wait_init(&dl->txs.wait);
		dl->tx_wake = &dl->txs.wait;
	} else {
		/* the RxTx thread: without a NIC wake-up it polls, kicks are moot */
		dl->tx_wake = &dl->rxs.wait;
	}
}

static struct rte_ring *mk_ring(const char *what, int core, unsigned size, struct kb_err *err)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "kb_%s%d", what, core);
	struct rte_ring *r = rte_ring_create(name, size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);

	if (!r)
		kb_err_set(err, "ring %s: %s", name, rte_strerror(rte_errno));
	return r;
}

static int start(struct dpdk_layer *dl, const char *argv0, struct kb_err *err)
{
	struct dpdk_cfg *cfg = &dl->cfg;
	bool huge = cfg->memory == DPDK_MEM_HUGE ||
		    (cfg->memory == DPDK_MEM_AUTO && dpdk_cfg_hugepages_ok(cfg->mem_mb));
	char *argv[64], buf[4096];
	int argc = dpdk_cfg_eal_argv(cfg, argv0, huge, argv, 64, buf, sizeof(buf));

	if (argc < 0)
		return kb_err_set(err, "EAL arguments too long");
	cpu_set_t allowed;
	int cpus = 1;

	for (int i = 0; i < DPDK_MAX_CORES; i++)
		dl->info.app_cpu[i] = -1;
	/* where the threads may run: before EAL pins this thread (lcore 0) */
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
		cpus = dpdk_cfg_cpus(cfg, &allowed);
		for (int i = 0; i < cfg->n_app && i < DPDK_MAX_CORES; i++)
			dl->info.app_cpu[i] = dpdk_cfg_app_cpu(cfg, &allowed, i);
		cpu_set_t vm;

		/* EAL gives its control threads (interrupts, vhost messages)
		 * the CPUs the lcores leave, which would be the switch's: a
		 * refusal here only leaves them there */
		dpdk_cfg_vm_cpuset(cfg, &allowed, &vm);
		if (CPU_COUNT(&vm) > 0)
			(void)sched_setaffinity(0, sizeof(vm), &vm);
	}
	dl->info.rxtx_inline = dpdk_cfg_rxtx_inline(cfg, cpus);
	fprintf(stderr, "kbdpdk: memory: %s (%u MB), mode %s, %d app core(s)%s\n",
		huge ? "hugepages --in-memory" : "--no-huge", cfg->mem_mb,
		cfg->mode == DPDK_MODE_SINGLE ? "single" : cfg->mode == DPDK_MODE_1KB ? "1kb" : "2kb",
		cfg->n_app, !dl->info.rxtx_inline ? "" : cfg->rxtx == DPDK_RXTX_INLINE ?
		", Rx/Tx inline (rxtx = inline)" : ", Rx/Tx inline (fewer CPUs than threads)");
	if (cfg->log_file[0]) {
		/* EAL's lines go to the VM's log file, not between the app's */
		if (!(dl->log = fopen(cfg->log_file, "a")))
			return kb_err_set(err, "log_file %s: %s", cfg->log_file, strerror(errno));
		setvbuf(dl->log, NULL, _IOLBF, 0);
		rte_openlog_stream(dl->log);
	}
	if (cfg->vhost_server) {
		/* its bind() would fail on a socket a killed VM left behind */
		kb_unix_remove_stale(cfg->vhost_path);
		fprintf(stderr, "kbdpdk: %s listens on %s: waiting for the switch to connect\n",
			cfg->port_name, cfg->vhost_path);
	}
	char why[256];
	bool bad_args;

	if (dpdk_eal_init(argc, argv, why, sizeof(why), &bad_args) < 0) {
		/* our own arguments are always good: a refusal is eal_args' */
		if (bad_args && cfg->eal_args_pos.line)
			return kb_err_at(err, cfg->conf_path, cfg->eal_args_pos.line,
					 cfg->eal_args_pos.col, "eal_args: EAL refused '%s': %s",
					 cfg->eal_args, why);
		return kb_err_set(err, "EAL init failed: %s", why);
	}
	dl->tsc_per_us = rte_get_tsc_hz() / 1000000;
	if (!dl->tsc_per_us)
		dl->tsc_per_us = 1;

	dl->pool = rte_pktmbuf_pool_create("kb_pool", cfg->pool_size, POOL_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!dl->pool)
		return kb_err_set(err, "mbuf pool of %u: %s", cfg->pool_size, rte_strerror(rte_errno));
	/* addFragsToRing() attaches payload to these: no data room of their own */
	dl->ind_pool = rte_pktmbuf_pool_create("kb_ind", cfg->pool_size, POOL_CACHE, 0, 0,
					       SOCKET_ID_ANY);
	if (!dl->ind_pool)
		return kb_err_set(err, "attach pool of %u: %s", cfg->pool_size, rte_strerror(rte_errno));
	/* the stacks' send queues: big buffers, few pieces per segment */
	unsigned n_snd = (unsigned)cfg->n_app * DPDK_SND_BUFS - 1;

	/* a small per-lcore cache: 512 big buffers must not strand in others' */
	dl->snd_pool = rte_pktmbuf_pool_create("kb_snd", n_snd, 32, 0, DPDK_SND_BUF, SOCKET_ID_ANY);
	if (!dl->snd_pool)
		return kb_err_set(err, "send-queue pool of %u x %u bytes: %s (mem_mb %u)", n_snd,
				  DPDK_SND_BUF, rte_strerror(rte_errno), cfg->mem_mb);
	if (port_setup(dl, err) < 0)
		return -1;
	for (int i = 0; i < cfg->n_arp; i++)
		arp_table_learn(&dl->arp, cfg->arp[i].ip, cfg->arp[i].mac, true);

	waits_setup(dl);
	if (cfg->mode == DPDK_MODE_SINGLE)
		return 0;
	for (int c = 0; c < cfg->n_app; c++) {
		struct dpdk_core *core = &dl->core[c];

		if (!(core->rx_ring = mk_ring("rx", c, cfg->rx_ring_size, err)) ||
		    !(core->tx.ring = core->tx_ring = mk_ring("tx", c, cfg->tx_ring_size, err)) ||
		    !(core->arp_ring = mk_ring("arp", c, 64, err)))
			return -1;
	}
	if ((cfg->mode == DPDK_MODE_2KB || dl->info.rxtx_inline) &&
	    !(dl->ctl_ring = mk_ring("ctl", 0, 256, err)))
		return -1;
	/* inline: the Rx/Tx lcores stay parked in EAL's wait for work (blocked,
	 * no CPU); the app cores run rx_main_loop's and tx_main_loop's work */
	if (dl->info.rxtx_inline)
		return 0;
	dl->rx_lcore = cfg->num_cores - 1;
	if (rte_eal_remote_launch(rx_main_loop, dl, (unsigned)dl->rx_lcore) != 0) {
		dl->rx_lcore = -1;
		return kb_err_set(err, "cannot launch the Rx thread on lcore %d", cfg->num_cores - 1);
	}
	if (cfg->mode == DPDK_MODE_2KB) {
		dl->tx_lcore = cfg->num_cores - 2;
		if (rte_eal_remote_launch(tx_main_loop, dl, (unsigned)dl->tx_lcore) != 0) {
			dl->tx_lcore = -1;
			return kb_err_set(err, "cannot launch the Tx thread on lcore %d", cfg->num_cores - 2);
		}
	}
	return 0;
}

static struct dpdk_layer *layer_new(struct kb_conf *conf, struct kb_err *err)
{
	struct dpdk_layer *dl = calloc(1, sizeof(*dl));

	if (!dl) {
		kb_err_set(err, "out of memory");
		return NULL;
	}
	if (dpdk_cfg_parse(conf, &dl->cfg, err) < 0) {
		free(dl);
		return NULL;
	}
	struct dpdk_cfg *cfg = &dl->cfg;

	dl->rx_lcore = dl->tx_lcore = -1;
	dl->info.mode = cfg->mode;
	dl->info.n_app_cores = cfg->n_app;
	dl->info.ip = cfg->ip;
	dl->info.prefix = cfg->prefix;
	dl->info.gateway = cfg->gateway;
	arp_table_init(&dl->arp);
	arp_hold_init(&dl->txs.hold, cfg->arp_retry_ms * 1000, (uint8_t)cfg->arp_tries);
	for (int c = 0; c < DPDK_MAX_CORES; c++) {
		dl->core[c].dl = dl;
		dl->core[c].id = c;
		kb_wait_clear(&dl->core[c].wait);
	}
	kb_wait_clear(&dl->rxs.wait);
	kb_wait_clear(&dl->txs.wait);
	dl->tx_wake = &dl->txs.wait;
	/* single mode: core 0 writes the NIC itself, through its own backlog */
	dl->txs.nic = cfg->mode == DPDK_MODE_SINGLE ? &dl->core[0].tx : &dl->txs.q;
	dl->rxq.fd = -1;
	rte_spinlock_init(&dl->io.rx_lock);
	rte_spinlock_init(&dl->io.tx_lock);
	rte_spinlock_init(&dl->io.nic_lock);
	return dl;
}

static struct dpdk_layer *init_common(struct kb_conf *conf, bool check_unused, struct kb_err *err)
{
	struct dpdk_layer *dl = layer_new(conf, err);

	if (!dl)
		return NULL;
	if (check_unused && kb_conf_check_unused(conf, err) < 0) {
		free(dl);
		return NULL;
	}
	if (start(dl, "kbdpdk", err) < 0) {
		dpdk_destroy(dl);
		return NULL;
	}
	return dl;
}

struct dpdk_layer *dpdk_init(const char *conf_path, struct kb_err *err)
{
	struct kb_conf conf;

	if (kb_conf_load(&conf, conf_path, err) < 0)
		return NULL;
	struct dpdk_layer *dl = init_common(&conf, true, err);

	kb_conf_free(&conf);
	return dl;
}

struct dpdk_layer *dpdk_init_conf(struct kb_conf *conf, struct kb_err *err)
{
	return init_common(conf, false, err);
}

static void free_ring(struct rte_ring *r)
{
	void *m;

	if (!r)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

static bool tx_queued(const struct dpdk_layer *dl)
{
	return dl_tx_pending(dl) || dl->txs.hold.active != 0;
}

/* What a backlog still holds at the end is lost: count it. */
static void txq_discard(struct dl_txq *q)
{
	if (!q->n)
		return;
	q->dropped += q->n;
	rte_pktmbuf_free_bulk(q->m, q->n);
	q->n = 0;
}

void dpdk_drain(struct dpdk_layer *dl)
{
	if (!dl || dl->drained || !dl->port_started)
		return;
	dl->drained = true;
	bool single = dl->info.mode == DPDK_MODE_SINGLE;
	uint64_t now = dl_now_us(dl), end = now + 1000000;   /* bounded */
	uint64_t arp_end = now + dl->cfg.arp_retry_ms * 1000ull;

	/* the app threads are done: their batches and backlogs may be pushed
	 * from here, while the port (or the Tx side) takes them; in single
	 * mode packets waiting for ARP get one retry period */
	for (;;) {
		bool left = false;

		for (int c = 0; c < dl->info.n_app_cores; c++) {
			dpdk_flush_tx(&dl->core[c]);
			left |= dl->core[c].tx.n != 0;
		}
		now = dl_now_us(dl);
		if (single && dl->txs.hold.active && now < arp_end) {
			dl_tx_service_hold(dl, now);
			left = true;
		}
		if (!single) {
			/* inline: no Tx thread; the app cores are done, so we are it */
			if (dl->info.rxtx_inline)
				dl_inline_tx(dl, true);
			left |= tx_queued(dl);
		}
		if (!left || now >= end)
			break;
		rte_delay_us_sleep(1000);
	}
	__atomic_store_n(&dl->stop, 1, __ATOMIC_RELEASE);
	dl_kick_threads(dl);
	if (dl->rx_lcore >= 0)
		rte_eal_wait_lcore((unsigned)dl->rx_lcore);
	if (dl->tx_lcore >= 0)
		rte_eal_wait_lcore((unsigned)dl->tx_lcore);
	dl->rx_lcore = dl->tx_lcore = -1;
	for (int c = 0; c < dl->info.n_app_cores; c++)
		txq_discard(&dl->core[c].tx);
	txq_discard(&dl->txs.q);
	now = dl_now_us(dl);
	uint64_t until = dl->txs.last_tx_us + dl->cfg.linger_ms * 1000ull;

	if (dl->txs.nic->sent && until > now)
		rte_delay_us_sleep((unsigned)(until - now));
}

/* Closing the port races the EAL interrupt thread.  virtio-user in server
 * mode handles the switch's (dis)connection there: its LSC handler sees the
 * connection closed and sets an alarm, 1 us later, that unregisters the
 * handler and registers it again on the listening socket.  A stop from
 * another thread while the handler runs fails to unregister it (-EAGAIN,
 * which the driver ignores); a close while the alarm is pending frees the
 * device under it, or closes the listener it then registers.  Either way
 * the thread keeps a source whose fd is closed: its next epoll rebuild
 * panics ("Error adding fd N epoll_ctl, Bad file descriptor"), or the alarm
 * reads freed memory.  So the port is stopped and closed on the interrupt
 * thread itself, from an alarm: that thread runs handlers and alarms one at
 * a time, so the stop cannot meet a running handler; and it goes only once
 * the link, read there (which is what sets the driver's alarm when the
 * connection is gone), is up, or after a few steps that let such an alarm
 * run first: down and past them, the port is listening, with no alarm due. */
struct port_teardown {
	struct dpdk_layer *dl;
	int steps;       /* deferrals left while the link is down */
	uint32_t done;   /* atomic: the port is closed */
};

#define TEARDOWN_STEP_US 10000

static void port_close_alarm(void *arg)
{
	struct port_teardown *t = arg;
	uint16_t pid = t->dl->info.port_id;
	struct rte_eth_link link;

	if (t->steps-- > 0 && rte_eth_link_get_nowait(pid, &link) == 0 && !link.link_status &&
	    rte_eal_alarm_set(TEARDOWN_STEP_US, port_close_alarm, t) == 0)
		return;
	rte_eth_dev_callback_unregister(pid, RTE_ETH_EVENT_INTR_LSC, lsc_event, t->dl);
	rte_eth_dev_stop(pid);
	rte_eth_dev_close(pid);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
}

static void port_teardown(struct dpdk_layer *dl)
{
	struct port_teardown t = { .dl = dl, .steps = 3 };

	if (rte_eal_alarm_set(1, port_close_alarm, &t) == 0) {
		/* bounded: should the interrupt thread never come to it, we
		 * do it here, as before; cancel waits for a running alarm */
		for (int i = 0; i < 2000 && !__atomic_load_n(&t.done, __ATOMIC_ACQUIRE); i++)
			rte_delay_us_sleep(1000);
		if (rte_eal_alarm_cancel(port_close_alarm, &t) <= 0 &&
		    __atomic_load_n(&t.done, __ATOMIC_ACQUIRE))
			return;
	}
	rte_eth_dev_callback_unregister(dl->info.port_id, RTE_ETH_EVENT_INTR_LSC, lsc_event, dl);
	rte_eth_dev_stop(dl->info.port_id);
	rte_eth_dev_close(dl->info.port_id);
}

void dpdk_destroy(struct dpdk_layer *dl)
{
	if (!dl)
		return;
	dpdk_drain(dl);
	__atomic_store_n(&dl->stop, 1, __ATOMIC_RELEASE);
	dl_kick_threads(dl);
	if (dl->rx_lcore >= 0)
		rte_eal_wait_lcore((unsigned)dl->rx_lcore);
	if (dl->tx_lcore >= 0)
		rte_eal_wait_lcore((unsigned)dl->tx_lcore);
	for (int c = 0; c < DPDK_MAX_CORES; c++) {
		struct dpdk_core *core = &dl->core[c];

		if (core->rx_n)
			rte_pktmbuf_free_bulk(core->rx, core->rx_n);
		if (core->stash_n)
			rte_pktmbuf_free_bulk(core->stash, core->stash_n);
		txq_discard(&core->tx);
		free_ring(core->rx_ring);
		free_ring(core->tx_ring);
		free_ring(core->arp_ring);
		kb_wait_fini(&core->wait);
	}
	kb_wait_fini(&dl->rxs.wait);
	kb_wait_fini(&dl->txs.wait);
	txq_discard(&dl->txs.q);
	free_ring(dl->ctl_ring);
	for (unsigned i = 0; i < ARP_HOLD_HOPS; i++)
		for (unsigned k = 0; k < dl->txs.hold.s[i].n; k++)
			rte_pktmbuf_free(dl->txs.hold.s[i].pkt[k]);
	if (dl->port_started)
		port_teardown(dl);
	if (dl->rx_pool && dl->rx_pool != dl->pool)
		rte_mempool_free(dl->rx_pool);
	if (dl->pool)
		rte_mempool_free(dl->pool);
	if (dl->ind_pool)
		rte_mempool_free(dl->ind_pool);
	if (dl->snd_pool)
		rte_mempool_free(dl->snd_pool);
	if (dl->tsc_per_us) {   /* EAL came up */
		char run_dir[PATH_MAX];

		/* --in-memory still makes an empty runtime dir; leave nothing behind */
		snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(run_dir);
	}
	if (dl->log) {
		rte_openlog_stream(NULL);
		fclose(dl->log);
	}
	free(dl);
}

const struct dpdk_info *dpdk_get_info(const struct dpdk_layer *dl)
{
	return &dl->info;
}

struct dpdk_core *dpdk_core_attach(struct dpdk_layer *dl, int core)
{
	if (core < 0 || core >= dl->info.n_app_cores)
		return NULL;
	struct dpdk_core *c = &dl->core[core];

	/* threads the app creates need an lcore id for mempool caches */
	if (rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() != 0)
		return NULL;
	kb_idle_init(&c->idle, dl->cfg.pure_poll, dl->cfg.idle_max_us);
	if (c->wait.kickfd >= 0)
		kb_idle_can_block(&c->idle);
	c->attached = true;
	return c;
}

int dpdk_rss_core(const struct dpdk_layer *dl, uint32_t saddr, uint32_t daddr,
		  uint16_t sport, uint16_t dport)
{
	return softrss_core(dpdk_softrss_hash(saddr, daddr, sport, dport), dl->info.n_app_cores);
}

static uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void dpdk_core_stats(const struct dpdk_core *c, struct dpdk_core_stats *o)
{
	const struct dpdk_layer *dl = c->dl;
	const struct dpdk_core_stats *s = &c->st;

	memset(o, 0, sizeof(*o));
	o->rx_pkts = rd(&s->rx_pkts);
	o->rx_bytes = rd(&s->rx_bytes);
	o->tx_pkts = rd(&s->tx_pkts);
	o->tx_bytes = rd(&s->tx_bytes);
	o->tx_backlog = rd(&c->tx.backlog);
	o->tx_nobuf = rd(&s->tx_nobuf);
	o->tx_noarp = rd(&s->tx_noarp);
	/* s->tx_dropped has this core's own backlog's losses */
	o->tx_dropped = rd(&s->tx_dropped) + rd(&dl->txs.dropped[c->id]);
	o->rx_too_many_frags = rd(&s->rx_too_many_frags);
	o->rx_ring_full = rd(&dl->rxs.ring_full[c->id]);
	if (dl->info.mode == DPDK_MODE_SINGLE) {
		/* this core reads the NIC itself, so the filter's drops are its own */
		o->rx_filtered = rd(&dl->rxs.verdict[PKT_OTHER_IP]);
		for (int v = PKT_RUNT; v < PKT_VERDICTS; v++)
			o->rx_malformed += rd(&dl->rxs.verdict[v]);
	}
}

void dpdk_layer_stats(const struct dpdk_layer *dl, struct dpdk_layer_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->nic_rx = rd(&dl->rxs.nic_rx);
	o->nic_tx = rd(&dl->txs.nic->sent);
	o->nic_tx_backlog = rd(&dl->txs.nic->backlog);
	/* every backlog's losses (1kb/2kb: the cores' before their rings too) */
	o->nic_tx_dropped = rd(&dl->txs.nic->dropped);
	if (dl->info.mode != DPDK_MODE_SINGLE)
		for (int c = 0; c < dl->info.n_app_cores; c++)
			o->nic_tx_dropped += rd(&dl->core[c].tx.dropped);
	o->arp_req_rx = rd(&dl->rxs.arp_req_rx);
	o->arp_reply_rx = rd(&dl->rxs.arp_reply_rx);
	o->arp_req_tx = rd(&dl->txs.arp_req_tx);
	o->arp_reply_tx = rd(&dl->txs.arp_reply_tx);
	o->arp_learned = rd(&dl->rxs.arp_learned);
	o->non_ip_dropped = rd(&dl->rxs.verdict[PKT_NON_IP]);
	o->idle_sleeps = rd(&dl->rxs.idle.sleeps) + rd(&dl->txs.idle.sleeps);
	o->idle_blocks = rd(&dl->rxs.idle.blocks) + rd(&dl->txs.idle.blocks);
	for (int c = 0; c < dl->info.n_app_cores; c++)
		o->idle_blocks += rd(&dl->core[c].idle.blocks);
	o->rx_filtered = rd(&dl->rxs.verdict[PKT_OTHER_IP]);
	for (int v = PKT_RUNT; v < PKT_VERDICTS; v++)
		o->rx_malformed += rd(&dl->rxs.verdict[v]);
	o->arp_bad = rd(&dl->rxs.arp_bad);
	o->arp_table_full = rd(&dl->rxs.arp_table_full);
	o->arp_hold_dropped = rd(&dl->txs.arp_hold_dropped);
	o->nobuf = rd(&dl->rxs.nobuf) + rd(&dl->txs.nobuf);
	o->ctl_ring_full = rd(&dl->rxs.ctl_ring_full);
	o->rx_copied = rd(&dl->rxs.rx_copied);
	o->rx_pool_low = rd(&dl->rxs.rx_pool_low);
	o->link_down = __atomic_load_n(&dl->link_down, __ATOMIC_RELAXED);
	o->link_up = __atomic_load_n(&dl->link_up, __ATOMIC_RELAXED);
	struct rte_eth_stats es;

	if (dl->port_started && rte_eth_stats_get(dl->info.port_id, &es) == 0) {
		o->nic_imissed = es.imissed;
		o->nic_rx_nombuf = es.rx_nombuf;
		o->nic_ierrors = es.ierrors;
		o->nic_oerrors = es.oerrors;
	}
}

void dpdk_print_stats(const struct dpdk_layer *dl, FILE *f)
{
	struct dpdk_layer_stats l;
	char ip[16], mac[18];

	dpdk_layer_stats(dl, &l);
	fprintf(f, "kbdpdk %s/%u %s mode=%s app_cores=%d\n", kb_fmt_ipv4(dl->info.ip, ip),
		dl->info.prefix, kb_fmt_mac(dl->info.mac, mac),
		dl->info.mode == DPDK_MODE_SINGLE ? "single" : dl->info.mode == DPDK_MODE_1KB ? "1kb" : "2kb",
		dl->info.n_app_cores);
	fprintf(f, "  layer: nic_rx=%lu nic_tx=%lu nic_tx_backlog=%lu nic_tx_dropped=%lu "
		"rx_filtered=%lu rx_malformed=%lu non_ip_dropped=%lu nobuf=%lu idle_sleeps=%lu "
		"idle_blocks=%lu rx_intr=%s\n",
		l.nic_rx, l.nic_tx, l.nic_tx_backlog, l.nic_tx_dropped, l.rx_filtered, l.rx_malformed,
		l.non_ip_dropped, l.nobuf, l.idle_sleeps, l.idle_blocks,
		dl->rxq.fd >= 0 ? "yes" : "no");
	fprintf(f, "  port: imissed=%lu rx_nombuf=%lu ierrors=%lu oerrors=%lu link_down=%lu "
		"link_up=%lu mtu=%u offloads: tso=%d lro=%d tx_cksum=%d rx_l4_cksum=%d multi_seg=%d "
		"rx_buf=%u rx_copied=%lu rx_pool_low=%lu\n",
		l.nic_imissed, l.nic_rx_nombuf, l.nic_ierrors, l.nic_oerrors, l.link_down, l.link_up,
		dl->info.mtu, dl->info.tso, dl->info.lro, dl->info.tx_cksum_offload,
		dl->info.rx_l4_cksum, dl->info.multi_seg, dl->info.rx_buf, l.rx_copied,
		l.rx_pool_low);
	fprintf(f, "  malformed:");
	for (int v = PKT_RUNT; v < PKT_VERDICTS; v++)
		fprintf(f, " %s=%lu", pkt_verdict_name(v), rd(&dl->rxs.verdict[v]));
	fprintf(f, "\n  arp: req_rx=%lu reply_rx=%lu req_tx=%lu reply_tx=%lu learned=%lu "
		"bad=%lu table_full=%lu hold_dropped=%lu ctl_ring_full=%lu\n",
		l.arp_req_rx, l.arp_reply_rx, l.arp_req_tx, l.arp_reply_tx, l.arp_learned,
		l.arp_bad, l.arp_table_full, l.arp_hold_dropped, l.ctl_ring_full);
	if (dl->info.rxtx_inline)
		fprintf(f, "  threads: none, Rx/Tx inline in the app cores\n");
	else if (dl->info.mode != DPDK_MODE_SINGLE)
		fprintf(f, "  threads: %s yields=%lu sleeps=%lu blocks=%lu%s",
			dl->info.mode == DPDK_MODE_1KB ? "rxtx" : "rx", rd(&dl->rxs.idle.yields),
			rd(&dl->rxs.idle.sleeps), rd(&dl->rxs.idle.blocks),
			dl->info.mode == DPDK_MODE_1KB ? "\n" : "");
	if (dl->info.mode == DPDK_MODE_2KB && !dl->info.rxtx_inline)
		fprintf(f, "  tx yields=%lu sleeps=%lu blocks=%lu\n", rd(&dl->txs.idle.yields),
			rd(&dl->txs.idle.sleeps), rd(&dl->txs.idle.blocks));
	for (int c = 0; c < dl->info.n_app_cores; c++) {
		struct dpdk_core_stats s;

		dpdk_core_stats(&dl->core[c], &s);
		fprintf(f, "  core %d: rx_pkts=%lu rx_bytes=%lu rx_filtered=%lu rx_malformed=%lu "
			"rx_ring_full=%lu tx_pkts=%lu tx_bytes=%lu tx_backlog=%lu tx_nobuf=%lu "
			"tx_noarp=%lu tx_dropped=%lu rx_too_many_frags=%lu\n", c, s.rx_pkts, s.rx_bytes,
			s.rx_filtered, s.rx_malformed, s.rx_ring_full, s.tx_pkts, s.tx_bytes,
			s.tx_backlog, s.tx_nobuf, s.tx_noarp, s.tx_dropped, s.rx_too_many_frags);
	}
}
