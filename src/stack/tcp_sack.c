#include "tcp_sack.h"

#include <string.h>

#include "tcp_seq.h"

static void insert_range(struct tcp_scoreboard *sb, uint32_t s, uint32_t e)
{
	int i = 0;

	while (i < sb->n && seq_lt(sb->r[i].e, s))
		i++;
	if (i == sb->n || seq_lt(e, sb->r[i].s)) {
		if (sb->n == SACK_MAX_RANGES)
			return;   /* losing SACK info only costs a spurious resend */
		memmove(&sb->r[i + 1], &sb->r[i], (size_t)(sb->n - i) * sizeof(sb->r[0]));
		sb->r[i].s = s;
		sb->r[i].e = e;
		sb->n++;
		return;
	}
	sb->r[i].s = seq_min(sb->r[i].s, s);
	sb->r[i].e = seq_max(sb->r[i].e, e);
	while (i + 1 < sb->n && seq_leq(sb->r[i + 1].s, sb->r[i].e)) {
		sb->r[i].e = seq_max(sb->r[i].e, sb->r[i + 1].e);
		memmove(&sb->r[i + 1], &sb->r[i + 2], (size_t)(sb->n - i - 2) * sizeof(sb->r[0]));
		sb->n--;
	}
}

int sack_update(struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_max,
		const uint32_t (*blk)[2], int nblk)
{
	int ok = 0;

	for (int i = 0; i < nblk; i++) {
		uint32_t s = blk[i][0], e = blk[i][1];

		/* D-SACKs and blocks beyond what we sent are ignored */
		if (!seq_lt(s, e) || seq_leq(s, una) || seq_gt(e, snd_max))
			continue;
		insert_range(sb, s, e);
		ok++;
	}
	while (sb->n && seq_leq(sb->r[0].e, una)) {
		memmove(&sb->r[0], &sb->r[1], (size_t)(sb->n - 1) * sizeof(sb->r[0]));
		sb->n--;
	}
	if (sb->n && seq_lt(sb->r[0].s, una))
		sb->r[0].s = una;
	return ok;
}

bool sack_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq)
{
	for (int i = 0; i < sb->n; i++)
		if (seq_in(seq, sb->r[i].s, sb->r[i].e))
			return true;
	return false;
}

uint32_t sack_bytes_above(const struct tcp_scoreboard *sb, uint32_t seq)
{
	uint32_t n = 0;

	for (int i = sb->n - 1; i >= 0; i--) {
		if (seq_leq(sb->r[i].e, seq))
			break;
		n += sb->r[i].e - seq_max(sb->r[i].s, seq);
	}
	return n;
}

bool sack_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss)
{
	uint32_t bytes = 0;
	int ranges = 0;

	for (int i = sb->n - 1; i >= 0; i--) {
		if (seq_leq(sb->r[i].e, seq))
			break;
		bytes += sb->r[i].e - seq_max(sb->r[i].s, seq);
		ranges++;
	}
	/* DupThresh discontiguous SACKed ranges, or more than
	 * (DupThresh - 1) * SMSS SACKed bytes, above seq */
	return ranges >= TCP_DUPTHRESH || bytes > (TCP_DUPTHRESH - 1) * mss;
}

bool sack_next_lost(const struct tcp_scoreboard *sb, uint32_t una,
		    uint32_t high_rxt, uint32_t mss, uint32_t *seq, uint32_t *len)
{
	uint32_t s = seq_max(una, high_rxt);

	/* walk the holes: [s, next range start) */
	for (int i = 0; i < sb->n; i++) {
		if (seq_leq(sb->r[i].e, s))
			continue;
		if (seq_geq(s, sb->r[i].s)) {   /* inside a SACKed range: skip it */
			s = sb->r[i].e;
			continue;
		}
		if (!sack_is_lost(sb, s, mss))
			return false;   /* monotonic: nothing higher is lost */
		uint32_t hole = sb->r[i].s - s;

		*seq = s;
		*len = hole < mss ? hole : mss;
		return true;
	}
	return false;   /* above the highest SACK nothing counts as lost */
}

uint32_t sack_pipe(const struct tcp_scoreboard *sb, uint32_t una,
		   uint32_t snd_max, uint32_t high_rxt, uint32_t mss)
{
	uint32_t pipe = 0;
	uint32_t s = una;

	/* walk holes [s, e) between SACKed ranges up to snd_max */
	for (int i = 0; i <= sb->n; i++) {
		uint32_t e = i < sb->n ? sb->r[i].s : snd_max;

		if (i == sb->n && seq_lt(s, e)) {
			/* above every SACK nothing is lost */
			pipe += e - s;
			if (seq_lt(s, high_rxt))
				pipe += seq_min(e, high_rxt) - s;
		} else if (seq_lt(s, e)) {
			/* bytes not lost count once; bytes retransmitted
			 * (below high_rxt) count once more */
			uint32_t p = s;

			while (seq_lt(p, e)) {
				uint32_t chunk_end = seq_min(e, p + mss);

				if (!sack_is_lost(sb, p, mss))
					pipe += chunk_end - p;
				if (seq_lt(p, high_rxt))
					pipe += seq_min(chunk_end, high_rxt) - p;
				p = chunk_end;
			}
		}
		if (i < sb->n)
			s = seq_max(s, sb->r[i].e);
	}
	return pipe;
}
