#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sw_ctl.h"

static int no_create(void *ctx, const char *name, const char *cls,
		     const struct script_args *args, const struct script_pos *pos,
		     char out_name[64], struct kb_err *err)
{
	return script_err_at(err, pos, "modules cannot be created while the switch runs");
}

static int no_connect(void *ctx, const char *from, int ogate, const char *to,
		      int igate, const struct script_pos *pos, struct kb_err *err)
{
	return script_err_at(err, pos, "the pipeline cannot be rewired while the switch runs");
}

static int no_worker(void *ctx, int wid, int core, const struct script_pos *pos,
		     struct kb_err *err)
{
	return script_err_at(err, pos, "workers cannot be added while the switch runs");
}

static int no_task(void *ctx, const char *module, int wid,
		   const struct script_pos *pos, struct kb_err *err)
{
	return script_err_at(err, pos, "tasks cannot be moved while the switch runs");
}

static void answer(struct sw_ctl *c, int fd, const char *req)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return;
	if (!strcmp(req, "show port")) {
		sw_pipeline_show(c->pl, f, true, false, false);
	} else if (!strcmp(req, "show module")) {
		sw_pipeline_show(c->pl, f, false, true, false);
	} else if (!strcmp(req, "show pipeline")) {
		sw_pipeline_show(c->pl, f, false, false, true);
	} else if (!strncmp(req, "call ", 5)) {
		struct script_builder b = sw_pipeline_builder(c->pl);
		struct kb_err err = { 0 };
		char buf[1024];
		b.create = no_create;
		b.connect = no_connect;
		b.add_worker = no_worker;
		b.attach_task = no_task;
		if (script_run_string("kbctl", req + 5, &b, &err))
			fprintf(f, "error: %s\n", kb_err_str(&err, buf, sizeof(buf)));
		else
			fprintf(f, "ok\n");
	} else {
		fprintf(f, "error: unknown request '%s' (expected show port|module|pipeline "
			"or call STATEMENT)\n", req);
	}
	fclose(f);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, out + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(out);
}

static void *serve(void *arg)
{
	struct sw_ctl *c = arg;
	while (!c->quit) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)   /* wake up now and then to see quit */
			continue;
		int fd = accept(c->fd, NULL, NULL);
		if (fd < 0)
			continue;
		char req[4096];
		size_t n = 0;
		struct pollfd q = { .fd = fd, .events = POLLIN };
		while (n < sizeof(req) - 1 && poll(&q, 1, 2000) > 0) {
			ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
			if (memchr(req, '\n', n))
				break;
		}
		req[n] = 0;
		req[strcspn(req, "\n")] = 0;
		answer(c, fd, req);
		close(fd);
	}
	return NULL;
}

int sw_ctl_start(struct sw_ctl *c, struct sw_pipeline *pl, const char *path,
		 struct kb_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	c->pl = pl;
	c->fd = -1;
	if (strlen(path) >= sizeof(a.sun_path))
		return kb_err_set(err, "--ctl %s: path too long", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return kb_err_set(err, "control socket: %s", strerror(errno));
	unlink(path);   /* a stale socket of a killed switch */
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) || listen(c->fd, 8)) {
		kb_err_set(err, "control socket %s: %s", path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (pthread_create(&c->thr, NULL, serve, c)) {
		close(c->fd);
		unlink(path);
		c->fd = -1;
		return kb_err_set(err, "control thread: cannot start");
	}
	c->running = true;
	return 0;
}

void sw_ctl_stop(struct sw_ctl *c)
{
	if (!c->running)
		return;
	c->quit = true;
	pthread_join(c->thr, NULL);
	close(c->fd);
	unlink(c->path);
	c->running = false;
}
