/* tcp_sack.h: the sender's SACK scoreboard and the RFC 6675 loss-recovery
 * helpers (IsLost, NextSeg rule 1, pipe).
 *
 * The scoreboard is the sorted list of disjoint ranges above SND.UNA that
 * the receiver reported holding.  IsLost(s) is monotonic in s (SACKed
 * data above a lower s is a superset), so the lost region is one prefix of
 * the unSACKed holes, which keeps pipe and NextSeg linear in the number of
 * ranges instead of per byte. */
#ifndef TCP_SACK_H
#define TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#define SACK_MAX_RANGES 32
#define TCP_DUPTHRESH 3

struct tcp_scoreboard {
	int n;
	struct { uint32_t s, e; } r[SACK_MAX_RANGES];
};

static inline void sack_clear(struct tcp_scoreboard *sb) { sb->n = 0; }

/* Record SACK blocks [s,e), ignoring those outside (una, max]; drop
 * everything at or below una.  Returns the number of blocks accepted. */
int sack_update(struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_max,
		const uint32_t (*blk)[2], int nblk);
bool sack_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq);
/* Bytes SACKed at or above seq. */
uint32_t sack_bytes_above(const struct tcp_scoreboard *sb, uint32_t seq);
/* RFC 6675 IsLost(seq). */
bool sack_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss);
/* NextSeg rule 1: the first unSACKed, lost byte at or after
 * max(una, high_rxt); *len is how much of its hole to send (<= mss).
 * Returns false when there is none. */
bool sack_next_lost(const struct tcp_scoreboard *sb, uint32_t una,
		    uint32_t high_rxt, uint32_t mss, uint32_t *seq, uint32_t *len);
/* RFC 6675 SetPipe over [una, snd_max), with retransmissions up to
 * high_rxt (exclusive) counted again. */
uint32_t sack_pipe(const struct tcp_scoreboard *sb, uint32_t una,
		   uint32_t snd_max, uint32_t high_rxt, uint32_t mss);

#endif
