/* tcp_impl.h: what the stack's own files share (wire formats, output,
 * pcb lifecycle).  Not for the socket layer. */
#ifndef KB_TCP_IMPL_H
#define KB_TCP_IMPL_H

#include <stddef.h>

#include "tcp.h"
#include "tcp_seq.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_ICMP_ 1

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WS 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8
#define TCP_TS_LEN 12          /* NOP NOP TS: what every segment carries */
#define TCP_MAX_WSCALE 14
#define TCP_DEFAULT_MSS 536    /* RFC 1122 when the peer sends none */
#define TCP_FIN_WAIT2_US 60000000ull

struct kb_iphdr {
	uint8_t vihl, tos;
	uint16_t tot_len, id, frag;
	uint8_t ttl, proto;
	uint16_t cksum;
	uint32_t saddr, daddr;
} __attribute__((packed));

struct kb_tcphdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff;          /* high nibble: header length in words */
	uint8_t flags;
	uint16_t win, cksum, urg;
} __attribute__((packed));

/* A parsed incoming segment (host order except addresses and ports). */
struct tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack, wnd;
	uint8_t flags;
	struct tcp_frag *f;       /* the payload, from seq (the stack may keep pieces) */
	int nf;
	uint32_t pay_seq;         /* sequence number of f's first byte */
	uint32_t len;             /* payload past seq (seq moves when trimmed) */
	bool has_mss, has_ws, sack_perm, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	int n_sack;
	uint32_t sack[4][2];
};

enum { TW_KIND_REXMT = 1, TW_KIND_DELACK = 2, TW_KIND_MISC = 3, TW_KIND_KEEP = 4,
       TW_KIND_RACK = 5 };

/* RCV.NXT: data received in order, plus the FIN. */
static inline uint32_t tcp_rcv_nxt(const struct tcp_pcb *p)
{
	return p->rb.nxt + (p->fin_rcvd ? 1 : 0);
}

/* Data end plus the FIN when queued: the sequence space to be sent. */
static inline uint32_t tcp_snd_end(const struct tcp_pcb *p)
{
	return p->fin_queued ? p->fin_seq + 1 : sndbuf_end(&p->sb);
}

/* ip_input.c: write the IPv4 header in front of len bytes of `proto`
 * payload at buf + 20 (ip_header), and send buf (from ops.tx_alloc). */
void ip_header(struct tcp_stack *st, uint8_t *buf, uint32_t saddr, uint32_t daddr,
	       uint8_t proto, uint16_t len);
void ip_output(struct tcp_stack *st, uint8_t *buf, uint32_t saddr, uint32_t daddr,
	       uint8_t proto, uint16_t len);

/* tcp_out.c */
/* Build and send one segment; payload from the send buffer.  Returns the
 * payload bytes sent (fewer than len when options need the room; the FIN
 * is then left off), or -1 without a buffer. */
int tcp_xmit(struct tcp_pcb *p, uint32_t seq, uint32_t len, uint8_t flags);
/* Send what the windows allow: new data, recovery retransmissions, the
 * FIN, a pending ACK. */
void tcp_output(struct tcp_pcb *p);
/* Queue p for the next tcp_flush_output() (mTCP's send list). */
void tcp_out_queue(struct tcp_pcb *p);
void tcp_send_ack(struct tcp_pcb *p);
/* Retransmit from seq: returns payload bytes sent or -1. */
int tcp_rexmit_at(struct tcp_pcb *p, uint32_t seq);
/* Resend the first range RACK found lost, up to max bytes (whole MSSes;
 * one MSS without TSO): bytes sent, or -1 (none). */
int tcp_rexmit_lost(struct tcp_pcb *p, uint32_t max);
/* A reset answering s (RFC 793 "reset generation"); *why counts it when sent. */
void tcp_send_reset_for(struct tcp_stack *st, const struct tcp_seg *s, uint64_t *why);

/* The options of a SYN or SYN-ACK. */
struct tcp_synopts {
	uint16_t mss;
	bool sack, ts, ws;
	uint8_t wscale;
	uint32_t tsval, tsecr;
};
/* Writes them (at most 20 bytes, a multiple of 4); returns the length. */
size_t tcp_put_syn_opts(uint8_t *o, const struct tcp_synopts *so);
/* A SYN-ACK answering the SYN s without a pcb (a SYN cookie as ISS). */
void tcp_send_synack_for(struct tcp_stack *st, const struct tcp_seg *s, uint32_t iss,
			 const struct tcp_synopts *so);
void tcp_send_rst(struct tcp_pcb *p);
void tcp_arm_rexmt(struct tcp_pcb *p);
/* Tail-loss probes (tcp_arm_data_timer): the first after 2 SRTT, at least
 * TCP_PTO_MIN_US (Linux and FreeBSD's RACK: 10 ms of timer slack), each
 * next one after twice the last wait, at most TCP_TLP_MAX while sooner
 * than the RTO, then the RTO. */
#define TCP_PTO_MIN_US 10000u
#define TCP_TLP_MAX 3
/* Data in flight: arm the tail-loss probe if one is due this flight, else
 * the RTO. */
void tcp_arm_data_timer(struct tcp_pcb *p);
uint32_t tcp_rcv_window(const struct tcp_pcb *p);
/* After the application read: ACK at once if the window opened enough. */
void tcp_window_update(struct tcp_pcb *p);

/* tcp_stack.c */
struct tcp_pcb *tcp_lookup(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport);
struct tcp_listener *tcp_find_listener(struct tcp_stack *st, uint32_t laddr,
				       uint16_t lport);
struct tcp_pcb *tcp_pcb_new(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport);
/* The connection is over (err 0: orderly).  Frees it when nobody owns
 * it; the caller must not touch p afterwards. */
void tcp_pcb_closed(struct tcp_pcb *p, int err);
void tcp_notify(struct tcp_pcb *p, unsigned ev);
/* Negotiated options are known: size segments and the window. */
void tcp_pcb_established(struct tcp_pcb *p);
void tcp_enter_time_wait(struct tcp_pcb *p);
/* (in tcp_out.c) Our timestamp clock: ms since start plus the secret. */
uint32_t tcp_ts_now(const struct tcp_stack *st);

/* tcp_in.c */
/* RACK (RFC 8985): mark what is lost by now, arm the reordering timer,
 * start recovery when something is. */
void tcp_rack_detect(struct tcp_pcb *p);
/* l4: the TCP header and payload in n pieces (the header in l4[0]). */
void tcp_input(struct tcp_stack *st, const struct kb_iphdr *ip,
	       struct tcp_frag *l4, int n, unsigned flags);

#endif
