/* tcp_sndbuf.h: a connection's send buffer, a byte ring from SND.UNA to
 * the last byte the application wrote.  Segments are cut from it when
 * sent and again when retransmitted, so a retransmission may repacketize. */
#ifndef TCP_SNDBUF_H
#define TCP_SNDBUF_H

#include <stdint.h>

struct tcp_sndbuf {
	uint8_t *buf;
	uint32_t cap;
	uint32_t head_pos;     /* position of una_seq in buf */
	uint32_t len;          /* bytes held: [una_seq, una_seq + len) */
	uint32_t una_seq;
};

int sndbuf_init(struct tcp_sndbuf *sb, uint32_t cap, uint32_t seq);
void sndbuf_free(struct tcp_sndbuf *sb);
void sndbuf_reset(struct tcp_sndbuf *sb, uint32_t seq);

static inline uint32_t sndbuf_space(const struct tcp_sndbuf *sb) { return sb->cap - sb->len; }
static inline uint32_t sndbuf_end(const struct tcp_sndbuf *sb) { return sb->una_seq + sb->len; }

/* Append up to len bytes; returns how many fit. */
uint32_t sndbuf_write(struct tcp_sndbuf *sb, const uint8_t *src, uint32_t len);
/* Release everything before seq (clamped to what is held). */
void sndbuf_ack(struct tcp_sndbuf *sb, uint32_t seq);
/* Copy len bytes starting at seq, which must lie inside the buffer. */
void sndbuf_peek(const struct tcp_sndbuf *sb, uint32_t seq, uint8_t *dst, uint32_t len);

#endif
