/* ctl: the control socket, served by its own thread (never a worker).
 *
 * One poll loop (Redis ae.c style) serves up to CTL_MAX_CLIENTS connections
 * at once, each a request line and a framed reply (ctl_proto.h), or a capture
 * stream that lasts until the client closes.  Every socket is non-blocking
 * and written with MSG_NOSIGNAL: a client that stalls, floods or vanishes
 * costs its own connection, never the switch, another client or a worker. */
#ifndef KB_SWITCH_CTL_H
#define KB_SWITCH_CTL_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "pipeline.h"

#define CTL_MAX_CLIENTS 16
#define CTL_IDLE_MS 5000           /* a request/reply without progress is dropped */
#define CTL_MAX_CAPTURE_OUT (4u << 20)   /* unsent capture bytes per client */

struct capture;

struct ctl_client {
	int fd;                    /* -1: a free slot */
	char in[CTL_MAX_LINE];
	size_t in_len;
	bool answered;             /* the request was read and answered */
	bool eof;                  /* the client shut its sending side */
	char *out;                 /* unsent reply bytes: out[off..len) */
	size_t out_len, out_off, out_cap;
	uint64_t last_ms;          /* last progress, for CTL_IDLE_MS */
	struct capture *cap;       /* a capture stream: open until the client closes */
	uint64_t sent_drops, sent_frames;
};

struct ctl {
	struct pipeline *pl;
	char path[108];
	int fd;
	dev_t dev;                 /* the socket file we bound, removed only if still ours */
	ino_t ino;
	volatile int stop;
	pthread_t thread;
	bool running;
	uint64_t refused;          /* connections over CTL_MAX_CLIENTS */
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

/* Binds path: refuses an existing file that is not a socket, and a socket a
 * live server answers on; removes only a stale socket (nobody answers). */
int ctl_start(struct ctl *c, struct pipeline *pl, const char *path, struct kb_err *err);
void ctl_stop(struct ctl *c);

/* `command module NAME CMD ARGS...` (ctl_cmd.c). */
int ctl_module_command(struct pipeline *pl, const char *name, int argc, char *argv[],
		       FILE *out);

#endif
