/* kb_netops: one table of socket + epoll calls, served either by kbnet's
 * mTCP API or by Linux sockets, so an app runs the same code over both and
 * one tool (kbperf, epserver, epwget) measures both sides.
 *
 * Every call takes the per-thread context first (an mctx_t for mTCP, NULL
 * for Linux).  Sockets are always non-blocking; errors are -1 with errno,
 * as in both APIs.  Event bits are our own, mapped to each API's. */
#ifndef KB_NETOPS_H
#define KB_NETOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

enum {
	KB_EV_IN  = 1u << 0,
	KB_EV_OUT = 1u << 1,
	KB_EV_ERR = 1u << 2,   /* error or hang-up: read/SO_ERROR tells which */
};

struct kb_ev {
	uint32_t events;
	uint64_t data;
};

/* Transfer and timeout counters: mTCP's of one context (mtcp_get_stat),
 * or Linux's of the whole network namespace (/proc/net/netstat). */
struct kb_netstat {
	uint64_t bytes;   /* payload (mTCP) or IP (Linux) bytes, both ways */
	uint64_t rto;     /* retransmission timeouts */
};

static inline double kb_rto_per_gb(const struct kb_netstat *s)
{
	return s->bytes ? (double)s->rto * 1e9 / (double)s->bytes : 0;
}

struct kb_netops {
	const char *name;                         /* "kernel" or "mtcp" */
	/* Process setup: conf is the mTCP config file (ignored by kernel). */
	int (*global_init)(const char *conf, int cores);
	void (*global_fini)(void);
	/* Per-thread: pins the thread to core and returns its context (or NULL
	 * with *ok set: Linux needs none). */
	void *(*thread_init)(int core, bool *ok);
	void (*thread_fini)(void *ctx);
	int (*cores)(void);                       /* usable cores after init */
	void (*on_signal)(void (*handler)(int));  /* SIGINT/SIGTERM */

	int (*socket)(void *ctx);                 /* TCP, non-blocking */
	int (*listen)(void *ctx, int fd, const struct sockaddr_in *a, int backlog);
	int (*accept)(void *ctx, int fd);         /* non-blocking result */
	int (*connect)(void *ctx, int fd, const struct sockaddr_in *a); /* EINPROGRESS ok */
	int (*sock_error)(void *ctx, int fd);     /* SO_ERROR value, or errno */
	int (*keepalive)(void *ctx, int fd);      /* SO_KEEPALIVE on (timing: the stack's) */
	ssize_t (*read)(void *ctx, int fd, void *buf, size_t len);
	ssize_t (*write)(void *ctx, int fd, const void *buf, size_t len);
	int (*close)(void *ctx, int fd);

	int (*ep_create)(void *ctx, int size);
	int (*ep_ctl)(void *ctx, int ep, int op, int fd, uint32_t events, uint64_t data);
	int (*ep_wait)(void *ctx, int ep, struct kb_ev *evs, int n, int timeout_ms);
	void (*ep_close)(void *ctx, int ep);
	/* Counters so far (call before thread_fini); Linux's start at
	 * global_init. */
	void (*stat)(void *ctx, struct kb_netstat *s);
	bool stat_global;   /* stat is the namespace's, not per thread */
};

/* Adds worker i's counters to a total (Linux's are counted once). */
static inline void kb_netstat_add(const struct kb_netops *ops, int i, struct kb_netstat *total,
				  const struct kb_netstat *w)
{
	if (ops->stat_global && i)
		return;
	total->bytes += w->bytes;
	total->rto += w->rto;
}

enum { KB_EP_ADD = 1, KB_EP_DEL = 2, KB_EP_MOD = 3 };

extern const struct kb_netops kb_netops_kernel;
/* NULL when the app was built without libkbnet. */
extern const struct kb_netops *const kb_netops_mtcp;

/* Set by the signal handler of either backend; loops check it. */
extern volatile int kb_netops_stop;
void kb_netops_on_signals(const struct kb_netops *ops);

#endif
