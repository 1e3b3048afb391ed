#include "inet_cksum.h"

#include <arpa/inet.h>
#include <string.h>

uint64_t inet_sum(const void *p, size_t len, uint64_t sum)
{
	const uint8_t *b = p;

	/* 32-bit loads into a 64-bit accumulator: no carry handling in the loop */
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, b, 4);
		sum += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, b, 2);
		sum += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;

		memcpy(&w, b, 1);   /* odd byte is the high byte in network order */
		sum += w;
	}
	return sum;
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
