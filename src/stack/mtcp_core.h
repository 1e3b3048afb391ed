/* mtcp_core.h: the mTCP API layer's state (private).
 *
 * One `struct mtcp_context` per application core, owned by the thread that
 * created it: its own event loop (tcp_stack + backend), socket table,
 * epolls and DPDK core view.  The stack runs inline in that thread: every
 * blocking or polling call (mtcp_epoll_wait, a blocking read/write/accept/
 * connect) runs the core's event loop (mtcp_loop.h), so there is no stack
 * thread and no cross-thread queue (docs/stack.md).
 *
 * The network is reached through `struct mtcp_backend`: the DPDK layer in
 * production (mtcp_dpdk.c), an in-process loopback in unit tests.
 *
 * Files, bottom up (each calls only those before it): mtcp_loop.c (the
 * event loop), mtcp_sock.c (socket table, readiness, ready rings),
 * mtcp_epoll.c, mtcp_socket.c (the API calls), mtcp_init.c (setup,
 * contexts). */
#ifndef MTCP_CORE_H
#define MTCP_CORE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "mtcp_api.h"
#include "mtcp_epoll.h"
#include "kb_conf.h"
#include "mtcp_loop.h"
#include "tcp.h"

#define MTCP_MAX_CORES 16
#define MTCP_PIPE_SIZE 65536

struct mtcp_pipe_buf {
	uint8_t *buf;
	uint32_t head, len;
	int rd, wr;           /* socket ids, -1 once closed */
};

struct mtcp_sock {
	enum socket_type type;
	int id;
	bool nonblock;
	bool bound;
	uint32_t laddr;       /* network order */
	uint16_t lport;
	struct tcp_pcb *pcb;
	struct tcp_listener *lst;
	struct mtcp_pipe_buf *pipe;
	int so_error;
	/* SO_KEEPALIVE, TCP_KEEPIDLE/KEEPINTVL (s)/KEEPCNT; 0: the config's.
	 * Kept here so they apply from connect and pass from a listener to
	 * the connections it accepts, as in Linux. */
	bool ka;
	int ka_idle, ka_intvl, ka_cnt;
	/* epoll registration: a socket belongs to at most one epoll */
	int ep;               /* epoll socket id or -1 */
	uint32_t ep_mask;
	mtcp_epoll_data_t ep_data;
	bool queued;          /* in that epoll's ready ring */
	uint32_t ring_tag;    /* tag of its live ring entry */
	int next_free;
};

struct mtcp_ready {
	int id;
	uint32_t tag;         /* stale if it differs from the socket's ring_tag */
};

struct mtcp_epoll {
	struct mtcp_ready *ring;   /* sockets with possible events */
	uint32_t cap, head, n, tag;
};

struct mtcp_context {
	int cpu;
	struct mtcp_loop loop;    /* its stack, backend, drain deadline */
	struct tcp_stack *st;     /* loop.st */
	struct mtcp_sock *socks;
	struct mtcp_epoll *eps;   /* indexed by socket id (epoll sockets only) */
	int n_socks, free_head, n_used;
	uint32_t ip;
	uint16_t next_port;       /* ephemeral port search start (host order) */
	/* mtcp_init_rss: ports precomputed for one destination */
	uint32_t rss_daddr;
	uint16_t rss_dport;
	uint8_t *rss_ok;          /* bitmap by host-order port, or NULL */
	int n_app_cores;
	bool stat_print;
	sig_atomic_t sig_seen;    /* g_mtcp_signalled already reported */
};

struct mtcp_manager {
	bool inited;
	struct mtcp_conf conf;
	struct tcp_cfg tcp;
	bool stat_print;
	uint32_t drain_us;        /* tx_drain_us */
	void *layer;              /* struct dpdk_layer * */
	int n_app_cores;
	/* where mtcp_core_affinitize(i) binds thread i: the layer's placement
	 * of app core i (core_list, or a CPU kbswitch's worker does not take);
	 * without a layer that knows (-1), CPU i as in mTCP */
	int app_cpu[MTCP_MAX_CORES];
	uint32_t ip;
	pthread_mutex_t lock;
	struct mtcp_context *ctx[MTCP_MAX_CORES];
	/* how contexts reach the network; set by mtcp_init or a test */
	int (*attach)(struct mtcp_manager *m, int cpu, struct mtcp_backend *be);
	int (*rss_core)(struct mtcp_manager *m, uint32_t saddr, uint32_t daddr,
			uint16_t sport, uint16_t dport);
	void (*destroy_layer)(struct mtcp_manager *m);
	void (*print_core_stats)(struct mtcp_context *c);
};

extern struct mtcp_manager g_mtcp;
extern volatile sig_atomic_t g_mtcp_signalled;   /* counts signals */
extern volatile sig_atomic_t g_mtcp_stats_req;   /* counts SIGUSR1 (stat_print) */

/* A registered signal arrived since this context last said so: blocking
 * calls return -1/EINTR once per signal and context. */
static inline bool mtcp_interrupted(struct mtcp_context *c)
{
	if (c->sig_seen == g_mtcp_signalled)
		return false;
	c->sig_seen = g_mtcp_signalled;
	return true;
}

/* Claim and check the stack's keys of the config into m->conf / m->tcp
 * (positioned errors); the layer's keys are dpdk_cfg_parse()'s. */
int mtcp_load_stack_keys(struct kb_conf *c, struct mtcp_manager *m, struct kb_err *err);

/* mtcp_sock.c */
struct mtcp_sock *mtcp_sock_get(struct mtcp_context *c, int id);
int mtcp_sock_alloc(struct mtcp_context *c, enum socket_type t);
void mtcp_sock_release(struct mtcp_context *c, struct mtcp_sock *s);
/* Readiness of a socket in epoll terms. */
uint32_t mtcp_sock_events(struct mtcp_context *c, struct mtcp_sock *s);
/* Something changed: queue it on its epoll's ready ring. */
void mtcp_sock_notify(struct mtcp_context *c, struct mtcp_sock *s);
/* Put s (queued, ready-tagged) on ready ring e. */
void mtcp_ready_push(struct mtcp_epoll *e, struct mtcp_sock *s);
/* The stack's readiness callback (struct tcp_ops.event). */
void mtcp_sock_on_event(void *ctx, void *user, unsigned ev);

/* mtcp_epoll.c: frees epoll socket id's ring; its members forget it. */
void mtcp_epoll_destroy(struct mtcp_context *c, int id);

/* Brings up the network layer from the loaded config (claims its keys):
 * mtcp_dpdk.c in libkbnet, mtcp_nodpdk.c in the unit-test library. */
struct kb_conf;
struct kb_err;
int mtcp_dpdk_setup(struct mtcp_manager *m, struct kb_conf *c, struct kb_err *err);

/* Test hook: set up the manager without the DPDK layer; attach() gives
 * each context its backend.  Config keys as for mtcp_init. */
int mtcp_init_custom(const char *conf_text, uint32_t ip, int n_cores,
		     int (*attach)(struct mtcp_manager *, int, struct mtcp_backend *));

#endif
