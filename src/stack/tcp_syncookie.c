/* tcp_syncookie.c: SYN cookies (see tcp_syncookie.h), after Linux's
 * net/ipv4/syncookies.c: the same layout, SipHash-2-4 for the hashes. */
#include "tcp_syncookie.h"

#include <string.h>
#include <sys/random.h>

#include "tcp_impl.h"

#define COOKIE_BITS 24                  /* low bits: hash + MSS index */
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define COOKIE_MAX_AGE 2                /* minutes (Linux MAX_SYNCOOKIE_AGE) */
#define COOKIE_MINUTE_US 60000000ull
#define TS_OPT_BITS 6                   /* TSval: wscale (4), SACK (1), spare */
#define TS_OPT_MASK ((1u << TS_OPT_BITS) - 1)
#define TS_WSCALE_NONE 0xf
#define TS_SACK 0x10

/* Linux's msstab: the MSS values a cookie can say (2 bits) */
static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* SipHash-2-4 of two 64-bit words (Aumasson & Bernstein's reference). */
static uint64_t siphash_2w(const uint64_t k[2], uint64_t a, uint64_t b)
{
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ull, v1 = k[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ull, v3 = k[1] ^ 0x7465646279746573ull;
	uint64_t m[3] = { a, b, (uint64_t)16 << 56 };

	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static struct syncookie_state *state(struct tcp_stack *st)
{
	struct syncookie_state *c = &st->cookies;

	if (!c->keyed) {
		/* a secret nobody can guess from the outside; the ISN seed
		 * is only 32 bits */
		if (getrandom(c->key, sizeof(c->key), GRND_NONBLOCK) != (ssize_t)sizeof(c->key)) {
			uint64_t x = st->cfg.seed ^ st->now;

			for (int i = 0; i < 4; i++) {   /* splitmix64 */
				x += 0x9e3779b97f4a7c15ull;
				uint64_t z = x;

				z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
				z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
				c->key[i / 2][i % 2] = z ^ (z >> 31);
			}
		}
		c->keyed = true;
	}
	return c;
}

static uint32_t tuple_hash(const struct syncookie_state *c, int which,
			   const struct tcp_seg *s, uint32_t count)
{
	uint64_t a = (uint64_t)s->saddr << 32 | s->daddr;
	uint64_t b = (uint64_t)s->sport << 48 | (uint64_t)s->dport << 32 | count;

	return (uint32_t)siphash_2w(c->key[which], a, b);
}

static uint32_t minute(const struct tcp_stack *st)
{
	return (uint32_t)(st->now / COOKIE_MINUTE_US);
}

/* s is the SYN here (s->seq its ISN) */
static uint32_t make(struct syncookie_state *c, const struct tcp_seg *s, uint32_t sseq,
		     uint32_t count, uint32_t data)
{
	return tuple_hash(c, 0, s, 0) + sseq + (count << COOKIE_BITS) +
	       ((tuple_hash(c, 1, s, count) + data) & COOKIE_MASK);
}

uint32_t syncookie_make(struct tcp_stack *st, const struct tcp_seg *s, uint32_t mss_idx)
{
	return make(state(st), s, s->seq, minute(st), mss_idx);
}

int syncookie_check(struct tcp_stack *st, const struct tcp_seg *s)
{
	struct syncookie_state *c = state(st);
	uint32_t sseq = s->seq - 1, cookie = s->ack - 1, count = minute(st);

	cookie -= tuple_hash(c, 0, s, 0) + sseq;
	uint32_t diff = (count - (cookie >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);

	if (diff >= COOKIE_MAX_AGE)
		return -1;
	uint32_t data = (cookie - tuple_hash(c, 1, s, count - diff)) & COOKIE_MASK;

	return data < sizeof(msstab) / sizeof(msstab[0]) ? (int)data : -1;
}

void syncookie_send(struct tcp_stack *st, const struct tcp_seg *s)
{
	struct syncookie_state *c = state(st);
	const struct tcp_cfg *cfg = &st->cfg;
	uint16_t peer_mss = s->has_mss && s->mss >= 64 ? s->mss : TCP_DEFAULT_MSS;
	uint32_t idx = 0;
	struct tcp_synopts so = { .mss = cfg->mss };

	for (uint32_t i = 1; i < sizeof(msstab) / sizeof(msstab[0]); i++)
		if (msstab[i] <= peer_mss)
			idx = i;
	/* without timestamps nothing else can come back (Linux clears them) */
	if (cfg->timestamps && s->has_ts) {
		uint32_t now = tcp_ts_now(st);
		uint32_t opt = cfg->wscale && s->has_ws ? s->ws : TS_WSCALE_NONE;

		if (cfg->sack && s->sack_perm)
			opt |= TS_SACK;
		so.ts = true;
		so.tsval = (now & ~TS_OPT_MASK) | opt;
		if (seq_gt(so.tsval, now))   /* never ahead of our clock */
			so.tsval -= 1u << TS_OPT_BITS;
		so.tsecr = s->tsval;
		so.sack = opt & TS_SACK;
		so.ws = (opt & 0xf) != TS_WSCALE_NONE;
		while (so.ws && so.wscale < TCP_MAX_WSCALE && (cfg->rcvbuf >> so.wscale) > 65535)
			so.wscale++;
	}
	c->sent = true;
	c->last_sent_us = st->now;
	st->stats.syncookies_sent++;
	tcp_send_synack_for(st, s, syncookie_make(st, s, idx), &so);
}

struct tcp_pcb *syncookie_pcb(struct tcp_stack *st, struct tcp_listener *l,
			      const struct tcp_seg *s, bool *ours)
{
	struct syncookie_state *c = &st->cookies;
	const struct tcp_cfg *cfg = &st->cfg;
	uint32_t opt = 0;
	int idx;

	/* only while we have been sending them: a random ACK is not tried */
	if (!c->sent || st->now - c->last_sent_us > COOKIE_MAX_AGE * COOKIE_MINUTE_US ||
	    (s->flags & (TH_SYN | TH_RST)))
		return NULL;
	idx = syncookie_check(st, s);
	if (idx >= 0 && s->has_ts && s->tsecr) {
		opt = s->tsecr & TS_OPT_MASK;
		/* a TSecr we cannot have sent (ahead of our clock), or a
		 * window scale out of range, is no cookie of ours */
		if (seq_gt(s->tsecr, tcp_ts_now(st)) ||
		    ((opt & 0xf) != TS_WSCALE_NONE && (opt & 0xf) > TCP_MAX_WSCALE))
			idx = -1;
	}
	if (idx < 0) {
		st->stats.syncookies_failed++;
		return NULL;
	}
	st->stats.syncookies_recv++;
	*ours = true;
	if (l->n_acc >= l->backlog) {
		st->stats.syncookies_acc_full++;   /* the client retries its ACK */
		return NULL;
	}
	struct tcp_pcb *p = tcp_pcb_new(st, s->daddr, s->dport, s->saddr, s->sport);

	if (!p) {
		st->stats.syncookies_no_pcb++;   /* the client's next segment retries */
		return NULL;
	}
	bool ts = cfg->timestamps && s->has_ts && s->tsecr;

	p->state = TCP_SYN_RCVD;
	p->listener = l;
	p->detached = true;
	l->n_pending++;
	p->peer_mss = msstab[idx];
	p->ts_ok = ts;
	p->ts_recent = s->tsval;
	p->sack_ok = ts && cfg->sack && (opt & TS_SACK);
	p->ws_ok = ts && cfg->wscale && (opt & 0xf) != TS_WSCALE_NONE;
	p->snd_wscale = p->ws_ok ? (uint8_t)(opt & 0xf) : 0;
	/* as if our SYN-ACK (ISS = the cookie) had gone out from this pcb */
	p->iss = s->ack - 1;
	p->snd_una = p->recover = p->iss;
	p->snd_nxt = p->snd_max = s->ack;
	sndbuf_reset(&p->sb, s->ack);
	p->irs = s->seq - 1;
	rcvbuf_reset(&p->rb, s->seq);
	p->rcv_adv = s->seq + (cfg->rcvbuf > 65535 ? 65535 : cfg->rcvbuf);
	p->snd_wl1 = s->seq;
	p->snd_wl2 = p->iss;
	p->nrexmt = 1;   /* no RTT sample: we do not know when the SYN-ACK left */
	return p;
}
