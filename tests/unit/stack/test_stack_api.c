/* The mTCP API (sockets, epoll, pipes) over an in-process loopback
 * backend: one context talks to itself through its own address, with
 * the real clock.  No DPDK. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kbtest.h"
#include "mtcp_api.h"
#include "mtcp_core.h"
#include "mtcp_epoll.h"

#define LOOP_Q 4096

struct loop {
	uint8_t *q[LOOP_Q];
	uint16_t qlen[LOOP_Q];
	int n;
	uint8_t *burst[LOOP_Q];
	uint16_t blen[LOOP_Q];
	int nb, pos;
};

static struct loop g_loop;

static int l_rx_count(void *core)
{
	struct loop *l = core;

	for (int i = 0; i < l->nb; i++)
		free(l->burst[i]);
	l->nb = l->n < 32 ? l->n : 32;
	memcpy(l->burst, l->q, sizeof(l->q[0]) * (size_t)l->nb);
	memcpy(l->blen, l->qlen, sizeof(l->qlen[0]) * (size_t)l->nb);
	memmove(l->q, l->q + l->nb, sizeof(l->q[0]) * (size_t)(l->n - l->nb));
	memmove(l->qlen, l->qlen + l->nb, sizeof(l->qlen[0]) * (size_t)(l->n - l->nb));
	l->n -= l->nb;
	l->pos = 0;
	return l->nb;
}

static uint8_t *l_rx_buf(void *core, uint16_t *len)
{
	struct loop *l = core;

	if (l->pos >= l->nb)
		return NULL;
	*len = l->blen[l->pos];
	return l->burst[l->pos++];
}

static uint8_t *l_tx_buf(void *core) { (void)core; return malloc(1500); }

static int l_tx_send(void *core, uint8_t *buf, uint16_t len)
{
	struct loop *l = core;

	if (l->n == LOOP_Q) {
		free(buf);
		return -1;
	}
	l->q[l->n] = buf;
	l->qlen[l->n++] = len;
	return 0;
}

static void l_flush(void *core) { (void)core; }
static void l_wait(void *core, uint32_t us) { (void)core; (void)us; }

static int l_attach(struct mtcp_manager *m, int cpu, struct mtcp_backend *be)
{
	(void)m;
	(void)cpu;
	*be = (struct mtcp_backend){ &g_loop, l_rx_count, l_rx_buf, l_tx_buf, l_tx_send,
				     l_flush, l_wait };
	return 0;
}

#define IP "10.9.0.1"

static mctx_t setup(const char *extra)
{
	char conf[512];

	snprintf(conf, sizeof(conf), "num_cores = 1\nmax_concurrency = 64\nrcvbuf = 65536\n"
		 "sndbuf = 65536\n%s", extra);
	if (mtcp_init_custom(conf, inet_addr(IP), 1, l_attach) < 0)
		return NULL;
	return mtcp_create_context(0);
}

static void teardown(void)
{
	mtcp_destroy();
	for (int i = 0; i < g_loop.n; i++)
		free(g_loop.q[i]);
	for (int i = 0; i < g_loop.nb; i++)
		free(g_loop.burst[i]);
	memset(&g_loop, 0, sizeof(g_loop));
}

static struct sockaddr_in addr(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = inet_addr(IP);
	return a;
}

static int listener(mctx_t m, int ep, uint16_t port)
{
	struct sockaddr_in a = addr(port);
	int s = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	struct mtcp_epoll_event ev = { MTCP_EPOLLIN, { .sockid = s } };

	mtcp_setsock_nonblock(m, s);
	if (mtcp_bind(m, s, (struct sockaddr *)&a, sizeof(a)) < 0 || mtcp_listen(m, s, 16) < 0)
		return -1;
	if (ep >= 0)
		mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, s, &ev);
	return s;
}

/* wait for one event on sock (any of mask); returns its events or 0 */
static uint32_t wait_for(mctx_t m, int ep, int sock, uint32_t mask)
{
	struct mtcp_epoll_event evs[16];

	for (int tries = 0; tries < 200; tries++) {
		int n = mtcp_epoll_wait(m, ep, evs, 16, 10);

		for (int i = 0; i < n; i++)
			if (evs[i].data.sockid == sock && (evs[i].events & mask))
				return evs[i].events;
	}
	return 0;
}

static void conf_errors(void)
{
	/* a misspelt key and a bad value are positioned errors */
	CHECK(mtcp_init_custom("num_cores = 1\nrcvbuff = 10\n", 1, 1, l_attach) < 0);
	CHECK(mtcp_init_custom("congestion_control = vegas\n", 1, 1, l_attach) < 0);
	CHECK(mtcp_init_custom("rcvbuf = 12\n", 1, 1, l_attach) < 0);
	CHECK(mtcp_init("/nonexistent/mtcp.conf") < 0);
	mctx_t m = setup("congestion_control = reno\ntcp_timeout = -1\nstat_print = dpdk0\n");

	CHECK(m != NULL);
	struct mtcp_conf c;

	CHECK_EQ(mtcp_getconf(&c), 0);
	CHECK_EQ(c.max_concurrency, 64);
	CHECK_EQ(c.rcvbuf_size, 65536);
	CHECK_EQ(c.tcp_timeout, -1);
	teardown();
}

static void connect_accept_echo_close(void)
{
	mctx_t m = setup("");
	int ep = mtcp_epoll_create(m, 64);
	int ls = listener(m, ep, 8080);
	int c = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr(8080);
	char buf[64];

	CHECK(ls >= 0);
	mtcp_setsock_nonblock(m, c);
	CHECK_EQ(mtcp_connect(m, c, (struct sockaddr *)&a, sizeof(a)), -1);
	CHECK_EQ(errno, EINPROGRESS);
	struct mtcp_epoll_event ev = { MTCP_EPOLLOUT | MTCP_EPOLLIN, { .sockid = c } };

	CHECK_EQ(mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, c, &ev), 0);
	CHECK(wait_for(m, ep, ls, MTCP_EPOLLIN));
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int s = mtcp_accept(m, ls, (struct sockaddr *)&peer, &pl);

	CHECK(s >= 0);
	CHECK_EQ(peer.sin_addr.s_addr, inet_addr(IP));
	CHECK(wait_for(m, ep, c, MTCP_EPOLLOUT));
	int err = -1;
	socklen_t el = sizeof(err);

	CHECK_EQ(mtcp_getsockopt(m, c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	CHECK_EQ(err, 0);
	CHECK_EQ(mtcp_accept(m, ls, NULL, NULL), -1);
	CHECK_EQ(errno, EAGAIN);
	mtcp_setsock_nonblock(m, s);
	struct mtcp_epoll_event sev = { MTCP_EPOLLIN | MTCP_EPOLLRDHUP, { .sockid = s } };

	CHECK_EQ(mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, s, &sev), 0);
	CHECK_EQ(mtcp_write(m, c, "ping", 4), 4);
	CHECK(wait_for(m, ep, s, MTCP_EPOLLIN));
	int nread = 0;

	CHECK_EQ(mtcp_socket_ioctl(m, s, FIONREAD, &nread), 0);
	CHECK_EQ(nread, 4);
	CHECK_EQ(mtcp_read(m, s, buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "ping", 4));
	CHECK_EQ(mtcp_read(m, s, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EAGAIN);
	struct iovec iov[2] = { { "po", 2 }, { "ng", 2 } };

	CHECK_EQ(mtcp_writev(m, s, iov, 2), 4);
	CHECK(wait_for(m, ep, c, MTCP_EPOLLIN));
	CHECK_EQ(mtcp_read(m, c, buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "pong", 4));
	struct sockaddr_in sn;
	socklen_t sl = sizeof(sn);

	CHECK_EQ(mtcp_getsockname(m, c, (struct sockaddr *)&sn, &sl), 0);
	CHECK(sn.sin_port != 0);
	CHECK_EQ(mtcp_getpeername(m, c, (struct sockaddr *)&sn, &sl), 0);
	CHECK_EQ(ntohs(sn.sin_port), 8080);
	/* client closes: server sees RDHUP and EOF */
	CHECK_EQ(mtcp_close(m, c), 0);
	uint32_t e = wait_for(m, ep, s, MTCP_EPOLLRDHUP);

	CHECK(e & MTCP_EPOLLIN);
	CHECK_EQ(mtcp_read(m, s, buf, sizeof(buf)), 0);
	CHECK_EQ(mtcp_close(m, s), 0);
	CHECK_EQ(mtcp_close(m, ls), 0);
	for (int i = 0; i < 20; i++)
		mtcp_epoll_wait(m, ep, (struct mtcp_epoll_event[4]){ 0 }, 4, 1);
	CHECK_EQ(m->st->n_pcbs, 0);
	teardown();
}

static void level_edge_oneshot(void)
{
	mctx_t m = setup("");
	int ep = mtcp_epoll_create(m, 64);
	int ls = listener(m, ep, 81);
	int c = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr(81);
	struct mtcp_epoll_event evs[8];

	CHECK_EQ(mtcp_connect(m, c, (struct sockaddr *)&a, sizeof(a)), 0);   /* blocking */
	CHECK(wait_for(m, ep, ls, MTCP_EPOLLIN));
	int s = mtcp_accept(m, ls, NULL, NULL);

	CHECK(s >= 0);
	/* level-triggered: unread data reported on every wait */
	struct mtcp_epoll_event ev = { MTCP_EPOLLIN, { .sockid = s } };

	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, s, &ev);
	mtcp_write(m, c, "abc", 3);
	CHECK(wait_for(m, ep, s, MTCP_EPOLLIN));
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 1);
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 1);
	/* edge-triggered: once per arrival */
	ev.events = MTCP_EPOLLIN | MTCP_EPOLLET;
	CHECK_EQ(mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_MOD, s, &ev), 0);
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 1);   /* MOD re-arms */
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 0);
	mtcp_write(m, c, "d", 1);
	CHECK(wait_for(m, ep, s, MTCP_EPOLLIN));
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 0);
	/* one-shot: reported once, then silent until MOD */
	ev.events = MTCP_EPOLLIN | MTCP_EPOLLONESHOT;
	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_MOD, s, &ev);
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 1);
	mtcp_write(m, c, "e", 1);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 1), 0);
	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_MOD, s, &ev);
	CHECK_EQ(mtcp_epoll_wait(m, ep, evs, 8, 0), 1);
	char buf[16];

	CHECK_EQ(mtcp_read(m, s, buf, sizeof(buf)), 5);
	CHECK_EQ(mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_DEL, s, NULL), 0);
	CHECK_EQ(mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_DEL, s, NULL), -1);
	CHECK_EQ(errno, ENOENT);
	mtcp_close(m, c);
	mtcp_close(m, s);
	teardown();
}

static void refused_and_reset(void)
{
	mctx_t m = setup("");
	int ep = mtcp_epoll_create(m, 64);
	int c = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr(9);   /* nobody listens */

	mtcp_setsock_nonblock(m, c);
	CHECK_EQ(mtcp_connect(m, c, (struct sockaddr *)&a, sizeof(a)), -1);
	struct mtcp_epoll_event ev = { MTCP_EPOLLOUT, { .sockid = c } };

	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, c, &ev);
	uint32_t e = wait_for(m, ep, c, MTCP_EPOLLERR);

	CHECK(e & MTCP_EPOLLERR);
	int err = 0;
	socklen_t el = sizeof(err);

	CHECK_EQ(mtcp_getsockopt(m, c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	CHECK_EQ(err, ECONNREFUSED);
	mtcp_close(m, c);
	/* blocking connect reports the error itself */
	c = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(mtcp_connect(m, c, (struct sockaddr *)&a, sizeof(a)), -1);
	CHECK_EQ(errno, ECONNREFUSED);
	mtcp_close(m, c);
	/* abort: the peer reads ECONNRESET */
	int ls = listener(m, ep, 82);
	struct sockaddr_in b = addr(82);

	c = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(mtcp_connect(m, c, (struct sockaddr *)&b, sizeof(b)), 0);
	CHECK(wait_for(m, ep, ls, MTCP_EPOLLIN));
	int s = mtcp_accept(m, ls, NULL, NULL);

	CHECK(s >= 0);
	CHECK_EQ(mtcp_abort(m, c), 0);
	char buf[8];

	mtcp_setsock_nonblock(m, s);
	for (int i = 0; i < 100 && m->socks[s].pcb->state != TCP_CLOSED; i++)
		mtcp_epoll_wait(m, ep, (struct mtcp_epoll_event[4]){ 0 }, 4, 1);
	CHECK_EQ(mtcp_read(m, s, buf, 8), -1);
	CHECK_EQ(errno, ECONNRESET);
	mtcp_close(m, s);
	mtcp_close(m, ls);
	teardown();
}

static void bulk_blocking_and_pipe(void)
{
	mctx_t m = setup("");
	int ep = mtcp_epoll_create(m, 64);
	int ls = listener(m, ep, 83);
	int c = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr(83);
	static char out[1 << 20], in[1 << 20];

	CHECK_EQ(mtcp_connect(m, c, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK(wait_for(m, ep, ls, MTCP_EPOLLIN));
	int s = mtcp_accept(m, ls, NULL, NULL);

	mtcp_setsock_nonblock(m, c);
	mtcp_setsock_nonblock(m, s);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 31 + (i >> 9));
	size_t w = 0, r = 0;

	for (int iter = 0; iter < 100000 && r < sizeof(in); iter++) {
		ssize_t n;

		if (w < sizeof(out) && (n = mtcp_write(m, c, out + w, sizeof(out) - w)) > 0)
			w += (size_t)n;
		if ((n = mtcp_read(m, s, in + r, sizeof(in) - r)) > 0)
			r += (size_t)n;
		mtcp_epoll_wait(m, ep, (struct mtcp_epoll_event[4]){ 0 }, 4, 0);
	}
	CHECK_EQ(r, sizeof(in));
	CHECK(!memcmp(in, out, sizeof(in)));
	int p[2];
	char b[8];

	CHECK_EQ(mtcp_pipe(m, p), 0);
	struct mtcp_epoll_event ev = { MTCP_EPOLLIN, { .sockid = p[0] } };

	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, p[0], &ev);
	CHECK_EQ(mtcp_write(m, p[1], "x", 1), 1);
	CHECK(wait_for(m, ep, p[0], MTCP_EPOLLIN));
	CHECK_EQ(mtcp_read(m, p[0], b, 8), 1);
	mtcp_close(m, p[1]);
	CHECK_EQ(mtcp_read(m, p[0], b, 8), 0);
	mtcp_close(m, p[0]);
	mtcp_close(m, c);
	mtcp_close(m, s);
	teardown();
}

/* A socket closed while queued on an epoll leaves a stale ring entry; a
 * new socket that gets the same id must still be reported once per wait. */
static void epoll_reused_id_reported_once(void)
{
	mctx_t m = setup("");
	int ep = mtcp_epoll_create(m, 64);
	int p1[2], p2[2];
	struct mtcp_epoll_event ev = { MTCP_EPOLLIN }, evs[8];

	CHECK_EQ(mtcp_pipe(m, p1), 0);
	ev.data.sockid = p1[0];
	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, p1[0], &ev);
	mtcp_write(m, p1[1], "a", 1);            /* p1[0] queued */
	mtcp_close(m, p1[1]);
	mtcp_close(m, p1[0]);                    /* its ring entry stays, stale */
	CHECK_EQ(mtcp_pipe(m, p2), 0);
	CHECK_EQ(p2[0], p1[0]);                  /* the free list is LIFO */
	/* register the read end whatever its id, make it ready */
	ev.data.sockid = p2[0];
	mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, p2[0], &ev);
	mtcp_write(m, p2[1], "b", 1);
	int n = mtcp_epoll_wait(m, ep, evs, 8, 0);

	CHECK_EQ(n, 1);
	CHECK_EQ(evs[0].data.sockid, p2[0]);
	/* many closes and reopens without waiting never lose a notification */
	for (int k = 0; k < 3000; k++) {
		int q[2];

		mtcp_pipe(m, q);
		ev.data.sockid = q[0];
		mtcp_epoll_ctl(m, ep, MTCP_EPOLL_CTL_ADD, q[0], &ev);
		mtcp_write(m, q[1], "c", 1);
		mtcp_close(m, q[0]);
		mtcp_close(m, q[1]);
	}
	n = mtcp_epoll_wait(m, ep, evs, 8, 0);
	CHECK_EQ(n, 1);   /* p2[0] still readable (level-triggered), once */
	mtcp_close(m, p2[0]);
	mtcp_close(m, p2[1]);
	teardown();
}

KBTEST_MAIN(T(conf_errors), T(connect_accept_echo_close), T(level_edge_oneshot),
	    T(refused_and_reset), T(bulk_blocking_and_pipe), T(epoll_reused_id_reported_once))
