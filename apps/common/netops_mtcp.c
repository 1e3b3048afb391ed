/* kb_netops over kbnet's mTCP API: the stack runs inline in these calls. */
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>

#include "kb_netops.h"
#include "mtcp_api.h"
#include "mtcp_epoll.h"

static int m_cores_n = 1;

static int m_global_init(const char *conf, int cores)
{
	if (mtcp_init(conf) < 0)
		return -1;   /* mtcp_init printed file:line:col */
	struct mtcp_conf mc;
	if (mtcp_getconf(&mc) < 0)
		return -1;
	if (cores > 0 && cores < mc.num_cores) {
		mc.num_cores = cores;
		mtcp_setconf(&mc);
	}
	m_cores_n = mc.num_cores;
	return 0;
}
static void m_global_fini(void) { mtcp_destroy(); }
static int m_cores(void) { return m_cores_n; }
static void m_on_signal(void (*h)(int))
{
	mtcp_register_signal(SIGINT, h);
	mtcp_register_signal(SIGTERM, h);
}

static void *m_thread_init(int core, bool *ok)
{
	mtcp_core_affinitize(core);
	mctx_t m = mtcp_create_context(core);
	*ok = m != NULL;
	return m;
}
static void m_thread_fini(void *ctx) { if (ctx) mtcp_destroy_context(ctx); }

static int m_socket(void *ctx)
{
	int s = mtcp_socket(ctx, AF_INET, SOCK_STREAM, 0);
	if (s >= 0 && mtcp_setsock_nonblock(ctx, s) < 0) {
		int e = errno;
		mtcp_close(ctx, s);
		errno = e;
		return -1;
	}
	return s;
}

static int m_listen(void *ctx, int fd, const struct sockaddr_in *a, int backlog)
{
	if (mtcp_bind(ctx, fd, (const struct sockaddr *)a, sizeof(*a)) < 0)
		return -1;
	return mtcp_listen(ctx, fd, backlog);
}

static int m_accept(void *ctx, int fd)
{
	int c = mtcp_accept(ctx, fd, NULL, NULL);
	if (c >= 0)
		mtcp_setsock_nonblock(ctx, c);
	return c;
}

static int m_connect(void *ctx, int fd, const struct sockaddr_in *a)
{
	return mtcp_connect(ctx, fd, (const struct sockaddr *)a, sizeof(*a));
}

static int m_sock_error(void *ctx, int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);
	if (mtcp_getsockopt(ctx, fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return errno;
	return e;
}

static int m_keepalive(void *ctx, int fd)
{
	int on = 1;
	return mtcp_setsockopt(ctx, fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
}

static ssize_t m_read(void *ctx, int fd, void *b, size_t n) { return mtcp_read(ctx, fd, b, n); }
static ssize_t m_write(void *ctx, int fd, const void *b, size_t n) { return mtcp_write(ctx, fd, b, n); }
static int m_close(void *ctx, int fd) { return mtcp_close(ctx, fd); }
static int m_ep_create(void *ctx, int size) { return mtcp_epoll_create(ctx, size); }
static void m_ep_close(void *ctx, int ep) { mtcp_close(ctx, ep); }

static int m_ep_ctl(void *ctx, int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct mtcp_epoll_event e = { .data.u64 = data };
	if (events & KB_EV_IN)
		e.events |= MTCP_EPOLLIN;
	if (events & KB_EV_OUT)
		e.events |= MTCP_EPOLLOUT;
	return mtcp_epoll_ctl(ctx, ep, op == KB_EP_ADD ? MTCP_EPOLL_CTL_ADD :
			      op == KB_EP_DEL ? MTCP_EPOLL_CTL_DEL : MTCP_EPOLL_CTL_MOD,
			      fd, &e);
}

static int m_ep_wait(void *ctx, int ep, struct kb_ev *evs, int n, int timeout_ms)
{
	struct mtcp_epoll_event e[64];
	if (n > 64)
		n = 64;
	int r = mtcp_epoll_wait(ctx, ep, e, n, timeout_ms);
	for (int i = 0; i < r; i++) {
		uint32_t x = 0;
		if (e[i].events & (MTCP_EPOLLIN | MTCP_EPOLLRDHUP))
			x |= KB_EV_IN;
		if (e[i].events & MTCP_EPOLLOUT)
			x |= KB_EV_OUT;
		if (e[i].events & (MTCP_EPOLLERR | MTCP_EPOLLHUP))
			x |= KB_EV_ERR;
		evs[i].events = x;
		evs[i].data = e[i].data.u64;
	}
	if (r < 0 && errno == EINTR)
		return 0;
	return r;
}

static void m_stat(void *ctx, struct kb_netstat *s)
{
	struct mtcp_stat st = { 0 };

	mtcp_get_stat(ctx, &st);
	s->bytes = st.rx_bytes + st.tx_bytes;
	s->rto = st.rto;
}

static const struct kb_netops ops = {
	.name = "mtcp",
	.global_init = m_global_init, .global_fini = m_global_fini,
	.thread_init = m_thread_init, .thread_fini = m_thread_fini, .cores = m_cores,
	.on_signal = m_on_signal,
	.socket = m_socket, .listen = m_listen, .accept = m_accept,
	.connect = m_connect, .sock_error = m_sock_error, .keepalive = m_keepalive,
	.read = m_read, .write = m_write, .close = m_close,
	.ep_create = m_ep_create, .ep_ctl = m_ep_ctl, .ep_wait = m_ep_wait,
	.ep_close = m_ep_close, .stat = m_stat,
};

const struct kb_netops *const kb_netops_mtcp = &ops;
