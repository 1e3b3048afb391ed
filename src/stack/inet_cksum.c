#include "inet_cksum.h"

#include <arpa/inet.h>
#include <string.h>

#include "tcp_buf.h"

uint64_t inet_sum(const void *p, size_t len, uint64_t sum)
{
	const uint8_t *b = p;
	/* 64-bit loads into a 128-bit accumulator: add + adc per word, no
	 * carry logic; the one's-complement sum survives folding 2^64 into 1.
	 * This loop was 38% of a bulk sender's profile with 32-bit loads. */
	unsigned __int128 acc = sum;

	while (len >= 32) {
		uint64_t w[4];

		memcpy(w, b, 32);
		acc += w[0];
		acc += w[1];
		acc += w[2];
		acc += w[3];
		b += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		acc += w;
		b += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, b, 4);
		acc += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, b, 2);
		acc += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;

		memcpy(&w, b, 1);   /* odd byte is the high byte in network order */
		acc += w;
	}
	uint64_t lo = (uint64_t)acc, hi = (uint64_t)(acc >> 64);

	lo += hi;
	if (lo < hi)
		lo++;   /* end-around carry */
	return lo;
}

uint16_t inet_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint64_t inet_pseudo_sum(uint32_t saddr, uint32_t daddr, uint8_t proto,
			 uint16_t len)
{
	uint64_t sum = (uint64_t)saddr + daddr;

	sum += htons(proto);
	sum += htons(len);
	return sum;
}

uint16_t inet_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old;
	sum += new_;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t inet_cksum_update32(uint16_t cksum, uint32_t old, uint32_t new_)
{
	cksum = inet_cksum_update16(cksum, (uint16_t)old, (uint16_t)new_);
	return inet_cksum_update16(cksum, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
}

uint64_t inet_sum_frags(const struct tcp_frag *f, int n, uint64_t sum)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		uint64_t s = inet_sum(f[i].data, f[i].len, 0);

		if (off & 1) {
			/* fold to 16 bits, then its bytes belong one place over */
			s = (s & 0xffffffffu) + (s >> 32);
			s = (s & 0xffffu) + (s >> 16);
			s = (s & 0xffffu) + (s >> 16);
			s = (s & 0xffffu) + (s >> 16);
			s = ((s & 0xff) << 8) | (s >> 8);
		}
		sum += s;
		if (sum < s)
			sum++;   /* end-around carry */
		off += f[i].len;
	}
	return sum;
}
