/* tcp_rack.c: RACK-TLP loss detection (RFC 8985); see tcp_rack.h. */
#include "tcp_rack.h"

#include <string.h>

#include "tcp_seq.h"

void rack_init(struct tcp_rack *r)
{
	memset(r, 0, sizeof(*r));
	r->min_rtt_us = UINT32_MAX;
	r->reo_wnd_mult = 1;
}

void rack_clear(struct tcp_rack *r)
{
	r->n = 0;
}

/* Bytes of [a, b) the scoreboard holds. */
static uint32_t sacked_in(const struct tcp_scoreboard *sb, uint32_t a, uint32_t b)
{
	uint32_t n = 0;

	for (int i = 0; i < sb->n; i++) {
		uint32_t s = seq_max(sb->r[i].s, a), e = seq_min(sb->r[i].e, b);

		if (seq_lt(s, e))
			n += e - s;
	}
	return n;
}

static void remove_at(struct tcp_rack *r, int i, int count)
{
	memmove(&r->run[i], &r->run[i + count], (size_t)(r->n - i - count) * sizeof(r->run[0]));
	r->n -= count;
}

/* Split so that a run starts at seq (when seq falls inside one); false
 * when the list is full. */
static bool split_at(struct tcp_rack *r, uint32_t seq)
{
	for (int i = 0; i < r->n; i++) {
		struct rack_run *x = &r->run[i];

		if (!seq_lt(x->seq, seq) || !seq_lt(seq, x->end))
			continue;
		if (r->n == RACK_MAX_RUNS)
			return false;
		memmove(&r->run[i + 1], &r->run[i], (size_t)(r->n - i) * sizeof(r->run[0]));
		r->n++;
		r->run[i].end = seq;
		r->run[i + 1].seq = seq;
		return true;
	}
	return true;
}

void rack_on_xmit(struct tcp_rack *r, uint32_t seq, uint32_t end, uint64_t now_us,
		  bool retrans)
{
	uint8_t f = retrans ? RACK_RETRANS : 0;
	struct rack_run *t = r->n ? &r->run[r->n - 1] : NULL;

	if (!t || seq_geq(seq, t->end)) {
		/* new data (or resent data nobody tracks, after an RTO) */
		if (t && t->end == seq && t->xmit_us == now_us && t->flags == f && !t->prev_us) {
			t->end = end;
			return;
		}
		if (r->n == RACK_MAX_RUNS) {
			/* full: the tail absorbs it, dated now; RACK then waits
			 * longer before declaring its older bytes lost */
			t->end = end;
			t->xmit_us = now_us;
			t->flags = (uint8_t)(t->flags & ~RACK_LOST);
			return;
		}
		r->run[r->n++] = (struct rack_run){ seq, end, now_us, 0, f };
		return;
	}
	/* a retransmission inside the tracked space: its bytes become one
	 * run, sent now */
	if (seq_lt(seq, r->run[0].seq))
		seq = r->run[0].seq;
	if (seq_gt(end, t->end))
		end = t->end;
	bool exact = split_at(r, seq) && split_at(r, end);
	int first = -1, last = -1;

	for (int i = 0; i < r->n; i++) {
		struct rack_run *x = &r->run[i];

		if (seq_gt(x->end, seq) && seq_lt(x->seq, end)) {
			if (first < 0)
				first = i;
			last = i;
		}
	}
	if (first < 0)
		return;
	/* merge [first, last] into one run (when the list was full, the
	 * edges were not split: the whole runs count as resent); it
	 * remembers the latest earlier transmission of its bytes */
	uint64_t prev = 0;

	for (int i = first; i <= last; i++)
		if (r->run[i].xmit_us > prev)
			prev = r->run[i].xmit_us;
	r->run[first].prev_us = prev;
	r->run[first].end = r->run[last].end;
	r->run[first].xmit_us = now_us;
	r->run[first].flags = RACK_RETRANS;
	if (last > first)
		remove_at(r, first + 1, last - first);
	(void)exact;
}

/* RFC 8985 6.1: was (t1, e1) sent after (t2, e2)? */
static bool sent_after(uint64_t t1, uint32_t e1, uint64_t t2, uint32_t e2)
{
	return t1 > t2 || (t1 == t2 && seq_gt(e1, e2));
}

static void delivered(struct tcp_rack *r, struct rack_run *x, uint64_t now_us,
		      uint32_t stale_us)
{
	uint32_t rtt = (uint32_t)(now_us - x->xmit_us);

	x->flags |= RACK_DELIVERED;
	/* RFC 8985 6.2 step 3: reordering is data delivered below the
	 * highest delivered sequence without having been resent */
	if (!(x->flags & RACK_RETRANS)) {
		if (r->have_fack && seq_lt(x->end, r->fack))
			r->reord = true;
	}
	if (!r->have_fack || seq_gt(x->end, r->fack)) {
		r->fack = x->end;
		r->have_fack = true;
	}
	/* step 2: a retransmission's ACK faster than any RTT may be for the
	 * original; do not let it date the newest delivery.  Unless the
	 * original is older than the RTO's estimate: then it was lost (it
	 * is what the probe or the retransmission was for), and a small
	 * resend is simply quicker than the 64 KB TSO runs that set the
	 * minimum.  Ignoring it left a tail-loss probe's SACK unused: the
	 * hole below it waited for the RTO (docs/stack.md) */
	if ((x->flags & RACK_RETRANS) && rtt < r->min_rtt_us &&
	    now_us - x->prev_us <= stale_us)
		return;
	r->rtt_us = rtt;
	if (rtt < r->min_rtt_us)
		r->min_rtt_us = rtt;
	if (sent_after(x->xmit_us, x->end, r->xmit_us, r->end_seq)) {
		r->xmit_us = x->xmit_us;
		r->end_seq = x->end;
	}
}

void rack_on_ack(struct tcp_rack *r, uint32_t una, const struct tcp_scoreboard *sb,
		 uint64_t now_us, uint32_t stale_us)
{
	int drop = 0;

	/* a run's SACKed and unSACKed bytes become runs of their own (a full
	 * list keeps them together: RACK then waits for a later run) */
	for (int k = 0; k < sb->n; k++)
		if (!split_at(r, sb->r[k].s) || !split_at(r, sb->r[k].e))
			break;

	for (int i = 0; i < r->n; i++) {
		struct rack_run *x = &r->run[i];

		if (seq_leq(x->end, una)) {
			if (!(x->flags & RACK_DELIVERED))
				delivered(r, x, now_us, stale_us);
			drop = i + 1;
			continue;
		}
		bool some = seq_lt(x->seq, una) || (sb->n && sacked_in(sb, x->seq, x->end));

		if (some && !(x->flags & RACK_DELIVERED))
			delivered(r, x, now_us, stale_us);
		if (!sb->n && seq_geq(x->seq, una))
			break;   /* nothing SACKed: nothing further delivered */
	}
	if (drop)
		remove_at(r, 0, drop);
	if (r->n && seq_lt(r->run[0].seq, una))
		r->run[0].seq = una;
}

void rack_update_reo_wnd(struct tcp_rack *r, uint32_t una, uint32_t snd_nxt, bool dsack,
			 bool recovery_ended)
{
	if (r->dsack_round_on && seq_geq(una, r->dsack_round))
		r->dsack_round_on = false;
	if (dsack && !r->dsack_round_on) {
		/* at most one widening per round trip: one resend answered
		 * twice is one piece of evidence, not many */
		r->dsack_round_on = true;
		r->dsack_round = snd_nxt;
		if (r->reo_wnd_mult < UINT8_MAX)
			r->reo_wnd_mult++;
		r->reo_wnd_persist = 16;
		/* a resend that was not needed: the network reorders (or
		 * delays) rather than loses; keep a window from now on */
		r->reord = true;
	} else if (recovery_ended && r->reo_wnd_persist && --r->reo_wnd_persist == 0) {
		r->reo_wnd_mult = 1;
	}
}

uint32_t rack_reo_wnd(const struct tcp_rack *r, const struct tcp_scoreboard *sb,
		      uint32_t srtt_us, uint32_t mss, bool in_recovery)
{
	if (!r->reord) {
		/* no reordering seen: as quick as three duplicate ACKs */
		if (in_recovery)
			return 0;
		if (sb->n && sack_bytes_above(sb, sb->r[0].s) >= TCP_DUPTHRESH * mss)
			return 0;
	}
	if (r->min_rtt_us == UINT32_MAX)
		return 0;
	uint64_t w = (uint64_t)(r->min_rtt_us / 4) * (r->reo_wnd_mult ? r->reo_wnd_mult : 1);

	return w < srtt_us ? (uint32_t)w : srtt_us;
}

int rack_detect_loss(struct tcp_rack *r, const struct tcp_scoreboard *sb,
		     uint64_t now_us, uint32_t reo_wnd_us, uint32_t *wait_us)
{
	int lost = 0;
	uint64_t wait = 0;

	*wait_us = 0;
	if (!r->xmit_us)
		return 0;
	for (int i = 0; i < r->n; i++) {
		struct rack_run *x = &r->run[i];

		if (x->flags & RACK_LOST)
			continue;   /* lost, not resent yet */
		if (!sent_after(r->xmit_us, r->end_seq, x->xmit_us, x->end))
			continue;   /* sent no earlier than the newest delivery */
		if (sb->n && sacked_in(sb, x->seq, x->end) == x->end - x->seq)
			continue;   /* all arrived */
		uint64_t due = x->xmit_us + r->rtt_us + reo_wnd_us;

		if (due <= now_us) {
			x->flags |= RACK_LOST;
			lost++;
		} else if (due - now_us > wait) {
			wait = due - now_us;
		}
	}
	*wait_us = (uint32_t)wait;
	return lost;
}

bool rack_next_lost(const struct tcp_rack *r, const struct tcp_scoreboard *sb,
		    uint32_t mss, uint32_t *seq, uint32_t *len)
{
	for (int i = 0; i < r->n; i++) {
		const struct rack_run *x = &r->run[i];

		if (!(x->flags & RACK_LOST))
			continue;
		/* the first hole of this run the scoreboard does not cover */
		uint32_t s = x->seq;

		for (int k = 0; k < sb->n && seq_lt(s, x->end); k++) {
			if (seq_leq(sb->r[k].e, s))
				continue;
			if (seq_gt(sb->r[k].s, s))
				break;
			s = sb->r[k].e;
		}
		if (!seq_lt(s, x->end))
			continue;
		uint32_t e = x->end;

		for (int k = 0; k < sb->n; k++)
			if (seq_gt(sb->r[k].s, s) && seq_lt(sb->r[k].s, e))
				e = sb->r[k].s;
		*seq = s;
		*len = e - s < mss ? e - s : mss;
		return true;
	}
	return false;
}

uint32_t rack_pipe(const struct tcp_rack *r, const struct tcp_scoreboard *sb)
{
	uint32_t n = 0;

	for (int i = 0; i < r->n; i++) {
		const struct rack_run *x = &r->run[i];

		if (!(x->flags & RACK_LOST))
			n += (x->end - x->seq) - (sb->n ? sacked_in(sb, x->seq, x->end) : 0);
	}
	return n;
}

bool rack_any_lost(const struct tcp_rack *r)
{
	for (int i = 0; i < r->n; i++)
		if (r->run[i].flags & RACK_LOST)
			return true;
	return false;
}
