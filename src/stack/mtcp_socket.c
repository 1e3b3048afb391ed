/* mtcp_socket.c: mTCP's socket calls over one context's tcp_stack. */
#include <errno.h>
/* not <netinet/tcp.h>: its TCP_* state names clash with tcp.h */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif
#ifndef TCP_KEEPIDLE      /* the values of <netinet/tcp.h> */
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#endif
#ifndef TCP_MAXSEG
#define TCP_MAXSEG 2
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mtcp_core.h"
#include "tcp_impl.h"

#define CHECK_CTX(c) do { if (!(c)) { errno = EACCES; return -1; } } while (0)

/* A call on s cannot complete yet.  Non-blocking: EAGAIN.  After a signal:
 * EINTR.  Else one pass of the loop (sending what is queued, sleeping when
 * idle) and 0: the caller tries again. */
static int block_or_fail(struct mtcp_context *c, const struct mtcp_sock *s)
{
	if (s->nonblock) {
		errno = EAGAIN;
		return -1;
	}
	if (mtcp_interrupted(c)) {
		errno = EINTR;
		return -1;
	}
	mtcp_loop_block(&c->loop);
	return 0;
}

static struct mtcp_sock *get_type(struct mtcp_context *c, int id, enum socket_type t)
{
	struct mtcp_sock *s = mtcp_sock_get(c, id);

	if (!s) {
		errno = EBADF;
		return NULL;
	}
	if (t != MTCP_SOCK_UNUSED && s->type != t) {
		errno = t == MTCP_SOCK_LISTENER ? EINVAL : ENOTSOCK;
		return NULL;
	}
	return s;
}

int mtcp_socket(mctx_t c, int domain, int type, int protocol)
{
	CHECK_CTX(c);
	if (domain != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	/* SOCK_NONBLOCK may be or-ed in, as with Linux */
	if ((type & ~SOCK_NONBLOCK) != SOCK_STREAM || (protocol && protocol != IPPROTO_TCP)) {
		errno = EINVAL;
		return -1;
	}
	int id = mtcp_sock_alloc(c, MTCP_SOCK_STREAM);

	if (id >= 0 && (type & SOCK_NONBLOCK))
		c->socks[id].nonblock = true;
	return id;
}

int mtcp_setsock_nonblock(mctx_t c, int id)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	if (!s)
		return -1;
	s->nonblock = true;
	return 0;
}

static int sin_in(const struct sockaddr *a, socklen_t len, const struct sockaddr_in **out)
{
	if (!a || len < (socklen_t)sizeof(struct sockaddr_in)) {
		errno = EINVAL;
		return -1;
	}
	if (a->sa_family != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	*out = (const struct sockaddr_in *)a;
	return 0;
}

int mtcp_bind(mctx_t c, int id, const struct sockaddr *addr, socklen_t len)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_STREAM);
	const struct sockaddr_in *sin;

	if (!s || sin_in(addr, len, &sin) < 0)
		return -1;
	if (s->bound || s->pcb) {
		errno = EINVAL;
		return -1;
	}
	if (sin->sin_addr.s_addr != INADDR_ANY && sin->sin_addr.s_addr != c->ip) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	s->laddr = sin->sin_addr.s_addr;
	s->lport = sin->sin_port;
	s->bound = true;
	return 0;
}

int mtcp_listen(mctx_t c, int id, int backlog)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_STREAM);
	int err = 0;

	if (!s)
		return -1;
	if (!s->bound || !s->lport || s->pcb) {
		errno = EINVAL;   /* mTCP requires bind() before listen() */
		return -1;
	}
	if (backlog <= 0 || backlog > (int)c->st->cfg.max_conns)
		backlog = (int)c->st->cfg.max_conns;
	s->lst = tcp_listen(c->st, s->laddr, s->lport, backlog, s, &err);
	if (!s->lst) {
		errno = err;
		return -1;
	}
	s->type = MTCP_SOCK_LISTENER;
	return 0;
}

static void fill_addr(struct sockaddr *addr, socklen_t *len, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin;

	if (!addr || !len)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = ip;
	sin.sin_port = port;
	memcpy(addr, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

static void sock_keepalive(struct mtcp_sock *s)
{
	if (s->pcb)
		tcp_set_keepalive(s->pcb, s->ka, (uint32_t)s->ka_idle * 1000000u,
				  (uint32_t)s->ka_intvl * 1000000u, s->ka_cnt);
}

int mtcp_accept(mctx_t c, int id, struct sockaddr *addr, socklen_t *addrlen)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_LISTENER);

	if (!s)
		return -1;
	for (;;) {
		if (s->lst->acc_head) {
			int nid = mtcp_sock_alloc(c, MTCP_SOCK_STREAM);

			if (nid < 0)
				return -1;
			struct mtcp_sock *ns = &c->socks[nid];

			ns->pcb = tcp_accept(s->lst, ns);
			ns->ka = s->ka;
			ns->ka_idle = s->ka_idle;
			ns->ka_intvl = s->ka_intvl;
			ns->ka_cnt = s->ka_cnt;
			sock_keepalive(ns);
			ns->laddr = ns->pcb->laddr;
			ns->lport = ns->pcb->lport;
			ns->bound = true;
			fill_addr(addr, addrlen, ns->pcb->raddr, ns->pcb->rport);
			/* more waiting: keep the listener readable for LT/ET users */
			if (s->lst->acc_head)
				mtcp_sock_notify(c, s);
			return nid;
		}
		if (block_or_fail(c, s) < 0)
			return -1;
	}
}

/* Precompute which local ports bring a flow to daddr:dport back to this
 * core under the DPDK layer's soft RSS. */
int mtcp_init_rss(mctx_t c, in_addr_t saddr_base, int num_addr, in_addr_t daddr,
		  in_addr_t dport)
{
	CHECK_CTX(c);
	(void)saddr_base;
	(void)num_addr;   /* one local address per VM */
	if (!c->rss_ok)
		c->rss_ok = calloc(65536 / 8, 1);
	if (!c->rss_ok) {
		errno = ENOMEM;
		return -1;
	}
	memset(c->rss_ok, 0, 65536 / 8);
	c->rss_daddr = daddr;
	c->rss_dport = (uint16_t)dport;
	int n = 0;

	for (uint32_t port = 1024; port < 65536; port++) {
		uint16_t sp = htons((uint16_t)port);

		if (c->n_app_cores <= 1 || !g_mtcp.rss_core ||
		    g_mtcp.rss_core(&g_mtcp, c->ip, daddr, sp, (uint16_t)dport) == c->cpu) {
			c->rss_ok[port / 8] |= (uint8_t)(1u << (port % 8));
			n++;
		}
	}
	return n ? 0 : -1;
}

static bool port_ok(struct mtcp_context *c, uint32_t daddr, uint16_t dport, uint16_t port)
{
	uint16_t sp = htons(port);

	if (c->rss_ok && c->rss_daddr == daddr && c->rss_dport == dport) {
		if (!(c->rss_ok[port / 8] & (1u << (port % 8))))
			return false;
	} else if (c->n_app_cores > 1 && g_mtcp.rss_core &&
		   g_mtcp.rss_core(&g_mtcp, c->ip, daddr, sp, dport) != c->cpu) {
		return false;
	}
	return tcp_tuple_free(c->st, c->ip, sp, daddr, dport) &&
	       !tcp_find_listener(c->st, c->ip, sp);
}

static int wait_connected(struct mtcp_context *c, struct mtcp_sock *s)
{
	while (s->pcb->state == TCP_SYN_SENT || s->pcb->state == TCP_SYN_RCVD)
		if (block_or_fail(c, s) < 0)
			return -1;
	if (s->pcb->err) {
		errno = s->pcb->err;
		return -1;
	}
	return 0;
}

int mtcp_connect(mctx_t c, int id, const struct sockaddr *addr, socklen_t len)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_STREAM);
	const struct sockaddr_in *sin;
	int err = 0;

	if (!s || sin_in(addr, len, &sin) < 0)
		return -1;
	if (s->pcb) {
		errno = s->pcb->state == TCP_SYN_SENT ? EALREADY : EISCONN;
		return -1;
	}
	uint32_t daddr = sin->sin_addr.s_addr;
	uint16_t dport = sin->sin_port;
	uint16_t port = 0;

	if (s->bound && s->lport) {
		port = ntohs(s->lport);
	} else {
		for (int tries = 0; tries < 64512; tries++) {
			uint16_t p = c->next_port;

			c->next_port = (uint16_t)(p >= 65535 ? 1024 : p + 1);
			if (p >= 1024 && port_ok(c, daddr, dport, p)) {
				port = p;
				break;
			}
		}
		if (!port) {
			errno = EADDRNOTAVAIL;
			return -1;
		}
	}
	s->pcb = tcp_connect(c->st, c->ip, htons(port), daddr, dport, s, &err);
	if (!s->pcb) {
		errno = err == ENOMEM ? EAGAIN : err;
		return -1;
	}
	s->laddr = c->ip;
	s->lport = htons(port);
	sock_keepalive(s);
	s->bound = true;
	mtcp_loop_queued(&c->loop);   /* the SYN */
	if (s->nonblock) {
		errno = EINPROGRESS;
		return -1;
	}
	return wait_connected(c, s);
}

static void pipe_close_end(struct mtcp_context *c, struct mtcp_sock *s);

int mtcp_close(mctx_t c, int id)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	if (!s)
		return -1;
	switch (s->type) {
	case MTCP_SOCK_STREAM:
		if (s->pcb)
			tcp_close(s->pcb);
		break;
	case MTCP_SOCK_LISTENER:
		tcp_listener_close(s->lst);
		break;
	case MTCP_SOCK_EPOLL:
		mtcp_epoll_destroy(c, id);
		break;
	case MTCP_SOCK_PIPE:
		pipe_close_end(c, s);
		break;
	default:
		break;
	}
	mtcp_sock_release(c, s);
	mtcp_loop_queued(&c->loop);   /* the FIN or RST */
	return 0;
}

int mtcp_abort(mctx_t c, int id)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	if (!s)
		return -1;
	if (s->type == MTCP_SOCK_STREAM && s->pcb) {
		tcp_abort(s->pcb);
		s->pcb = NULL;
		mtcp_sock_release(c, s);
		mtcp_loop_queued(&c->loop);
		return 0;
	}
	return mtcp_close(c, id);
}

int mtcp_getsockname(mctx_t c, int id, struct sockaddr *addr, socklen_t *len)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	if (!s)
		return -1;
	if (!addr || !len) {
		errno = EINVAL;
		return -1;
	}
	fill_addr(addr, len, s->laddr, s->lport);
	return 0;
}

int mtcp_getpeername(mctx_t c, int id, struct sockaddr *addr, socklen_t *len)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_STREAM);

	if (!s)
		return -1;
	if (!s->pcb || s->pcb->state == TCP_SYN_SENT) {
		errno = ENOTCONN;
		return -1;
	}
	if (!addr || !len) {
		errno = EINVAL;
		return -1;
	}
	fill_addr(addr, len, s->pcb->raddr, s->pcb->rport);
	return 0;
}

int mtcp_getsockopt(mctx_t c, int id, int level, int optname, void *optval, socklen_t *optlen)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);
	int v;

	if (!s)
		return -1;
	if (!optval || !optlen || *optlen < sizeof(int)) {
		errno = EINVAL;
		return -1;
	}
	if (level == SOL_SOCKET && optname == SO_ERROR) {
		v = s->so_error ? s->so_error : (s->pcb ? s->pcb->err : 0);
		s->so_error = 0;
		if (s->pcb && s->pcb->err && s->pcb->state == TCP_CLOSED)
			s->so_error = 0;
	} else if (level == SOL_SOCKET && optname == SO_RCVBUF) {
		v = (int)c->st->cfg.rcvbuf;
	} else if (level == SOL_SOCKET && optname == SO_SNDBUF) {
		v = (int)c->st->cfg.sndbuf;
	} else if (level == IPPROTO_TCP && optname == TCP_NODELAY) {
		v = s->pcb ? !s->pcb->nagle : !c->st->cfg.nagle;
	} else if (level == SOL_SOCKET && optname == SO_KEEPALIVE) {
		v = s->ka;
	} else if (level == IPPROTO_TCP && optname == TCP_KEEPIDLE) {
		v = s->pcb ? (int)(s->pcb->ka_idle_us / 1000000u) : s->ka_idle ? s->ka_idle
		    : (int)(c->st->cfg.ka_idle_us / 1000000u);
	} else if (level == IPPROTO_TCP && optname == TCP_KEEPINTVL) {
		v = s->pcb ? (int)(s->pcb->ka_intvl_us / 1000000u) : s->ka_intvl ? s->ka_intvl
		    : (int)(c->st->cfg.ka_intvl_us / 1000000u);
	} else if (level == IPPROTO_TCP && optname == TCP_KEEPCNT) {
		v = s->pcb ? s->pcb->ka_probes : s->ka_cnt ? s->ka_cnt : c->st->cfg.ka_probes;
	} else if (level == IPPROTO_TCP && optname == TCP_MAXSEG) {
		v = s->pcb ? s->pcb->mss : c->st->cfg.mss;
	} else {
		errno = ENOPROTOOPT;
		return -1;
	}
	memcpy(optval, &v, sizeof(v));
	*optlen = sizeof(v);
	return 0;
}

int mtcp_setsockopt(mctx_t c, int id, int level, int optname, const void *optval,
		    socklen_t optlen)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);
	int v;

	if (!s)
		return -1;
	if (!optval || optlen < sizeof(int)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&v, optval, sizeof(v));
	if (level == IPPROTO_TCP && optname == TCP_NODELAY) {
		if (s->pcb)
			s->pcb->nagle = !v;
		return 0;
	}
	if (level == SOL_SOCKET && optname == SO_KEEPALIVE) {
		s->ka = v != 0;
		sock_keepalive(s);
		return 0;
	}
	if (level == IPPROTO_TCP && (optname == TCP_KEEPIDLE || optname == TCP_KEEPINTVL ||
				     optname == TCP_KEEPCNT)) {
		/* Linux's bounds: 1..32767 s, 1..127 probes */
		if (v < 1 || v > (optname == TCP_KEEPCNT ? 127 : 32767)) {
			errno = EINVAL;
			return -1;
		}
		*(optname == TCP_KEEPIDLE ? &s->ka_idle : optname == TCP_KEEPINTVL ? &s->ka_intvl
		  : &s->ka_cnt) = v;
		sock_keepalive(s);
		return 0;
	}
	if (level == SOL_SOCKET && (optname == SO_REUSEADDR || optname == SO_REUSEPORT ||
				    optname == SO_RCVBUF || optname == SO_SNDBUF))
		return 0;   /* per-core tables need no reuse; buffers are per config */
	errno = ENOPROTOOPT;
	return -1;
}

int mtcp_socket_ioctl(mctx_t c, int id, int request, void *argp)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	if (!s)
		return -1;
	if (!argp) {
		errno = EFAULT;
		return -1;
	}
	if (request == FIONREAD) {
		int v = 0;

		if (s->type == MTCP_SOCK_STREAM && s->pcb)
			v = (int)tcp_readable(s->pcb);
		else if (s->type == MTCP_SOCK_PIPE)
			v = (int)s->pipe->len;
		else {
			errno = EINVAL;
			return -1;
		}
		*(int *)argp = v;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* ---- data ---- */

static ssize_t pipe_read(struct mtcp_context *c, struct mtcp_sock *s, char *buf, size_t len);
static ssize_t pipe_write(struct mtcp_context *c, struct mtcp_sock *s, const char *buf, size_t len);

/* Reads and writes need a stream socket with a connection behind it. */
static int check_stream(const struct mtcp_sock *s)
{
	if (s->type != MTCP_SOCK_STREAM) {
		errno = ENOTSOCK;
		return -1;
	}
	if (!s->pcb) {
		errno = ENOTCONN;
		return -1;
	}
	return 0;
}

ssize_t mtcp_recv(mctx_t c, int id, char *buf, size_t len, int flags)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	(void)flags;
	if (!s)
		return -1;
	if (s->type == MTCP_SOCK_PIPE)
		return pipe_read(c, s, buf, len);
	if (check_stream(s) < 0)
		return -1;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	for (;;) {
		uint64_t segs = c->st->stats.tx_segs;
		int r = tcp_recv(s->pcb, buf, (uint32_t)len);

		if (r >= 0) {
			if (c->st->stats.tx_segs != segs)
				mtcp_loop_queued(&c->loop);   /* a window update */
			return r;
		}
		if (r != -EAGAIN) {
			errno = -r;
			return -1;
		}
		if (block_or_fail(c, s) < 0)
			return -1;
	}
}

ssize_t mtcp_read(mctx_t c, int id, char *buf, size_t len)
{
	return mtcp_recv(c, id, buf, len, 0);
}

int mtcp_readv(mctx_t c, int id, const struct iovec *iov, int n)
{
	ssize_t total = 0;

	for (int i = 0; i < n; i++) {
		if (!iov[i].iov_len)
			continue;
		ssize_t r = mtcp_recv(c, id, iov[i].iov_base, iov[i].iov_len, 0);

		if (r < 0)
			return total ? (int)total : -1;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
		/* after the first chunk, do not block for more */
		struct mtcp_sock *s = mtcp_sock_get(c, id);

		if (s && s->type == MTCP_SOCK_STREAM && s->pcb && !tcp_readable(s->pcb))
			break;
	}
	return (int)total;
}

/* Queue len bytes on stream s (blocking while its buffer is full unless
 * non-blocking); the caller applies the drain deadline once per call. */
static ssize_t stream_write(struct mtcp_context *c, struct mtcp_sock *s, const char *buf,
			    size_t len)
{
	size_t done = 0;

	if (!s->nonblock && (s->pcb->state == TCP_SYN_SENT || s->pcb->state == TCP_SYN_RCVD) &&
	    wait_connected(c, s) < 0)
		return -1;
	while (done < len) {
		uint32_t n = len - done > UINT32_MAX ? UINT32_MAX : (uint32_t)(len - done);
		int r = tcp_send(s->pcb, buf + done, n);

		if (r < 0) {
			if (done)
				break;
			errno = r == -ENOTCONN && s->nonblock ? EAGAIN : -r;
			return -1;
		}
		done += (size_t)r;
		if (done == len || block_or_fail(c, s) < 0)
			break;
	}
	if (!done && len)
		return -1;   /* errno from block_or_fail */
	return (ssize_t)done;
}

ssize_t mtcp_write(mctx_t c, int id, const char *buf, size_t len)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);

	if (!s)
		return -1;
	if (s->type == MTCP_SOCK_PIPE)
		return pipe_write(c, s, buf, len);
	if (check_stream(s) < 0)
		return -1;
	ssize_t r = stream_write(c, s, buf, len);

	if (r > 0)
		mtcp_loop_queued(&c->loop);
	return r;
}

int mtcp_writev(mctx_t c, int id, const struct iovec *iov, int n)
{
	struct mtcp_sock *s = get_type(c, id, MTCP_SOCK_UNUSED);
	ssize_t total = 0;

	if (!s)
		return -1;
	/* one call: every piece is queued before the deadline is looked at,
	 * so a header and its body share segments */
	for (int i = 0; i < n; i++) {
		if (!iov[i].iov_len)
			continue;
		ssize_t r = s->type == MTCP_SOCK_PIPE ? pipe_write(c, s, iov[i].iov_base, iov[i].iov_len)
			    : check_stream(s) < 0 ? -1 : stream_write(c, s, iov[i].iov_base, iov[i].iov_len);

		if (r < 0) {
			if (!total)
				return -1;
			break;
		}
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	if (total && s->type == MTCP_SOCK_STREAM)
		mtcp_loop_queued(&c->loop);
	return (int)total;
}

/* ---- pipes: a byte ring between two sockets of one context ---- */

int mtcp_pipe(mctx_t c, int pipeid[2])
{
	CHECK_CTX(c);
	struct mtcp_pipe_buf *p = calloc(1, sizeof(*p));
	int rd, wr;

	if (!p || !(p->buf = malloc(MTCP_PIPE_SIZE))) {
		free(p);
		errno = ENOMEM;
		return -1;
	}
	rd = mtcp_sock_alloc(c, MTCP_SOCK_PIPE);
	wr = rd < 0 ? -1 : mtcp_sock_alloc(c, MTCP_SOCK_PIPE);
	if (wr < 0) {
		if (rd >= 0)
			mtcp_sock_release(c, &c->socks[rd]);
		free(p->buf);
		free(p);
		return -1;
	}
	p->rd = rd;
	p->wr = wr;
	c->socks[rd].pipe = p;
	c->socks[wr].pipe = p;
	pipeid[0] = rd;
	pipeid[1] = wr;
	return 0;
}

static void pipe_close_end(struct mtcp_context *c, struct mtcp_sock *s)
{
	struct mtcp_pipe_buf *p = s->pipe;
	int other;

	if (p->rd == s->id)
		p->rd = -1;
	if (p->wr == s->id)
		p->wr = -1;
	other = p->rd >= 0 ? p->rd : p->wr;
	if (other < 0) {
		free(p->buf);
		free(p);
	} else {
		mtcp_sock_notify(c, &c->socks[other]);
	}
}

static ssize_t pipe_read(struct mtcp_context *c, struct mtcp_sock *s, char *buf, size_t len)
{
	struct mtcp_pipe_buf *p = s->pipe;

	if (p->rd != s->id) {
		errno = EBADF;
		return -1;
	}
	for (;;) {
		if (p->len) {
			uint32_t n = len < p->len ? (uint32_t)len : p->len;

			for (uint32_t i = 0; i < n; i++)
				buf[i] = (char)p->buf[(p->head + i) % MTCP_PIPE_SIZE];
			p->head = (p->head + n) % MTCP_PIPE_SIZE;
			p->len -= n;
			if (p->wr >= 0)
				mtcp_sock_notify(c, &c->socks[p->wr]);
			return n;
		}
		if (p->wr < 0)
			return 0;
		if (s->nonblock) {
			errno = EAGAIN;
			return -1;
		}
		if (mtcp_interrupted(c)) {
			errno = EINTR;
			return -1;
		}
		/* the writer is in this thread too: only the network can
		 * change nothing here, so a blocking read would hang */
		errno = EWOULDBLOCK;
		return -1;
	}
}

static ssize_t pipe_write(struct mtcp_context *c, struct mtcp_sock *s, const char *buf, size_t len)
{
	struct mtcp_pipe_buf *p = s->pipe;

	if (p->wr != s->id) {
		errno = EBADF;
		return -1;
	}
	if (p->rd < 0) {
		errno = EPIPE;
		return -1;
	}
	uint32_t space = MTCP_PIPE_SIZE - p->len;
	uint32_t n = len < space ? (uint32_t)len : space;

	if (!n) {
		errno = EAGAIN;
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		p->buf[(p->head + p->len + i) % MTCP_PIPE_SIZE] = (uint8_t)buf[i];
	p->len += n;
	mtcp_sock_notify(c, &c->socks[p->rd]);
	return n;
}
