#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static void serve(struct ctl *c, int fd)
{
	char line[512];
	size_t n = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	/* A client gets 2 s to send its line; a stuck one must not wedge kbctl
	 * for everyone. */
	while (n < sizeof(line) - 1 && poll(&p, 1, 2000) > 0) {
		ssize_t r = read(fd, line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (!(out = open_memstream(&buf, &len)))
		return;
	pipeline_ctl(c->pl, line, out);
	fclose(out);
	for (size_t o = 0; o < len;) {
		ssize_t w = write(fd, buf + o, len - o);
		if (w <= 0)
			break;
		o += (size_t)w;
	}
	free(buf);
}

static void *ctl_main(void *arg)
{
	struct ctl *c = arg;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	while (!c->stop) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(c->fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(c, fd);
		close(fd);
	}
	return NULL;
}

int ctl_start(struct ctl *c, struct pipeline *pl, const char *path, struct kb_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int rc;

	memset(c, 0, sizeof(*c));
	c->pl = pl;
	if (strlen(path) >= sizeof(sa.sun_path))
		return kb_err_set(err, "control socket path '%s' is too long", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return kb_err_set(err, "control socket: %s", strerror(errno));
	unlink(path);   /* a stale socket from a killed switch */
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(c->fd, 8) < 0) {
		kb_err_set(err, "control socket %s: %s", path, strerror(errno));
		close(c->fd);
		return -1;
	}
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
	if (!c->running)
		return;
	c->stop = 1;
	pthread_join(c->thread, NULL);
	close(c->fd);
	unlink(c->path);
	c->running = false;
}
