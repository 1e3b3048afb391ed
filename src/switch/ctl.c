/* ctl: the control socket's poll loop (see ctl.h and ctl_proto.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "ctl.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int out_reserve(struct ctl_client *k, size_t n)
{
	char *p;
	size_t cap;

	if (k->out_off == k->out_len)
		k->out_off = k->out_len = 0;
	if (k->out_len + n <= k->out_cap)
		return 0;
	if (k->out_off) {   /* slide the unsent bytes down first */
		memmove(k->out, k->out + k->out_off, k->out_len - k->out_off);
		k->out_len -= k->out_off;
		k->out_off = 0;
		if (k->out_len + n <= k->out_cap)
			return 0;
	}
	cap = k->out_cap ? k->out_cap : 4096;
	while (cap < k->out_len + n)
		cap *= 2;
	if (!(p = realloc(k->out, cap)))
		return -1;
	k->out = p;
	k->out_cap = cap;
	return 0;
}

static void out_put(struct ctl_client *k, const void *d, size_t n)
{
	if (out_reserve(k, n) == 0) {
		memcpy(k->out + k->out_len, d, n);
		k->out_len += n;
	}
}

static void client_close(struct ctl_client *k)
{
	if (k->cap)
		capture_close(k->cap);
	close(k->fd);
	free(k->out);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

static void reply(struct ctl_client *k, int rc, const char *body, size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), CTL_MAGIC " %s %zu\n", rc ? "error" : "ok", len);

	out_put(k, hdr, (size_t)n);
	out_put(k, body, len);
}

/* "capture NAME in|out GATE": on success the connection becomes a stream. */
static void start_capture(struct ctl *c, struct ctl_client *k, const char *line)
{
	char name[128], dir[8], extra[2], msg[600];
	struct kb_err err = {0};
	long long gate;
	int n;

	n = sscanf(line, "capture %127s %7s %lld %1s", name, dir, &gate, extra);
	if (n != 3 || (strcmp(dir, "in") && strcmp(dir, "out"))) {
		n = snprintf(msg, sizeof(msg), "error: expected 'capture MODULE in|out GATE'\n");
		reply(k, -1, msg, (size_t)n);
		return;
	}
	if (gate < 0 || gate >= KB_MAX_GATES ||
	    capture_open(&k->cap, c->pl, name, dir[0] == 'i', (int)gate, &err) < 0) {
		if (!err.msg[0])
			kb_err_set(&err, "gate %lld out of range (expected 0..%d)", gate, KB_MAX_GATES - 1);
		n = snprintf(msg, sizeof(msg), "error: capture %s %s %lld: %s\n", name, dir, gate, err.msg);
		reply(k, -1, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		return;
	}
	out_put(k, CTL_MAGIC " capture\n", sizeof(CTL_MAGIC " capture\n") - 1);
}

static void answer(struct ctl *c, struct ctl_client *k)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	k->answered = true;
	k->in[k->in_len] = 0;
	{
		char *nl = memchr(k->in, '\n', k->in_len);
		size_t len = nl ? (size_t)(nl - k->in) : k->in_len;
		if (memchr(k->in, 0, len)) {   /* a NUL would silently cut the request short */
			static const char msg[] = "error: a NUL byte in the request\n";
			reply(k, -1, msg, sizeof(msg) - 1);
			return;
		}
		k->in[len] = 0;
		if (len && k->in[len - 1] == '\r')
			k->in[len - 1] = 0;
	}
	if (!strncmp(k->in, "capture ", 8) || !strcmp(k->in, "capture")) {
		start_capture(c, k, k->in);
		return;
	}
	if (!(f = open_memstream(&body, &len))) {
		reply(k, -1, "error: out of memory\n", 21);
		return;
	}
	rc = pipeline_ctl(c->pl, k->in, f);
	fclose(f);
	if (len > CTL_MAX_REPLY) {
		static const char big[] = "error: the reply is larger than the protocol allows\n";
		reply(k, -1, big, sizeof(big) - 1);
	} else {
		reply(k, rc, body, len);
	}
	free(body);
}

/* Reads what the client sent.  Returns -1 when the connection is done for. */
static int on_readable(struct ctl *c, struct ctl_client *k)
{
	char sink[256];
	ssize_t r;

	if (k->answered) {
		/* Nothing more is expected: a byte or EOF ends a capture (kbctl
		 * closes when it has enough); a plain reply still drains. */
		r = recv(k->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		k->eof |= r == 0;
		return k->cap ? -1 : 0;
	}
	r = recv(k->fd, k->in + k->in_len, sizeof(k->in) - 1 - k->in_len, MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	k->last_ms = now_ms();
	if (r == 0) {
		k->eof = true;
		if (!k->in_len)
			return -1;   /* connected and left: nothing to answer */
		answer(c, k);    /* a request without its '\n' */
		return 0;
	}
	k->in_len += (size_t)r;
	if (memchr(k->in, '\n', k->in_len)) {
		answer(c, k);
	} else if (k->in_len == sizeof(k->in) - 1) {
		static const char msg[] = "error: request longer than 4095 bytes\n";
		k->answered = true;
		reply(k, -1, msg, sizeof(msg) - 1);
	}
	return 0;
}

/* Returns -1 on a write error (the client is gone). */
static int on_writable(struct ctl_client *k)
{
	while (k->out_off < k->out_len) {
		ssize_t w = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		k->out_off += (size_t)w;
		k->last_ms = now_ms();
	}
	return 0;
}

/* Moves copies from the capture's ring into the client's stream; what does
 * not fit under CTL_MAX_CAPTURE_OUT is a counted drop. */
static void pump_capture(struct ctl_client *k)
{
	struct capture *cap = k->cap;
	struct rte_mbuf *m[KB_BURST];
	unsigned n;
	uint64_t drops;

	for (int round = 0; round < CAPTURE_RING / KB_BURST; round++) {   /* a ring-full per pass */
		if (!(n = capture_drain(cap, m, KB_BURST)))
			break;
		for (unsigned i = 0; i < n; i++) {
			uint32_t caplen = RTE_MIN(m[i]->pkt_len, CTL_MAX_FRAME);
			struct ctl_chunk h = {'F', CTL_FRAME_HDR + caplen};
			uint64_t ts = capture_time_ns(cap, m[i]);
			uint32_t orig = m[i]->pkt_len;
			size_t need = sizeof(h) + h.len;

			if (k->out_len - k->out_off + need > CTL_MAX_CAPTURE_OUT ||
			    out_reserve(k, need) < 0) {
				__atomic_fetch_add(&cap->drops, 1, __ATOMIC_RELAXED);
				continue;
			}
			out_put(k, &h, sizeof(h));
			out_put(k, &ts, sizeof(ts));
			out_put(k, &orig, sizeof(orig));
			/* rte_pktmbuf_read copies only a segmented frame; else it
			 * points into the mbuf. */
			const void *d = rte_pktmbuf_read(m[i], 0, caplen, k->out + k->out_len);
			if (d != k->out + k->out_len)
				memcpy(k->out + k->out_len, d, caplen);
			k->out_len += caplen;
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	drops = __atomic_load_n(&cap->drops, __ATOMIC_RELAXED);
	if (drops != k->sent_drops || cap->frames != k->sent_frames) {
		struct ctl_chunk h = {'D', 16};
		if (k->out_len - k->out_off + sizeof(h) + 16 <= CTL_MAX_CAPTURE_OUT + 64) {
			out_put(k, &h, sizeof(h));
			out_put(k, &cap->frames, 8);
			out_put(k, &drops, 8);
			k->sent_drops = drops;
			k->sent_frames = cap->frames;
		}
	}
}

static void on_accept(struct ctl *c)
{
	static const char msg[] = "error: too many control clients, try again\n";
	char busy[128];
	int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd < 0) {
			c->cl[i].fd = fd;
			c->cl[i].last_ms = now_ms();
			return;
		}
	c->refused++;
	snprintf(busy, sizeof(busy), CTL_MAGIC " error %zu\n%s", sizeof(msg) - 1, msg);
	if (send(fd, busy, strlen(busy), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* best effort: the client learns from the closed socket */
	}
	close(fd);
}

static void *ctl_main(void *arg)
{
	struct ctl *c = arg;
	struct pollfd p[CTL_MAX_CLIENTS + 1];
	int idx[CTL_MAX_CLIENTS + 1];

	while (!c->stop) {
		int n = 1, capturing = 0;
		uint64_t now;

		p[0] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *k = &c->cl[i];
			if (k->fd < 0)
				continue;
			capturing |= k->cap != NULL;
			p[n] = (struct pollfd){.fd = k->fd, .events = k->eof ? 0 : POLLIN};
			if (k->out_off < k->out_len)
				p[n].events |= POLLOUT;
			idx[n++] = i;
		}
		/* Captures are drained every 10 ms; otherwise wake for stop. */
		if (poll(p, (nfds_t)n, capturing ? 10 : 100) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			on_accept(c);
		now = now_ms();
		for (int j = 1; j < n; j++) {
			struct ctl_client *k = &c->cl[idx[j]];
			bool gone = false;

			if (p[j].revents & (POLLIN | POLLHUP | POLLERR))
				gone = on_readable(c, k) < 0;
			if (!gone && k->cap)
				pump_capture(k);
			if (!gone)
				gone = on_writable(k) < 0;
			if (!gone && k->answered && !k->cap && k->out_off == k->out_len)
				gone = true;   /* replied in full */
			if (!gone && !k->cap && now - k->last_ms > CTL_IDLE_MS)
				gone = true;   /* silent or not reading */
			if (gone)
				client_close(k);
		}
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_close(&c->cl[i]);
	return NULL;
}

/* An existing path is removed only when it is a socket nobody answers on. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, struct kb_err *err)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : kb_err_set(err, "control socket %s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return kb_err_set(err, "control socket %s: the path exists and is not a socket "
				  "(not removing it; pick another --ctl)", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return kb_err_set(err, "control socket: %s", strerror(errno));
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0 || errno != ECONNREFUSED)
		return kb_err_set(err, "control socket %s: %s", path, rc == 0 ?
				  "another kbswitch answers on it (stop it, or pick another --ctl)" :
				  strerror(errno));
	if (unlink(path) < 0)   /* a stale socket from a killed switch */
		return kb_err_set(err, "control socket %s: cannot remove the stale socket: %s",
				  path, strerror(errno));
	return 0;
}

int ctl_start(struct ctl *c, struct pipeline *pl, const char *path, struct kb_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	c->pl = pl;
	if (strlen(path) >= sizeof(sa.sun_path))
		return kb_err_set(err, "control socket path '%s' is too long", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (clear_stale(path, &sa, err) < 0)
		return -1;
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return kb_err_set(err, "control socket: %s", strerror(errno));
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->fd, CTL_MAX_CLIENTS) < 0 || lstat(path, &st) < 0) {
		kb_err_set(err, "control socket %s: %s", path, strerror(errno));
		close(c->fd);
		return -1;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if ((rc = pthread_create(&c->thread, NULL, ctl_main, c)) != 0) {
		close(c->fd);
		unlink(path);
		return kb_err_set(err, "control thread: %s", strerror(rc));
	}
	c->running = true;
	return 0;
}

void ctl_stop(struct ctl *c)
{
	struct stat st;

	if (!c->running)
		return;
	c->stop = 1;
	pthread_join(c->thread, NULL);
	close(c->fd);
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	c->running = false;
}
