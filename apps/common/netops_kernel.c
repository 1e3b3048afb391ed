/* kb_netops over Linux sockets and epoll (kbperf --kernel etc.). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kb_netops.h"

volatile int kb_netops_stop;

static void on_stop(int sig) { (void)sig; kb_netops_stop = 1; }

void kb_netops_on_signals(const struct kb_netops *ops)
{
	/* A peer that goes away mid-write must be an error code, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	ops->on_signal(on_stop);
}

static void k_on_signal(void (*h)(int))
{
	struct sigaction sa = { .sa_handler = h };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* TcpExt TCPTimeouts and IpExt InOctets + OutOctets of this network
 * namespace: the lines come in pairs, names then values. */
static void k_read_netstat(struct kb_netstat *s)
{
	char names[4096], vals[4096];
	FILE *f = fopen("/proc/net/netstat", "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		char *sn, *sv;
		char *n = strtok_r(names, " \n", &sn), *v = strtok_r(vals, " \n", &sv);
		bool tcp = n && !strcmp(n, "TcpExt:"), ip = n && !strcmp(n, "IpExt:");

		while ((n = strtok_r(NULL, " \n", &sn)) && (v = strtok_r(NULL, " \n", &sv))) {
			uint64_t x = strtoull(v, NULL, 10);

			if (tcp && !strcmp(n, "TCPTimeouts"))
				s->rto = x;
			else if (ip && (!strcmp(n, "InOctets") || !strcmp(n, "OutOctets")))
				s->bytes += x;
		}
	}
	fclose(f);
}

static struct kb_netstat k_base;

static int k_global_init(const char *conf, int cores)
{
	(void)conf;
	(void)cores;
	k_read_netstat(&k_base);
	return 0;
}

static void k_stat(void *ctx, struct kb_netstat *s)
{
	(void)ctx;
	k_read_netstat(s);
	s->bytes -= k_base.bytes;
	s->rto -= k_base.rto;
}
static void k_global_fini(void) {}
static int k_cores(void) { long n = sysconf(_SC_NPROCESSORS_ONLN); return n > 0 ? (int)n : 1; }

static void *k_thread_init(int core, bool *ok)
{
	(void)core;   /* the kernel schedules its own threads; no pinning */
	*ok = true;
	return NULL;
}
static void k_thread_fini(void *ctx) { (void)ctx; }

static int k_socket(void *ctx)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int k_listen(void *ctx, int fd, const struct sockaddr_in *a, int backlog)
{
	int one = 1;
	/* One listener per worker thread, spread by the kernel like soft RSS. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0)
		return -1;
	return listen(fd, backlog);
}

static int k_accept(void *ctx, int fd)
{
	int one = 1;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c >= 0)
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

static int k_connect(void *ctx, int fd, const struct sockaddr_in *a)
{
	return connect(fd, (const struct sockaddr *)a, sizeof(*a));
}

static int k_sock_error(void *ctx, int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return errno;
	return e;
}

static int k_keepalive(void *ctx, int fd)
{
	int on = 1;
	return setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
}

static ssize_t k_read(void *ctx, int fd, void *b, size_t n) { return read(fd, b, n); }
static ssize_t k_write(void *ctx, int fd, const void *b, size_t n) { return send(fd, b, n, MSG_NOSIGNAL); }
static int k_close(void *ctx, int fd) { return close(fd); }
static int k_ep_create(void *ctx, int size) { return epoll_create1(EPOLL_CLOEXEC); }
static void k_ep_close(void *ctx, int ep) { close(ep); }

static int k_ep_ctl(void *ctx, int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = { .data.u64 = data };
	if (events & KB_EV_IN)
		e.events |= EPOLLIN;
	if (events & KB_EV_OUT)
		e.events |= EPOLLOUT;
	return epoll_ctl(ep, op == KB_EP_ADD ? EPOLL_CTL_ADD :
			 op == KB_EP_DEL ? EPOLL_CTL_DEL : EPOLL_CTL_MOD, fd, &e);
}

static int k_ep_wait(void *ctx, int ep, struct kb_ev *evs, int n, int timeout_ms)
{
	struct epoll_event e[64];
	if (n > 64)
		n = 64;
	int r = epoll_wait(ep, e, n, timeout_ms);
	for (int i = 0; i < r; i++) {
		uint32_t x = 0;
		if (e[i].events & (EPOLLIN | EPOLLRDHUP))
			x |= KB_EV_IN;
		if (e[i].events & EPOLLOUT)
			x |= KB_EV_OUT;
		if (e[i].events & (EPOLLERR | EPOLLHUP))
			x |= KB_EV_ERR;
		evs[i].events = x;
		evs[i].data = e[i].data.u64;
	}
	if (r < 0 && errno == EINTR)
		return 0;
	return r;
}

const struct kb_netops kb_netops_kernel = {
	.name = "kernel",
	.global_init = k_global_init, .global_fini = k_global_fini,
	.thread_init = k_thread_init, .thread_fini = k_thread_fini, .cores = k_cores,
	.on_signal = k_on_signal,
	.socket = k_socket, .listen = k_listen, .accept = k_accept,
	.connect = k_connect, .sock_error = k_sock_error, .keepalive = k_keepalive,
	.read = k_read, .write = k_write, .close = k_close,
	.ep_create = k_ep_create, .ep_ctl = k_ep_ctl, .ep_wait = k_ep_wait,
	.ep_close = k_ep_close, .stat = k_stat, .stat_global = true,
};
