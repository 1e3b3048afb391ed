/* mtcp_posix.h: the subset of the mTCP API kbxfer uses, over the kernel's
 * sockets, so one program measures kbnet and Linux TCP the same way
 * (bench/stack_bench.sh).  Built with -DKBXFER_POSIX. */
#ifndef MTCP_POSIX_H
#define MTCP_POSIX_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef void *mctx_t;
struct mtcp_conf { int num_cores; };
#define mtcp_epoll_event epoll_event
#define MTCP_EPOLLIN EPOLLIN
#define MTCP_EPOLL_CTL_ADD EPOLL_CTL_ADD

static int posix_cores = 16;

static inline int mtcp_init(const char *conf) { (void)conf; return 0; }
static inline void mtcp_destroy(void) {}
static inline int mtcp_getconf(struct mtcp_conf *c) { c->num_cores = posix_cores; return 0; }
static inline void mtcp_register_signal(int s, void (*h)(int)) { signal(s, h); }
static inline int mtcp_core_affinitize(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(cpu % (n > 0 ? n : 1), &set);
	return sched_setaffinity(0, sizeof(set), &set);
}
static inline mctx_t mtcp_create_context(int cpu) { (void)cpu; return (mctx_t)1; }
static inline void mtcp_destroy_context(mctx_t m) { (void)m; }
static inline int mtcp_epoll_create(mctx_t m, int n) { (void)m; return epoll_create(n); }
static inline int mtcp_epoll_ctl(mctx_t m, int ep, int op, int s, struct epoll_event *e)
{ (void)m; return epoll_ctl(ep, op, s, e); }
static inline int mtcp_epoll_wait(mctx_t m, int ep, struct epoll_event *e, int n, int t)
{ (void)m; return epoll_wait(ep, e, n, t); }
static inline int mtcp_socket(mctx_t m, int d, int t, int p)
{
	int s = socket(d, t, p), one = 1;

	(void)m;
	if (s >= 0) {
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* like kbnet's default (mTCP has no Nagle) */
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return s;
}
static inline int mtcp_bind(mctx_t m, int s, const struct sockaddr *a, socklen_t l)
{ (void)m; return bind(s, a, l); }
static inline int mtcp_listen(mctx_t m, int s, int b) { (void)m; return listen(s, b); }
static inline int mtcp_accept(mctx_t m, int s, struct sockaddr *a, socklen_t *l)
{
	int c = accept(s, a, l), one = 1;

	(void)m;
	if (c >= 0)
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}
static inline int mtcp_connect(mctx_t m, int s, const struct sockaddr *a, socklen_t l)
{ (void)m; return connect(s, a, l); }
static inline int mtcp_setsock_nonblock(mctx_t m, int s)
{ (void)m; return fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK); }
static inline ssize_t mtcp_read(mctx_t m, int s, char *b, size_t n) { (void)m; return read(s, b, n); }
static inline ssize_t mtcp_write(mctx_t m, int s, const char *b, size_t n) { (void)m; return write(s, b, n); }
static inline int mtcp_close(mctx_t m, int s) { (void)m; return close(s); }

#endif
