/* mtcp_api.h: mTCP's public API, served by kbnet's stack.
 *
 * Names, types, constants and semantics follow upstream mTCP so that mTCP
 * applications build and run unchanged.  Differences are listed in
 * docs/porting.md (configuration keys; no kernel interface). */
#ifndef MTCP_API_H
#define MTCP_API_H

#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef UNUSED
#define UNUSED(x) (void)x
#endif

#ifndef INPORT_ANY
#define INPORT_ANY (uint16_t)0
#endif

enum socket_type {
	MTCP_SOCK_UNUSED,
	MTCP_SOCK_STREAM,
	MTCP_SOCK_PROXY,
	MTCP_SOCK_LISTENER,
	MTCP_SOCK_EPOLL,
	MTCP_SOCK_PIPE,
};

struct mtcp_conf {
	int num_cores;
	int max_concurrency;
	int max_num_buffers;
	int rcvbuf_size;
	int sndbuf_size;
	int tcp_timewait;   /* seconds */
	int tcp_timeout;    /* seconds; -1 disables */
};

typedef struct mtcp_context *mctx_t;

int mtcp_init(const char *config_file);
void mtcp_destroy(void);

int mtcp_getconf(struct mtcp_conf *conf);
int mtcp_setconf(const struct mtcp_conf *conf);

/* Binds the calling thread to application core `cpu`'s CPU: the config's
 * core_list entry, else a CPU the default placement leaves to VMs (never
 * kbswitch's when there is a choice).  mTCP binds to CPU `cpu` itself,
 * which is what happens before mtcp_init() or past the app cores. */
int mtcp_core_affinitize(int cpu);

mctx_t mtcp_create_context(int cpu);
void mtcp_destroy_context(mctx_t mctx);

typedef void (*mtcp_sighandler_t)(int);
mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler);

int mtcp_pipe(mctx_t mctx, int pipeid[2]);

int mtcp_getsockopt(mctx_t mctx, int sockid, int level, int optname,
		    void *optval, socklen_t *optlen);
int mtcp_setsockopt(mctx_t mctx, int sockid, int level, int optname,
		    const void *optval, socklen_t optlen);

int mtcp_setsock_nonblock(mctx_t mctx, int sockid);

/* FIONREAD (bytes readable) and FIONWRITE-like queries, as in mTCP. */
int mtcp_socket_ioctl(mctx_t mctx, int sockid, int request, void *argp);

int mtcp_socket(mctx_t mctx, int domain, int type, int protocol);
int mtcp_bind(mctx_t mctx, int sockid, const struct sockaddr *addr,
	      socklen_t addrlen);
int mtcp_listen(mctx_t mctx, int sockid, int backlog);
int mtcp_accept(mctx_t mctx, int sockid, struct sockaddr *addr,
		socklen_t *addrlen);

/* Pre-compute, for this context's core, the source ports whose flows to
 * daddr:dport hash back to this core under the DPDK layer's soft RSS. */
int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr,
		  in_addr_t daddr, in_addr_t dport);

int mtcp_connect(mctx_t mctx, int sockid, const struct sockaddr *addr,
		 socklen_t addrlen);
int mtcp_close(mctx_t mctx, int sockid);
/* Sends RST and frees the socket at once. */
int mtcp_abort(mctx_t mctx, int sockid);

int mtcp_getsockname(mctx_t mctx, int sockid, struct sockaddr *addr,
		     socklen_t *addrlen);
int mtcp_getpeername(mctx_t mctx, int sockid, struct sockaddr *addr,
		     socklen_t *addrlen);

ssize_t mtcp_read(mctx_t mctx, int sockid, char *buf, size_t len);
ssize_t mtcp_recv(mctx_t mctx, int sockid, char *buf, size_t len, int flags);
int mtcp_readv(mctx_t mctx, int sockid, const struct iovec *iov, int numIOV);

ssize_t mtcp_write(mctx_t mctx, int sockid, const char *buf, size_t len);
/* kbnet extension (not in mTCP): this context's stack counters since it
 * was created.  tx_bytes counts retransmitted payload again. */
struct mtcp_stat {
	uint64_t rx_bytes, tx_bytes;
	uint64_t rexmt_segs;
	uint64_t rto;           /* retransmission timeouts */
	uint64_t tlp_probe;     /* tail-loss probes (RFC 8985) */
	uint64_t rack_lost;     /* ranges RACK declared lost */
	uint64_t recoveries;    /* fast/SACK recovery episodes */
	uint64_t tx_blocked;    /* sending paused: the port's transmit queue was full */
};
int mtcp_get_stat(mctx_t mctx, struct mtcp_stat *st);

int mtcp_writev(mctx_t mctx, int sockid, const struct iovec *iov, int numIOV);

#ifdef __cplusplus
}
#endif
#endif
