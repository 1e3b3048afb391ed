/* tcp_sack.h: the sender's SACK scoreboard: the sorted list of disjoint
 * ranges above SND.UNA that the receiver reported holding.  What is lost
 * is RACK's to say (tcp_rack.h), from when each range was sent. */
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
/* Whether an ACK's blocks open with a D-SACK (RFC 2883 4): the first
 * block lies below the cumulative ACK, or inside the second block.  It
 * reports data that arrived twice. */
bool sack_is_dsack(uint32_t ack, const uint32_t (*blk)[2], int nblk);
bool sack_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq);
/* Bytes SACKed at or above seq. */
uint32_t sack_bytes_above(const struct tcp_scoreboard *sb, uint32_t seq);

#endif
