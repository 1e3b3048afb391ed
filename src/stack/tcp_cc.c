#include "tcp_cc.h"

#include <math.h>
#include <string.h>

void cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo, uint32_t mss)
{
	memset(cc, 0, sizeof(*cc));
	cc->algo = algo;
	cc->mss = mss;
	/* RFC 6928 initial window: 10 segments */
	cc->cwnd = 10 * mss;
	cc->ssthresh = UINT32_MAX / 2;
}

static void cwnd_add(struct tcp_cc *cc, uint64_t add)
{
	uint64_t w = cc->cwnd + add;

	cc->cwnd = w > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)w;
}

static void reno_ca(struct tcp_cc *cc, uint32_t acked)
{
	/* byte counting: +1 MSS per cwnd of data acked (RFC 5681 3.1) */
	cc->ca_acc += acked;
	if (cc->ca_acc >= cc->cwnd) {
		cc->ca_acc -= cc->cwnd;
		cwnd_add(cc, cc->mss);
	}
}

static void cubic_ca(struct tcp_cc *cc, uint32_t acked, uint64_t now, uint32_t srtt)
{
	double mss = cc->mss;
	double cwnd = cc->cwnd / mss;

	if (!cc->epoch_start) {
		cc->epoch_start = now ? now : 1;
		if (cwnd < cc->w_max) {
			cc->k = cbrt((cc->w_max - cwnd) / CUBIC_C);
			cc->origin = cc->w_max;
		} else {
			cc->k = 0;
			cc->origin = cwnd;
		}
		cc->w_est_acc = cwnd;
	}
	double rtt = (srtt ? srtt : 1000) / 1e6;
	double t = (double)(now - cc->epoch_start) / 1e6 + rtt;
	double d = t - cc->k;
	double target = cc->origin + CUBIC_C * d * d * d;

	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	/* TCP-friendly region (RFC 8312 4.2): what Reno with the same beta
	 * would have, grown per acked segment */
	cc->w_est_acc += 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) * (acked / mss) / cwnd;
	if (cc->w_est_acc > target)
		target = cc->w_est_acc;
	if (target > cwnd) {
		double inc = (target - cwnd) / cwnd * acked;   /* bytes */

		cwnd_add(cc, inc < 1 ? 1 : (uint64_t)inc);
	} else {
		/* plateau: grow very slowly, as RFC 8312 4.3 allows */
		reno_ca(cc, acked / 100 ? acked / 100 : 1);
	}
}

void cc_on_ack(struct tcp_cc *cc, uint32_t acked, uint64_t now_us, uint32_t srtt_us)
{
	if (cc->cwnd < cc->ssthresh) {
		/* slow start; ABC with L = 2 (RFC 3465) */
		uint32_t inc = acked < 2 * cc->mss ? acked : 2 * cc->mss;

		cwnd_add(cc, inc);
		return;
	}
	if (cc->algo == TCP_CC_CUBIC)
		cubic_ca(cc, acked, now_us, srtt_us);
	else
		reno_ca(cc, acked);
}

static void reduce(struct tcp_cc *cc, uint32_t flight)
{
	if (cc->algo == TCP_CC_CUBIC) {
		double cwnd = cc->cwnd / (double)cc->mss;

		/* fast convergence (RFC 8312 4.6) */
		if (cwnd < cc->w_max)
			cc->w_max = cwnd * (1 + CUBIC_BETA) / 2;
		else
			cc->w_max = cwnd;
		uint32_t ss = (uint32_t)(cc->cwnd * CUBIC_BETA);

		cc->ssthresh = ss > 2 * cc->mss ? ss : 2 * cc->mss;
		cc->epoch_start = 0;
	} else {
		uint32_t half = flight / 2;

		cc->ssthresh = half > 2 * cc->mss ? half : 2 * cc->mss;
	}
	cc->ca_acc = 0;
}

void cc_on_loss(struct tcp_cc *cc, uint32_t flight)
{
	reduce(cc, flight);
	cc->cwnd = cc->ssthresh;
}

void cc_on_rto(struct tcp_cc *cc, uint32_t flight)
{
	reduce(cc, flight);
	cc->cwnd = cc->mss;
}
