/* tcp_out.c: building and sending segments; what to send next
 * (window, Nagle, SACK-based recovery). */
#include <arpa/inet.h>
#include <string.h>

#include "inet_cksum.h"
#include "tcp_impl.h"

uint32_t tcp_ts_now(const struct tcp_stack *st)
{
	return (uint32_t)(st->now / 1000) + st->cfg.seed;
}

uint32_t tcp_rcv_window(const struct tcp_pcb *p)
{
	uint32_t w = rcvbuf_window(&p->rb);
	uint32_t promised = seq_gt(p->rcv_adv, tcp_rcv_nxt(p)) ? p->rcv_adv - tcp_rcv_nxt(p) : 0;

	/* receiver-side SWS avoidance (RFC 1122 4.2.3.3): do not open the
	 * window by less than min(buffer/2, MSS) */
	if (w > promised && w - promised < p->mss && w - promised < p->rb.cap / 2)
		w = promised;
	uint32_t max = 65535u << p->rcv_wscale;

	return w > max ? max : w;
}

size_t tcp_put_syn_opts(uint8_t *o, const struct tcp_synopts *so)
{
	size_t n = 0;
	uint16_t mss = htons(so->mss);

	o[n++] = TCP_OPT_MSS;
	o[n++] = 4;
	memcpy(o + n, &mss, 2);
	n += 2;
	if (so->sack) {
		o[n++] = TCP_OPT_SACK_PERM;
		o[n++] = 2;
	}
	if (so->ts) {
		uint32_t v = htonl(so->tsval), e = htonl(so->tsecr);

		if (!so->sack) {
			o[n++] = TCP_OPT_NOP;
			o[n++] = TCP_OPT_NOP;
		}
		o[n++] = TCP_OPT_TS;
		o[n++] = 10;
		memcpy(o + n, &v, 4);
		memcpy(o + n + 4, &e, 4);
		n += 8;
	} else if (so->sack) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
	}
	if (so->ws) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_WS;
		o[n++] = 3;
		o[n++] = so->wscale;
	}
	return n;
}

static size_t put_syn_opts(const struct tcp_pcb *p, uint8_t *o, uint32_t ts)
{
	struct tcp_synopts so = { p->st->cfg.mss, p->sack_ok, p->ts_ok, p->ws_ok,
				  p->rcv_wscale, ts, p->ts_recent };

	return tcp_put_syn_opts(o, &so);
}

static size_t put_opts(const struct tcp_pcb *p, uint8_t *o, uint32_t ts)
{
	size_t n = 0;

	if (p->ts_ok) {
		uint32_t v = htonl(ts), e = htonl(p->ts_recent);

		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_TS;
		o[n++] = 10;
		memcpy(o + n, &v, 4);
		memcpy(o + n + 4, &e, 4);
		n += 8;
	}
	if (p->sack_ok && (p->rb.n_ooo || p->dsack)) {
		uint32_t blk[4][2];
		int max = (int)((40 - n - 4) / 8), nb = 0;

		if (max > 4)
			max = 4;
		if (p->dsack) {
			/* RFC 2883: the duplicate first, then the block
			 * holding it, if any, then the others */
			blk[nb][0] = p->dsack_s;
			blk[nb++][1] = p->dsack_e;
		}
		nb += rcvbuf_sack_blocks(&p->rb, blk + nb, max - nb);
		for (int i = 2; p->dsack && i < nb; i++)
			if (seq_leq(blk[i][0], p->dsack_s) && seq_leq(p->dsack_e, blk[i][1])) {
				uint32_t t0 = blk[1][0], t1 = blk[1][1];

				blk[1][0] = blk[i][0];
				blk[1][1] = blk[i][1];
				blk[i][0] = t0;
				blk[i][1] = t1;
				break;
			}

		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (int i = 0; i < nb; i++) {
			uint32_t s = htonl(blk[i][0]), e = htonl(blk[i][1]);

			memcpy(o + n, &s, 4);
			memcpy(o + n + 4, &e, 4);
			n += 8;
		}
	}
	return n;
}

#define TCP_TX_COPY_MAX 256   /* payload up to this size is copied behind the headers */

/* The TCP checksum: complete, or the pseudo-header sum alone when the
 * network completes it (DPDK's convention: the sum without the length for
 * a TSO packet, whose length the port changes per segment). */
static uint16_t tcp_cksum(const struct tcp_stack *st, uint32_t saddr, uint32_t daddr,
			  const void *hdr, uint16_t hlen, const struct tcp_frag *pl, int n,
			  uint32_t tcplen, bool tso)
{
	if (st->cfg.tx_cksum_offload)
		return (uint16_t)~inet_fold(inet_pseudo_sum(saddr, daddr, IPPROTO_TCP_,
							    tso ? 0 : (uint16_t)tcplen));
	uint64_t sum = inet_sum(hdr, hlen, inet_pseudo_sum(saddr, daddr, IPPROTO_TCP_,
							  (uint16_t)tcplen));

	/* the header is of even length (options pad to 4) */
	return inet_fold(inet_sum_frags(pl, n, sum));
}

/* Payload bytes one packet may carry after olen option bytes: an MTU's
 * worth, or with TSO a 64 KB packet's. */
static uint32_t tcp_room(const struct tcp_pcb *p, size_t olen, bool tso)
{
	uint32_t l3 = tso ? TCP_TSO_MAX : (uint32_t)p->st->cfg.mss + 40;

	if (!tso && l3 > TCP_MAX_PKT && !p->st->ops.tx_send_frags)
		l3 = TCP_MAX_PKT;   /* everything in one ops buffer */
	return l3 - sizeof(struct kb_iphdr) - sizeof(struct kb_tcphdr) - (uint32_t)olen;
}

int tcp_xmit(struct tcp_pcb *p, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tcp_stack *st = p->st;
	uint8_t *buf = st->ops.tx_alloc(st->ops.arg);

	if (!buf) {
		st->stats.tx_nobuf++;
		return -1;
	}
	struct kb_tcphdr *th = (struct kb_tcphdr *)(buf + sizeof(struct kb_iphdr));
	uint8_t *opt = (uint8_t *)(th + 1);
	uint32_t ts = tcp_ts_now(st);
	size_t olen = (flags & TH_SYN) ? put_syn_opts(p, opt, ts) : put_opts(p, opt, ts);

	if (p->dsack && p->sack_ok && !(flags & TH_SYN)) {
		p->dsack = false;   /* reported once (RFC 2883) */
		st->stats.dsack_tx++;
	}
	/* per wire segment: what the MSS leaves after these options (SACK
	 * blocks can outgrow the timestamp's allowance) */
	uint32_t seg_room = tcp_room(p, olen, false);
	uint32_t wire_mss = (uint32_t)p->mss + (p->ts_ok ? TCP_TS_LEN : 0) - (uint32_t)olen;
	bool tso = st->cfg.tso && len > seg_room && len > wire_mss;
	uint32_t room = tcp_room(p, olen, tso);

	if (wire_mss > seg_room)
		wire_mss = seg_room;
	if (len > room) {
		len = room;
		flags &= (uint8_t)~TH_FIN;
	}
	uint16_t hlen = (uint16_t)(sizeof(struct kb_iphdr) + sizeof(*th) + olen);
	uint32_t tcplen = (uint32_t)(sizeof(*th) + olen) + len;
	uint32_t wnd = tcp_rcv_window(p);
	struct tcp_frag pl[TCP_MAX_FRAGS];
	int npl = 0;

	if (len) {
		uint32_t got;

		/* references into the send queue; a queue cut in more pieces
		 * than fit sends what they cover */
		npl = sndbuf_frags(&p->sb, seq, len, pl, TCP_MAX_FRAGS - 1, &got);
		if (got < len) {
			len = got;
			flags &= (uint8_t)~TH_FIN;
			tcplen = (uint32_t)(sizeof(*th) + olen) + len;
			tso = tso && len > wire_mss;
		}
	}
	th->sport = p->lport;
	th->dport = p->rport;
	th->seq = htonl(seq);
	th->ack = (flags & TH_ACK) ? htonl(tcp_rcv_nxt(p)) : 0;
	th->doff = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->flags = flags;
	/* the window in a SYN is never scaled (RFC 7323 2.2) */
	th->win = htons((uint16_t)((flags & TH_SYN) ? (wnd > 65535 ? 65535 : wnd)
						     : wnd >> p->rcv_wscale));
	th->urg = 0;
	th->cksum = 0;
	th->cksum = tcp_cksum(st, p->laddr, p->raddr, th, (uint16_t)(sizeof(*th) + olen), pl, npl,
			      tcplen, tso);
	ip_header(st, buf, p->laddr, p->raddr, IPPROTO_TCP_, (uint16_t)tcplen);

	if (flags & TH_ACK) {
		uint32_t edge = tcp_rcv_nxt(p) + (((flags & TH_SYN) ? wnd : (wnd >> p->rcv_wscale) << p->rcv_wscale));

		if (seq_gt(edge, p->rcv_adv))
			p->rcv_adv = edge;
		p->unacked_segs = 0;
		p->ack_now = false;
		tw_cancel(&st->tw, &p->t_delack);
	}
	st->stats.tx_segs++;
	st->stats.tx_bytes += len;
	if (tso)
		st->stats.tso_segs++;
	if (len && seq_lt(seq, p->snd_max))
		st->stats.rexmt_segs++;
	if (p->sack_ok && (len || (flags & TH_FIN)) && !(flags & (TH_SYN | TH_RST)))
		rack_on_xmit(&p->rack, seq, seq + len + !!(flags & TH_FIN), st->now,
			     seq_lt(seq, p->snd_max));
	/* a few bytes ride behind the headers: cheaper than an attached mbuf
	 * and one descriptor instead of two at every vhost/virtio hop */
	if (st->ops.tx_send_frags && npl && len > TCP_TX_COPY_MAX) {
		st->ops.tx_send_frags(st->ops.arg, buf, hlen, pl, npl, tso ? (uint16_t)wire_mss : 0);
	} else {
		/* no network buffers by reference: copy behind the headers */
		uint8_t *d = buf + hlen;

		for (int i = 0; i < npl; i++) {
			memcpy(d, pl[i].data, pl[i].len);
			d += pl[i].len;
		}
		st->ops.tx_send(st->ops.arg, buf, (uint16_t)(sizeof(struct kb_iphdr) + tcplen));
	}
	return (int)len;
}

void tcp_send_ack(struct tcp_pcb *p)
{
	tcp_xmit(p, p->snd_nxt, 0, TH_ACK);
}

void tcp_send_rst(struct tcp_pcb *p)
{
	p->st->stats.rst_tx++;
	tcp_xmit(p, p->snd_nxt, 0, TH_RST | TH_ACK);
}

/* Sends the segment built in buf (TCP header and olen bytes of options
 * filled but for ports, offset and checksum) as the answer to s, for which
 * there is no pcb: a reset, or a SYN-ACK carrying a SYN cookie. */
static void send_answer(struct tcp_stack *st, uint8_t *buf, const struct tcp_seg *s, size_t olen)
{
	struct kb_tcphdr *th = (struct kb_tcphdr *)(buf + sizeof(struct kb_iphdr));
	uint16_t tcplen = (uint16_t)(sizeof(*th) + olen);

	th->sport = s->dport;
	th->dport = s->sport;
	th->doff = (uint8_t)((tcplen / 4) << 4);
	th->urg = 0;
	th->cksum = 0;
	th->cksum = inet_fold(inet_sum(th, tcplen,
				       inet_pseudo_sum(s->daddr, s->saddr, IPPROTO_TCP_, tcplen)));
	st->stats.tx_segs++;
	ip_output(st, buf, s->daddr, s->saddr, IPPROTO_TCP_, tcplen);
}

void tcp_send_reset_for(struct tcp_stack *st, const struct tcp_seg *s, uint64_t *why)
{
	uint8_t *buf;

	if (s->flags & TH_RST)
		return;
	buf = st->ops.tx_alloc(st->ops.arg);
	if (!buf) {
		st->stats.tx_nobuf++;
		return;
	}
	struct kb_tcphdr *th = (struct kb_tcphdr *)(buf + sizeof(struct kb_iphdr));

	memset(th, 0, sizeof(*th));
	if (s->flags & TH_ACK) {
		th->seq = htonl(s->ack);
		th->flags = TH_RST;
	} else {
		uint32_t sl = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);

		th->ack = htonl(s->seq + sl);
		th->flags = TH_RST | TH_ACK;
	}
	(*why)++;
	send_answer(st, buf, s, 0);
}

void tcp_send_synack_for(struct tcp_stack *st, const struct tcp_seg *s, uint32_t iss,
			 const struct tcp_synopts *so)
{
	uint8_t *buf = st->ops.tx_alloc(st->ops.arg);

	if (!buf) {
		st->stats.tx_nobuf++;
		return;
	}
	struct kb_tcphdr *th = (struct kb_tcphdr *)(buf + sizeof(struct kb_iphdr));
	uint32_t wnd = st->cfg.rcvbuf;

	memset(th, 0, sizeof(*th));
	th->seq = htonl(iss);
	th->ack = htonl(s->seq + 1);
	th->flags = TH_SYN | TH_ACK;
	th->win = htons((uint16_t)(wnd > 65535 ? 65535 : wnd));   /* never scaled in a SYN */
	send_answer(st, buf, s, tcp_put_syn_opts((uint8_t *)(th + 1), so));
}

void tcp_arm_rexmt(struct tcp_pcb *p)
{
	p->tlp_armed = false;
	tw_arm(&p->st->tw, &p->t_rexmt, p->st->now, rtt_timeout(&p->rtt));
}

/* RFC 6298 5.3 as Linux reads it (tcp_rearm_rto): once a probe went
 * unanswered, the RTO counts from when the oldest outstanding bytes were
 * sent, not from the probe, which only adds its own wait to the stall. */
static void arm_rto_after_probe(struct tcp_pcb *p)
{
	uint64_t rto = rtt_timeout(&p->rtt);
	uint64_t age = p->rack.n ? p->st->now - p->rack.run[0].xmit_us : 0;

	p->tlp_armed = false;
	tw_arm(&p->st->tw, &p->t_rexmt, p->st->now, age < rto ? rto - age : 1);
}

void tcp_arm_data_timer(struct tcp_pcb *p)
{
	/* RFC 8985 section 7: a loss at the tail of a flight leaves too few
	 * segments behind it for three duplicate ACKs; probing after 2 SRTT
	 * gets an ACK (with SACK) that lets recovery start without an RTO */
	uint32_t rto = rtt_timeout(&p->rtt);
	uint32_t pto = 2 * p->rtt.srtt;

	if (pto < TCP_PTO_MIN_US)
		pto = TCP_PTO_MIN_US;
	/* one segment in flight: the peer may be holding a delayed ACK
	 * (RFC 8985 7.2's WCDelAckT; we assume Linux's and our 40 ms) */
	if (p->snd_max - p->snd_una <= p->mss)
		pto += 50000;
	/* more probes while they go unanswered, each after twice the wait
	 * (PTO, 2 PTO, 4 PTO: 10, 30 and 70 ms after the flight with the
	 * floor), as long as that is sooner than the RTO.  RFC 8985 sends
	 * one; FreeBSD's RACK stack two (rack_tlp_limit), but its RTO floor
	 * is 30 ms where ours is Linux's 200 ms.  A full receive ring that
	 * dropped the flight drops probes sent while it is still full (a
	 * receiver descheduled on a loaded host, or stopped), and one lost
	 * probe then cost the 200 ms RTO and a collapsed window.  Each probe
	 * is one segment, and the RTO still follows them */
	pto <<= p->tlp_out;
	/* only with SACK: the probe's ACK must be able to show the hole.
	 * In recovery too (beyond RFC 8985, which probes only outside it):
	 * a retransmission lost with nothing sent after it can arrive to
	 * show RACK it is lost (a receiver's full ring at the end of a
	 * flight) and would otherwise wait for the RTO */
	if (!p->sack_ok || !p->rtt.have_sample || p->rtt.backoff) {
		tcp_arm_rexmt(p);
		return;
	}
	if (p->tlp_out >= TCP_TLP_MAX || pto >= rto) {
		if (p->tlp_out)
			arm_rto_after_probe(p);
		else
			tcp_arm_rexmt(p);
		return;
	}
	p->tlp_armed = true;
	tw_arm(&p->st->tw, &p->t_rexmt, p->st->now, pto);
}

/* Flags for a data segment [seq, seq+len): FIN rides on the last one. */
static uint8_t data_flags(const struct tcp_pcb *p, uint32_t seq, uint32_t len)
{
	uint8_t f = TH_ACK;

	if (len && seq + len == sndbuf_end(&p->sb))
		f |= TH_PSH;
	if (p->fin_queued && seq + len == p->fin_seq)
		f |= TH_FIN;
	return f;
}

int tcp_rexmit_at(struct tcp_pcb *p, uint32_t seq)
{
	/* a retransmission never runs past what was sent: bytes beyond
	 * SND.MAX would reach the peer without SND.MAX knowing, and its ACK
	 * for them would look like one for data never sent (a tail-loss
	 * probe with less than an MSS in flight did exactly that) */
	uint32_t end = seq_min(sndbuf_end(&p->sb), p->snd_max);
	uint32_t len = seq_lt(seq, end) ? end - seq : 0;

	if (len > p->mss)
		len = p->mss;
	if (!len && !(p->fin_queued && seq == p->fin_seq))
		return -1;
	p->rtt_timing = false;   /* Karn */
	return tcp_xmit(p, seq, len, data_flags(p, seq, len));
}

/* Send one segment of new data or the FIN at SND.NXT, limited to
 * `usable` bytes of window.  Returns 1 if sent, 0 if nothing to send. */
static int send_at_nxt(struct tcp_pcb *p, uint32_t usable)
{
	uint32_t end = sndbuf_end(&p->sb);
	uint32_t left = seq_lt(p->snd_nxt, end) ? end - p->snd_nxt : 0;
	uint32_t len = left < p->mss ? left : p->mss;
	uint8_t flags;

	/* TSO: as much as a 64 KB packet holds, whole MSSes (the port cuts
	 * it; tcp_xmit() trims what options take) */
	if (p->st->cfg.tso && left > p->mss) {
		uint32_t big = (TCP_TSO_MAX - 40 - 40) / p->mss * p->mss;

		len = left < big ? left : big;
	}

	if (len > usable)
		len = usable;
	if (!len) {
		if (!(p->fin_queued && p->snd_nxt == p->fin_seq))
			return 0;
	} else if (len < p->mss && len < left) {
		/* sender SWS avoidance: a window-limited runt waits unless
		 * it is half the largest window the peer offered */
		if (len < p->max_snd_wnd / 2)
			return 0;
	} else if (len < p->mss && p->nagle && p->snd_nxt != p->snd_una &&
		   !p->fin_queued) {
		return 0;   /* Nagle: one small segment in flight at a time */
	}
	flags = data_flags(p, p->snd_nxt, len);
	int sent = tcp_xmit(p, p->snd_nxt, len, flags);

	if (sent < 0)
		return 0;
	if ((uint32_t)sent < len) {
		len = (uint32_t)sent;
		flags &= (uint8_t)~TH_FIN;
	}
	if (!p->rtt_timing && seq_geq(p->snd_nxt, p->snd_max)) {
		p->rtt_timing = true;
		p->rtt_seq = p->snd_nxt;
		p->rtt_start = p->st->now;
	}
	p->snd_nxt += len + ((flags & TH_FIN) ? 1 : 0);
	if (seq_gt(p->snd_nxt, p->snd_max))
		p->snd_max = p->snd_nxt;
	if (!p->t_rexmt.armed)
		tcp_arm_data_timer(p);
	return 1;
}

int tcp_rexmit_lost(struct tcp_pcb *p, uint32_t max)
{
	uint32_t s, l;

	/* with TSO a lost 64 KB segment goes back as one packet, not 44 */
	if (!p->st->cfg.tso || max < p->mss)
		max = p->mss;
	if (max > TCP_TSO_MAX - 80)
		max = TCP_TSO_MAX - 80;
	max = max / p->mss * p->mss;
	if (!rack_next_lost(&p->rack, &p->sack, max, &s, &l))
		return -1;
	uint32_t end = sndbuf_end(&p->sb);

	if (seq_gt(s + l, end))
		l = seq_lt(s, end) ? end - s : 0;   /* the FIN alone */
	p->rtt_timing = false;   /* Karn */
	int sent = tcp_xmit(p, s, l, data_flags(p, s, l));

	if (sent >= 0 && p->in_recovery)
		p->prr_out += sent ? (uint32_t)sent : 1;
	return sent;
}

/* SACK recovery (RFC 6675's loop, with RACK deciding what is lost):
 * while the pipe leaves room, resend lost ranges, then new data. */
/* RFC 6937 (PRR-SSRB): how much recovery may send now.  Sending follows
 * what the network delivers, so ranges declared lost (which shrink the
 * pipe) buy nothing by themselves: a burst of lost retransmissions (a
 * full ring on the way) cannot feed itself. */
static int64_t prr_sndcnt(struct tcp_pcb *p, uint32_t pipe)
{
	uint32_t ssthresh = p->cc.ssthresh;
	int64_t n;

	if (pipe > ssthresh) {
		uint64_t fs = p->prr_recover_fs ? p->prr_recover_fs : 1;

		n = (int64_t)(((uint64_t)p->prr_delivered * ssthresh + fs - 1) / fs) - p->prr_out;
	} else {
		int64_t lim = (int64_t)p->prr_delivered - p->prr_out;

		if (lim < (int64_t)p->prr_last)
			lim = p->prr_last;
		if (p->prr_last)
			lim += p->mss;
		n = (int64_t)(ssthresh - pipe) < lim ? (int64_t)(ssthresh - pipe) : lim;
	}
	p->prr_last = 0;   /* one ACK's allowance, used once */
	return n;
}

/* The network's transmit queue is full: build no data segment now (it
 * would only wait there, or be lost), and come back at the next flush,
 * when the queue has drained.  Pure ACKs still go. */
static bool tx_blocked(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;

	if (!st->ops.tx_room || st->ops.tx_room(st->ops.arg))
		return false;
	st->stats.tx_blocked++;
	tcp_out_queue(p);
	return true;
}

static void sack_recovery_output(struct tcp_pcb *p)
{
	int64_t budget = prr_sndcnt(p, rack_pipe(&p->rack, &p->sack));

	for (int guard = 0; guard < 1024 && budget > 0; guard++) {
		/* what PRR allows now stays allowed: it counts delivered
		 * against sent bytes */
		if (tx_blocked(p))
			return;
		int sent = tcp_rexmit_lost(p, budget > UINT32_MAX ? UINT32_MAX : (uint32_t)budget);

		if (sent < 0) {
			uint32_t wnd_end = p->snd_una + p->snd_wnd;
			uint32_t usable = seq_gt(wnd_end, p->snd_nxt) ? wnd_end - p->snd_nxt : 0;
			uint32_t nxt = p->snd_nxt;

			if (usable > budget)
				usable = (uint32_t)budget;
			if (!send_at_nxt(p, usable))
				return;
			sent = (int)(p->snd_nxt - nxt);
			p->prr_out += (uint32_t)sent;
		}
		budget -= sent ? sent : 1;   /* tcp_rexmit_lost counted its own */
	}
}

void tcp_output(struct tcp_pcb *p)
{
	switch (p->state) {
	case TCP_ESTABLISHED: case TCP_CLOSE_WAIT: case TCP_FIN_WAIT_1:
	case TCP_CLOSING: case TCP_LAST_ACK:
		break;
	default:
		if (p->ack_now && p->state != TCP_CLOSED && p->state != TCP_SYN_SENT)
			tcp_send_ack(p);
		return;
	}
	if (p->in_recovery && p->sack_ok) {
		sack_recovery_output(p);
	} else {
		uint32_t cwnd = p->cc.cwnd + p->limited_tx * (uint32_t)p->mss;

		for (int guard = 0; guard < 4096; guard++) {
			uint32_t win = cwnd < p->snd_wnd ? cwnd : p->snd_wnd;
			uint32_t inflight = p->snd_nxt - p->snd_una;
			uint32_t usable = win > inflight ? win - inflight : 0;

			if (usable && seq_lt(p->snd_nxt, tcp_snd_end(p)) && tx_blocked(p))
				break;
			if (!send_at_nxt(p, usable))
				break;
		}
	}
	if (p->ack_now)
		tcp_send_ack(p);
	/* zero window with data waiting and nothing in flight: the rexmt
	 * timer doubles as the persist timer */
	if (!p->t_rexmt.armed && seq_lt(p->snd_nxt, tcp_snd_end(p)))
		tcp_arm_rexmt(p);
}

void tcp_window_update(struct tcp_pcb *p)
{
	uint32_t wnd = tcp_rcv_window(p);
	uint32_t edge = tcp_rcv_nxt(p) + wnd;

	if (p->state < TCP_ESTABLISHED || p->state == TCP_TIME_WAIT)
		return;
	/* RFC 1122 4.2.3.3: tell the peer once the window grew by 2 MSS or
	 * half the buffer, so a sender stopped by a zero window resumes
	 * without waiting for its persist timer.  The ACK is queued, not
	 * built here: it leaves at the next flush (the application back in
	 * its loop, or the drain deadline), after the next receive burst, so
	 * one ACK carries both this window and the data that burst brought
	 * (a bulk receiver sent 1.5 ACKs per TSO segment, now ~1). */
	if (seq_gt(edge, p->rcv_adv) &&
	    (edge - p->rcv_adv >= 2u * p->mss || edge - p->rcv_adv >= p->rb.cap / 2)) {
		p->ack_now = true;
		tcp_out_queue(p);
	}
}
