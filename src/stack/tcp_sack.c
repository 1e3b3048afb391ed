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

bool sack_is_dsack(uint32_t ack, const uint32_t (*blk)[2], int nblk)
{
	if (nblk < 1 || !seq_lt(blk[0][0], blk[0][1]))
		return false;
	if (seq_leq(blk[0][1], ack))
		return true;
	return nblk >= 2 && seq_leq(blk[1][0], blk[0][0]) && seq_leq(blk[0][1], blk[1][1]);
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
