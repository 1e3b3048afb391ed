#include "softrss.h"

#include <arpa/inet.h>

#include "dpdk_api.h"

const uint8_t softrss_sym_key[SOFTRSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* The 32 key bits starting at bit offset `bit` (MSB of key[0] is bit 0). */
static uint32_t key_window(const uint8_t key[SOFTRSS_KEY_LEN], unsigned bit)
{
	uint32_t w = 0;

	for (unsigned i = 0; i < 32; i++) {
		unsigned b = bit + i;

		w = (w << 1) | ((key[b / 8] >> (7 - b % 8)) & 1u);
	}
	return w;
}

void softrss_table_init(struct softrss_table *tb, const uint8_t key[SOFTRSS_KEY_LEN])
{
	for (unsigned pos = 0; pos < SOFTRSS_INPUT_LEN; pos++) {
		uint32_t win[8];

		for (unsigned k = 0; k < 8; k++)
			win[k] = key_window(key, pos * 8 + k);
		for (unsigned v = 0; v < 256; v++) {
			uint32_t h = 0;

			for (unsigned k = 0; k < 8; k++)
				if (v & (0x80u >> k))
					h ^= win[k];
			tb->t[pos][v] = h;
		}
	}
}

/* Read-only after load: a constant in all but name. */
static struct softrss_table sym_table;

__attribute__((constructor)) static void sym_table_build(void)
{
	softrss_table_init(&sym_table, softrss_sym_key);
}

const struct softrss_table *softrss_sym_table(void)
{
	return &sym_table;
}

uint32_t dpdk_softrss_hash(uint32_t saddr, uint32_t daddr, uint16_t sport,
			   uint16_t dport)
{
	return softrss_hash_tb(&sym_table, saddr, daddr, sport, dport);
}
