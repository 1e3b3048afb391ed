/* tcp_in.c: segment arrival (RFC 793 3.9 as amended by RFC 5961 for
 * RST/SYN/ACK checks, RFC 7323 for PAWS, RFC 5681/6582/6675 for loss
 * recovery). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "inet_cksum.h"
#include "tcp_impl.h"

/* Returns -1 for options that run past the header. */
static int parse_opts(struct tcp_seg *s, const uint8_t *o, int len)
{
	int i = 0;

	while (i < len) {
		uint8_t kind = o[i];

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return -1;
		uint8_t ol = o[i + 1];
		const uint8_t *v = o + i + 2;

		switch (kind) {
		case TCP_OPT_MSS:
			if (ol == 4) {
				s->has_mss = true;
				s->mss = (uint16_t)(v[0] << 8 | v[1]);
			}
			break;
		case TCP_OPT_WS:
			if (ol == 3) {
				s->has_ws = true;
				s->ws = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0];
			}
			break;
		case TCP_OPT_SACK_PERM:
			if (ol == 2)
				s->sack_perm = true;
			break;
		case TCP_OPT_TS:
			if (ol == 10) {
				uint32_t a, b;

				memcpy(&a, v, 4);
				memcpy(&b, v + 4, 4);
				s->has_ts = true;
				s->tsval = ntohl(a);
				s->tsecr = ntohl(b);
			}
			break;
		case TCP_OPT_SACK:
			if ((ol - 2) % 8)
				return -1;
			for (int k = 0; k < (ol - 2) / 8 && s->n_sack < 4; k++) {
				uint32_t a, b;

				memcpy(&a, v + 8 * k, 4);
				memcpy(&b, v + 8 * k + 4, 4);
				s->sack[s->n_sack][0] = ntohl(a);
				s->sack[s->n_sack][1] = ntohl(b);
				s->n_sack++;
			}
			break;
		default:
			break;
		}
		i += ol;
	}
	return 0;
}

static void take_syn_opts(struct tcp_pcb *p, const struct tcp_seg *s)
{
	const struct tcp_cfg *c = &p->st->cfg;

	p->peer_mss = s->has_mss && s->mss >= 64 ? s->mss : TCP_DEFAULT_MSS;
	p->ws_ok = c->wscale && s->has_ws;
	p->snd_wscale = p->ws_ok ? s->ws : 0;
	p->sack_ok = c->sack && s->sack_perm;
	p->ts_ok = c->timestamps && s->has_ts;
	if (p->ts_ok)
		p->ts_recent = s->tsval;
}

static void established_input(struct tcp_pcb *p, struct tcp_seg *s);

/* A SYN for a listener: a new pcb in SYN_RCVD, bounded by the backlog. */
static void listen_input(struct tcp_stack *st, struct tcp_listener *l,
			 struct tcp_seg *s)
{
	struct tcp_pcb *p;

	if (s->flags & TH_RST) {
		st->stats.listen_rst_drop++;   /* RFC 793: a RST to LISTEN is ignored */
		return;
	}
	if (s->flags & TH_ACK) {
		/* the handshake's end, for a SYN answered with a cookie? */
		bool cookie = false;

		if (st->cfg.syncookies && (p = syncookie_pcb(st, l, s, &cookie))) {
			established_input(p, s);
			return;
		}
		if (cookie)
			return;   /* ours, but no room yet: the client sends again */
		tcp_send_reset_for(st, s, &st->stats.no_pcb_rst_tx);
		return;
	}
	if (!(s->flags & TH_SYN)) {
		st->stats.listen_no_syn_drop++;
		return;
	}
	/* a full backlog (a SYN flood, or a slow accept) or no pcb left:
	 * SYN cookies keep answering without keeping state (RFC 4987).  With
	 * them, half-open pcbs take at most half of them: a flood's never
	 * complete, and the connections the cookies make need the rest */
	if (l->n_pending >= l->backlog || st->n_pcbs >= st->cfg.max_conns ||
	    (st->cfg.syncookies && l->n_pending - l->n_acc >= (int)st->cfg.max_conns / 2) ||
	    !(p = tcp_pcb_new(st, s->daddr, s->dport, s->saddr, s->sport))) {
		if (st->cfg.syncookies)
			syncookie_send(st, s);
		else if (l->n_pending >= l->backlog)
			st->stats.syn_backlog_drop++;   /* the client retries */
		else
			st->stats.syn_max_conns_drop++;
		return;
	}
	p->state = TCP_SYN_RCVD;
	p->listener = l;
	p->detached = true;   /* nobody owns it until accept */
	l->n_pending++;
	take_syn_opts(p, s);
	p->irs = s->seq;
	rcvbuf_reset(&p->rb, s->seq + 1);
	p->snd_wnd = s->wnd;
	p->max_snd_wnd = s->wnd;
	p->snd_wl1 = s->seq;
	p->snd_wl2 = p->iss;
	tcp_xmit(p, p->iss, 0, TH_SYN | TH_ACK);
	p->snd_nxt = p->snd_max = p->iss + 1;
	p->rtt_start = st->now;
	tcp_arm_rexmt(p);
}

static void syn_sent_input(struct tcp_pcb *p, const struct tcp_seg *s)
{
	struct tcp_stack *st = p->st;
	bool ack_ok = false;

	if (s->flags & TH_ACK) {
		if (seq_leq(s->ack, p->iss) || seq_gt(s->ack, p->snd_max)) {
			tcp_send_reset_for(st, s, &st->stats.bad_ack_rst_tx);
			return;
		}
		ack_ok = true;
	}
	if (s->flags & TH_RST) {
		if (ack_ok) {
			st->stats.rst_rx++;
			tcp_pcb_closed(p, ECONNREFUSED);
		} else {
			/* RFC 793 p.67: a RST without an acceptable ACK */
			st->stats.syn_sent_rst_drop++;
		}
		return;
	}
	if (!(s->flags & TH_SYN)) {
		st->stats.syn_sent_no_syn_drop++;
		return;
	}
	take_syn_opts(p, s);
	p->irs = s->seq;
	rcvbuf_reset(&p->rb, s->seq + 1);
	if (ack_ok) {
		p->snd_una = s->ack;
		p->state = TCP_ESTABLISHED;
		p->snd_wnd = s->wnd;   /* not scaled in a SYN */
		p->max_snd_wnd = s->wnd;
		p->snd_wl1 = s->seq;
		p->snd_wl2 = s->ack;
		if (p->nrexmt == 0)
			rtt_sample(&p->rtt, (uint32_t)(st->now - p->rtt_start));
		p->nrexmt = 0;
		tw_cancel(&st->tw, &p->t_rexmt);
		tcp_pcb_established(p);
		tcp_send_ack(p);
		tcp_notify(p, TCP_EV_OUT);
		return;
	}
	/* simultaneous open (RFC 793 figure 8) */
	p->state = TCP_SYN_RCVD;
	p->snd_wnd = s->wnd;
	p->max_snd_wnd = s->wnd;
	p->snd_wl1 = s->seq;
	tcp_xmit(p, p->iss, 0, TH_SYN | TH_ACK);
}

static bool seq_acceptable(const struct tcp_pcb *p, const struct tcp_seg *s, uint32_t seglen)
{
	uint32_t nxt = tcp_rcv_nxt(p);
	uint32_t wnd = rcvbuf_window(&p->rb);

	if (p->fin_rcvd)
		wnd = 0;
	/* Linux's test: the segment ends at or after RCV.NXT and starts at or
	 * before the window's right edge; a zero window still takes ACKs */
	return seq_geq(s->seq + seglen, nxt) && seq_leq(s->seq, nxt + wnd);
}

/* cut: a new congestion episode (RFC 6582: not for data sent before the
 * last recovery or RTO ended, whose losses were answered once) */
static void enter_recovery(struct tcp_pcb *p, bool cut)
{
	struct tcp_stack *st = p->st;

	p->in_recovery = true;
	p->rec_no_cut = !cut;
	p->limited_tx = 0;
	p->recover = p->snd_max;
	p->prr_delivered = p->prr_out = p->prr_last = 0;
	p->prr_recover_fs = p->snd_max - p->snd_una;
	if (cut)
		cc_on_loss(&p->cc, p->snd_max - p->snd_una);
	if (p->sack_ok) {
		/* the first lost range goes now (RFC 6675 4.3); the rest as
		 * the pipe allows (tcp_output) */
		st->stats.sack_recovery++;
		tcp_rexmit_lost(p, p->mss);
		/* a new episode: a probe sent before it did its job */
		p->tlp_out = 0;
		tcp_arm_data_timer(p);
		return;
	}
	st->stats.fast_rexmt++;
	p->cc.cwnd = p->cc.ssthresh + 3 * p->mss;
	tcp_rexmit_at(p, p->snd_una);
	tcp_arm_rexmt(p);
}

void tcp_rack_detect(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;
	uint32_t wait;
	uint32_t reo = rack_reo_wnd(&p->rack, &p->sack, p->rtt.srtt, p->mss, p->in_recovery);

	st->stats.rack_lost += (uint64_t)rack_detect_loss(&p->rack, &p->sack, st->now, reo, &wait);
	if (wait)
		tw_arm(&st->tw, &p->t_rack, st->now, wait);
	else
		tw_cancel(&st->tw, &p->t_rack);
	/* What RACK finds lost is resent, also below `recover`: after an RTO
	 * the go-back-N resends it tracks can be lost again (a receiver's
	 * ring still full), and nothing but the next RTO resent them (three
	 * RTOs in a row for one connection).  Linux's Loss state resends
	 * them as well.  RFC 6582's rule stays for the window: the episode
	 * was answered, so no second cut */
	if (!p->in_recovery && rack_any_lost(&p->rack))
		enter_recovery(p, seq_geq(p->snd_una, p->recover));
}

/* RFC 5961 5.2: an ACK for data never sent, or far below SND.UNA, is
 * answered with an ACK and dropped. */
static bool ack_acceptable(struct tcp_pcb *p, const struct tcp_seg *s)
{
	struct tcp_stack *st = p->st;

	if (seq_gt(s->ack, p->snd_max)) {
		st->stats.ack_too_new++;
		tcp_send_ack(p);
		return false;
	}
	if (seq_lt(s->ack, p->snd_una - p->max_snd_wnd)) {
		st->stats.ack_too_old++;
		tcp_send_ack(p);
		return false;
	}
	return true;
}

/* SYN_RCVD: the handshake's ACK.  Returns false when it is not one. */
static bool syn_rcvd_ack(struct tcp_pcb *p, const struct tcp_seg *s)
{
	struct tcp_stack *st = p->st;

	if (seq_leq(s->ack, p->snd_una)) {
		tcp_send_reset_for(st, s, &st->stats.bad_ack_rst_tx);
		return false;
	}
	p->state = TCP_ESTABLISHED;
	p->snd_wnd = s->wnd << p->snd_wscale;
	p->max_snd_wnd = p->snd_wnd;
	p->snd_wl1 = s->seq;
	p->snd_wl2 = s->ack;
	if (p->nrexmt == 0)
		rtt_sample(&p->rtt, (uint32_t)(st->now - p->rtt_start));
	p->nrexmt = 0;
	tcp_pcb_established(p);
	if (p->listener) {
		struct tcp_listener *l = p->listener;

		if (l->acc_tail)
			l->acc_tail->acc_next = p;
		else
			l->acc_head = p;
		l->acc_tail = p;
		l->n_acc++;
		if (l->user && st->ops.event)
			st->ops.event(st->ops.arg, l->user, TCP_EV_IN);
	} else {
		tcp_notify(p, TCP_EV_OUT);
	}
	return true;
}

/* RFC 793's SND.WL1/WL2 rule: take the window from the newest segment. */
static void window_update(struct tcp_pcb *p, const struct tcp_seg *s)
{
	if (seq_lt(p->snd_wl1, s->seq) ||
	    (p->snd_wl1 == s->seq && seq_leq(p->snd_wl2, s->ack))) {
		p->snd_wnd = s->wnd << p->snd_wscale;
		if (p->snd_wnd > p->max_snd_wnd)
			p->max_snd_wnd = p->snd_wnd;
		p->snd_wl1 = s->seq;
		p->snd_wl2 = s->ack;
	}
}

/* SND.UNA advanced by acked bytes while in recovery. */
static void recovery_ack(struct tcp_pcb *p, const struct tcp_seg *s, uint32_t acked)
{
	if (seq_geq(s->ack, p->recover)) {
		/* full ACK: leave recovery (RFC 6582 3.2 step 3) */
		uint32_t flight = p->snd_max - p->snd_una;

		p->in_recovery = false;
		/* after an uncut recovery the window (slow start after an
		 * RTO) goes on from where it was */
		if (!p->rec_no_cut)
			p->cc.cwnd = p->cc.ssthresh;
		if (!p->sack_ok && flight + p->mss < p->cc.cwnd)
			p->cc.cwnd = flight + p->mss;
		p->dupacks = 0;
	} else if (!p->sack_ok) {
		/* partial ACK: resend the next hole, deflate */
		tcp_rexmit_at(p, p->snd_una);
		p->cc.cwnd = p->cc.cwnd > acked ? p->cc.cwnd - acked : p->mss;
		if (acked >= p->mss)
			p->cc.cwnd += p->mss;
		tcp_arm_rexmt(p);
	} else {
		tcp_arm_data_timer(p);
	}
}

/* An ACK that moves SND.UNA. */
static void new_ack(struct tcp_pcb *p, const struct tcp_seg *s)
{
	struct tcp_stack *st = p->st;
	uint32_t acked = s->ack - p->snd_una;
	uint32_t flight_before = p->snd_max - p->snd_una;
	bool had_space = sndbuf_space(&p->sb) > 0;

	if (p->rtt_timing && seq_gt(s->ack, p->rtt_seq)) {
		rtt_sample(&p->rtt, (uint32_t)(st->now - p->rtt_start));
		p->rtt_timing = false;
	}
	p->nrexmt = 0;
	p->rtt.backoff = 0;
	sndbuf_ack(&p->sb, s->ack);
	p->snd_una = s->ack;
	if (seq_lt(p->snd_nxt, p->snd_una))
		p->snd_nxt = p->snd_una;
	/* progress ends a probe's episode: the timer armed below may probe */
	p->tlp_out = 0;
	if (p->in_recovery) {
		recovery_ack(p, s, acked);
	} else {
		p->dupacks = 0;
		/* grow only when the window was the limit (RFC 7661's idea):
		 * an app- or rwnd-limited flow would otherwise claim a window
		 * it never tested */
		if (flight_before >= p->cc.cwnd / 2)
			cc_on_ack(&p->cc, acked, st->now, p->rtt.srtt);
	}
	p->limited_tx = 0;
	if (p->snd_una == p->snd_max) {
		p->tlp_armed = false;
		tw_cancel(&st->tw, &p->t_rexmt);
	} else if (!p->in_recovery) {
		tcp_arm_data_timer(p);
	}
	if (!had_space || sndbuf_space(&p->sb) >= p->sb.cap / 2)
		tcp_notify(p, TCP_EV_OUT);
}

/* A duplicate ACK (RFC 5681 section 2). */
static void dup_ack(struct tcp_pcb *p, const struct tcp_seg *s)
{
	p->dupacks++;
	/* limited transmit (RFC 3042): the first two dupacks each let one
	 * new segment out, so small windows still reach three */
	if (!p->in_recovery && p->dupacks <= 2)
		p->limited_tx = (uint8_t)p->dupacks;
	/* with SACK, RACK decides what is lost (tcp_rack_detect) */
	if (!p->in_recovery && !p->sack_ok) {
		/* RFC 6582: not again for data sent before the last recovery
		 * or RTO ended */
		if (p->dupacks >= TCP_DUPTHRESH && seq_geq(s->ack, p->recover))
			enter_recovery(p, true);
	} else if (!p->sack_ok) {
		p->cc.cwnd += p->mss;   /* NewReno inflation */
	}
}

/* Our FIN acknowledged.  Returns false when p is gone or done. */
static bool fin_acked(struct tcp_pcb *p)
{
	switch (p->state) {
	case TCP_FIN_WAIT_1:
		p->state = TCP_FIN_WAIT_2;
		if (p->detached)
			tw_arm(&p->st->tw, &p->t_misc, p->st->now, TCP_FIN_WAIT2_US);
		return true;
	case TCP_CLOSING:
		tcp_enter_time_wait(p);
		return false;
	case TCP_LAST_ACK:
		tcp_pcb_closed(p, 0);
		return false;
	default:
		return true;
	}
}

/* The ACK field. Returns false when the segment must be dropped. */
static bool ack_input(struct tcp_pcb *p, const struct tcp_seg *s)
{
	if (!ack_acceptable(p, s))
		return false;
	if (p->state == TCP_SYN_RCVD && !syn_rcvd_ack(p, s))
		return false;

	/* RFC 6937's DeliveredData: SND.UNA's advance plus the change in
	 * SACKed bytes */
	uint32_t una0 = p->snd_una;
	uint32_t sacked0 = p->sack.n ? sack_bytes_above(&p->sack, una0) : 0;

	bool dsack = p->sack_ok && sack_is_dsack(s->ack, (const uint32_t (*)[2])s->sack, s->n_sack);
	bool was_in_recovery = p->in_recovery;

	if (dsack)
		p->st->stats.dsack_rx++;
	/* an ACK without blocks still prunes what it covers: stale ranges
	 * below SND.UNA would count as SACKed bytes (RACK's reordering
	 * window: 0 past three segments' worth) and keep RACK scanning */
	if (p->sack_ok && (s->n_sack || p->sack.n))
		sack_update(&p->sack, s->ack, p->snd_max, (const uint32_t (*)[2])s->sack, s->n_sack);

	uint32_t old_wnd = p->snd_wnd;

	window_update(p, s);
	if (seq_gt(s->ack, p->snd_una))
		new_ack(p, s);
	else if (s->ack == p->snd_una && !s->len && !(s->flags & (TH_SYN | TH_FIN)) &&
		 p->snd_max != p->snd_una && (s->wnd << p->snd_wscale) == old_wnd)
		dup_ack(p, s);
	if (p->in_recovery && p->sack_ok) {
		uint32_t sacked = p->sack.n ? sack_bytes_above(&p->sack, p->snd_una) : 0;
		int64_t d = (int64_t)(uint32_t)(p->snd_una - una0) + (int64_t)sacked - (int64_t)sacked0;

		p->prr_last = d > 0 ? (uint32_t)d : 0;
		p->prr_delivered += p->prr_last;
	}
	if (p->sack_ok)
		rack_update_reo_wnd(&p->rack, p->snd_una, p->snd_nxt, dsack,
				    was_in_recovery && !p->in_recovery);
	if (p->sack_ok && p->state != TCP_SYN_RCVD && p->rack.n) {
		rack_on_ack(&p->rack, p->snd_una, &p->sack, p->st->now,
			    p->rtt.srtt + 4 * p->rtt.rttvar);
		/* with nothing SACKed and nothing resent, no range can have
		 * been overtaken: skip the scan (the common bulk ACK) */
		if (p->sack.n || p->in_recovery || p->tlp_out || p->t_rack.armed)
			tcp_rack_detect(p);
	}
	if (p->fin_queued && seq_gt(s->ack, p->fin_seq))
		return fin_acked(p);
	return true;
}

/* Returns false when p was freed. */
static bool fin_input(struct tcp_pcb *p)
{
	p->fin_rcvd = true;
	p->ooo_fin = false;
	p->ack_now = true;
	switch (p->state) {
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		p->state = TCP_CLOSE_WAIT;
		break;
	case TCP_FIN_WAIT_1:
		/* our FIN not yet acked (else we would be in FIN_WAIT_2) */
		p->state = TCP_CLOSING;
		break;
	case TCP_FIN_WAIT_2: {
		bool freed = !p->st->cfg.timewait_us && (p->detached || p->listener);

		tcp_send_ack(p);
		tcp_enter_time_wait(p);
		return !freed;
	}
	default:
		break;
	}
	tcp_notify(p, TCP_EV_IN | TCP_EV_HUP);
	return true;
}

/* Data [s, e) arrived a second time: the next ACK says so (RFC 2883), so
 * the sender can tell a resend it did not need. */
static void note_dsack(struct tcp_pcb *p, uint32_t s, uint32_t e)
{
	if (!p->sack_ok || !seq_lt(s, e))
		return;
	p->dsack = true;
	p->dsack_s = s;
	p->dsack_e = e;
}

/* Returns false when p was freed. */
static bool data_input(struct tcp_pcb *p, const struct tcp_seg *s)
{
	struct tcp_stack *st = p->st;

	if (s->len && (p->state == TCP_ESTABLISHED || p->state == TCP_FIN_WAIT_1 ||
		       p->state == TCP_FIN_WAIT_2) && !p->fin_rcvd) {
		uint32_t adv;
		bool had_holes = p->rb.n_ooo > 0;

		if (p->detached && !p->listener && seq_gt(s->seq + s->len, p->rb.nxt)) {
			/* new data after close(): nobody will read it */
			st->stats.data_after_close++;
			tcp_send_rst(p);
			tcp_pcb_closed(p, 0);
			return false;
		}
		switch (rcvbuf_insert_frags(&p->rb, s->pay_seq, s->f, s->nf, &adv)) {
		case RCV_IN_ORDER:
			st->stats.rx_bytes += adv;
			/* a coalesced segment (LRO) counts as the many it was */
			if (had_holes || p->rb.n_ooo || !st->cfg.delayed_ack || s->len > p->mss ||
			    ++p->unacked_segs >= 2)
				p->ack_now = true;
			else if (!p->t_delack.armed)
				tw_arm(&st->tw, &p->t_delack, st->now, st->cfg.delack_us);
			tcp_notify(p, TCP_EV_IN);
			break;
		case RCV_OOO:
			st->stats.rcv_ooo++;
			p->ack_now = true;
			break;
		case RCV_NO_RANGE:
			st->stats.rcv_no_range++;
			p->ack_now = true;
			break;
		case RCV_OLD:
			/* every byte already held out of order */
			st->stats.rcv_dup++;
			note_dsack(p, s->seq, s->seq + s->len);
			p->ack_now = true;
			break;
		}
	}
	if ((s->flags & TH_FIN) && !p->fin_rcvd) {
		uint32_t fseq = s->seq + s->len;

		if (fseq == p->rb.nxt) {
			if (!fin_input(p))
				return false;
		} else if (seq_gt(fseq, p->rb.nxt)) {
			p->ooo_fin = true;
			p->ooo_fin_seq = fseq;
		}
	}
	if (p->ooo_fin && !p->fin_rcvd && p->ooo_fin_seq == p->rb.nxt)
		return fin_input(p);
	return true;
}

static void established_input(struct tcp_pcb *p, struct tcp_seg *s)
{
	struct tcp_stack *st = p->st;
	uint32_t seglen = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);

	/* a retransmitted SYN while we wait for the handshake's ACK */
	if (p->state == TCP_SYN_RCVD && (s->flags & TH_SYN) && !(s->flags & TH_ACK) &&
	    s->seq == p->irs) {
		tcp_xmit(p, p->iss, 0, TH_SYN | TH_ACK);
		return;
	}
	/* PAWS (RFC 7323 5) */
	if (p->ts_ok && s->has_ts && !(s->flags & TH_RST) &&
	    (int32_t)(s->tsval - p->ts_recent) < 0) {
		st->stats.paws_drop++;
		tcp_send_ack(p);
		return;
	}
	if (!seq_acceptable(p, s, seglen)) {
		st->stats.out_of_window++;
		/* data wholly below RCV.NXT: a resend of what we have */
		if (s->len && !(s->flags & TH_RST) && seq_leq(s->seq + s->len, p->rb.nxt) &&
		    seq_geq(s->seq + s->len, p->rb.nxt - p->rb.cap))
			note_dsack(p, s->seq, s->seq + s->len);
		if (!(s->flags & TH_RST))
			tcp_send_ack(p);
		return;
	}
	if (s->flags & TH_RST) {
		/* RFC 5961 3.2: only an exact match resets; in-window gets a
		 * challenge ACK so a blind attacker must guess RCV.NXT */
		if (s->seq == tcp_rcv_nxt(p)) {
			st->stats.rst_rx++;
			st->stats.conn_reset++;
			tcp_pcb_closed(p, ECONNRESET);
		} else {
			st->stats.rst_bad_seq++;
			st->stats.challenge_ack++;
			tcp_send_ack(p);
		}
		return;
	}
	if (s->flags & TH_SYN) {
		/* RFC 5961 4.2: SYN in a synchronized state */
		st->stats.challenge_ack++;
		tcp_send_ack(p);
		return;
	}
	if (!(s->flags & TH_ACK)) {
		st->stats.no_ack_drop++;
		return;
	}
	/* RFC 7323 4.3: remember the newest timestamp of in-sequence data */
	if (p->ts_ok && s->has_ts && seq_leq(s->seq, p->rcv_adv) &&
	    seq_leq(s->seq, tcp_rcv_nxt(p)))
		p->ts_recent = s->tsval;
	p->last_rx = st->now;
	if (p->state == TCP_TIME_WAIT) {
		/* a retransmitted FIN: ACK it and restart the 2MSL wait */
		if (s->flags & TH_FIN) {
			tcp_send_ack(p);
			tw_arm(&st->tw, &p->t_misc, st->now, st->cfg.timewait_us);
		}
		return;
	}
	if (!ack_input(p, s))
		return;
	/* trim what is left of the window's left edge away */
	if (seq_lt(s->seq, p->rb.nxt) && s->len) {
		uint32_t skip = p->rb.nxt - s->seq;

		if (skip >= s->len) {
			/* all old: our ACK got lost; a FIN right at RCV.NXT
			 * still counts, so keep the segment's end */
			p->ack_now = true;
			st->stats.rcv_dup++;
			note_dsack(p, s->seq, s->seq + s->len);
			s->seq += s->len;
			s->len = 0;
		} else {
			/* the pieces stay: rcvbuf_insert_frags() trims them */
			note_dsack(p, s->seq, p->rb.nxt);
			s->len -= skip;
			s->seq = p->rb.nxt;
		}
	}
	if (!data_input(p, s))
		return;
	if (p->state == TCP_CLOSED)
		return;
	tcp_output(p);
}

void tcp_input(struct tcp_stack *st, const struct kb_iphdr *ip,
	       struct tcp_frag *l4, int n, unsigned flags)
{
	const uint8_t *tcp = l4[0].data;
	const struct kb_tcphdr *th = (const struct kb_tcphdr *)tcp;
	struct tcp_seg s;
	uint32_t len = 0;
	int doff;

	for (int i = 0; i < n; i++)
		len += l4[i].len;
	st->stats.rx_segs++;
	if (l4[0].len < sizeof(*th)) {
		st->stats.bad_doff++;
		return;
	}
	doff = (th->doff >> 4) * 4;
	/* the header must lie in the first piece (the layer's promise) */
	if (doff < (int)sizeof(*th) || (uint32_t)doff > l4[0].len) {
		st->stats.bad_doff++;
		return;
	}
	/* the network checked it, or a local sender left it partial (virtio
	 * NEEDS_CSUM): no corruption is possible on the way */
	if (flags & TCP_RX_CKSUM_OK) {
		st->stats.cksum_offloaded++;
	} else if (inet_fold(inet_sum_frags(l4, n, inet_pseudo_sum(ip->saddr, ip->daddr,
								  IPPROTO_TCP_, (uint16_t)len))) != 0) {
		st->stats.bad_cksum++;
		return;
	}
	memset(&s, 0, offsetof(struct tcp_seg, sack));
	s.saddr = ip->saddr;
	s.daddr = ip->daddr;
	s.sport = th->sport;
	s.dport = th->dport;
	s.seq = ntohl(th->seq);
	s.ack = ntohl(th->ack);
	s.wnd = ntohs(th->win);
	s.flags = th->flags;
	s.len = len - (uint32_t)doff;
	/* the payload: the pieces, the header cut off the first */
	l4[0].data += doff;
	l4[0].len -= (uint32_t)doff;
	s.f = l4;
	s.nf = n;
	s.pay_seq = s.seq;
	if (s.len > st->cfg.mss)
		st->stats.rx_big_segs++;
	if (parse_opts(&s, tcp + sizeof(*th), doff - (int)sizeof(*th)) < 0) {
		st->stats.bad_opts++;
		return;
	}
	if (!th->sport || !th->dport) {
		st->stats.port_zero++;
		return;
	}
	if ((s.flags & TH_SYN) && (s.flags & TH_FIN)) {
		st->stats.syn_fin_drop++;
		return;
	}

	struct tcp_pcb *p = tcp_lookup(st, s.daddr, s.dport, s.saddr, s.sport);

	if (p && p->state == TCP_TIME_WAIT && (s.flags & TH_SYN) && !(s.flags & TH_ACK) &&
	    seq_gt(s.seq, tcp_rcv_nxt(p)) && tcp_find_listener(st, s.daddr, s.dport)) {
		/* a new incarnation of a connection in TIME_WAIT (as Linux and
		 * RFC 6191 allow): end the old one, let the listener take it */
		tcp_pcb_closed(p, 0);
		p = NULL;
	}
	if (!p) {
		struct tcp_listener *l = tcp_find_listener(st, s.daddr, s.dport);

		if (l) {
			listen_input(st, l, &s);
			return;
		}
		tcp_send_reset_for(st, &s, &st->stats.no_pcb_rst_tx);
		return;
	}
	if (p->state == TCP_SYN_SENT) {
		syn_sent_input(p, &s);
		return;
	}
	established_input(p, &s);
}
