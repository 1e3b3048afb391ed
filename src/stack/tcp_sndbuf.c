#include "tcp_sndbuf.h"

#include <stdlib.h>
#include <string.h>

#include "tcp_seq.h"

int sndbuf_init(struct tcp_sndbuf *sb, uint32_t cap, uint32_t seq)
{
	memset(sb, 0, sizeof(*sb));
	sb->buf = malloc(cap);
	if (!sb->buf)
		return -1;
	sb->cap = cap;
	sndbuf_reset(sb, seq);
	return 0;
}

void sndbuf_free(struct tcp_sndbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
}

void sndbuf_reset(struct tcp_sndbuf *sb, uint32_t seq)
{
	sb->una_seq = seq;
	sb->head_pos = 0;
	sb->len = 0;
}

uint32_t sndbuf_write(struct tcp_sndbuf *sb, const uint8_t *src, uint32_t len)
{
	uint32_t space = sndbuf_space(sb);

	if (len > space)
		len = space;
	if (!len)
		return 0;
	uint32_t pos = (uint32_t)(((uint64_t)sb->head_pos + sb->len) % sb->cap);
	uint32_t first = sb->cap - pos < len ? sb->cap - pos : len;

	memcpy(sb->buf + pos, src, first);
	if (first < len)
		memcpy(sb->buf, src + first, len - first);
	sb->len += len;
	return len;
}

void sndbuf_ack(struct tcp_sndbuf *sb, uint32_t seq)
{
	if (seq_leq(seq, sb->una_seq))
		return;
	uint32_t n = seq - sb->una_seq;

	if (n > sb->len)
		n = sb->len;
	sb->head_pos = (uint32_t)(((uint64_t)sb->head_pos + n) % sb->cap);
	sb->len -= n;
	sb->una_seq += n;
}

void sndbuf_peek(const struct tcp_sndbuf *sb, uint32_t seq, uint8_t *dst, uint32_t len)
{
	uint32_t off = seq - sb->una_seq;
	uint32_t pos = (uint32_t)(((uint64_t)sb->head_pos + off) % sb->cap);
	uint32_t first = sb->cap - pos < len ? sb->cap - pos : len;

	memcpy(dst, sb->buf + pos, first);
	if (first < len)
		memcpy(dst + first, sb->buf, len - first);
}
