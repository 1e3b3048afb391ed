/* softrss: table-driven Toeplitz hash over the IPv4 4-tuple.
 *
 * A virtio NIC has one queue and no RSS, so the layer spreads packets itself.
 * Bit-by-bit Toeplitz (rte_softrss) walks 96 input bits and costs ~300 cycles;
 * Toeplitz is linear over GF(2), so the contribution of each input byte can
 * be precomputed: 12 byte positions x 256 values of 32-bit XOR terms, and a
 * hash is 12 loads and 11 XORs.
 *
 * With the key 0x6d5a repeated, every 32-bit key window at bit offset i equals
 * the one at i+16, so swapping the addresses (32 bits apart) or the ports
 * (16 bits apart) gives the same hash: both directions of a connection land
 * on the same core. */
#ifndef KB_SOFTRSS_H
#define KB_SOFTRSS_H

#include <stddef.h>
#include <stdint.h>

#define SOFTRSS_INPUT_LEN 12   /* saddr, daddr, sport, dport */
#define SOFTRSS_KEY_LEN   16   /* input bits + 32 = 128 bits */

struct softrss_table {
	uint32_t t[SOFTRSS_INPUT_LEN][256];
};

extern const uint8_t softrss_sym_key[SOFTRSS_KEY_LEN];

/* Precompute the tables for any 16-byte key. */
void softrss_table_init(struct softrss_table *tb, const uint8_t key[SOFTRSS_KEY_LEN]);

/* The table for the symmetric key, built once at load time. */
const struct softrss_table *softrss_sym_table(void);

/* Hash of (saddr, daddr, sport, dport), all in network byte order, i.e. of
 * the 12 bytes exactly as they sit on the wire. */
static inline uint32_t softrss_hash_tb(const struct softrss_table *tb, uint32_t saddr,
				       uint32_t daddr, uint16_t sport, uint16_t dport)
{
	const uint8_t *s = (const uint8_t *)&saddr, *d = (const uint8_t *)&daddr;
	const uint8_t *p = (const uint8_t *)&sport, *q = (const uint8_t *)&dport;

	return tb->t[0][s[0]] ^ tb->t[1][s[1]] ^ tb->t[2][s[2]] ^ tb->t[3][s[3]] ^
	       tb->t[4][d[0]] ^ tb->t[5][d[1]] ^ tb->t[6][d[2]] ^ tb->t[7][d[3]] ^
	       tb->t[8][p[0]] ^ tb->t[9][p[1]] ^ tb->t[10][q[0]] ^ tb->t[11][q[1]];
}

/* Which of n cores a hash maps to (documented in docs/dpdk-layer.md). */
static inline int softrss_core(uint32_t hash, int n_cores)
{
	return n_cores > 1 ? (int)(hash % (uint32_t)n_cores) : 0;
}

#endif
