/* kbperf client: -P flows spread over -N worker threads, each with its own
 * context and epoll loop.  Latency is timed per transaction (rr) or per
 * connection from connect() to the last response byte (crr). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kb_apputil.h"
#include "kbperf.h"

struct cconn {
	int fd;
	bool connected;
	struct kbperf_hdr hdr;      /* network order, sent first */
	uint32_t hdr_left;
	uint64_t req_left;          /* request bytes still to write */
	uint64_t resp_left;         /* response bytes still to read */
	uint64_t t0;
	bool want_out;
	bool closing;               /* crr: response in, waiting for EOF */
};

struct cworker {
	const struct kbperf_opts *o;
	int done;                   /* set when the worker's results are final */
	int core, flows;
	void *ctx;
	int ep;
	uint64_t deadline;
	bool ok;
	struct kbperf_result res;
};

/* The one writer of a counter the main thread reads for -i reports: a
 * relaxed store is a plain move, no locked add. */
static inline void bump(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static void set_out(struct cworker *w, struct cconn *c, bool on)
{
	if (c->want_out == on)
		return;
	c->want_out = on;
	w->o->ops->ep_ctl(w->ctx, w->ep, KB_EP_MOD, c->fd,
			  KB_EV_IN | (on ? KB_EV_OUT : 0), (uint64_t)(uintptr_t)c);
}

static int cconn_open(struct cworker *w, struct cconn *c)
{
	const struct kb_netops *ops = w->o->ops;
	const struct kbperf_opts *o = w->o;
	memset(c, 0, sizeof(*c));
	c->t0 = kb_now_ns();
	c->fd = ops->socket(w->ctx);
	if (c->fd < 0)
		return -1;
	if (o->keepalive)
		ops->keepalive(w->ctx, c->fd);
	if (ops->connect(w->ctx, c->fd, &o->addr) < 0 && errno != EINPROGRESS) {
		ops->close(w->ctx, c->fd);
		c->fd = -1;
		return -1;
	}
	c->hdr.magic = htonl(KBPERF_MAGIC);
	c->hdr.test = htonl(o->test);
	c->hdr.req = htonl(o->msg);
	c->hdr.resp = htonl(o->msg);
	c->hdr.bytes = htobe64(o->test == KBPERF_BULK ? o->bytes : 0);
	c->hdr_left = sizeof(c->hdr);
	if (o->test != KBPERF_BULK) {
		c->req_left = o->msg;
		c->resp_left = o->msg;
	}
	c->want_out = true;   /* writable = connected */
	if (ops->ep_ctl(w->ctx, w->ep, KB_EP_ADD, c->fd, KB_EV_IN | KB_EV_OUT,
			(uint64_t)(uintptr_t)c) < 0) {
		ops->close(w->ctx, c->fd);
		c->fd = -1;
		return -1;
	}
	bump(&w->res.conns, 1);
	return 0;
}

static void cconn_close(struct cworker *w, struct cconn *c)
{
	if (c->fd < 0)
		return;
	w->o->ops->ep_ctl(w->ctx, w->ep, KB_EP_DEL, c->fd, 0, 0);
	w->o->ops->close(w->ctx, c->fd);
	c->fd = -1;
}

/* Writes the header then the pending request; -1 on error. */
static int cconn_send(struct cworker *w, struct cconn *c)
{
	const struct kb_netops *ops = w->o->ops;
	while (c->hdr_left || c->req_left) {
		const char *p;
		size_t n;
		if (c->hdr_left) {
			p = (const char *)&c->hdr + sizeof(c->hdr) - c->hdr_left;
			n = c->hdr_left;
		} else {
			p = kbperf_payload;
			n = c->req_left < sizeof(kbperf_payload) ? c->req_left : sizeof(kbperf_payload);
		}
		ssize_t r = ops->write(w->ctx, c->fd, p, n);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				set_out(w, c, true);
				return 0;
			}
			return -1;
		}
		if (c->hdr_left)
			c->hdr_left -= (uint32_t)r;
		else
			c->req_left -= (uint64_t)r;
	}
	set_out(w, c, false);
	return 0;
}

/* Consumes arrived bytes.  Returns -1 on error, 1 when the connection is
 * done (crr EOF, bulk -b EOF), 0 otherwise. */
static int cconn_recv(struct cworker *w, struct cconn *c, char *buf, size_t cap)
{
	const struct kbperf_opts *o = w->o;
	for (;;) {
		ssize_t r = o->ops->read(w->ctx, c->fd, buf, cap);
		if (r == 0) {
			if (c->closing || (o->test == KBPERF_BULK && o->bytes))
				return 1;
			return -1;   /* the server closed early */
		}
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		uint64_t now = kb_now_ns();
		if (now < w->deadline || o->test == KBPERF_BULK)
			bump(&w->res.bytes, (uint64_t)r);
		if (o->test == KBPERF_BULK)
			continue;
		if ((uint64_t)r > c->resp_left)
			return -1;   /* more than asked for: a protocol error */
		c->resp_left -= (uint64_t)r;
		if (c->resp_left)
			continue;
		if (now < w->deadline) {
			kb_hist_add(&w->res.lat, now - c->t0);
			bump(&w->res.transactions, 1);
		}
		if (o->test == KBPERF_CRR) {
			c->closing = true;   /* the server closes after its response */
			continue;
		}
		if (now >= w->deadline)
			return 1;
		c->t0 = now;
		c->req_left = c->resp_left = o->msg;
		if (cconn_send(w, c) < 0)
			return -1;
	}
}

static void *cworker_main(void *arg)
{
	struct cworker *w = arg;
	const struct kbperf_opts *o = w->o;
	const struct kb_netops *ops = o->ops;
	static __thread char buf[256 * 1024];
	struct cconn *conns = calloc((size_t)w->flows, sizeof(*conns));

	kb_hist_init(&w->res.lat);
	w->ctx = ops->thread_init(w->core, &w->ok);
	if (!w->ok || !conns) {
		fprintf(stderr, "kbperf: core %d: cannot create a context: %s\n", w->core, strerror(errno));
		w->ok = false;
		free(conns);
		__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	w->ep = ops->ep_create(w->ctx, w->flows + 1);
	w->res.start_ns = kb_now_ns();
	w->deadline = o->test == KBPERF_BULK && o->bytes ? UINT64_MAX :
		w->res.start_ns + (uint64_t)(o->seconds * 1e9);
	int open = 0;
	for (int i = 0; i < w->flows; i++) {
		conns[i].fd = -1;
		if (cconn_open(w, &conns[i]) < 0)
			w->res.errors++;
		else
			open++;
	}
	struct kb_ev evs[64];
	while (open > 0 && !kb_netops_stop) {
		uint64_t now = kb_now_ns();
		if (now >= w->deadline)
			break;
		int n = ops->ep_wait(w->ctx, w->ep, evs, 64, 10);
		for (int i = 0; i < n; i++) {
			struct cconn *c = (struct cconn *)(uintptr_t)evs[i].data;
			int r = 0;
			if (c->fd < 0)
				continue;
			if (!c->connected && (evs[i].events & (KB_EV_OUT | KB_EV_ERR))) {
				if (ops->sock_error(w->ctx, c->fd) != 0)
					r = -1;
				else
					c->connected = true;
			}
			if (r == 0 && (evs[i].events & KB_EV_OUT))
				r = cconn_send(w, c);
			if (r == 0 && (evs[i].events & (KB_EV_IN | KB_EV_ERR)))
				r = cconn_recv(w, c, buf, sizeof(buf));
			if (r == 0)
				continue;
			if (r < 0 && kb_now_ns() < w->deadline) {
				w->res.errors++;
				if (o->verbose)
					fprintf(stderr, "kbperf: flow error: %s\n", strerror(errno));
			}
			cconn_close(w, c);
			open--;
			if (o->test == KBPERF_CRR && kb_now_ns() < w->deadline) {
				if (cconn_open(w, c) == 0)
					open++;
				else
					w->res.errors++;
			}
		}
		/* crr: a failed reopen (e.g. no free port yet) is retried here */
		if (o->test == KBPERF_CRR && open < w->flows && kb_now_ns() < w->deadline)
			for (int i = 0; i < w->flows; i++)
				if (conns[i].fd < 0 && cconn_open(w, &conns[i]) == 0)
					open++;
	}
	w->res.end_ns = kb_now_ns();
	/* A flow still not connected a second after it began is an error (no
	 * route, no ARP answer, no SYN-ACK), not a quiet gap in the numbers. */
	for (int i = 0; i < w->flows; i++)
		if (conns[i].fd >= 0 && !conns[i].connected &&
		    conns[i].t0 + 1000000000ull < w->res.end_ns) {
			w->res.errors++;
			if (o->verbose)
				fprintf(stderr, "kbperf: a flow never connected\n");
		}
	if (kb_netops_stop)
		w->res.errors++;   /* interrupted: the numbers are not a full run */
	for (int i = 0; i < w->flows; i++)
		cconn_close(w, &conns[i]);
	/* Let the stack finish the closes before the context goes (mTCP runs
	 * the stack inside these calls only). */
	for (int i = 0; i < 10; i++)
		ops->ep_wait(w->ctx, w->ep, evs, 64, 5);
	ops->ep_close(w->ctx, w->ep);
	ops->stat(w->ctx, &w->res.ns);
	ops->thread_fini(w->ctx);
	free(conns);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Sums the workers' live counters into v. */
static void sample(const struct cworker *w, int n, struct kbperf_interval *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < n; i++) {
		v->bytes += __atomic_load_n(&w[i].res.bytes, __ATOMIC_RELAXED);
		v->transactions += __atomic_load_n(&w[i].res.transactions, __ATOMIC_RELAXED);
		v->conns += __atomic_load_n(&w[i].res.conns, __ATOMIC_RELAXED);
	}
}

static bool all_done(const struct cworker *w, int n)
{
	for (int i = 0; i < n; i++)
		if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* Records (and in text mode prints) the difference between two samples. */
static int add_interval(const struct kbperf_opts *o, struct kbperf_result *total,
			const struct kbperf_interval *a, const struct kbperf_interval *b,
			double start, double end)
{
	struct kbperf_interval *iv = realloc(total->iv, (size_t)(total->n_iv + 1) * sizeof(*iv));

	if (!iv)
		return -1;
	total->iv = iv;
	iv = &total->iv[total->n_iv++];
	iv->start = start;
	iv->end = end;
	iv->bytes = b->bytes - a->bytes;
	iv->transactions = b->transactions - a->transactions;
	iv->conns = b->conns - a->conns;
	if (!o->json)
		kbperf_print_interval(o, iv);
	return 0;
}

/* -i: while the workers run, one report per interval, then the remainder. */
static void report_intervals(const struct kbperf_opts *o, struct cworker *w, int n,
			     struct kbperf_result *total)
{
	uint64_t t0 = kb_now_ns(), iv = (uint64_t)(o->interval * 1e9), next = t0 + iv, last = t0;
	struct kbperf_interval prev, cur;

	memset(&prev, 0, sizeof(prev));
	while (!all_done(w, n)) {
		uint64_t now = kb_now_ns();
		if (now < next) {
			uint64_t d = next - now < 10000000ull ? next - now : 10000000ull;
			struct timespec ts = {0, (long)d};
			nanosleep(&ts, NULL);
			continue;
		}
		sample(w, n, &cur);
		add_interval(o, total, &prev, &cur, (double)(last - t0) / 1e9, (double)(now - t0) / 1e9);
		prev = cur;
		last = now;
		next += iv;
	}
	sample(w, n, &cur);
	if (memcmp(&cur, &prev, sizeof(cur)))   /* iperf3 prints no empty tail either */
		add_interval(o, total, &prev, &cur, (double)(last - t0) / 1e9,
			     (double)(kb_now_ns() - t0) / 1e9);
}

int kbperf_client(const struct kbperf_opts *o, struct kbperf_result *total)
{
	int n = o->cores < o->flows ? o->cores : o->flows;
	struct cworker *w = calloc((size_t)n, sizeof(*w));
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	if (!w || !t)
		return -1;
	for (int i = 0; i < n; i++) {
		w[i].o = o;
		w[i].core = i;
		w[i].flows = o->flows / n + (i < o->flows % n);
		if (pthread_create(&t[i], NULL, cworker_main, &w[i]) != 0)
			return -1;
	}
	memset(total, 0, sizeof(*total));
	kb_hist_init(&total->lat);
	total->start_ns = UINT64_MAX;
	if (o->interval > 0)
		report_intervals(o, w, n, total);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (!w[i].ok) {
			rc = -1;
			continue;
		}
		struct kbperf_result *r = &w[i].res;
		total->bytes += r->bytes;
		total->transactions += r->transactions;
		total->conns += r->conns;
		total->errors += r->errors;
		if (r->start_ns < total->start_ns)
			total->start_ns = r->start_ns;
		if (r->end_ns > total->end_ns)
			total->end_ns = r->end_ns;
		kb_hist_merge(&total->lat, &r->lat);
		kb_netstat_add(o->ops, i, &total->ns, &r->ns);
	}
	free(w);
	free(t);
	return rc;
}
