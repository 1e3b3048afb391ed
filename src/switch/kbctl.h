/* kbctl: the client side of the control socket (ctl_proto.h), shared by its
 * commands: plain requests (kbctl.c), monitor and capture. */
#ifndef KB_SWITCH_KBCTL_H
#define KB_SWITCH_KBCTL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct kbctl {
	const char *path;      /* the control socket */
	double timeout_s;      /* for a reply (or a capture's acceptance) */
};

/* Set by SIGINT/SIGTERM: monitor and capture stop and report. */
extern volatile sig_atomic_t kbctl_interrupted;

/* Connects and sends line (no '\n').  Returns the fd, or -1 with a message
 * printed. */
int kbctl_open(const struct kbctl *k, const char *line, double deadline);
/* Reads exactly n bytes before deadline (< 0: none).  Returns n, 0 on EOF
 * before the first byte, -1 on error, timeout or EOF midway (printed, except
 * an interrupted wait, which returns -2 silently). */
long kbctl_read(const struct kbctl *k, int fd, void *buf, size_t n, double deadline);
/* Reads the header line "KBCTL ...\n" into hdr (at most len - 1 bytes). */
int kbctl_read_header(const struct kbctl *k, int fd, char *hdr, size_t len, double deadline);
/* One request, one framed reply.  Returns 0 (ok, body set), 1 (the server's
 * error, body holds its message) or -1 (no valid reply; printed). */
int kbctl_request(const struct kbctl *k, const char *line, char **body, size_t *len);
/* Prints "kbctl: malformed reply from PATH: what"; returns -1. */
int kbctl_malformed(const struct kbctl *k, const char *what);
double kbctl_now(void);

int kbctl_monitor(const struct kbctl *k, int argc, char **argv);
int kbctl_capture(const struct kbctl *k, int argc, char **argv);

#endif
