/* ctl_proto: what kbctl and kbswitch's control socket say to each other.
 *
 * A client sends one request line (at most CTL_MAX_LINE - 1 bytes, then
 * '\n') and reads one reply:
 *   "KBCTL ok LEN\n" or "KBCTL error LEN\n", then exactly LEN bytes of text
 *   (LEN <= CTL_MAX_REPLY), then the server closes;
 * or, for "capture ...", "KBCTL capture\n" and then chunks until the client
 * closes: a struct ctl_chunk header and len bytes of payload,
 *   'F' a frame: u64 capture time (ns since the epoch), u32 original length,
 *       then the frame's bytes (at most CTL_MAX_FRAME);
 *   'D' counters: u64 frames copied so far, u64 frames dropped so far.
 * Integers are in the host's byte order: both ends share one host.
 * Anything else is a malformed reply, which kbctl reports and exits 1 on. */
#ifndef KB_SWITCH_CTL_PROTO_H
#define KB_SWITCH_CTL_PROTO_H

#include <stdint.h>

#define CTL_MAX_LINE 4096
#define CTL_MAX_REPLY (16u << 20)
#define CTL_MAX_FRAME 65535u
#define CTL_MAGIC "KBCTL"

struct ctl_chunk {
	uint32_t type;   /* 'F' or 'D' */
	uint32_t len;    /* payload bytes that follow */
};

#define CTL_FRAME_HDR 12u   /* u64 time + u32 original length */

#endif
