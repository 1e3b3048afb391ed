/* tcp.h: one core's TCP/IPv4 stack instance, independent of DPDK.
 *
 * A `struct tcp_stack` is shared-nothing: its own flow table, listeners,
 * timer wheel, counters.  It meets the network only through `struct
 * tcp_ops` (a buffer to build a packet in, and a way to send it), and takes
 * packets through tcp_ip_input().  Time is passed in (us), so the unit
 * tests drive two instances back to back in virtual time over a channel
 * that drops, reorders and duplicates deterministically; the mTCP API
 * layer drives it from the DPDK layer with the real clock.
 *
 * Ownership: the socket layer owns a pcb until tcp_close()/tcp_abort();
 * after that the stack finishes the connection (FIN exchange, TIME_WAIT)
 * and frees the pcb itself.  A pcb the peer reset or that timed out stays
 * allocated (state CLOSED, err set) until the owner closes it. */
#ifndef KB_TCP_H
#define KB_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcp_buf.h"
#include "tcp_cc.h"
#include "tcp_pool.h"
#include "tcp_rack.h"
#include "tcp_rcvbuf.h"
#include "tcp_rtt.h"
#include "tcp_sack.h"
#include "tcp_sndbuf.h"
#include "tcp_syncookie.h"
#include "tcp_timer.h"

#define TCP_MAX_PKT 1500   /* largest IPv4 packet the ops buffers hold */
#define TCP_MAX_FRAGS 64   /* pieces of one packet, in or out */
#define TCP_TSO_MAX 65535  /* largest IPv4 packet (total length field) */

/* tcp_ip_input_frags() flags */
#define TCP_RX_CKSUM_OK 1u /* the network checked the TCP checksum (or the
			    * sender is local and left it partial) */

enum tcp_state {
	TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED,
	TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING,
	TCP_LAST_ACK, TCP_TIME_WAIT,
};

/* Readiness changes reported to the owner (the socket layer). */
enum { TCP_EV_IN = 1, TCP_EV_OUT = 2, TCP_EV_ERR = 4, TCP_EV_HUP = 8 };

struct tcp_pcb;
struct tcp_listener;

struct tcp_ops {
	void *arg;
	/* A buffer for one IPv4 packet of up to TCP_MAX_PKT bytes, or NULL. */
	uint8_t *(*tx_alloc)(void *arg);
	/* Send (and give back) a packet built in such a buffer. */
	int (*tx_send)(void *arg, uint8_t *buf, uint16_t len);
	/* Something about this pcb's or listener's readiness changed. */
	void (*event)(void *arg, void *user, unsigned ev);
	/* Optional (NULL: the stack's own from malloc, and payload copied
	 * into tx_alloc buffers).  Buffers the stack keeps payload in
	 * (tcp_buf.h), and sending headers built in a tx_alloc buffer (hlen
	 * bytes) followed by n pieces of such buffers, by reference (the
	 * pieces stay the stack's; the network holds its own reference until
	 * it is done).  tso_mss > 0: the packet is larger than the MTU and
	 * the network cuts it into tso_mss-byte segments (cfg.tso). */
	int (*buf_alloc)(void *arg, struct tcp_frag *f);
	void (*buf_free)(void *arg, void *buf);
	int (*tx_send_frags)(void *arg, uint8_t *buf, uint16_t hlen, const struct tcp_frag *f,
			     int n, uint16_t tso_mss);
	/* Optional (NULL: always room): packets the network takes now.  At 0
	 * its transmit queue is full (backpressure, e.g. a vNIC ring not yet
	 * drained): the stack builds no data segments, so none is lost
	 * there, and tries again at the next tcp_flush_output(). */
	unsigned (*tx_room)(void *arg);
	/* Optional (NULL: buf_alloc): buffers for the send queue, which may
	 * be bigger than the receive side's, so a TSO segment takes fewer
	 * pieces; freed with buf_free. */
	int (*snd_buf_alloc)(void *arg, struct tcp_frag *f);
};

struct tcp_cfg {
	uint32_t ip;              /* our address, network order */
	uint32_t rcvbuf, sndbuf;  /* bytes per connection */
	uint32_t max_conns;       /* pcbs in any state, TIME_WAIT included */
	uint16_t mss;             /* advertised: MTU - 40 */
	enum tcp_cc_algo cc;
	bool sack, timestamps, wscale;
	bool delayed_ack;
	uint32_t delack_us;
	bool nagle;               /* default for new pcbs (TCP_NODELAY off) */
	uint32_t timewait_us;     /* 0: close at once, as mTCP's default */
	uint64_t idle_timeout_us; /* 0: never (mTCP tcp_timeout) */
	uint32_t rto_min_us, rto_max_us, rto_init_us;
	int syn_retries, max_retries;
	/* keep-alive (Linux's tcp_keepalive_time/intvl/probes), for pcbs with
	 * SO_KEEPALIVE: after ka_idle_us without a segment, a probe every
	 * ka_intvl_us; ka_probes unanswered end the connection (ETIMEDOUT) */
	uint32_t ka_idle_us, ka_intvl_us;
	int ka_probes;
	bool rx_cksum_offload;    /* the port verified IPv4 header checksums */
	bool tx_cksum_offload;    /* the network completes TCP checksums: write the
				   * pseudo-header sum only (DPDK's convention) */
	bool tso;                 /* the network segments: send up to TCP_TSO_MAX */
	uint32_t seed;            /* ISN secret, IP ID start */
	bool syncookies;          /* a full backlog answers with SYN cookies */
};

void tcp_cfg_defaults(struct tcp_cfg *c);

/* Counters a user can read: every drop has one. */
struct tcp_stats {
	uint64_t ip_rx, ip_malformed, ip_bad_cksum, ip_not_ours, ip_frag_dropped,
		ip_unknown_proto;
	uint64_t icmp_echo_rx, icmp_echo_tx, icmp_malformed, icmp_other, icmp_too_big;
	uint64_t rx_segs, tx_segs, rx_bytes, tx_bytes, rexmt_segs;
	uint64_t bad_cksum, bad_doff, bad_opts, port_zero, syn_fin_drop;
	uint64_t listen_rst_drop, listen_no_syn_drop, syn_sent_rst_drop, syn_sent_no_syn_drop;
	uint64_t no_ack_drop;
	uint64_t no_pcb_rst_tx, bad_ack_rst_tx, rst_tx, rst_rx, rst_bad_seq;
	uint64_t challenge_ack, out_of_window, paws_drop, ack_too_new, ack_too_old;
	uint64_t syn_backlog_drop, syn_max_conns_drop, conn_alloc_fail;
	uint64_t syncookies_sent, syncookies_recv, syncookies_failed, syncookies_acc_full,
		 syncookies_no_pcb;
	uint64_t rcv_no_range, rcv_ooo, rcv_dup;
	uint64_t dsack_tx, dsack_rx;  /* D-SACKs sent (data that came twice), received */
	uint64_t fast_rexmt, sack_recovery, rto_fired, persist_probe, syn_rexmt, tlp_probe;
	uint64_t keepalive_probe, keepalive_timeout;
	uint64_t rack_lost, rack_timer;   /* runs RACK declared lost; its timer fired */
	uint64_t conn_timeout, conn_reset, conns_opened, conns_accepted, conns_closed;
	uint64_t tx_nobuf, data_after_close;
	uint64_t tx_blocked;      /* output stopped on a full transmit queue (tcp_ops.tx_room) */
	uint64_t tso_segs;        /* segments larger than the MSS handed to the network */
	uint64_t rx_big_segs;     /* received segments larger than the MSS (LRO/GSO) */
	uint64_t cksum_offloaded; /* received segments whose checksum the network checked */
};

struct tcp_listener {
	struct tcp_stack *st;
	uint32_t laddr;           /* 0: any */
	uint16_t lport;           /* network order */
	int backlog;
	int n_pending;            /* SYN_RCVD + accept queue, bounded by backlog */
	struct tcp_pcb *acc_head, *acc_tail;
	int n_acc;
	void *user;
	struct tcp_listener *next;
};

struct tcp_pcb {
	struct tcp_stack *st;
	enum tcp_state state;
	uint32_t laddr, raddr;    /* network order */
	uint16_t lport, rport;    /* network order */
	struct tcp_pcb *hnext;    /* flow table chain */
	bool in_table;
	bool detached;            /* the owner closed it: the stack frees it */
	void *user;
	int err;                  /* errno once reset / timed out / refused */

	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd;
	uint32_t snd_wl1, snd_wl2;
	uint32_t fin_seq;         /* valid when fin_queued */
	bool fin_queued;
	uint16_t mss;             /* payload per segment, options excluded */
	uint16_t peer_mss;
	uint8_t snd_wscale, rcv_wscale;
	bool ws_ok, ts_ok, sack_ok, nagle;
	struct tcp_sndbuf sb;

	/* receive side */
	uint32_t irs, rcv_adv;    /* right edge of the window we advertised */
	bool fin_rcvd, ooo_fin;
	uint32_t ooo_fin_seq;
	struct tcp_rcvbuf rb;
	uint32_t ts_recent;
	uint8_t unacked_segs;     /* delayed ACK */
	bool ack_now;
	/* RFC 2883: the next ACK's first SACK block reports [dsack_s,
	 * dsack_e), data that arrived twice */
	bool dsack;
	uint32_t dsack_s, dsack_e;

	/* timing, congestion, recovery */
	struct tcp_rtt rtt;
	bool rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	struct tcp_cc cc;
	bool in_recovery;
	bool rec_no_cut;          /* this recovery repairs the episode an RTO or an
				   * earlier recovery answered: no second cut */
	uint32_t recover;
	int dupacks;
	uint8_t limited_tx;       /* RFC 3042: segments allowed past cwnd */
	struct tcp_scoreboard sack;
	struct tcp_rack rack;     /* with SACK: when each range was sent */
	/* RFC 6937 proportional rate reduction, during SACK recovery */
	uint32_t prr_delivered, prr_out, prr_recover_fs, prr_last;
	int nrexmt;
	bool tlp_armed;           /* t_rexmt is the tail-loss probe timer now */
	uint8_t tlp_out;          /* probes sent this flight (at most TCP_TLP_MAX) */
	uint64_t last_rx;         /* for the idle timeout and keep-alive */
	bool keepalive;           /* SO_KEEPALIVE */
	uint8_t ka_sent;          /* probes unanswered */
	uint8_t ka_probes;
	uint32_t ka_idle_us, ka_intvl_us;

	struct tw_timer t_rexmt, t_delack, t_misc;   /* misc: TIME_WAIT, idle */
	struct tw_timer t_keep;
	struct tw_timer t_rack;   /* RACK reordering window (RFC 8985 6.3) */

	struct tcp_listener *listener;   /* while pending accept */
	struct tcp_pcb *acc_next;
	/* on the stack's output queue: data or a FIN waits for
	 * tcp_flush_output() */
	struct tcp_pcb *out_next, **out_pprev;
};

struct tcp_stack {
	struct tcp_cfg cfg;
	struct tcp_ops ops;
	struct tcp_bufops bufops; /* ops' buffers, for tcp_rcvbuf */
	struct tcp_bufops sndops; /* and for tcp_sndbuf */
	uint64_t now;             /* us, as of the last call */
	struct tcp_pcb **table;
	uint32_t table_mask;
	uint32_t n_pcbs;
	struct tcp_listener *listeners;
	struct tcp_pcb *out_head;   /* pcbs with queued output */
	struct tcp_pool pool;       /* max_conns pcbs and their buffers */
	struct timer_wheel tw;
	uint16_t ip_id;
	struct syncookie_state cookies;
	struct tcp_stats stats;
};

/* Create a stack instance; cfg is copied. NULL on allocation failure. */
struct tcp_stack *tcp_stack_create(const struct tcp_cfg *cfg,
				   const struct tcp_ops *ops, uint64_t now_us);
/* Frees every pcb and listener without sending anything. */
void tcp_stack_destroy(struct tcp_stack *st);

/* An IPv4 packet from the network (L3 header first), borrowed: what the
 * stack keeps of it is copied. */
void tcp_ip_input(struct tcp_stack *st, const uint8_t *pkt, uint16_t len,
		  uint64_t now_us);
/* Send what tcp_send()/tcp_close() queued since the last call (mTCP's
 * batching: the event loop calls it before each transmit flush). */
void tcp_flush_output(struct tcp_stack *st);
static inline bool tcp_output_pending(const struct tcp_stack *st) { return st->out_head; }
/* The same in n pieces: f[0] starts with the IPv4 header and holds the IP
 * and TCP headers.  Pieces with a buffer (tcp_ops.buf_free frees it) are
 * handed over: the stack keeps the payload buffers it wants by reference
 * and sets their f[i].buf to NULL; the caller frees the rest. */
void tcp_ip_input_frags(struct tcp_stack *st, struct tcp_frag *f, int n, unsigned flags,
			uint64_t now_us);
/* Run due timers. Returns how many fired. */
unsigned tcp_timers(struct tcp_stack *st, uint64_t now_us);
/* Whether any timer is armed (an idle core with none may sleep long). */
static inline bool tcp_timers_armed(const struct tcp_stack *st)
{
	return st->tw.n_armed != 0;
}

/* ---- the interface the socket layer uses ---- */

/* Listen on laddr:lport (0 = any address).  NULL with *err = EADDRINUSE
 * or ENOMEM. */
struct tcp_listener *tcp_listen(struct tcp_stack *st, uint32_t laddr,
				uint16_t lport, int backlog, void *user, int *err);
/* Resets connections not yet accepted and frees the listener. */
void tcp_listener_close(struct tcp_listener *l);
/* An established connection, or NULL when the queue is empty. */
struct tcp_pcb *tcp_accept(struct tcp_listener *l, void *user);

/* Start an active open.  NULL with *err: EADDRINUSE (tuple in use),
 * ENOMEM (max_conns or memory). */
struct tcp_pcb *tcp_connect(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport, void *user, int *err);
/* Is this 4-tuple free (for source port selection)? */
bool tcp_tuple_free(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
		    uint32_t raddr, uint16_t rport);

/* Queue data; returns bytes taken (0 when the buffer is full), or -errno
 * (ENOTCONN before the handshake completes, EPIPE after close/shutdown,
 * the connection's error once it failed).  Like tcp_close(), it only
 * queues: segments are cut at the next tcp_flush_output(), so writes made
 * back to back (an HTTP header, then its body) share segments. */
int tcp_send(struct tcp_pcb *p, const void *buf, uint32_t len);
/* SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT: 0 keeps the stack's
 * default (tcp_cfg).  Arms or cancels the keep-alive timer. */
void tcp_set_keepalive(struct tcp_pcb *p, bool on, uint32_t idle_us, uint32_t intvl_us,
		       int probes);
/* Read in-order data: bytes, 0 at end of stream, -EAGAIN when nothing yet,
 * or -errno once the connection failed. */
int tcp_recv(struct tcp_pcb *p, void *buf, uint32_t len);
/* Orderly close: FIN after the queued data; the stack owns p from now on.
 * Unread data makes it an abort (RST), as in Linux. */
void tcp_close(struct tcp_pcb *p);
/* RST and free at once. */
void tcp_abort(struct tcp_pcb *p);

uint32_t tcp_readable(const struct tcp_pcb *p);
uint32_t tcp_send_space(const struct tcp_pcb *p);
bool tcp_can_send(const struct tcp_pcb *p);
/* Peer sent FIN and every byte before it was read. */
bool tcp_eof(const struct tcp_pcb *p);

void tcp_stats_print(const struct tcp_stack *st, FILE *f);
/* Retransmission timeouts per 10^9 payload bytes sent. */
double tcp_stats_rto_per_gb(const struct tcp_stats *s);
const char *tcp_state_name(enum tcp_state s);

#endif
