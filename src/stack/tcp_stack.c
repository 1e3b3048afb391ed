/* tcp_stack.c: the per-core instance: flow table, listeners, pcb
 * lifecycle, the calls the socket layer makes, and the timers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_impl.h"

void tcp_cfg_defaults(struct tcp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->rcvbuf = 524288;
	c->sndbuf = 524288;
	c->max_conns = 10000;
	c->mss = TCP_MAX_PKT - 40;
	c->cc = TCP_CC_CUBIC;
	c->sack = c->timestamps = c->wscale = true;
	c->delayed_ack = true;
	c->delack_us = 40000;
	c->nagle = false;
	c->timewait_us = 0;
	c->idle_timeout_us = 0;
	c->rto_min_us = TCP_RTO_MIN_US;
	c->rto_max_us = TCP_RTO_MAX_US;
	c->rto_init_us = TCP_RTO_INIT_US;
	c->syn_retries = 6;
	c->max_retries = 15;
	c->ka_idle_us = 7200u * 1000000u;
	c->ka_intvl_us = 75u * 1000000u;
	c->ka_probes = 9;
	c->seed = 0x9e3779b9u;
	c->syncookies = true;   /* as Linux's tcp_syncookies = 1 */
}

static uint32_t flow_hash(uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp, uint32_t seed)
{
	uint64_t h = ((uint64_t)la << 32 | ra) * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)lp << 16 | rp) * 0xc2b2ae3d27d4eb4full;
	h ^= seed;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ (h >> 32));
}

/* Payload buffers when the ops owner has none of its own (unit tests). */
#define HEAP_BUF 2048

static int heap_alloc(void *arg, struct tcp_frag *f)
{
	(void)arg;
	f->buf = malloc(HEAP_BUF);
	if (!f->buf)
		return -1;
	f->data = f->buf;
	f->len = 0;
	f->room = HEAP_BUF;
	return 0;
}

static void heap_free(void *arg, void *buf)
{
	(void)arg;
	free(buf);
}

struct tcp_stack *tcp_stack_create(const struct tcp_cfg *cfg,
				   const struct tcp_ops *ops, uint64_t now_us)
{
	struct tcp_stack *st = calloc(1, sizeof(*st));
	uint32_t n = 64;

	if (!st)
		return NULL;
	st->cfg = *cfg;
	st->ops = *ops;
	st->now = now_us;
	if (ops->buf_alloc && ops->buf_free)
		st->bufops = (struct tcp_bufops){ ops->arg, ops->buf_alloc, ops->buf_free };
	else
		st->bufops = (struct tcp_bufops){ NULL, heap_alloc, heap_free };
	st->sndops = st->bufops;
	if (ops->buf_alloc && ops->buf_free && ops->snd_buf_alloc)
		st->sndops.alloc = ops->snd_buf_alloc;
	if (!ops->tx_send_frags)
		st->cfg.tso = false;
	while (n < cfg->max_conns * 2 && n < (1u << 20))
		n <<= 1;
	st->table = calloc(n, sizeof(*st->table));
	if (!st->table) {
		free(st);
		return NULL;
	}
	st->table_mask = n - 1;
	if (tcp_pool_init(&st->pool, cfg->max_conns, cfg->rcvbuf, cfg->sndbuf) < 0) {
		free(st->table);
		free(st);
		return NULL;
	}
	st->ip_id = (uint16_t)cfg->seed;
	tw_init(&st->tw, now_us, 1000);
	return st;
}

/* ---- the output queue (mTCP's send list) ---- */

void tcp_out_queue(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;

	if (p->out_pprev)
		return;
	p->out_next = st->out_head;
	if (st->out_head)
		st->out_head->out_pprev = &p->out_next;
	st->out_head = p;
	p->out_pprev = &st->out_head;
}

static void out_unlink(struct tcp_pcb *p)
{
	if (!p->out_pprev)
		return;
	*p->out_pprev = p->out_next;
	if (p->out_next)
		p->out_next->out_pprev = p->out_pprev;
	p->out_next = NULL;
	p->out_pprev = NULL;
}

void tcp_flush_output(struct tcp_stack *st)
{
	struct tcp_pcb *p = st->out_head;

	/* the list is taken whole: a pcb stopped by a full transmit queue
	 * queues itself again, for the next flush, not for this loop */
	if (p)
		p->out_pprev = &p;
	st->out_head = NULL;
	while (p) {
		struct tcp_pcb *next = p->out_next;

		if (next)
			next->out_pprev = &next;
		p->out_next = NULL;
		p->out_pprev = NULL;
		tcp_output(p);
		p = next;
	}
}

static void pcb_free(struct tcp_pcb *p)
{
	out_unlink(p);
	/* give back the payload buffers; the rings stay the pool's */
	rcvbuf_free(&p->rb);
	sndbuf_free(&p->sb);
	p->st->n_pcbs--;
	tcp_pool_put(&p->st->pool, p);
}

void tcp_stack_destroy(struct tcp_stack *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i <= st->table_mask; i++) {
		while (st->table[i]) {
			struct tcp_pcb *p = st->table[i];

			st->table[i] = p->hnext;
			pcb_free(p);
		}
	}
	while (st->listeners) {
		struct tcp_listener *l = st->listeners;

		/* queued connections are in the table: freed above */
		st->listeners = l->next;
		free(l);
	}
	tcp_pool_fini(&st->pool);
	free(st->table);
	free(st);
}

struct tcp_pcb *tcp_lookup(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport)
{
	struct tcp_pcb *p = st->table[flow_hash(laddr, lport, raddr, rport, st->cfg.seed) &
				      st->table_mask];

	for (; p; p = p->hnext)
		if (p->lport == lport && p->rport == rport && p->raddr == raddr &&
		    p->laddr == laddr)
			return p;
	return NULL;
}

static void table_insert(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;
	uint32_t b = flow_hash(p->laddr, p->lport, p->raddr, p->rport, st->cfg.seed) &
		     st->table_mask;

	p->hnext = st->table[b];
	st->table[b] = p;
	p->in_table = true;
}

static void table_remove(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;
	struct tcp_pcb **pp = &st->table[flow_hash(p->laddr, p->lport, p->raddr, p->rport,
						  st->cfg.seed) & st->table_mask];

	if (!p->in_table)
		return;
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	p->in_table = false;
}

struct tcp_listener *tcp_find_listener(struct tcp_stack *st, uint32_t laddr,
				       uint16_t lport)
{
	for (struct tcp_listener *l = st->listeners; l; l = l->next)
		if (l->lport == lport && (!l->laddr || l->laddr == laddr))
			return l;
	return NULL;
}

bool tcp_tuple_free(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
		    uint32_t raddr, uint16_t rport)
{
	return !tcp_lookup(st, laddr, lport, raddr, rport);
}

static uint32_t make_iss(struct tcp_stack *st, const struct tcp_pcb *p)
{
	/* RFC 6528: a keyed hash of the tuple plus a 4 us clock */
	return flow_hash(p->laddr, p->lport, p->raddr, p->rport, st->cfg.seed * 2654435761u) +
	       (uint32_t)(st->now / 4);
}

struct tcp_pcb *tcp_pcb_new(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport)
{
	struct tcp_pcb *p;

	/* from the core's pool: a SYN never reaches malloc */
	p = tcp_pool_get(&st->pool);
	if (!p)
		return NULL;
	p->st = st;
	p->laddr = laddr;
	p->lport = lport;
	p->raddr = raddr;
	p->rport = rport;
	p->iss = make_iss(st, p);
	/* the pool gave the slot's piece and chunk rings; payload buffers
	 * come from the ops owner (mbufs) */
	p->rb.bo = &st->bufops;
	p->sb.bo = &st->sndops;
	rcvbuf_reset(&p->rb, 0);
	sndbuf_reset(&p->sb, p->iss + 1);
	st->n_pcbs++;
	p->snd_una = p->snd_nxt = p->snd_max = p->iss;
	p->recover = p->iss;
	p->nagle = st->cfg.nagle;
	p->mss = TCP_DEFAULT_MSS;
	p->peer_mss = TCP_DEFAULT_MSS;
	while (p->rcv_wscale < TCP_MAX_WSCALE && (st->cfg.rcvbuf >> p->rcv_wscale) > 65535)
		p->rcv_wscale++;
	rtt_init(&p->rtt, st->cfg.rto_init_us, st->cfg.rto_min_us, st->cfg.rto_max_us);
	cc_init(&p->cc, st->cfg.cc, p->mss);
	p->t_rexmt.kind = TW_KIND_REXMT;
	p->t_delack.kind = TW_KIND_DELACK;
	p->t_misc.kind = TW_KIND_MISC;
	p->t_keep.kind = TW_KIND_KEEP;
	p->ka_idle_us = st->cfg.ka_idle_us;
	p->ka_intvl_us = st->cfg.ka_intvl_us;
	p->ka_probes = (uint8_t)st->cfg.ka_probes;
	p->t_rack.kind = TW_KIND_RACK;
	rack_init(&p->rack);
	p->last_rx = st->now;
	table_insert(p);
	return p;
}

void tcp_pcb_established(struct tcp_pcb *p)
{
	uint32_t mss = p->peer_mss < p->st->cfg.mss ? p->peer_mss : p->st->cfg.mss;

	if (p->ts_ok)
		mss -= TCP_TS_LEN;
	p->mss = (uint16_t)mss;
	cc_init(&p->cc, p->st->cfg.cc, mss);
	if (!p->ws_ok)
		p->rcv_wscale = p->snd_wscale = 0;
	if (p->st->cfg.idle_timeout_us)
		tw_arm(&p->st->tw, &p->t_misc, p->st->now, p->st->cfg.idle_timeout_us);
	if (p->keepalive)
		tw_arm(&p->st->tw, &p->t_keep, p->st->now, p->ka_idle_us);
}

void tcp_set_keepalive(struct tcp_pcb *p, bool on, uint32_t idle_us, uint32_t intvl_us,
		       int probes)
{
	p->keepalive = on;
	if (idle_us)
		p->ka_idle_us = idle_us;
	if (intvl_us)
		p->ka_intvl_us = intvl_us;
	if (probes > 0)
		p->ka_probes = (uint8_t)(probes > 127 ? 127 : probes);
	if (!on)
		tw_cancel(&p->st->tw, &p->t_keep);
	else if (p->state == TCP_ESTABLISHED || p->state == TCP_CLOSE_WAIT)
		tw_arm(&p->st->tw, &p->t_keep, p->st->now, p->ka_idle_us);
}

void tcp_notify(struct tcp_pcb *p, unsigned ev)
{
	if (p->user && p->st->ops.event)
		p->st->ops.event(p->st->ops.arg, p->user, ev);
}

static void acc_remove(struct tcp_listener *l, struct tcp_pcb *p)
{
	struct tcp_pcb **pp = &l->acc_head, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->acc_next)
		if (*pp == p) {
			*pp = p->acc_next;
			if (l->acc_tail == p)
				l->acc_tail = prev;
			l->n_acc--;
			return;
		}
}

void tcp_pcb_closed(struct tcp_pcb *p, int err)
{
	struct tcp_stack *st = p->st;

	table_remove(p);
	out_unlink(p);
	tw_cancel(&st->tw, &p->t_rexmt);
	tw_cancel(&st->tw, &p->t_delack);
	tw_cancel(&st->tw, &p->t_misc);
	tw_cancel(&st->tw, &p->t_keep);
	tw_cancel(&st->tw, &p->t_rack);
	p->state = TCP_CLOSED;
	if (err && !p->err)
		p->err = err;
	st->stats.conns_closed++;
	if (p->listener) {
		/* never accepted: nobody owns it */
		acc_remove(p->listener, p);
		p->listener->n_pending--;
		p->listener = NULL;
		pcb_free(p);
		return;
	}
	if (p->detached) {
		pcb_free(p);
		return;
	}
	tcp_notify(p, TCP_EV_IN | TCP_EV_OUT | TCP_EV_HUP | (err ? TCP_EV_ERR : 0));
}

void tcp_enter_time_wait(struct tcp_pcb *p)
{
	p->state = TCP_TIME_WAIT;
	tw_cancel(&p->st->tw, &p->t_rexmt);
	tw_cancel(&p->st->tw, &p->t_delack);
	tw_cancel(&p->st->tw, &p->t_rack);
	if (!p->st->cfg.timewait_us) {
		tcp_pcb_closed(p, 0);
		return;
	}
	tw_arm(&p->st->tw, &p->t_misc, p->st->now, p->st->cfg.timewait_us);
}

/* ---- listeners ---- */

struct tcp_listener *tcp_listen(struct tcp_stack *st, uint32_t laddr,
				uint16_t lport, int backlog, void *user, int *err)
{
	for (struct tcp_listener *l = st->listeners; l; l = l->next)
		if (l->lport == lport && (!l->laddr || !laddr || l->laddr == laddr)) {
			*err = EADDRINUSE;
			return NULL;
		}
	struct tcp_listener *l = calloc(1, sizeof(*l));

	if (!l) {
		*err = ENOMEM;
		return NULL;
	}
	l->st = st;
	l->laddr = laddr;
	l->lport = lport;
	l->backlog = backlog > 0 ? backlog : 1;
	l->user = user;
	l->next = st->listeners;
	st->listeners = l;
	return l;
}

void tcp_listener_close(struct tcp_listener *l)
{
	struct tcp_stack *st = l->st;
	struct tcp_listener **pp = &st->listeners;

	for (; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	/* pending connections (SYN_RCVD and queued) lose their listener */
	for (uint32_t i = 0; i <= st->table_mask; i++) {
		struct tcp_pcb *p = st->table[i];

		while (p) {
			struct tcp_pcb *nx = p->hnext;

			if (p->listener == l) {
				tcp_send_rst(p);
				tcp_pcb_closed(p, ECONNABORTED);
			}
			p = nx;
		}
	}
	free(l);
}

struct tcp_pcb *tcp_accept(struct tcp_listener *l, void *user)
{
	struct tcp_pcb *p = l->acc_head;

	if (!p)
		return NULL;
	l->acc_head = p->acc_next;
	if (!l->acc_head)
		l->acc_tail = NULL;
	l->n_acc--;
	l->n_pending--;
	p->listener = NULL;
	p->acc_next = NULL;
	p->detached = false;
	p->user = user;
	l->st->stats.conns_accepted++;
	return p;
}

/* ---- active open, data, close ---- */

struct tcp_pcb *tcp_connect(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport, void *user, int *err)
{
	struct tcp_pcb *p;

	if (tcp_lookup(st, laddr, lport, raddr, rport)) {
		*err = EADDRINUSE;
		return NULL;
	}
	p = tcp_pcb_new(st, laddr, lport, raddr, rport);
	if (!p) {
		st->stats.conn_alloc_fail++;
		*err = ENOMEM;
		return NULL;
	}
	p->user = user;
	p->state = TCP_SYN_SENT;
	p->ws_ok = st->cfg.wscale;
	p->sack_ok = st->cfg.sack;
	p->ts_ok = st->cfg.timestamps;
	st->stats.conns_opened++;
	tcp_xmit(p, p->iss, 0, TH_SYN);
	p->snd_nxt = p->snd_max = p->iss + 1;
	p->rtt_start = st->now;
	tcp_arm_rexmt(p);
	return p;
}

int tcp_send(struct tcp_pcb *p, const void *buf, uint32_t len)
{
	uint32_t n;

	if (p->err)
		return -p->err;
	if (p->state == TCP_SYN_SENT || p->state == TCP_SYN_RCVD)
		return -ENOTCONN;
	if (p->fin_queued || (p->state != TCP_ESTABLISHED && p->state != TCP_CLOSE_WAIT))
		return -EPIPE;
	n = sndbuf_write(&p->sb, buf, len);
	if (n)
		tcp_out_queue(p);
	return (int)n;
}

int tcp_recv(struct tcp_pcb *p, void *buf, uint32_t len)
{
	uint32_t n = rcvbuf_read(&p->rb, buf, len);

	if (n) {
		tcp_window_update(p);
		return (int)n;
	}
	if (p->fin_rcvd)
		return 0;
	if (p->err)
		return -p->err;
	if (p->state == TCP_CLOSED)
		return 0;
	return -EAGAIN;
}

uint32_t tcp_readable(const struct tcp_pcb *p) { return rcvbuf_readable(&p->rb); }

uint32_t tcp_send_space(const struct tcp_pcb *p) { return sndbuf_space(&p->sb); }

bool tcp_can_send(const struct tcp_pcb *p)
{
	return !p->err && !p->fin_queued &&
	       (p->state == TCP_ESTABLISHED || p->state == TCP_CLOSE_WAIT) &&
	       sndbuf_space(&p->sb) > 0;
}

bool tcp_eof(const struct tcp_pcb *p) { return p->fin_rcvd && !rcvbuf_readable(&p->rb); }

void tcp_abort(struct tcp_pcb *p)
{
	p->detached = true;
	p->user = NULL;
	switch (p->state) {
	case TCP_SYN_RCVD: case TCP_ESTABLISHED: case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2: case TCP_CLOSE_WAIT: case TCP_CLOSING: case TCP_LAST_ACK:
		tcp_send_rst(p);
		break;
	default:
		break;
	}
	if (p->state == TCP_CLOSED) {
		pcb_free(p);
		return;
	}
	tcp_pcb_closed(p, ECONNABORTED);
}

void tcp_close(struct tcp_pcb *p)
{
	if (p->detached)
		return;
	if (p->state == TCP_CLOSED) {
		p->detached = true;
		pcb_free(p);
		return;
	}
	/* Closing with unread data tells the peer with RST that it was not
	 * consumed (RFC 2525 2.17, what Linux does) */
	if (rcvbuf_readable(&p->rb) || p->state == TCP_SYN_SENT || p->state == TCP_SYN_RCVD) {
		tcp_abort(p);
		return;
	}
	p->detached = true;
	p->user = NULL;
	switch (p->state) {
	case TCP_ESTABLISHED:
		p->state = TCP_FIN_WAIT_1;
		break;
	case TCP_CLOSE_WAIT:
		p->state = TCP_LAST_ACK;
		break;
	default:
		return;   /* FIN already queued */
	}
	p->fin_queued = true;
	p->fin_seq = sndbuf_end(&p->sb);
	tcp_out_queue(p);
}

/* ---- timers ---- */

/* The handshake's SYN or SYN-ACK went unanswered. */
static void syn_rexmt_fire(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;

	if (++p->nrexmt > st->cfg.syn_retries) {
		st->stats.conn_timeout++;
		if (p->state == TCP_SYN_RCVD)
			tcp_send_rst(p);
		tcp_pcb_closed(p, ETIMEDOUT);
		return;
	}
	st->stats.syn_rexmt++;
	rtt_backoff(&p->rtt);
	tcp_xmit(p, p->iss, 0, p->state == TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK);
	tcp_arm_rexmt(p);
}

/* Zero window, at most the last probe in flight: one byte past the
 * window; the peer's ACK (with its window) answers whether or not it
 * takes it.  Probes go on while the peer answers; tcp_timeout ends it. */
static void persist_fire(struct tcp_pcb *p)
{
	p->st->stats.persist_probe++;
	if (tcp_xmit(p, p->snd_una, 1, TH_ACK) == 1) {
		p->snd_nxt = p->snd_una + 1;
		if (seq_gt(p->snd_nxt, p->snd_max))
			p->snd_max = p->snd_nxt;
	}
	if (p->rtt.backoff < 6)
		rtt_backoff(&p->rtt);
	tcp_arm_rexmt(p);
}

/* Nothing in flight and a window too small for the SWS rules: send what
 * fits. */
static void small_window_fire(struct tcp_pcb *p)
{
	uint32_t len = sndbuf_end(&p->sb) - p->snd_nxt;

	if (len > p->snd_wnd)
		len = p->snd_wnd;
	if (len > p->mss)
		len = p->mss;
	int sent = tcp_xmit(p, p->snd_nxt, len, TH_ACK | TH_PSH);

	if (sent > 0) {
		p->snd_nxt += (uint32_t)sent;
		if (seq_gt(p->snd_nxt, p->snd_max))
			p->snd_max = p->snd_nxt;
	}
	tcp_arm_rexmt(p);
	tcp_output(p);
}

/* Tail-loss probe (RFC 8985 section 7.3): new data if the window allows,
 * else the last segment again; then another probe or the real RTO
 * (tcp_arm_data_timer). */
static void tlp_fire(struct tcp_pcb *p)
{
	uint32_t wnd = p->cc.cwnd < p->snd_wnd ? p->cc.cwnd : p->snd_wnd;
	uint32_t inflight = p->snd_nxt - p->snd_una;
	uint32_t usable = wnd > inflight ? wnd - inflight : 0;
	uint32_t end_d = sndbuf_end(&p->sb);

	p->tlp_armed = false;
	p->tlp_out++;
	p->st->stats.tlp_probe++;
	if (p->in_recovery) {
		/* the first hole again, as the RTO would but without its
		 * collapse: once it is ACKed RACK sees the probe delivered
		 * and everything resent before it still missing as lost */
		tcp_rexmit_at(p, p->snd_una);
	} else if (seq_lt(p->snd_nxt, end_d) && usable >= p->mss && p->snd_nxt == p->snd_max) {
		tcp_output(p);
	} else {
		bool fin_out = p->fin_queued && seq_gt(p->snd_max, p->fin_seq);
		uint32_t top = fin_out ? p->fin_seq : p->snd_max;
		uint32_t last = top - p->snd_una;   /* the FIN rides on the data */

		if (last > p->mss)
			last = p->mss;
		tcp_rexmit_at(p, top - last);
	}
	tcp_arm_data_timer(p);   /* the next probe, or the RTO */
}

/* The retransmission timeout (RFC 6298 5.4-5.7): back off, collapse the
 * window, go back N. */
static void rto_fire(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;

	if (++p->nrexmt > st->cfg.max_retries) {
		st->stats.conn_timeout++;
		tcp_send_rst(p);
		tcp_pcb_closed(p, ETIMEDOUT);
		return;
	}
	st->stats.rto_fired++;
	cc_on_rto(&p->cc, p->snd_max - p->snd_una);
	p->in_recovery = false;
	p->limited_tx = 0;
	p->recover = p->snd_max;      /* RFC 6582: no fast retransmit for old data */
	p->dupacks = 0;
	sack_clear(&p->sack);
	rack_clear(&p->rack);         /* go-back-N resends it all */
	tw_cancel(&st->tw, &p->t_rack);
	p->rtt_timing = false;
	rtt_backoff(&p->rtt);
	p->snd_nxt = p->snd_una;      /* go back N */
	tcp_arm_rexmt(p);
	tcp_output(p);
}

/* t_rexmt doubles as the SYN, persist and tail-loss probe timer. */
static void rexmt_fire(struct tcp_pcb *p)
{
	if (p->state == TCP_SYN_SENT || p->state == TCP_SYN_RCVD)
		syn_rexmt_fire(p);
	else if (!p->snd_wnd && sndbuf_end(&p->sb) != p->snd_una &&
		 seq_leq(p->snd_max, p->snd_una + 1))
		persist_fire(p);
	else if (p->snd_una == p->snd_nxt && seq_lt(p->snd_nxt, tcp_snd_end(p)))
		small_window_fire(p);
	else if (p->snd_una == p->snd_max)
		return;   /* everything acked meanwhile */
	else if (p->tlp_armed)
		tlp_fire(p);
	else
		rto_fire(p);
}

static void misc_fire(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;

	if (p->state == TCP_TIME_WAIT || (p->state == TCP_FIN_WAIT_2 && p->detached)) {
		tcp_pcb_closed(p, 0);
		return;
	}
	if (!st->cfg.idle_timeout_us)
		return;
	uint64_t idle = st->now - p->last_rx;

	if (idle < st->cfg.idle_timeout_us) {
		tw_arm(&st->tw, &p->t_misc, st->now, st->cfg.idle_timeout_us - idle);
		return;
	}
	st->stats.conn_timeout++;
	tcp_send_rst(p);
	tcp_pcb_closed(p, ETIMEDOUT);
}

/* RFC 1122 4.2.3.6, as Linux: only an idle connection is probed (with data
 * in flight the retransmission timer decides); a probe is an ACK for
 * SND.UNA - 1, which the peer must answer; any segment from it resets the
 * count, since it moves last_rx. */
static void keep_fire(struct tcp_pcb *p)
{
	struct tcp_stack *st = p->st;
	uint64_t idle = st->now - p->last_rx;

	if (!p->keepalive || (p->state != TCP_ESTABLISHED && p->state != TCP_CLOSE_WAIT))
		return;
	if (p->snd_una != p->snd_max || sndbuf_end(&p->sb) != p->snd_una) {
		p->ka_sent = 0;
		tw_arm(&st->tw, &p->t_keep, st->now, p->ka_idle_us);
		return;
	}
	if (idle < p->ka_idle_us) {
		p->ka_sent = 0;
		tw_arm(&st->tw, &p->t_keep, st->now, p->ka_idle_us - idle);
		return;
	}
	if (p->ka_sent >= p->ka_probes) {
		st->stats.keepalive_timeout++;
		st->stats.conn_timeout++;
		tcp_send_rst(p);
		tcp_pcb_closed(p, ETIMEDOUT);
		return;
	}
	st->stats.keepalive_probe++;
	p->ka_sent++;
	tcp_xmit(p, p->snd_una - 1, 0, TH_ACK);
	tw_arm(&st->tw, &p->t_keep, st->now, p->ka_intvl_us);
}

static void timer_fire(void *arg, struct tw_timer *t)
{
	struct tcp_pcb *p;

	(void)arg;
	switch (t->kind) {
	case TW_KIND_REXMT:
		rexmt_fire((struct tcp_pcb *)((char *)t - offsetof(struct tcp_pcb, t_rexmt)));
		break;
	case TW_KIND_DELACK:
		p = (struct tcp_pcb *)((char *)t - offsetof(struct tcp_pcb, t_delack));
		if (p->state != TCP_CLOSED)
			tcp_send_ack(p);
		break;
	case TW_KIND_MISC:
		misc_fire((struct tcp_pcb *)((char *)t - offsetof(struct tcp_pcb, t_misc)));
		break;
	case TW_KIND_KEEP:
		keep_fire((struct tcp_pcb *)((char *)t - offsetof(struct tcp_pcb, t_keep)));
		break;
	case TW_KIND_RACK:
		p = (struct tcp_pcb *)((char *)t - offsetof(struct tcp_pcb, t_rack));
		if (p->state == TCP_CLOSED || p->snd_una == p->snd_max)
			break;
		p->st->stats.rack_timer++;
		tcp_rack_detect(p);
		tcp_output(p);
		break;
	}
}

unsigned tcp_timers(struct tcp_stack *st, uint64_t now_us)
{
	st->now = now_us;
	return tw_run(&st->tw, now_us, timer_fire, st);
}

/* ---- names and counters ---- */

double tcp_stats_rto_per_gb(const struct tcp_stats *s)
{
	return s->tx_bytes ? (double)s->rto_fired * 1e9 / (double)s->tx_bytes : 0;
}

const char *tcp_state_name(enum tcp_state s)
{
	static const char *const n[] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
		"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
	};
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

void tcp_stats_print(const struct tcp_stack *st, FILE *f)
{
	const struct tcp_stats *s = &st->stats;

#define P(x) fprintf(f, " %s=%llu", #x, (unsigned long long)s->x)
	fprintf(f, "ip:");
	P(ip_rx); P(ip_malformed); P(ip_bad_cksum); P(ip_not_ours); P(ip_frag_dropped);
	P(ip_unknown_proto); P(icmp_echo_rx); P(icmp_echo_tx); P(icmp_malformed); P(icmp_other);
	P(icmp_too_big);
	fprintf(f, "\ntcp:");
	P(rx_segs); P(tx_segs); P(rx_bytes); P(tx_bytes); P(rexmt_segs);
	P(conns_opened); P(conns_accepted); P(conns_closed); P(conn_reset); P(conn_timeout);
	fprintf(f, "\ntcp drops:");
	P(bad_cksum); P(bad_doff); P(bad_opts); P(port_zero); P(syn_fin_drop);
	P(listen_rst_drop); P(listen_no_syn_drop); P(syn_sent_rst_drop); P(syn_sent_no_syn_drop);
	P(no_ack_drop); P(out_of_window); P(paws_drop);
	P(ack_too_new); P(ack_too_old); P(rst_bad_seq); P(syn_backlog_drop);
	P(syn_max_conns_drop); P(syncookies_failed); P(syncookies_acc_full); P(syncookies_no_pcb);
	P(conn_alloc_fail); P(rcv_no_range); P(data_after_close);
	P(tx_nobuf);
	fprintf(f, "\ntcp events:");
	P(syncookies_sent); P(syncookies_recv);
	P(no_pcb_rst_tx); P(bad_ack_rst_tx); P(rst_tx); P(rst_rx); P(challenge_ack); P(rcv_ooo); P(rcv_dup);
	P(dsack_tx); P(dsack_rx);
	P(fast_rexmt); P(sack_recovery); P(rack_lost); P(rack_timer); P(rto_fired); P(tlp_probe);
	P(persist_probe); P(syn_rexmt); P(keepalive_probe); P(keepalive_timeout); P(tx_blocked);
	/* the tail figure: RTOs per GB sent (retransmissions included) */
	fprintf(f, " rto_per_gb=%.2f", tcp_stats_rto_per_gb(s));
	fprintf(f, "\ntcp offloads:");
	P(tso_segs); P(rx_big_segs); P(cksum_offloaded);
	fprintf(f, "\n");
#undef P
}
