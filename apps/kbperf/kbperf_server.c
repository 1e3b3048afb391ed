/* kbperf server: one worker per core, each with its own listener (mTCP
 * listens per context; Linux spreads with SO_REUSEPORT) and epoll loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbperf.h"

const char kbperf_payload[65536];

struct sconn {
	int fd;
	bool have_hdr;
	struct kbperf_hdr hdr;
	uint32_t hdr_got;
	uint64_t in_got;       /* request bytes of the current message */
	uint64_t out_left;     /* response or bulk bytes still to send */
	bool bulk_forever;
	bool close_after;      /* crr: close once the response is out */
	bool want_out;
	struct sconn *prev, *next;   /* the worker's open connections */
};

struct sworker {
	const struct kbperf_opts *o;
	int core;
	void *ctx;
	int ep, lfd;
	uint64_t conns, bytes_in, bytes_out, bad, errors;
	struct kb_netstat ns;
	struct sconn *open;     /* freed at exit: still open when it stops */
	bool ok;
	volatile int started;   /* 1 listening, -1 failed */
};

static void sconn_close(struct sworker *w, struct sconn *c)
{
	const struct kb_netops *ops = w->o->ops;
	ops->ep_ctl(w->ctx, w->ep, KB_EP_DEL, c->fd, 0, 0);
	ops->close(w->ctx, c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->open = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void set_out(struct sworker *w, struct sconn *c, bool on)
{
	if (c->want_out == on)
		return;
	c->want_out = on;
	w->o->ops->ep_ctl(w->ctx, w->ep, KB_EP_MOD, c->fd,
			  KB_EV_IN | (on ? KB_EV_OUT : 0), (uint64_t)(uintptr_t)c);
}

/* Sends what is due; returns -1 when the connection is finished. */
static int sconn_send(struct sworker *w, struct sconn *c)
{
	while (c->out_left || c->bulk_forever) {
		size_t n = sizeof(kbperf_payload);
		if (!c->bulk_forever && c->out_left < n)
			n = c->out_left;
		ssize_t r = w->o->ops->write(w->ctx, c->fd, kbperf_payload, n);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				set_out(w, c, true);
				return 0;
			}
			/* the client went away: the normal end of bulk; in rr/crr
			 * the response had nowhere to go */
			if (c->hdr.test != KBPERF_BULK) {
				w->errors++;
				if (w->o->verbose)
					fprintf(stderr, "kbperf: connection error: %s\n", strerror(errno));
			}
			return -1;
		}
		w->bytes_out += (uint64_t)r;
		if (!c->bulk_forever)
			c->out_left -= (uint64_t)r;
	}
	set_out(w, c, false);
	if (c->close_after || c->hdr.test == KBPERF_BULK)
		return -1;
	return 0;
}

static bool hdr_valid(struct kbperf_hdr *h)
{
	h->magic = ntohl(h->magic);
	h->test = ntohl(h->test);
	h->req = ntohl(h->req);
	h->resp = ntohl(h->resp);
	h->bytes = be64toh(h->bytes);
	if (h->magic != KBPERF_MAGIC || h->test < KBPERF_BULK || h->test > KBPERF_CRR)
		return false;
	if (h->test != KBPERF_BULK && (h->req == 0 || h->req > KBPERF_MAX_MSG ||
				       h->resp == 0 || h->resp > KBPERF_MAX_MSG))
		return false;
	return true;
}

/* Reads what arrived; returns -1 when the connection is finished. */
static int sconn_recv(struct sworker *w, struct sconn *c, char *buf, size_t cap)
{
	for (;;) {
		ssize_t r = w->o->ops->read(w->ctx, c->fd, buf, cap);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			/* reset or timed out (keep-alive): the client is gone */
			w->errors++;
			if (w->o->verbose)
				fprintf(stderr, "kbperf: connection error: %s\n", strerror(errno));
			return -1;
		}
		w->bytes_in += (uint64_t)r;
		char *p = buf;
		size_t n = (size_t)r;
		if (!c->have_hdr) {
			size_t k = sizeof(c->hdr) - c->hdr_got;
			if (k > n)
				k = n;
			memcpy((char *)&c->hdr + c->hdr_got, p, k);
			c->hdr_got += (uint32_t)k;
			p += k;
			n -= k;
			if (c->hdr_got < sizeof(c->hdr))
				continue;
			if (!hdr_valid(&c->hdr)) {
				w->bad++;   /* counted: not a kbperf client */
				return -1;
			}
			c->have_hdr = true;
			if (c->hdr.test == KBPERF_BULK) {
				c->bulk_forever = c->hdr.bytes == 0;
				c->out_left = c->hdr.bytes;
				if (sconn_send(w, c) < 0)
					return -1;
			}
		}
		if (c->hdr.test == KBPERF_BULK)
			continue;   /* the client sends nothing more; drain */
		/* rr/crr: every complete request earns one response */
		c->in_got += n;
		while (c->in_got >= c->hdr.req) {
			c->in_got -= c->hdr.req;
			c->out_left += c->hdr.resp;
			if (c->hdr.test == KBPERF_CRR)
				c->close_after = true;
		}
		if (c->out_left && !c->want_out && sconn_send(w, c) < 0)
			return -1;
	}
}

static void *sworker_main(void *arg)
{
	struct sworker *w = arg;
	const struct kb_netops *ops = w->o->ops;
	static __thread char buf[256 * 1024];

	w->ctx = ops->thread_init(w->core, &w->ok);
	if (!w->ok) {
		fprintf(stderr, "kbperf: core %d: cannot create a context: %s\n", w->core, strerror(errno));
		w->started = -1;
		return NULL;
	}
	w->ep = ops->ep_create(w->ctx, KBPERF_MAX_FLOWS);
	w->lfd = ops->socket(w->ctx);
	if (w->ep < 0 || w->lfd < 0 || ops->listen(w->ctx, w->lfd, &w->o->addr, 4096) < 0 ||
	    ops->ep_ctl(w->ctx, w->ep, KB_EP_ADD, w->lfd, KB_EV_IN, 0) < 0) {
		fprintf(stderr, "kbperf: core %d: cannot listen on port %u: %s\n", w->core,
			ntohs(w->o->addr.sin_port), strerror(errno));
		w->ok = false;
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
					struct sconn *c = calloc(1, sizeof(*c));
					if (!c) {
						ops->close(w->ctx, fd);
						continue;
					}
					c->fd = fd;
					c->next = w->open;
					if (w->open)
						w->open->prev = c;
					w->open = c;
					w->conns++;
					if (w->o->keepalive)
						ops->keepalive(w->ctx, fd);
					ops->ep_ctl(w->ctx, w->ep, KB_EP_ADD, fd, KB_EV_IN,
						    (uint64_t)(uintptr_t)c);
				}
				continue;
			}
			struct sconn *c = (struct sconn *)(uintptr_t)evs[i].data;
			int r = 0;
			if (evs[i].events & KB_EV_OUT)
				r = sconn_send(w, c);
			if (r == 0 && (evs[i].events & (KB_EV_IN | KB_EV_ERR)))
				r = sconn_recv(w, c, buf, sizeof(buf));
			if (r < 0)
				sconn_close(w, c);
		}
	}
	/* Connections still open when we are stopped (the client, or the
	 * switch between us, went away too) end with the context. */
	while (w->open)
		sconn_close(w, w->open);
	ops->close(w->ctx, w->lfd);
	ops->ep_close(w->ctx, w->ep);
	ops->stat(w->ctx, &w->ns);
	ops->thread_fini(w->ctx);
	return NULL;
}

int kbperf_server(const struct kbperf_opts *o)
{
	int n = o->cores;
	struct sworker *w = calloc((size_t)n, sizeof(*w));
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	if (!w || !t)
		return -1;
	for (int i = 0; i < n; i++) {
		w[i].o = o;
		w[i].core = i;
		if (pthread_create(&t[i], NULL, sworker_main, &w[i]) != 0)
			return -1;
	}
	/* "listening" means every worker listens: tests wait for this line */
	bool all = true;
	for (int i = 0; i < n; i++) {
		while (!__atomic_load_n(&w[i].started, __ATOMIC_ACQUIRE))
			usleep(1000);
		all &= w[i].started == 1;
	}
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &o->addr.sin_addr, ip, sizeof(ip));
	if (!all)
		kb_netops_stop = 1;
	else
		printf("kbperf: listening on %s:%u (%d cores, %s)\n", ip, ntohs(o->addr.sin_port), n,
	       o->ops->name);
	fflush(stdout);
	int rc = 0;
	uint64_t conns = 0, in = 0, out = 0, bad = 0, errors = 0;
	struct kb_netstat ns = { 0 };
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (!w[i].ok)
			rc = -1;
		conns += w[i].conns;
		in += w[i].bytes_in;
		out += w[i].bytes_out;
		bad += w[i].bad;
		errors += w[i].errors;
		if (w[i].ok)
			kb_netstat_add(o->ops, i, &ns, &w[i].ns);
	}
	printf("kbperf: server done: %llu connections, %llu bytes in, %llu bytes out, "
	       "%llu bad headers, %llu connection errors\n", (unsigned long long)conns,
	       (unsigned long long)in, (unsigned long long)out, (unsigned long long)bad,
	       (unsigned long long)errors);
	printf("kbperf: retransmission timeouts: %llu in %llu bytes (%.2f per GB)\n",
	       (unsigned long long)ns.rto, (unsigned long long)ns.bytes, kb_rto_per_gb(&ns));
	free(w);
	free(t);
	return rc;
}
