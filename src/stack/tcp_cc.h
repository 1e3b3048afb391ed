/* tcp_cc.h: congestion control.  Reno/NewReno window arithmetic
 * (RFC 5681, 6582) and CUBIC (RFC 8312: C = 0.4, beta = 0.7, fast
 * convergence, the TCP-friendly region).  Windows are in bytes; CUBIC's
 * curve is computed in segments as the RFC writes it.  The recovery
 * state machine (dupacks, partial ACKs, SACK pipe) lives in tcp_in.c;
 * this module only decides window sizes. */
#ifndef TCP_CC_H
#define TCP_CC_H

#include <stdint.h>

enum tcp_cc_algo { TCP_CC_RENO = 0, TCP_CC_CUBIC = 1 };

#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

struct tcp_cc {
	enum tcp_cc_algo algo;
	uint32_t mss;
	uint32_t cwnd, ssthresh;
	uint32_t ca_acc;          /* Reno: bytes acked toward the next +MSS */
	/* CUBIC */
	double w_max;             /* segments, window before the last reduction */
	double k;                 /* seconds to climb back to w_max */
	double origin;            /* segments, plateau of the current epoch */
	double w_est_acc;         /* TCP-friendly estimate, segments */
	uint64_t epoch_start;     /* us; 0 = no epoch running */
};

void cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo, uint32_t mss);
/* New data acknowledged outside recovery. */
void cc_on_ack(struct tcp_cc *cc, uint32_t acked, uint64_t now_us, uint32_t srtt_us);
/* Fast retransmit: set ssthresh (and CUBIC's w_max) from the window;
 * cwnd becomes ssthresh; the caller inflates for NewReno. */
void cc_on_loss(struct tcp_cc *cc, uint32_t flight);
/* RTO: like a loss, then cwnd = one segment (loss window). */
void cc_on_rto(struct tcp_cc *cc, uint32_t flight);

#endif
