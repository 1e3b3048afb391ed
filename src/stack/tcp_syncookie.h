/* tcp_syncookie.h: SYN cookies (RFC 4987 section 3.6), as Linux makes them.
 *
 * When a listener's backlog (or the pcb limit) is full, a SYN is answered
 * with a SYN-ACK whose ISS encodes what the connection needs -- a keyed
 * hash of the 4-tuple and the client's ISN, a one-minute counter and the
 * MSS (one of four) -- and no state is kept.  The handshake's ACK brings
 * the cookie back (ACK - 1): when it checks out, the connection is made
 * then.  With timestamps, the low 6 bits of our TSval carry the client's
 * window scale (4 bits, 15 = none) and SACK-permitted, echoed back in the
 * ACK's TSecr; without, the connection has neither, as in Linux. */
#ifndef KB_TCP_SYNCOOKIE_H
#define KB_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_stack;
struct tcp_seg;
struct tcp_listener;
struct tcp_pcb;

/* Keys and the time a cookie was last sent; in struct tcp_stack. */
struct syncookie_state {
	uint64_t key[2][2];      /* SipHash keys: tuple hash, counter hash */
	bool keyed;
	bool sent;
	uint64_t last_sent_us;   /* cookies are checked for 2 minutes after */
};

/* Answer the SYN s with a cookie SYN-ACK (counted syncookies_sent). */
void syncookie_send(struct tcp_stack *st, const struct tcp_seg *s);

/* s is an ACK to listener l with no pcb.  When it carries a valid cookie
 * (counted syncookies_recv; *ours is set) and the accept queue and the pcb
 * limit have room: a new pcb in SYN_RCVD, its options taken from the
 * cookie, for the caller to run s through.  NULL otherwise
 * (syncookies_failed counts a bad cookie, which the caller resets). */
struct tcp_pcb *syncookie_pcb(struct tcp_stack *st, struct tcp_listener *l,
			      const struct tcp_seg *s, bool *ours);

/* The parts, for tests: the ISS for s with MSS index mss_idx, and the
 * check of an ACK's cookie (-1, or the MSS index it carries). */
uint32_t syncookie_make(struct tcp_stack *st, const struct tcp_seg *s, uint32_t mss_idx);
int syncookie_check(struct tcp_stack *st, const struct tcp_seg *s);

#endif
