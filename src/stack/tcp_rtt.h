/* tcp_rtt.h: RTT estimation and the retransmission timeout (RFC 6298),
 * in microseconds.  Bounds follow Linux (200 ms floor, 120 s ceiling)
 * rather than RFC 6298's 1 s floor, which would make every loss on a
 * sub-millisecond VM link cost a second. */
#ifndef TCP_RTT_H
#define TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_RTO_INIT_US 1000000u
#define TCP_RTO_MIN_US  200000u
#define TCP_RTO_MAX_US  120000000u
#define TCP_RTT_G_US    1000u     /* clock granularity G */

struct tcp_rtt {
	uint32_t srtt, rttvar, rto;   /* us */
	uint32_t min_rto, max_rto;
	uint8_t backoff;              /* RTO doublings since the last sample */
	bool have_sample;
};

void rtt_init(struct tcp_rtt *r, uint32_t init_rto, uint32_t min_rto, uint32_t max_rto);
/* A new measurement (Karn: never from a retransmitted segment). */
void rtt_sample(struct tcp_rtt *r, uint32_t rtt_us);
/* Current timeout including backoff, clamped to max. */
uint32_t rtt_timeout(const struct tcp_rtt *r);
/* The timer fired: double (RFC 6298 5.5). */
void rtt_backoff(struct tcp_rtt *r);

#endif
