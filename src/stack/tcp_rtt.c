#include "tcp_rtt.h"

void rtt_init(struct tcp_rtt *r, uint32_t init_rto, uint32_t min_rto, uint32_t max_rto)
{
	r->srtt = r->rttvar = 0;
	r->min_rto = min_rto;
	r->max_rto = max_rto;
	r->rto = init_rto;
	r->backoff = 0;
	r->have_sample = false;
}

void rtt_sample(struct tcp_rtt *r, uint32_t m)
{
	if (!r->have_sample) {
		r->srtt = m;
		r->rttvar = m / 2;
		r->have_sample = true;
	} else {
		uint32_t err = m > r->srtt ? m - r->srtt : r->srtt - m;

		/* beta = 1/4, alpha = 1/8 */
		r->rttvar = r->rttvar - r->rttvar / 4 + err / 4;
		r->srtt = r->srtt - r->srtt / 8 + m / 8;
	}
	uint64_t k = 4ull * r->rttvar;
	uint64_t rto = (uint64_t)r->srtt + (k > TCP_RTT_G_US ? k : TCP_RTT_G_US);

	if (rto < r->min_rto)
		rto = r->min_rto;
	if (rto > r->max_rto)
		rto = r->max_rto;
	r->rto = (uint32_t)rto;
	r->backoff = 0;
}

uint32_t rtt_timeout(const struct tcp_rtt *r)
{
	uint64_t t = (uint64_t)r->rto << r->backoff;

	return t > r->max_rto ? r->max_rto : (uint32_t)t;
}

void rtt_backoff(struct tcp_rtt *r)
{
	if (r->backoff < 16)
		r->backoff++;
}
