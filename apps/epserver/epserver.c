/* epserver: an event-driven HTTP/1.1 static-file server on the mTCP API
 * (kbnet's counterpart of mTCP's apps/example/epserver.c).
 *
 * One worker per core, each with its own context, listener and epoll loop;
 * files are cached in memory at start (shared read-only by all workers).
 * Keep-alive and pipelined requests; GET and HEAD; 200, 400, 404, 405. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb_apputil.h"
#include "kb_filecache.h"
#include "kb_http.h"
#include "kb_netops.h"

static const char *prog = "epserver";

struct conn {
	int fd;
	size_t in_len;
	char in[KB_HTTP_MAX_HEADER];
	char hdr[512];
	size_t hdr_len, hdr_off;
	const char *body;
	size_t body_len, body_off;
	bool close_after;
	bool want_out;
	bool in_paused;    /* input buffer full behind a response: stop reading */
};

struct server {
	const struct kb_netops *ops;
	struct kb_filecache files;
	struct sockaddr_in addr;
	int cores;
	int backlog;
};

struct worker {
	struct server *s;
	int core;
	void *ctx;
	int ep, lfd;
	volatile int started;
	/* counters a user reads at exit */
	uint64_t conns, requests, st200, st400, st404, st405, resets;
	struct kb_netstat ns;
};

static void usage(void)
{
	printf(
"Usage: epserver -p DIR [-f CONF] [-N CORES] [options]\n"
"\n"
"Serves the files under DIR (loaded into memory at start) over HTTP/1.1\n"
"with keep-alive, on kbnet's stack (mTCP API) or, with --kernel, Linux.\n"
"\n"
"  -p, --dir DIR       directory to serve; '/' maps to /index.html\n"
"  -f, --conf FILE     mTCP config file (kbnet stack)\n"
"  -N, --cores N       worker threads, one per core (default 1)\n"
"  -B, --bind IP[:PORT] address to listen on (default 0.0.0.0:80)\n"
"  -P, --port N        port (default 80)\n"
"      --kernel        Linux sockets instead of kbnet\n"
"  -h, --help          this text\n"
"\n"
"Runs until SIGINT/SIGTERM, then prints its counters.\n");
}

static void set_interest(struct worker *w, struct conn *c, bool out, bool paused)
{
	if (c->want_out == out && c->in_paused == paused)
		return;
	c->want_out = out;
	c->in_paused = paused;
	w->s->ops->ep_ctl(w->ctx, w->ep, KB_EP_MOD, c->fd,
			  (paused ? 0 : KB_EV_IN) | (out ? KB_EV_OUT : 0), (uint64_t)(uintptr_t)c);
}

static void set_out(struct worker *w, struct conn *c, bool on)
{
	set_interest(w, c, on, on && c->in_paused);
}

static void conn_close(struct worker *w, struct conn *c)
{
	w->s->ops->ep_ctl(w->ctx, w->ep, KB_EP_DEL, c->fd, 0, 0);
	w->s->ops->close(w->ctx, c->fd);
	free(c);
}

/* Builds the response to one request into c (header + cached body). */
static void respond(struct worker *w, struct conn *c, int parsed, struct kb_http_req *rq)
{
	int status = 200;
	const struct kb_file *f = NULL;
	bool head = false;
	if (parsed < 0) {
		status = 400;
	} else if (rq->method == KB_HTTP_OTHER) {
		status = 405;
	} else if (!kb_http_path_safe(rq->path)) {
		status = 400;
	} else {
		char path[KB_HTTP_MAX_PATH + 16];
		char *q = strchr(rq->path, '?');
		if (q)
			*q = 0;   /* a static server ignores the query */
		size_t pl = strlen(rq->path);
		snprintf(path, sizeof(path), "%s%s", rq->path,
			 pl && rq->path[pl - 1] == '/' ? "index.html" : "");
		f = kb_filecache_find(&w->s->files, path);
		if (!f)
			status = 404;
		head = rq->method == KB_HTTP_HEAD;
	}
	static const char *const msg[] = { [0] = "bad request\n", [1] = "not found\n",
					   [2] = "method not allowed\n" };
	const char *body = status == 200 ? f->data :
		status == 400 ? msg[0] : status == 404 ? msg[1] : msg[2];
	size_t blen = status == 200 ? f->len : strlen(body);
	c->close_after = status == 400 || parsed < 0 || !rq->keep_alive;
	c->hdr_len = (size_t)snprintf(c->hdr, sizeof(c->hdr),
		"HTTP/1.1 %d %s\r\nServer: kbnet-epserver\r\nContent-Length: %zu\r\n"
		"Content-Type: %s\r\n%s%s\r\n", status, kb_http_reason(status), blen,
		status == 200 ? "application/octet-stream" : "text/plain",
		status == 405 ? "Allow: GET, HEAD\r\n" : "",
		c->close_after ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
	c->hdr_off = 0;
	c->body = body;
	c->body_len = head ? 0 : blen;
	c->body_off = 0;
	w->requests++;
	switch (status) {
	case 200: w->st200++; break;
	case 400: w->st400++; break;
	case 404: w->st404++; break;
	default: w->st405++; break;
	}
}

static bool pending(const struct conn *c)
{
	return c->hdr_off < c->hdr_len || c->body_off < c->body_len;
}

/* Parses buffered requests and sends responses until blocked.  Returns -1
 * when the connection is to be closed. */
static int conn_progress(struct worker *w, struct conn *c)
{
	const struct kb_netops *ops = w->s->ops;
	for (;;) {
		while (pending(c)) {
			const char *p;
			size_t n;
			if (c->hdr_off < c->hdr_len) {
				p = c->hdr + c->hdr_off;
				n = c->hdr_len - c->hdr_off;
			} else {
				p = c->body + c->body_off;
				n = c->body_len - c->body_off;
			}
			ssize_t r = ops->write(w->ctx, c->fd, p, n);
			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					set_out(w, c, true);
					return 0;
				}
				w->resets++;
				return -1;
			}
			if (c->hdr_off < c->hdr_len)
				c->hdr_off += (size_t)r;
			else
				c->body_off += (size_t)r;
		}
		set_out(w, c, false);
		if (c->hdr_len && c->close_after)
			return -1;
		c->hdr_len = c->hdr_off = 0;
		struct kb_http_req rq;
		int hl = kb_http_parse_request(c->in, c->in_len, &rq);
		if (hl == 0)
			return 0;   /* wait for more */
		respond(w, c, hl, &rq);
		if (hl > 0) {
			memmove(c->in, c->in + hl, c->in_len - (size_t)hl);
			c->in_len -= (size_t)hl;
		} else {
			c->in_len = 0;
		}
	}
}

static int conn_read(struct worker *w, struct conn *c)
{
	for (;;) {
		if (c->in_len == sizeof(c->in)) {
			if (!pending(c))
				return conn_progress(w, c);   /* an oversize header: 400 */
			/* pipelined requests filled the buffer: read again once the
			 * response is out (level-triggered IN would spin meanwhile) */
			set_interest(w, c, true, true);
			return 0;
		}
		ssize_t r = w->s->ops->read(w->ctx, c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return pending(c) ? 0 : conn_progress(w, c);
			w->resets++;
			return -1;
		}
		c->in_len += (size_t)r;
		/* Answer in order: parse only when no response is in flight. */
		if (!pending(c) && conn_progress(w, c) < 0)
			return -1;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct kb_netops *ops = w->s->ops;
	bool ok;
	w->ctx = ops->thread_init(w->core, &ok);
	if (!ok) {
		fprintf(stderr, "epserver: core %d: cannot create a context: %s\n", w->core, strerror(errno));
		w->started = -1;
		return NULL;
	}
	w->ep = ops->ep_create(w->ctx, 4096);
	w->lfd = ops->socket(w->ctx);
	if (w->ep < 0 || w->lfd < 0 || ops->listen(w->ctx, w->lfd, &w->s->addr, w->s->backlog) < 0 ||
	    ops->ep_ctl(w->ctx, w->ep, KB_EP_ADD, w->lfd, KB_EV_IN, 0) < 0) {
		fprintf(stderr, "epserver: core %d: cannot listen on port %u: %s\n", w->core,
			ntohs(w->s->addr.sin_port), strerror(errno));
		w->started = -1;
		ops->thread_fini(w->ctx);
		return NULL;
	}
	__atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
	struct kb_ev evs[64];
	while (!kb_netops_stop) {
		int n = ops->ep_wait(w->ctx, w->ep, evs, 64, 100);
		for (int i = 0; i < n; i++) {
			if (evs[i].data == 0) {
				int fd;
				while ((fd = ops->accept(w->ctx, w->lfd)) >= 0) {
					struct conn *c = calloc(1, sizeof(*c));
					if (!c || ops->ep_ctl(w->ctx, w->ep, KB_EP_ADD, fd, KB_EV_IN,
							      (uint64_t)(uintptr_t)c) < 0) {
						free(c);
						ops->close(w->ctx, fd);
						continue;
					}
					c->fd = fd;
					w->conns++;
				}
				continue;
			}
			struct conn *c = (struct conn *)(uintptr_t)evs[i].data;
			int r = 0;
			if (evs[i].events & KB_EV_OUT)
				r = conn_progress(w, c);
			if (r == 0 && (evs[i].events & (KB_EV_IN | KB_EV_ERR)))
				r = conn_read(w, c);
			if (r < 0)
				conn_close(w, c);
		}
	}
	ops->close(w->ctx, w->lfd);
	ops->ep_close(w->ctx, w->ep);
	ops->stat(w->ctx, &w->ns);
	ops->thread_fini(w->ctx);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'p' }, { "conf", required_argument, NULL, 'f' },
		{ "cores", required_argument, NULL, 'N' }, { "bind", required_argument, NULL, 'B' },
		{ "port", required_argument, NULL, 'P' }, { "kernel", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct server s = { .cores = 1, .backlog = 4096 };
	const char *dir = NULL, *conf = NULL, *bind_ip = "0.0.0.0";
	long long port = 80;
	bool kernel = false;
	int c;
	while ((c = getopt_long(argc, argv, ":p:f:N:B:P:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': dir = optarg; break;
		case 'f': conf = optarg; break;
		case 'N': s.cores = (int)kb_opt_int(prog, "-N", optarg, 1, 128); break;
		case 'B': bind_ip = optarg; break;
		case 'P': port = kb_opt_int(prog, "-P", optarg, 1, 65535); break;
		case 'K': kernel = true; break;
		case 'h': usage(); return 0;
		default: kb_opt_bad(prog, c, argv);
		}
	}
	if (optind < argc)
		kb_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (!dir)
		kb_usage_error(prog, "-p DIR is required");
	if (kb_parse_addr(bind_ip, (uint16_t)port, &s.addr) < 0)
		kb_usage_error(prog, "-B: expected IPv4[:port], got '%s'", bind_ip);
	s.ops = kernel ? &kb_netops_kernel : kb_netops_mtcp;
	if (!s.ops)
		kb_usage_error(prog, "built without libkbnet: use --kernel");
	if (!kernel && !conf)
		kb_usage_error(prog, "the kbnet stack needs -f CONF (or use --kernel)");

	struct kb_err err;
	if (kb_filecache_load(&s.files, dir, &err) < 0) {
		char b[1024];
		fprintf(stderr, "epserver: %s\n", kb_err_str(&err, b, sizeof(b)));
		return 2;
	}
	if (s.ops->global_init(conf, s.cores) < 0) {
		kb_filecache_free(&s.files);
		return 2;
	}
	if (s.ops->cores() < s.cores) {
		fprintf(stderr, "epserver: -N %d but the config gives %d core(s)\n", s.cores, s.ops->cores());
		s.ops->global_fini();
		kb_filecache_free(&s.files);
		return 2;
	}
	kb_netops_on_signals(s.ops);

	struct worker *w = calloc((size_t)s.cores, sizeof(*w));
	pthread_t *t = calloc((size_t)s.cores, sizeof(*t));
	for (int i = 0; i < s.cores; i++) {
		w[i].s = &s;
		w[i].core = i;
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	bool all = true;
	for (int i = 0; i < s.cores; i++) {
		while (!__atomic_load_n(&w[i].started, __ATOMIC_ACQUIRE))
			usleep(1000);
		all &= w[i].started == 1;
	}
	if (all) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &s.addr.sin_addr, ip, sizeof(ip));
		printf("epserver: serving %zu files (%zu bytes) from %s on %s:%u (%d cores, %s)\n",
		       s.files.n, s.files.total, dir, ip, ntohs(s.addr.sin_port), s.cores, s.ops->name);
		fflush(stdout);
	} else {
		kb_netops_stop = 1;
	}
	struct worker sum = { 0 };
	for (int i = 0; i < s.cores; i++) {
		pthread_join(t[i], NULL);
		sum.conns += w[i].conns;
		sum.requests += w[i].requests;
		sum.st200 += w[i].st200;
		sum.st400 += w[i].st400;
		sum.st404 += w[i].st404;
		sum.st405 += w[i].st405;
		sum.resets += w[i].resets;
		kb_netstat_add(s.ops, i, &sum.ns, &w[i].ns);
		printf("epserver: core %d: %llu connections, %llu requests\n", i,
		       (unsigned long long)w[i].conns, (unsigned long long)w[i].requests);
	}
	printf("epserver: done: %llu connections, %llu requests (200: %llu, 400: %llu, "
	       "404: %llu, 405: %llu), %llu connection errors\n",
	       (unsigned long long)sum.conns, (unsigned long long)sum.requests,
	       (unsigned long long)sum.st200, (unsigned long long)sum.st400,
	       (unsigned long long)sum.st404, (unsigned long long)sum.st405,
	       (unsigned long long)sum.resets);
	printf("epserver: retransmission timeouts: %llu in %llu bytes (%.2f per GB)\n",
	       (unsigned long long)sum.ns.rto, (unsigned long long)sum.ns.bytes,
	       kb_rto_per_gb(&sum.ns));
	s.ops->global_fini();
	kb_filecache_free(&s.files);
	free(w);
	free(t);
	return all ? 0 : 1;
}
