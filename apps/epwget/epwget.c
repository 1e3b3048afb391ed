/* epwget: an HTTP load generator on the mTCP API (kbnet's counterpart of
 * mTCP's apps/example/epwget.c).
 *
 * -n requests over -c concurrent connections spread on -N cores; each
 * worker has its own context and epoll loop.  Latency is timed per request,
 * from connect (new connection) or request send (keep-alive) to the last
 * body byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb_apputil.h"
#include "kb_hist.h"
#include "kb_http.h"
#include "kb_netops.h"

static const char *prog = "epwget";

struct opts {
	const struct kb_netops *ops;
	struct sockaddr_in addr;
	char path[KB_HTTP_MAX_PATH];
	char host[64];
	uint64_t total;
	int cores, conc;
	bool keep_alive, json, verbose;
	const char *out;
};

struct wconn {
	int fd;
	bool connected, want_out;
	size_t req_off;
	char in[KB_HTTP_MAX_HEADER];
	size_t in_len;
	bool have_hdr;
	struct kb_http_resp resp;
	uint64_t body_left;
	uint64_t t0;
};

struct worker {
	const struct opts *o;
	int core;
	void *ctx;
	int ep;
	uint64_t quota, issued;   /* requests this worker sends */
	int conc;
	char req[KB_HTTP_MAX_PATH + 256];
	size_t req_len;
	bool ok;
	FILE *save;               /* worker 0: the first body goes here */
	struct wconn *saving;     /* the one connection whose body it is */
	bool saved;
	/* results */
	uint64_t done, ok200, non200, errors, bytes, conns;
	uint64_t start_ns, end_ns;
	struct kb_hist lat;
	struct kb_netstat ns;
};

static void usage(void)
{
	printf(
"Usage: epwget URL [-n TOTAL] [-N CORES] [-c CONCURRENCY] [options]\n"
"\n"
"Fetches URL (http://IPv4[:port]/path) TOTAL times over CONCURRENCY\n"
"connections, on kbnet's stack (mTCP API) or, with --kernel, Linux; prints\n"
"requests/s, bytes, errors and latency percentiles.\n"
"\n"
"  -n, --requests N    total requests (default 1)\n"
"  -N, --cores N       worker threads, one per core (default 1)\n"
"  -c, --concurrency N connections at a time (default 1)\n"
"  -k, --keep-alive    reuse connections (default: one request each)\n"
"  -o, --output FILE   save the first response's body (for checksums)\n"
"  -f, --conf FILE     mTCP config file (kbnet stack)\n"
"      --kernel        Linux sockets instead of kbnet\n"
"      --json          print one JSON object\n"
"  -v, --verbose       report each error\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 all requests got 200, 1 otherwise, 2 bad usage.\n");
}

static void set_out(struct worker *w, struct wconn *c, bool on)
{
	if (c->want_out == on)
		return;
	c->want_out = on;
	w->o->ops->ep_ctl(w->ctx, w->ep, KB_EP_MOD, c->fd, KB_EV_IN | (on ? KB_EV_OUT : 0),
			  (uint64_t)(uintptr_t)c);
}

static void start_request(struct wconn *c, uint64_t now)
{
	c->req_off = 0;
	c->in_len = 0;
	c->have_hdr = false;
	c->t0 = now;
}

static int conn_open(struct worker *w, struct wconn *c)
{
	const struct kb_netops *ops = w->o->ops;
	memset(c, 0, sizeof(*c));
	c->fd = ops->socket(w->ctx);
	if (c->fd < 0)
		return -1;
	if ((ops->connect(w->ctx, c->fd, &w->o->addr) < 0 && errno != EINPROGRESS) ||
	    ops->ep_ctl(w->ctx, w->ep, KB_EP_ADD, c->fd, KB_EV_IN | KB_EV_OUT,
			(uint64_t)(uintptr_t)c) < 0) {
		ops->close(w->ctx, c->fd);
		c->fd = -1;
		return -1;
	}
	c->want_out = true;
	w->conns++;
	w->issued++;
	start_request(c, kb_now_ns());
	return 0;
}

static void conn_close(struct worker *w, struct wconn *c)
{
	if (c->fd < 0)
		return;
	if (w->saving == c && !w->saved) {
		/* its body broke off: the next one starts the file again */
		fflush(w->save);
		if (ftruncate(fileno(w->save), 0) == 0)
			rewind(w->save);
		w->saving = NULL;
	}
	w->o->ops->ep_ctl(w->ctx, w->ep, KB_EP_DEL, c->fd, 0, 0);
	w->o->ops->close(w->ctx, c->fd);
	c->fd = -1;
}

static int conn_send(struct worker *w, struct wconn *c)
{
	while (c->req_off < w->req_len) {
		ssize_t r = w->o->ops->write(w->ctx, c->fd, w->req + c->req_off, w->req_len - c->req_off);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				set_out(w, c, true);
				return 0;
			}
			return -1;
		}
		c->req_off += (size_t)r;
	}
	set_out(w, c, false);
	return 0;
}

/* Bodies of concurrent connections interleave: the first connection with
 * a 200 body owns the file until its response ends or fails. */
static void save_body(struct worker *w, struct wconn *c, const char *p, size_t n)
{
	if (!w->save || w->saved || !n || (w->saving && w->saving != c))
		return;
	w->saving = c;
	fwrite(p, 1, n, w->save);
}

/* Returns 1 when a response completed and the connection may carry the
 * next request, 2 when it completed and must close, 0 to wait, -1 error. */
static int conn_recv(struct worker *w, struct wconn *c)
{
	char buf[65536];
	for (;;) {
		char *p;
		ssize_t r;
		if (!c->have_hdr) {
			r = w->o->ops->read(w->ctx, c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
			p = c->in + c->in_len;
		} else {
			size_t want = c->body_left < sizeof(buf) ? c->body_left : sizeof(buf);
			r = w->o->ops->read(w->ctx, c->fd, buf, want ? want : 1);
			p = buf;
		}
		if (r == 0)
			return -1;   /* closed before a whole response */
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		w->bytes += (uint64_t)r;
		size_t n = (size_t)r;
		if (!c->have_hdr) {
			c->in_len += n;
			int hl = kb_http_parse_response(c->in, c->in_len, &c->resp);
			if (hl == 0)
				continue;
			if (hl < 0 || c->resp.content_length < 0) {
				errno = EPROTO;   /* no length: we cannot frame it */
				return -1;
			}
			c->have_hdr = true;
			c->body_left = (uint64_t)c->resp.content_length;
			p = c->in + hl;
			n = c->in_len - (size_t)hl;
		}
		if (n > c->body_left) {
			errno = EPROTO;   /* bytes past the response: not pipelined here */
			return -1;
		}
		if (c->resp.status == 200)
			save_body(w, c, p, n);
		c->body_left -= n;
		if (c->body_left)
			continue;
		uint64_t now = kb_now_ns();
		kb_hist_add(&w->lat, now - c->t0);
		w->done++;
		if (c->resp.status == 200) {
			w->ok200++;
			if (w->save && !w->saved && (!w->saving || w->saving == c)) {
				w->saved = true;
				fclose(w->save);
				w->save = NULL;
			}
		} else {
			w->non200++;
		}
		return w->o->keep_alive && c->resp.keep_alive ? 1 : 2;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	const struct kb_netops *ops = o->ops;
	struct wconn *conns = calloc((size_t)w->conc, sizeof(*conns));
	kb_hist_init(&w->lat);
	w->ctx = ops->thread_init(w->core, &w->ok);
	if (!w->ok || !conns) {
		fprintf(stderr, "epwget: core %d: cannot create a context: %s\n", w->core, strerror(errno));
		w->ok = false;
		free(conns);
		return NULL;
	}
	w->ep = ops->ep_create(w->ctx, w->conc + 1);
	w->req_len = (size_t)snprintf(w->req, sizeof(w->req),
		"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kbnet-epwget\r\nConnection: %s\r\n\r\n",
		o->path, o->host, o->keep_alive ? "keep-alive" : "close");
	w->start_ns = kb_now_ns();
	int open = 0;
	for (int i = 0; i < w->conc; i++) {
		conns[i].fd = -1;
		if (w->issued < w->quota) {
			if (conn_open(w, &conns[i]) == 0)
				open++;
			else
				w->errors++;
		}
	}
	struct kb_ev evs[64];
	while (open > 0 && !kb_netops_stop) {
		int n = ops->ep_wait(w->ctx, w->ep, evs, 64, 10);
		for (int i = 0; i < n; i++) {
			struct wconn *c = (struct wconn *)(uintptr_t)evs[i].data;
			if (c->fd < 0)
				continue;
			int r = 0;
			if (!c->connected && (evs[i].events & (KB_EV_OUT | KB_EV_ERR))) {
				if (ops->sock_error(w->ctx, c->fd) != 0)
					r = -1;
				else
					c->connected = true;
			}
			if (r == 0 && c->connected && (evs[i].events & KB_EV_OUT))
				r = conn_send(w, c);
			if (r == 0 && (evs[i].events & (KB_EV_IN | KB_EV_ERR)))
				r = conn_recv(w, c);
			if (r == 0)
				continue;
			if (r < 0) {
				w->errors++;
				if (o->verbose)
					fprintf(stderr, "epwget: request failed: %s\n", strerror(errno));
			}
			if (r == 1 && w->issued < w->quota) {
				w->issued++;
				start_request(c, kb_now_ns());
				if (conn_send(w, c) == 0)
					continue;
				w->errors++;
			}
			conn_close(w, c);
			open--;
			if (w->issued < w->quota) {
				if (conn_open(w, c) == 0)
					open++;
				else
					w->errors++;
			}
		}
	}
	w->end_ns = kb_now_ns();
	for (int i = 0; i < w->conc; i++)
		conn_close(w, &conns[i]);
	for (int i = 0; i < 10; i++)   /* let the stack send the FINs */
		ops->ep_wait(w->ctx, w->ep, evs, 64, 5);
	ops->ep_close(w->ctx, w->ep);
	ops->stat(w->ctx, &w->ns);
	ops->thread_fini(w->ctx);
	if (w->save)
		fclose(w->save);
	free(conns);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "requests", required_argument, NULL, 'n' }, { "cores", required_argument, NULL, 'N' },
		{ "concurrency", required_argument, NULL, 'c' }, { "keep-alive", no_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' }, { "conf", required_argument, NULL, 'f' },
		{ "kernel", no_argument, NULL, 'K' }, { "json", no_argument, NULL, 'J' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct opts o = { .total = 1, .cores = 1, .conc = 1 };
	const char *conf = NULL;
	bool kernel = false;
	int c;
	while ((c = getopt_long(argc, argv, ":n:N:c:ko:f:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o.total = (uint64_t)kb_opt_int(prog, "-n", optarg, 1, 1ll << 40); break;
		case 'N': o.cores = (int)kb_opt_int(prog, "-N", optarg, 1, 128); break;
		case 'c': o.conc = (int)kb_opt_int(prog, "-c", optarg, 1, 65536); break;
		case 'k': o.keep_alive = true; break;
		case 'o': o.out = optarg; break;
		case 'f': conf = optarg; break;
		case 'K': kernel = true; break;
		case 'J': o.json = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(); return 0;
		default: kb_opt_bad(prog, c, argv);
		}
	}
	if (optind != argc - 1)
		kb_usage_error(prog, "expected exactly one URL");
	const char *url = argv[optind];
	if (kb_http_parse_url(url, &o.addr, o.path, sizeof(o.path)) < 0)
		kb_usage_error(prog, "expected a URL like http://10.0.0.1:80/file, got '%s'", url);
	inet_ntop(AF_INET, &o.addr.sin_addr, o.host, sizeof(o.host));
	o.ops = kernel ? &kb_netops_kernel : kb_netops_mtcp;
	if (!o.ops)
		kb_usage_error(prog, "built without libkbnet: use --kernel");
	if (!kernel && !conf)
		kb_usage_error(prog, "the kbnet stack needs -f CONF (or use --kernel)");
	if ((uint64_t)o.conc > o.total)
		o.conc = (int)o.total;
	if (o.cores > o.conc)
		o.cores = o.conc;
	FILE *save = NULL;
	if (o.out && !(save = fopen(o.out, "wb"))) {
		fprintf(stderr, "epwget: -o %s: %s\n", o.out, strerror(errno));
		return 2;
	}
	if (o.ops->global_init(conf, o.cores) < 0)
		return 2;
	if (o.ops->cores() < o.cores) {
		fprintf(stderr, "epwget: -N %d but the config gives %d core(s)\n", o.cores, o.ops->cores());
		o.ops->global_fini();
		return 2;
	}
	kb_netops_on_signals(o.ops);

	struct worker *w = calloc((size_t)o.cores, sizeof(*w));
	pthread_t *t = calloc((size_t)o.cores, sizeof(*t));
	for (int i = 0; i < o.cores; i++) {
		w[i].o = &o;
		w[i].core = i;
		w[i].quota = o.total / (uint64_t)o.cores + ((uint64_t)i < o.total % (uint64_t)o.cores);
		w[i].conc = o.conc / o.cores + (i < o.conc % o.cores);
		w[i].save = i == 0 ? save : NULL;
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	struct worker s = { .start_ns = UINT64_MAX };
	kb_hist_init(&s.lat);
	bool all = true;
	for (int i = 0; i < o.cores; i++) {
		pthread_join(t[i], NULL);
		all &= w[i].ok;
		s.done += w[i].done;
		s.ok200 += w[i].ok200;
		s.non200 += w[i].non200;
		s.errors += w[i].errors;
		s.bytes += w[i].bytes;
		s.conns += w[i].conns;
		if (w[i].start_ns && w[i].start_ns < s.start_ns)
			s.start_ns = w[i].start_ns;
		if (w[i].end_ns > s.end_ns)
			s.end_ns = w[i].end_ns;
		kb_hist_merge(&s.lat, &w[i].lat);
		kb_netstat_add(o.ops, i, &s.ns, &w[i].ns);
	}
	double secs = s.end_ns > s.start_ns ? (double)(s.end_ns - s.start_ns) / 1e9 : 1e-9;
	double p[4] = { kb_hist_pct(&s.lat, 50) / 1e3, kb_hist_pct(&s.lat, 90) / 1e3,
			kb_hist_pct(&s.lat, 99) / 1e3, (s.lat.count ? s.lat.max : 0) / 1e3 };
	if (o.json)
		printf("{\"tool\":\"epwget\",\"stack\":\"%s\",\"requests\":%llu,\"completed\":%llu,"
		       "\"ok\":%llu,\"non200\":%llu,\"errors\":%llu,\"connections\":%llu,"
		       "\"bytes\":%llu,\"seconds\":%.3f,\"rps\":%.1f,\"p50_us\":%.1f,"
		       "\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"rto\":%llu,"
		       "\"net_bytes\":%llu,\"rto_per_gb\":%.2f}\n",
		       o.ops->name, (unsigned long long)o.total, (unsigned long long)s.done,
		       (unsigned long long)s.ok200, (unsigned long long)s.non200,
		       (unsigned long long)s.errors, (unsigned long long)s.conns,
		       (unsigned long long)s.bytes, secs, s.done / secs, p[0], p[1], p[2], p[3],
		       (unsigned long long)s.ns.rto, (unsigned long long)s.ns.bytes,
		       kb_rto_per_gb(&s.ns));
	else
		printf("epwget: %llu/%llu requests done in %.3f s over %s: %.1f requests/s, "
		       "%llu bytes (%.3f Gbit/s)\n"
		       "  200: %llu, other status: %llu, errors: %llu, connections: %llu\n"
		       "  latency us: p50 %.1f p90 %.1f p99 %.1f max %.1f\n"
		       "  retransmission timeouts: %llu in %llu bytes (%.2f per GB)\n",
		       (unsigned long long)s.done, (unsigned long long)o.total, secs, o.ops->name,
		       s.done / secs, (unsigned long long)s.bytes, s.bytes * 8 / secs / 1e9,
		       (unsigned long long)s.ok200, (unsigned long long)s.non200,
		       (unsigned long long)s.errors, (unsigned long long)s.conns,
		       p[0], p[1], p[2], p[3], (unsigned long long)s.ns.rto,
		       (unsigned long long)s.ns.bytes, kb_rto_per_gb(&s.ns));
	o.ops->global_fini();
	free(w);
	free(t);
	return all && s.ok200 == o.total && !s.errors ? 0 : 1;
}
