/* tcp_rack.h: RACK-TLP loss detection (RFC 8985), time-based.
 *
 * The sender remembers when each range of its sequence space was last
 * sent: a short list, sorted by sequence, of [seq, end) runs with one
 * transmit time each (segments sent in the same loop pass share a time and
 * one run; a retransmission splits its bytes into a run of their own).  An
 * ACK or SACK that delivers some run tells RACK the most recent transmit
 * time known to have arrived; every run sent sufficiently earlier (one RTT
 * plus a reordering window) that is still unacknowledged is lost.  That
 * repairs a lost retransmission, and several losses per window, without
 * waiting for duplicate ACKs or the RTO.  With a tail-loss probe
 * (tcp_out.c), the probe's ACK makes the tail's losses visible too.
 *
 * Pure logic over the SACK scoreboard; the pcb calls it on send, on ACK
 * and from its reordering timer. */
#ifndef TCP_RACK_H
#define TCP_RACK_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_sack.h"

#define RACK_MAX_RUNS 64

enum { RACK_RETRANS = 1, RACK_LOST = 2, RACK_DELIVERED = 4 };

struct rack_run {
	uint32_t seq, end;
	uint64_t xmit_us;
	/* a retransmission: when its bytes were sent before (the latest
	 * earlier transmission; 0 when unknown, after an RTO) */
	uint64_t prev_us;
	uint8_t flags;
};

struct tcp_rack {
	int n;
	struct rack_run run[RACK_MAX_RUNS];
	/* the most recently sent run known delivered (RFC 8985 6.1) */
	uint64_t xmit_us;
	uint32_t end_seq;
	uint32_t rtt_us, min_rtt_us;
	uint32_t fack;           /* highest sequence delivered */
	bool have_fack;
	bool reord;              /* reordering seen: keep a reordering window */
	/* RFC 8985 6.2 step 4: each round trip with a D-SACK (a resend that
	 * was not needed) widens the window by min_rtt/4, for 16 recoveries */
	uint8_t reo_wnd_mult;    /* 1.. */
	uint8_t reo_wnd_persist;
	bool dsack_round_on;
	uint32_t dsack_round;    /* SND.NXT when the last widening happened */
};

void rack_init(struct tcp_rack *r);
/* Forget all runs (after an RTO: go-back-N resends everything). */
void rack_clear(struct tcp_rack *r);
/* [seq, end) left at now_us (retrans: it was sent before). */
void rack_on_xmit(struct tcp_rack *r, uint32_t seq, uint32_t end, uint64_t now_us,
		  bool retrans);
/* An ACK moved SND.UNA to una and/or the scoreboard grew: note newly
 * delivered runs (RTT, the newest delivered transmit time, reordering)
 * and drop acknowledged ones.  Runs are cut at the SACK blocks' edges, so
 * the unSACKed bytes of a run sent in one pass are ordered below its
 * SACKed ones, as RFC 8985's per-segment (time, end sequence) order has
 * it.  stale_us: an earlier transmission older than this (the RTO's
 * estimate, srtt + 4 rttvar, before its floor) is taken as lost, not as
 * what a retransmission's ACK acknowledges (see delivered()). */
void rack_on_ack(struct tcp_rack *r, uint32_t una, const struct tcp_scoreboard *sb,
		 uint64_t now_us, uint32_t stale_us);
/* An ACK that moved SND.UNA to una, with a D-SACK or not (snd_nxt: the
 * round's end), and whether it ended a loss recovery: RFC 8985 6.2 step 4's
 * bookkeeping of the window's multiplier. */
void rack_update_reo_wnd(struct tcp_rack *r, uint32_t una, uint32_t snd_nxt, bool dsack,
			 bool recovery_ended);
/* RFC 8985 6.2 step 4: the reordering window. */
uint32_t rack_reo_wnd(const struct tcp_rack *r, const struct tcp_scoreboard *sb,
		      uint32_t srtt_us, uint32_t mss, bool in_recovery);
/* Mark runs lost (RFC 8985 6.2 step 5).  Returns how many became lost;
 * *wait_us is how long until the next run could be declared lost (0 when
 * none: no reordering timer needed). */
int rack_detect_loss(struct tcp_rack *r, const struct tcp_scoreboard *sb,
		     uint64_t now_us, uint32_t reo_wnd_us, uint32_t *wait_us);
/* The first lost, unSACKed bytes not retransmitted since: up to mss of
 * them at seq/len.  False when there are none. */
bool rack_next_lost(const struct tcp_rack *r, const struct tcp_scoreboard *sb,
		    uint32_t mss, uint32_t *seq, uint32_t *len);
/* Bytes in flight: unSACKed and not lost (retransmissions count again). */
uint32_t rack_pipe(const struct tcp_rack *r, const struct tcp_scoreboard *sb);
bool rack_any_lost(const struct tcp_rack *r);

#endif
