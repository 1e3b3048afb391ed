#include <arpa/inet.h>
#include <stdlib.h>

#include <rte_thash.h>

#include "dpdk_api.h"
#include "kbtest.h"
#include "softrss.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Toeplitz by the definition, bit by bit over the wire-order bytes: the
 * reference the tables must reproduce. */
static uint32_t toeplitz_ref(const uint8_t *in, unsigned len, const uint8_t *key)
{
	uint32_t h = 0;

	for (unsigned i = 0; i < len * 8; i++) {
		if (!(in[i / 8] & (0x80 >> (i % 8))))
			continue;
		uint32_t w = 0;

		for (unsigned k = 0; k < 32; k++) {
			unsigned b = i + k;

			w = w << 1 | ((key[b / 8] >> (7 - b % 8)) & 1);
		}
		h ^= w;
	}
	return h;
}

static void table_equals_bitwise(void)
{
	for (int i = 0; i < 20000; i++) {
		uint32_t s = rnd(), d = rnd(), pq = rnd();
		uint16_t p = (uint16_t)pq, q = (uint16_t)(pq >> 16);
		uint8_t in[12];

		memcpy(in, &s, 4);
		memcpy(in + 4, &d, 4);
		memcpy(in + 8, &p, 2);
		memcpy(in + 10, &q, 2);
		CHECK_EQ(dpdk_softrss_hash(s, d, p, q), toeplitz_ref(in, 12, softrss_sym_key));
	}
	/* a non-symmetric key too, so the tables are not right by accident */
	static const uint8_t k2[16] = { 0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
					0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0 };
	static struct softrss_table tb;

	softrss_table_init(&tb, k2);
	for (int i = 0; i < 5000; i++) {
		uint32_t s = rnd(), d = rnd(), pq = rnd();
		uint8_t in[12];

		memcpy(in, &s, 4);
		memcpy(in + 4, &d, 4);
		memcpy(in + 8, &pq, 4);
		CHECK_EQ(softrss_hash_tb(&tb, s, d, (uint16_t)pq, (uint16_t)(pq >> 16)),
			 toeplitz_ref(in, 12, k2));
	}
}

static void table_equals_rte_softrss(void)
{
	for (int i = 0; i < 20000; i++) {
		uint32_t s = rnd(), d = rnd(), pq = rnd();
		uint16_t p = (uint16_t)pq, q = (uint16_t)(pq >> 16);
		uint32_t t[3] = { ntohl(s), ntohl(d), (uint32_t)ntohs(p) << 16 | ntohs(q) };

		CHECK_EQ(dpdk_softrss_hash(s, d, p, q), rte_softrss(t, 3, softrss_sym_key));
	}
}

static void symmetric(void)
{
	for (int i = 0; i < 100000; i++) {
		uint32_t s = rnd(), d = rnd(), pq = rnd();
		uint16_t p = (uint16_t)pq, q = (uint16_t)(pq >> 16);

		CHECK_EQ(dpdk_softrss_hash(s, d, p, q), dpdk_softrss_hash(d, s, q, p));
	}
}

/* Flows as a server sees them: one server address and port, clients from a
 * /24 with ephemeral ports.  Every core must get a fair share. */
static void spread_over_cores(void)
{
	for (int n = 2; n <= 4; n++) {
		long cnt[4] = { 0 };
		const int N = 40000;
		uint32_t server = htonl(0x0a000001);

		for (int i = 0; i < N; i++) {
			uint32_t client = htonl(0x0a000100 | (rnd() & 0xff));
			uint16_t sport = htons((uint16_t)(32768 + rnd() % 28232));

			cnt[softrss_core(dpdk_softrss_hash(client, server, sport, htons(80)), n)]++;
		}
		double exp = (double)N / n, chi = 0;

		for (int c = 0; c < n; c++) {
			chi += (cnt[c] - exp) * (cnt[c] - exp) / exp;
			CHECK(cnt[c] > exp * 0.9 && cnt[c] < exp * 1.1);
		}
		/* chi-square, n-1 <= 3 degrees of freedom: 16.3 is p = 0.001 */
		CHECK(chi < 16.3);
	}
	/* sequential ports from one client, as a connecting stack uses them */
	long cnt[4] = { 0 };

	for (int p = 0; p < 4000; p++)
		cnt[softrss_core(dpdk_softrss_hash(htonl(0x0a000002), htonl(0x0a000001),
						   htons((uint16_t)(40000 + p)), htons(80)), 4)]++;
	for (int c = 0; c < 4; c++)
		CHECK(cnt[c] > 900 && cnt[c] < 1100);
}

static void single_core_maps_to_zero(void)
{
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(softrss_core(rnd(), 1), 0);
}

KBTEST_MAIN(T(table_equals_bitwise), T(table_equals_rte_softrss), T(symmetric),
	    T(spread_over_cores), T(single_core_maps_to_zero))
