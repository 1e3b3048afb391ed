/* kbctl_conn: one request to kbswitch's control socket, with a deadline, and
 * a reply checked against ctl_proto.h before anything is printed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "kbctl.h"

volatile sig_atomic_t kbctl_interrupted;

double kbctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kbctl_malformed(const struct kbctl *k, const char *what)
{
	fprintf(stderr, "kbctl: malformed reply from %s: %s\n", k->path, what);
	return -1;
}

static int timed_out(const struct kbctl *k)
{
	fprintf(stderr, "kbctl: no reply from %s within %g s (is the switch stuck? -t SECONDS waits longer)\n",
		k->path, k->timeout_s);
	return -1;
}

/* Waits for ev on fd until deadline: 1 ready, 0 timed out, -1 error,
 * -2 interrupted by SIGINT/SIGTERM. */
static int wait_fd(int fd, short ev, double deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int ms = -1, r;

	for (;;) {
		if (deadline >= 0) {
			double left = deadline - kbctl_now();
			if (left <= 0)
				return 0;
			ms = (int)(left * 1000) + 1;
		}
		r = poll(&p, 1, ms);
		if (r > 0)
			return 1;
		if (r == 0 && deadline >= 0)
			continue;   /* re-check against the clock */
		if (r < 0 && errno == EINTR) {
			if (kbctl_interrupted)
				return -2;
			continue;
		}
		return -1;
	}
}

int kbctl_open(const struct kbctl *k, const char *line, double deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(line), off = 0;
	char *msg;
	int fd;

	if (strlen(k->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "kbctl: socket path too long: %s\n", k->path);
		return -1;
	}
	if (len + 1 >= CTL_MAX_LINE) {
		fprintf(stderr, "kbctl: request longer than %d bytes\n", CTL_MAX_LINE - 2);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", k->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		fprintf(stderr, "kbctl: socket: %s\n", strerror(errno));
		return -1;
	}
	/* A full backlog answers EAGAIN on a unix socket: retry until the
	 * deadline rather than block. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN && kbctl_now() < deadline && !kbctl_interrupted) {
			usleep(10000);
			continue;
		}
		if (errno == EAGAIN)
			timed_out(k);
		else
			fprintf(stderr, "kbctl: cannot connect to %s: %s (is kbswitch running with --ctl %s?)\n",
				k->path, strerror(errno), k->path);
		close(fd);
		return -1;
	}
	if (!(msg = malloc(len + 1))) {
		close(fd);
		return -1;
	}
	memcpy(msg, line, len);
	msg[len++] = '\n';
	while (off < len) {
		ssize_t w = send(fd, msg + off, len - off, MSG_NOSIGNAL);
		if (w >= 0) {
			off += (size_t)w;
			continue;
		}
		if (errno == EAGAIN || errno == EINTR) {
			int r = wait_fd(fd, POLLOUT, deadline);
			if (r > 0)
				continue;
			if (r == 0)
				timed_out(k);
		} else {
			fprintf(stderr, "kbctl: %s closed the connection before taking the request (%s)\n",
				k->path, strerror(errno));
		}
		free(msg);
		close(fd);
		return -1;
	}
	free(msg);
	return fd;
}

long kbctl_read(const struct kbctl *k, int fd, void *buf, size_t n, double deadline)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, (char *)buf + got, n - got, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {
			if (!got)
				return 0;
			return kbctl_malformed(k, "the connection closed in the middle of a message");
		}
		if (errno == ECONNRESET) {
			if (!got)
				return 0;
			return kbctl_malformed(k, "the connection was reset in the middle of a message");
		}
		if (errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "kbctl: reading from %s: %s\n", k->path, strerror(errno));
			return -1;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r == 0)
			return timed_out(k);
		if (r < 0)
			return r == -2 ? -2 : -1;
	}
	return (long)n;
}

int kbctl_read_header(const struct kbctl *k, int fd, char *hdr, size_t len, double deadline)
{
	size_t n = 0;

	for (;;) {
		long r = kbctl_read(k, fd, hdr + n, 1, deadline);
		if (r == 0)
			return kbctl_malformed(k, n ? "the connection closed in the middle of the header"
						    : "the connection closed without a reply");
		if (r < 0)
			return -1;
		if (hdr[n] == '\n')
			break;
		if (++n == len - 1)
			return kbctl_malformed(k, "no " CTL_MAGIC " header line");
	}
	hdr[n] = 0;
	if (strncmp(hdr, CTL_MAGIC " ", sizeof(CTL_MAGIC)))
		return kbctl_malformed(k, "no " CTL_MAGIC " header line");
	return 0;
}

int kbctl_request(const struct kbctl *k, const char *line, char **body, size_t *len)
{
	double deadline = kbctl_now() + k->timeout_s;
	char hdr[64], status[8], extra;
	unsigned long long n;
	int fd, rc = -1;
	char *b = NULL;

	*body = NULL;
	*len = 0;
	if ((fd = kbctl_open(k, line, deadline)) < 0)
		return -1;
	if (kbctl_read_header(k, fd, hdr, sizeof(hdr), deadline) < 0)
		goto out;
	if (sscanf(hdr, CTL_MAGIC " %7s %llu%c", status, &n, &extra) != 2 ||
	    (strcmp(status, "ok") && strcmp(status, "error")) ||
	    strspn(hdr + sizeof(CTL_MAGIC), "abcdefghijklmnopqrstuvwxyz 0123456789") !=
		    strlen(hdr + sizeof(CTL_MAGIC))) {
		kbctl_malformed(k, "expected '" CTL_MAGIC " ok|error LENGTH'");
		goto out;
	}
	if (n > CTL_MAX_REPLY) {
		char m[96];
		snprintf(m, sizeof(m), "a %llu-byte reply (the limit is %u)", n, CTL_MAX_REPLY);
		kbctl_malformed(k, m);
		goto out;
	}
	if (!(b = malloc(n + 1))) {
		fprintf(stderr, "kbctl: out of memory\n");
		goto out;
	}
	if (n) {
		long r = kbctl_read(k, fd, b, n, deadline);
		if (r == 0)
			kbctl_malformed(k, "the reply is shorter than its header says");
		if (r != (long)n)
			goto out;
	}
	b[n] = 0;
	if (memchr(b, 0, n)) {
		kbctl_malformed(k, "a NUL byte in a text reply");
		goto out;
	}
	{
		char more;
		long r = kbctl_read(k, fd, &more, 1, deadline);
		if (r != 0) {
			if (r > 0)
				kbctl_malformed(k, "bytes after the reply its header announced");
			goto out;
		}
	}
	*body = b;
	*len = n;
	b = NULL;
	rc = strcmp(status, "ok") ? 1 : 0;
out:
	free(b);
	close(fd);
	return rc;
}
