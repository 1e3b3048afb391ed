/* inet_cksum.h: the Internet checksum (RFC 1071), full and incremental
 * (RFC 1624), and the TCP/UDP pseudo-header sum. */
#ifndef INET_CKSUM_H
#define INET_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement partial sum of len bytes added to sum (not folded).
 * Pieces may be chained; every piece but the last must have even length.
 * The sum is kept in 64 bits with end-around carry, so the result equals
 * the 16-bit one's-complement sum after inet_fold(). */
uint64_t inet_sum(const void *p, size_t len, uint64_t sum);
/* The same over n pieces of any lengths, as if they were one buffer
 * (a piece that starts at an odd offset is summed byte-swapped). */
struct tcp_frag;
uint64_t inet_sum_frags(const struct tcp_frag *f, int n, uint64_t sum);
/* Fold a partial sum to 16 bits and complement it: the checksum field. */
uint16_t inet_fold(uint64_t sum);
/* Checksum of a buffer (0 over a buffer that contains a valid checksum). */
static inline uint16_t inet_cksum(const void *p, size_t len)
{
	return inet_fold(inet_sum(p, len, 0));
}
/* Partial sum of the IPv4 pseudo header (addresses in network order). */
uint64_t inet_pseudo_sum(uint32_t saddr, uint32_t daddr, uint8_t proto,
			 uint16_t len);
/* RFC 1624 eqn. 3: a checksum field after one 16-bit word (network order)
 * of the covered data changed from old to new. */
uint16_t inet_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_);
uint16_t inet_cksum_update32(uint16_t cksum, uint32_t old, uint32_t new_);

#endif
