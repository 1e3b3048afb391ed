/* dpdk_api.h: the DPDK layer under the TCP/IP stack (layer 2 of one VM).
 *
 * Section 3 of the developer manual.  The layer owns the VM's one-queue
 * vNIC (a virtio-user vdev on the switch's vhost-user socket, or a PCI
 * virtio device inside a real guest), answers and resolves ARP, filters on
 * the VM's IP, and spreads received packets over the application cores with
 * a software Toeplitz RSS, because a virtio NIC has one queue and no RSS.
 *
 * Modes (conf key `mode`):
 *   single  Case I: one application core; get_rx_count() reads the vNIC
 *           itself and addBufferToRing() sends in batches.
 *   1kb     Case II, one RxTx thread on the last core runs rx_main_loop(),
 *           which also drains the per-core tx rings round-robin.
 *   2kb     Case II, rx_main_loop() on the last core, tx_main_loop() on the
 *           last but one.
 * The application cores are the ones left (cores 0..n_app-1).  When the
 * VM has fewer CPUs than threads (conf key rxtx, dpdk_info.rxtx_inline),
 * the Rx/Tx lcores stay parked and the app cores run the same Rx and Tx
 * work themselves, each under a trylock: the same per-core rings and soft
 * RSS, without a thread hand-off per packet on a CPU they would share.
 *
 * Threading contract: every data-path call takes the per-core context
 * `struct dpdk_core *` first and must be called only from the thread that
 * owns that core (the one that called dpdk_core_attach()).  No locks on the
 * data path.  The layer never includes TCP; it only reads the IPv4/TCP/UDP
 * header fields it needs for filtering and RSS.
 *
 * Zero copy: a received packet stays in its mbuf from the vNIC to the stack;
 * buffers returned by get_buffer_rx() stay valid until the same core's next
 * get_rx_count().  get_buffer_tx() hands out an mbuf's data area with room
 * for the Ethernet header in front. */
#ifndef DPDK_API_H
#define DPDK_API_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kb_conf.h"
#include "kb_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DPDK_MAX_CORES     16
#define DPDK_MAX_BURST     32
#define DPDK_ETH_HLEN      14
#define DPDK_MTU           1500   /* largest L3 packet get_buffer_tx() holds */
#define DPDK_MAX_FRAGS     64     /* pieces of one packet (64 KB in 2 KB mbufs) */
#define DPDK_TSO_MAX       65535  /* largest L3 packet addFragsToRing() takes (IPv4 total length) */
#define DPDK_TX_BACKLOG    512    /* packets a core (and the Tx thread) holds behind a full port */
#define DPDK_SND_BUF       16384  /* bytes of a send-queue buffer (dpdk_sndbuf_alloc) */
#define DPDK_SND_BUFS      512    /* such buffers per application core (8 MB) */
#define DPDK_RX_BUF_STD    2048   /* bytes of the pool's mbufs (RTE_MBUF_DEFAULT_DATAROOM) */
#define DPDK_RX_BUF_LRO    16384  /* bytes of a receive buffer with LRO (conf key rx_buf) */
#define DPDK_RX_BUF_MAX    65407  /* an mbuf's 16-bit buf_len less its 128-byte headroom */
#define DPDK_RX_POOL_SPARE 256    /* big rx buffers beyond the vNIC's descriptors, at least */
#define DPDK_RX_KEEP_MAX   640    /* frames up to this size stay in big rx buffers (dl_rx_process),
				   * bigger ones up to DPDK_RX_BUF_STD are copied out */

enum dpdk_mode { DPDK_MODE_SINGLE = 0, DPDK_MODE_1KB = 1, DPDK_MODE_2KB = 2 };

struct dpdk_layer;   /* the VM: port, pools, rings, threads */
struct dpdk_core;    /* one application core's view */

/* What the layer was configured with; read-only for the stack. */
struct dpdk_info {
	enum dpdk_mode mode;
	int n_app_cores;        /* cores the stack runs on: 0..n_app_cores-1 */
	uint32_t ip;            /* network byte order */
	uint8_t prefix;
	uint32_t gateway;       /* 0 when none */
	uint8_t mac[6];
	uint16_t port_id;
	bool rx_cksum_offload;  /* the port verifies IPv4 header checksums */
	/* Offloads negotiated with the port (docs/dpdk-layer.md, "Big segments"): */
	bool tx_cksum_offload;  /* the port fills TCP checksums: every TCP packet handed
				 * to the layer carries only the pseudo-header sum (with
				 * the TCP length; without it when TSO is asked) */
	bool rx_l4_cksum;       /* get_frags_rx() says when a TCP checksum needs no check */
	bool tso;               /* the port segments TCP (RTE_MBUF_F_TX_TCP_SEG): the
				 * stack may send up to DPDK_TSO_MAX bytes per packet */
	bool lro;               /* received packets may be larger than the MTU */
	bool multi_seg;         /* the port sends chained mbufs (payload by reference) */
	uint16_t mtu;           /* largest L3 packet on the wire (conf key mtu) */
	uint32_t rx_buf;        /* bytes of a receive buffer (conf key rx_buf; with LRO
				 * DPDK_RX_BUF_LRO): a longer frame arrives chained */
	int app_cpu[DPDK_MAX_CORES]; /* the CPU of app core i, where mtcp_core_affinitize(i)
				 * binds a thread: core_list's, else one that kb_place
				 * leaves to VMs (-1: unknown, do not pin) */
	bool rxtx_inline;       /* 1kb/2kb: no Rx/Tx threads run; the app cores do their
				 * work in get_rx_count()/dpdk_flush_tx() (conf key rxtx;
				 * by default when the VM has fewer CPUs than threads) */
};

/* Per-core counters; every drop has one. */
struct dpdk_core_stats {
	uint64_t rx_pkts;          /* delivered to the stack */
	uint64_t rx_bytes;
	uint64_t rx_filtered;      /* not for our IP */
	uint64_t rx_malformed;     /* runt, bad version/IHL/length/checksum */
	uint64_t rx_ring_full;     /* soft-RSS ring to this core was full */
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t tx_backlog;       /* times the port (single) or tx ring (1kb/2kb) was full
				    * and packets waited in the core's backlog, not lost */
	uint64_t tx_nobuf;         /* get_buffer_tx() found the pool empty */
	uint64_t tx_noarp;         /* dropped waiting for ARP (hold queue full or timeout) */
	uint64_t tx_dropped;       /* too short/long, or the backlog overflowed */
	uint64_t rx_too_many_frags;/* a packet in more than the caller's fragments */
};

/* Counters of the layer as a whole (NIC and the rx/tx threads). */
struct dpdk_layer_stats {
	uint64_t nic_rx, nic_tx;
	uint64_t nic_tx_backlog;   /* times the port's ring was full: packets kept, resent */
	uint64_t nic_tx_dropped;   /* lost on transmit: a backlog overflowed (or was left at exit) */
	uint64_t arp_req_rx, arp_reply_rx, arp_req_tx, arp_reply_tx;
	uint64_t arp_learned;
	uint64_t non_ip_dropped;   /* neither IPv4 nor ARP */
	uint64_t idle_sleeps;      /* rx/tx threads' back-off */
	uint64_t idle_blocks;      /* rx/tx threads and app cores blocked on a kick */
	/* added by the layer's implementation: */
	uint64_t rx_filtered;      /* IPv4 not for our address */
	uint64_t rx_malformed;     /* runt, bad version/IHL/length/checksum */
	uint64_t arp_bad;          /* malformed ARP */
	uint64_t arp_table_full;   /* could not learn: table full */
	uint64_t arp_hold_dropped; /* held for ARP, then given up (timeout/full) */
	uint64_t nobuf;            /* no mbuf for an ARP reply/request */
	uint64_t ctl_ring_full;    /* 2kb: ARP reply lost between Rx and Tx thread */
	uint64_t rx_copied;        /* frames of 641 B..2 KB copied out of big rx buffers */
	uint64_t rx_pool_low;      /* bigger frames copied out too, the big buffers running out */
	uint64_t nic_imissed;      /* the port's own counters (rte_eth_stats) */
	uint64_t nic_rx_nombuf;    /* no mbuf to refill the vNIC's rx ring */
	uint64_t nic_ierrors, nic_oerrors;
	uint64_t link_down, link_up;  /* vhost-user connection lost / (re)made */
};

/* Bring up DPDK for one VM from its config file: EAL (memory, the port as a
 * vdev or PCI device), mbuf pool, rings, and in 1kb/2kb mode the Rx/Tx
 * threads.  argv0 names the process in EAL's messages.
 * Returns NULL with a "file:line:col: ..." error for a bad config. */
struct dpdk_layer *dpdk_init(const char *conf_path, struct kb_err *err);

/* Same, from a config already loaded by a layer above (mtcp_init), which
 * claims its own keys and then calls kb_conf_check_unused().  This one
 * claims only the layer's keys. */
struct dpdk_layer *dpdk_init_conf(struct kb_conf *conf, struct kb_err *err);

/* Stop the threads, close the port, free everything. NULL is fine.
 * Calls dpdk_drain() first if the application did not. */
void dpdk_destroy(struct dpdk_layer *dl);

/* (Added by the implementation.)  For a clean exit, after the application
 * cores stopped calling the data path: push out every core's batch and tx
 * ring (bounded wait), stop the Rx/Tx threads, and wait up to linger_ms
 * after the last transmit so the peer can take the last packets (e.g. a
 * FIN) before the port closes -- virtio cannot report tx completion.  The
 * counters are final afterwards.  Idempotent. */
void dpdk_drain(struct dpdk_layer *dl);

const struct dpdk_info *dpdk_get_info(const struct dpdk_layer *dl);

/* The context of application core `core` (0..n_app_cores-1); the calling
 * thread becomes its owner (registered with EAL so mempool caches work). */
struct dpdk_core *dpdk_core_attach(struct dpdk_layer *dl, int core);

/* ---- data path, seed names ---- */

/* Single mode: flush pending tx, read a burst from the vNIC, handle ARP,
 * filter, keep what is ours.  1kb/2kb: take a burst from this core's rx ring.
 * Frees the buffers of the previous burst. Returns how many are ready. */
int get_rx_count(struct dpdk_core *c);

/* The next packet of the burst get_rx_count() announced: its IPv4 header
 * and L3 length.  NULL when the burst is used up. */
uint8_t *get_buffer_rx(struct dpdk_core *c, uint16_t *len);

/* An empty buffer for one IPv4 packet of up to DPDK_MTU bytes, with room
 * for the Ethernet header in front.  NULL (counted in tx_nobuf) when the
 * pool is empty.  Must be handed to addBufferToRing() or dpdk_free_tx(). */
uint8_t *get_buffer_tx(struct dpdk_core *c);

/* Prepend the Ethernet header (destination from ARP for the packet's next
 * hop; an unresolved one triggers an ARP request and the packet is held in
 * a bounded queue), then send it (single: batched, flushed by the next
 * get_rx_count() or dpdk_flush_tx()) or queue it on this core's tx ring.
 * Returns 0, or -1 when the packet was dropped (and counted). */
int addBufferToRing(struct dpdk_core *c, uint8_t *buf, uint16_t len);

/* Give back an unused buffer from get_buffer_tx(). */
void dpdk_free_tx(struct dpdk_core *c, uint8_t *buf);

/* Push out anything batched on this core now.  What a full port (single
 * mode) or tx ring (1kb/2kb) refuses stays in the core's backlog, in
 * order, and goes first at the next flush (every get_rx_count() and
 * dpdk_wait_rx() flushes): a full vNIC ring is backpressure, not loss. */
void dpdk_flush_tx(struct dpdk_core *c);

/* Packets this core may hand the layer now; 0 while a full port or ring
 * holds part of its last flush back.  A sender stops building new data
 * segments at 0 and resumes after a later flush found room (Linux's qdisc
 * backpressure); ACKs and control packets may still go, into a reserve.
 * Only a backlog that overflows loses packets (tx_dropped). */
unsigned dpdk_tx_room(const struct dpdk_core *c);

/* ---- big segments, payload by reference (docs/dpdk-layer.md) ---- */

/* One piece of a packet in a layer buffer (an mbuf). */
struct dpdk_frag {
	void *mb;          /* the buffer; whoever holds it frees it with dpdk_buf_free() */
	uint8_t *data;
	uint32_t len;
	uint32_t room;     /* writable bytes after data + len */
};

/* get_frags_rx() flags */
#define DPDK_RX_L4_CKSUM_OK 1u   /* the port checked the TCP/UDP checksum, or the
				  * sender is local and left it partial (virtio's
				  * NEEDS_CSUM): no software check needed */
#define DPDK_RX_LRO         2u   /* a coalesced (GSO) packet */

/* The next packet of the burst get_rx_count() announced, handed over as
 * fragments: f[0].data is its IPv4 header, and f[0] holds the IPv4 header
 * and the 4 bytes of L4 ports at least (the TCP header itself in practice:
 * virtio's first buffer is large).  The fragments hold exactly the IPv4
 * total length.  The caller owns every fragment's buffer from now on and
 * frees (or keeps) each with dpdk_buf_free().  Returns the number of
 * fragments, 0 when the burst is used up; a packet in more than max
 * fragments is dropped (rx_too_many_frags) and the next one returned. */
int get_frags_rx(struct dpdk_core *c, struct dpdk_frag *f, int max, unsigned *flags);

/* An empty buffer for data the caller keeps (a send queue): f->data and
 * f->room say where to write (f->len = 0).  -1 (tx_nobuf) when the pool is
 * empty. */
int dpdk_buf_alloc(struct dpdk_core *c, struct dpdk_frag *f);
/* The same for a send queue's payload: a DPDK_SND_BUF-byte buffer, so a
 * 64 KB segment is a header and 4-5 pieces (virtio sends chains of fewer
 * than 8 as one indirect descriptor) instead of 33; a 2 KB one when those
 * run out. */
int dpdk_sndbuf_alloc(struct dpdk_core *c, struct dpdk_frag *f);
void dpdk_buf_free(struct dpdk_core *c, void *mb);

/* Send the IPv4 packet whose headers (hlen bytes) were built in buf (from
 * get_buffer_tx()) and whose payload follows as n pieces of layer buffers,
 * by reference: the buffers stay the caller's, the port reads them later
 * (attached mbufs hold a reference), so their bytes must not change.  The
 * total may exceed the MTU only with tso_segsz > 0 on a port with
 * info.tso: the port cuts it into tso_segsz-byte segments.  Without
 * info.multi_seg the payload is copied behind the headers.  As
 * addBufferToRing() otherwise. */
int addFragsToRing(struct dpdk_core *c, uint8_t *buf, uint16_t hlen,
		   const struct dpdk_frag *f, int n, uint16_t tso_segsz);

/* Wait until this core may have packets or timeout_us passes; lets an idle
 * stack give its CPU away.  Returns at once when packets are waiting.  Per
 * kb_idle.h: polls for a short window, then blocks on a kick (single mode:
 * the vNIC's rx interrupt; 1kb/2kb: the Rx thread's kick), so waking is a
 * kick, not a timer; a vNIC without rx interrupts sleeps in steps;
 * pure_poll = yes polls. */
void dpdk_wait_rx(struct dpdk_core *c, uint32_t timeout_us);

/* The Rx (1kb: RxTx) and Tx thread bodies.  dpdk_init() launches them on
 * the last and last-but-one cores; public because the seed names them.
 * They run until dpdk_destroy(). arg is the struct dpdk_layer *. */
int rx_main_loop(void *arg);
int tx_main_loop(void *arg);

/* ---- soft RSS (public so the stack picks ports that come back home) ---- */

/* Symmetric Toeplitz over (saddr, daddr, sport, dport), all network order:
 * hash(a,b,p,q) == hash(b,a,q,p).  Table-driven. */
uint32_t dpdk_softrss_hash(uint32_t saddr, uint32_t daddr, uint16_t sport,
			   uint16_t dport);

/* The application core a received packet with these fields is delivered
 * to (the layer's own mapping of the hash). */
int dpdk_rss_core(const struct dpdk_layer *dl, uint32_t saddr, uint32_t daddr,
		  uint16_t sport, uint16_t dport);

/* ---- statistics ---- */
void dpdk_core_stats(const struct dpdk_core *c, struct dpdk_core_stats *out);
void dpdk_layer_stats(const struct dpdk_layer *dl, struct dpdk_layer_stats *out);
void dpdk_print_stats(const struct dpdk_layer *dl, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
