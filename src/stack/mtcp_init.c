/* mtcp_init.c: mTCP setup calls, configuration and contexts.  The
 * per-core event loop is mtcp_loop.c. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb_conf.h"
#include "mtcp_core.h"

struct mtcp_manager g_mtcp = { .lock = PTHREAD_MUTEX_INITIALIZER };
volatile sig_atomic_t g_mtcp_signalled;
volatile sig_atomic_t g_mtcp_stats_req;

static struct mtcp_conf g_preset;     /* mtcp_setconf() before mtcp_init() */
static bool g_have_preset;

/* ---- configuration ---- */

static int conf_int(struct kb_conf *c, const char *k, long long lo, long long hi,
		    int *out, struct kb_err *err)
{
	long long v = *out;

	if (kb_conf_int(c, k, lo, hi, &v, err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* The stack's keys (docs/stack.md).  Everything else is the layer's. */
int mtcp_load_stack_keys(struct kb_conf *c, struct mtcp_manager *m, struct kb_err *err)
{
	struct tcp_cfg *t = &m->tcp;
	struct mtcp_conf *mc = &m->conf;
	struct kb_conf_entry *e;
	const char *s;
	int v;

	tcp_cfg_defaults(t);
	if (g_have_preset)
		*mc = g_preset;
	else
		*mc = (struct mtcp_conf){ 1, 10000, 10000, (int)t->rcvbuf, (int)t->sndbuf, 0, 30 };
	if (conf_int(c, "num_cores", 1, MTCP_MAX_CORES, &mc->num_cores, err) ||
	    conf_int(c, "max_concurrency", 1, 1000000, &mc->max_concurrency, err) ||
	    conf_int(c, "max_num_buffers", 1, 1000000, &mc->max_num_buffers, err) ||
	    conf_int(c, "rcvbuf", 1024, 64 << 20, &mc->rcvbuf_size, err) ||
	    conf_int(c, "sndbuf", 1024, 64 << 20, &mc->sndbuf_size, err) ||
	    conf_int(c, "tcp_timeout", -1, 86400, &mc->tcp_timeout, err) ||
	    conf_int(c, "tcp_timewait", 0, 600, &mc->tcp_timewait, err))
		return -1;
	/* mTCP's stat_print names the port to print; any name (or yes) turns
	 * printing on, no/0/false off */
	e = kb_conf_get(c, "stat_print");
	m->stat_print = e && strcmp(e->val, "no") && strcmp(e->val, "0") &&
			strcmp(e->val, "false") && strcmp(e->val, "off");
	s = NULL;
	if (kb_conf_str(c, "congestion_control", &s, err) < 0)
		return -1;
	if (s) {
		if (!strcmp(s, "cubic"))
			t->cc = TCP_CC_CUBIC;
		else if (!strcmp(s, "reno") || !strcmp(s, "newreno"))
			t->cc = TCP_CC_RENO;
		else
			return kb_conf_bad(c, kb_conf_get(c, "congestion_control"), err,
					   "cubic or reno");
	}
	if (kb_conf_bool(c, "sack", &t->sack, err) ||
	    kb_conf_bool(c, "timestamps", &t->timestamps, err) ||
	    kb_conf_bool(c, "window_scaling", &t->wscale, err) ||
	    kb_conf_bool(c, "delayed_ack", &t->delayed_ack, err) ||
	    kb_conf_bool(c, "nagle", &t->nagle, err) ||
	    kb_conf_bool(c, "syncookies", &t->syncookies, err))
		return -1;
	v = (int)(t->delack_us / 1000);
	if (conf_int(c, "delayed_ack_ms", 1, 500, &v, err))
		return -1;
	t->delack_us = (uint32_t)v * 1000;
	v = (int)(t->rto_min_us / 1000);
	if (conf_int(c, "rto_min_ms", 1, 10000, &v, err))
		return -1;
	t->rto_min_us = (uint32_t)v * 1000;
	if (conf_int(c, "syn_retries", 1, 20, &t->syn_retries, err) ||
	    conf_int(c, "tcp_retries", 1, 30, &t->max_retries, err))
		return -1;
	v = MTCP_DRAIN_US_DEFAULT;
	if (conf_int(c, "tx_drain_us", 0, 1000000, &v, err))
		return -1;
	m->drain_us = (uint32_t)v;
	/* Linux's net.ipv4.tcp_keepalive_*: seconds, for sockets with SO_KEEPALIVE */
	int ka_time = (int)(t->ka_idle_us / 1000000u), ka_intvl = (int)(t->ka_intvl_us / 1000000u);

	if (conf_int(c, "tcp_keepalive_time", 1, 32767, &ka_time, err) ||
	    conf_int(c, "tcp_keepalive_intvl", 1, 32767, &ka_intvl, err) ||
	    conf_int(c, "tcp_keepalive_probes", 1, 127, &t->ka_probes, err))
		return -1;
	t->ka_idle_us = (uint32_t)ka_time * 1000000u;
	t->ka_intvl_us = (uint32_t)ka_intvl * 1000000u;
	return 0;
}

static void apply_conf(struct mtcp_manager *m)
{
	struct tcp_cfg *t = &m->tcp;
	const struct mtcp_conf *mc = &m->conf;

	t->rcvbuf = (uint32_t)mc->rcvbuf_size;
	t->sndbuf = (uint32_t)mc->sndbuf_size;
	/* max_num_buffers: connections with buffers; bounds memory too */
	t->max_conns = (uint32_t)(mc->max_concurrency < mc->max_num_buffers
				  ? mc->max_concurrency : mc->max_num_buffers);
	t->timewait_us = (uint32_t)mc->tcp_timewait * 1000000u;
	t->idle_timeout_us = mc->tcp_timeout > 0 ? (uint64_t)mc->tcp_timeout * 1000000u : 0;
}

static void install_stats_signal(void);

static void report(const struct kb_err *err)
{
	char buf[1024];

	fprintf(stderr, "mtcp_init: %s\n", kb_err_str(err, buf, sizeof(buf)));
}

int mtcp_init(const char *config_file)
{
	struct kb_conf c = { 0 };
	struct kb_err err = { 0 };
	struct mtcp_manager *m = &g_mtcp;

	if (m->inited) {
		errno = EEXIST;
		return -1;
	}
	if (!config_file) {
		kb_err_set(&err, "no configuration file");
		report(&err);
		errno = EINVAL;
		return -1;
	}
	if (kb_conf_load(&c, config_file, &err) < 0 || mtcp_load_stack_keys(&c, m, &err) < 0) {
		report(&err);
		kb_conf_free(&c);
		errno = EINVAL;
		return -1;
	}
	/* the layer validates its keys and starts DPDK; then a key nobody
	 * claimed is a typo, reported with its position */
	if (mtcp_dpdk_setup(m, &c, &err) < 0) {
		report(&err);
		kb_conf_free(&c);
		errno = EINVAL;
		return -1;
	}
	if (kb_conf_check_unused(&c, &err) < 0) {
		report(&err);
		kb_conf_free(&c);
		m->destroy_layer(m);
		errno = EINVAL;
		return -1;
	}
	kb_conf_free(&c);
	if (m->conf.num_cores > m->n_app_cores)
		m->conf.num_cores = m->n_app_cores;
	apply_conf(m);
	if (m->stat_print)
		install_stats_signal();
	m->inited = true;
	return 0;
}

int mtcp_init_custom(const char *conf_text, uint32_t ip, int n_cores,
		     int (*attach)(struct mtcp_manager *, int, struct mtcp_backend *))
{
	struct kb_conf c = { 0 };
	struct kb_err err = { 0 };
	struct mtcp_manager *m = &g_mtcp;

	if (m->inited)
		return -1;
	if (kb_conf_load_str(&c, "test.conf", conf_text, &err) < 0 ||
	    mtcp_load_stack_keys(&c, m, &err) < 0 || kb_conf_check_unused(&c, &err) < 0) {
		report(&err);
		kb_conf_free(&c);
		return -1;
	}
	kb_conf_free(&c);
	m->ip = ip;
	m->n_app_cores = n_cores;
	for (int i = 0; i < MTCP_MAX_CORES; i++)
		m->app_cpu[i] = -1;
	m->attach = attach;
	m->rss_core = NULL;
	m->destroy_layer = NULL;
	m->print_core_stats = NULL;
	apply_conf(m);
	m->inited = true;
	return 0;
}

void mtcp_destroy(void)
{
	struct mtcp_manager *m = &g_mtcp;

	if (!m->inited)
		return;
	for (int i = 0; i < MTCP_MAX_CORES; i++)
		if (m->ctx[i])
			mtcp_destroy_context(m->ctx[i]);
	if (m->destroy_layer)
		m->destroy_layer(m);
	m->layer = NULL;
	m->inited = false;
	g_have_preset = false;
}

int mtcp_getconf(struct mtcp_conf *conf)
{
	if (!conf) {
		errno = EINVAL;
		return -1;
	}
	if (g_mtcp.inited)
		*conf = g_mtcp.conf;
	else if (g_have_preset)
		*conf = g_preset;
	else
		*conf = (struct mtcp_conf){ 1, 10000, 10000, 131072, 131072, 0, 30 };
	return 0;
}

int mtcp_setconf(const struct mtcp_conf *conf)
{
	if (!conf || conf->num_cores < 1 || conf->max_concurrency < 1 ||
	    conf->rcvbuf_size < 1024 || conf->sndbuf_size < 1024) {
		errno = EINVAL;
		return -1;
	}
	if (!g_mtcp.inited) {
		g_preset = *conf;
		g_have_preset = true;
		return 0;
	}
	/* after init: applies to contexts created from now on */
	int cores = g_mtcp.conf.num_cores;

	g_mtcp.conf = *conf;
	g_mtcp.conf.num_cores = conf->num_cores < g_mtcp.n_app_cores ? conf->num_cores : cores;
	apply_conf(&g_mtcp);
	return 0;
}

/* mTCP binds thread i to CPU i.  Here application core i has a CPU of its
 * own choosing (core_list, or the default placement that keeps VMs off
 * kbswitch's CPU), and thread i goes there: on a 2-CPU host CPU i would put
 * thread 1 on the switch's CPU, and core_list would be ignored. */
int mtcp_core_affinitize(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpu < 0 || n <= 0) {
		errno = EINVAL;
		return -1;
	}
	int to = (int)(cpu % n);

	pthread_mutex_lock(&g_mtcp.lock);
	if (g_mtcp.inited && cpu < g_mtcp.n_app_cores && cpu < MTCP_MAX_CORES &&
	    g_mtcp.app_cpu[cpu] >= 0)
		to = g_mtcp.app_cpu[cpu];
	pthread_mutex_unlock(&g_mtcp.lock);
	CPU_ZERO(&set);
	CPU_SET(to, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* ---- signals ---- */

static mtcp_sighandler_t g_handlers[NSIG];

static void on_signal(int signum)
{
	g_mtcp_signalled++;
	if (signum > 0 && signum < NSIG && g_handlers[signum])
		g_handlers[signum](signum);
}

mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler)
{
	struct sigaction sa;
	mtcp_sighandler_t prev;

	if (signum <= 0 || signum >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	prev = g_handlers[signum];
	g_handlers[signum] = handler;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signum, &sa, NULL) < 0)
		return SIG_ERR;
	return prev;
}

static void on_stats_signal(int signum)
{
	(void)signum;
	g_mtcp_stats_req++;
}

/* stat_print: counters at context exit, and whenever SIGUSR1 arrives
 * (each context prints from its own thread at its next poll) */
static void install_stats_signal(void)
{
	struct sigaction sa, old;

	if (sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler != SIG_DFL)
		return;   /* the application has its own use for it */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stats_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static void print_ctx_stats(void *arg)
{
	struct mtcp_context *c = arg;
	struct mtcp_manager *m = &g_mtcp;

	fprintf(stderr, "[core %d]\n", c->cpu);
	tcp_stats_print(c->st, stderr);
	if (m->print_core_stats)
		m->print_core_stats(c);
}

/* ---- contexts ---- */

static uint8_t *be_tx_alloc(void *arg)
{
	struct mtcp_context *c = arg;

	return c->loop.be.tx_buf(c->loop.be.core);
}

static int be_tx_send(void *arg, uint8_t *buf, uint16_t len)
{
	struct mtcp_context *c = arg;

	return c->loop.be.tx_send(c->loop.be.core, buf, len);
}

static int be_buf_alloc(void *arg, struct tcp_frag *f)
{
	struct mtcp_context *c = arg;

	return c->loop.be.buf_alloc(c->loop.be.core, f);
}

static void be_buf_free(void *arg, void *buf)
{
	struct mtcp_context *c = arg;

	c->loop.be.buf_free(c->loop.be.core, buf);
}

static int be_tx_send_frags(void *arg, uint8_t *buf, uint16_t hlen, const struct tcp_frag *f,
			    int n, uint16_t tso_mss)
{
	struct mtcp_context *c = arg;

	return c->loop.be.tx_send_frags(c->loop.be.core, buf, hlen, f, n, tso_mss);
}

static int be_sndbuf_alloc(void *arg, struct tcp_frag *f)
{
	struct mtcp_context *c = arg;

	return c->loop.be.sndbuf_alloc(c->loop.be.core, f);
}

static unsigned be_tx_room(void *arg)
{
	struct mtcp_context *c = arg;

	return c->loop.be.tx_room(c->loop.be.core);
}

mctx_t mtcp_create_context(int cpu)
{
	struct mtcp_manager *m = &g_mtcp;
	struct mtcp_context *c;

	if (!m->inited || cpu < 0 || cpu >= m->conf.num_cores || cpu >= MTCP_MAX_CORES) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	if (m->ctx[cpu]) {
		pthread_mutex_unlock(&m->lock);
		errno = EEXIST;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->cpu = cpu;
	c->ip = m->ip;
	c->n_app_cores = m->n_app_cores;
	c->stat_print = m->stat_print;
	c->sig_seen = g_mtcp_signalled;
	if (m->attach(m, cpu, &c->loop.be) < 0)
		goto fail;
	struct tcp_cfg cfg = m->tcp;
	struct tcp_ops ops = { c, be_tx_alloc, be_tx_send, mtcp_sock_on_event, NULL, NULL, NULL };

	if (c->loop.be.rx_frags) {
		ops.buf_alloc = be_buf_alloc;
		ops.buf_free = be_buf_free;
		ops.tx_send_frags = be_tx_send_frags;
	}
	if (c->loop.be.tx_room)
		ops.tx_room = be_tx_room;
	if (c->loop.be.sndbuf_alloc)
		ops.snd_buf_alloc = be_sndbuf_alloc;

	cfg.ip = m->ip;
	cfg.seed = (uint32_t)mtcp_now_us() * 2654435761u + (uint32_t)cpu;
	c->st = tcp_stack_create(&cfg, &ops, mtcp_now_us());
	c->loop.st = c->st;
	c->loop.drain_us = m->drain_us;
	if (c->stat_print) {
		c->loop.stats_req = &g_mtcp_stats_req;
		c->loop.stats_seen = g_mtcp_stats_req;
		c->loop.print_stats = print_ctx_stats;
		c->loop.arg = c;
	}
	c->n_socks = (int)cfg.max_conns + 1024;   /* + listeners, epolls, pipes */
	c->socks = calloc((size_t)c->n_socks, sizeof(*c->socks));
	c->eps = calloc((size_t)c->n_socks, sizeof(*c->eps));
	if (!c->st || !c->socks || !c->eps)
		goto fail;
	for (int i = 0; i < c->n_socks; i++) {
		c->socks[i].id = i;
		c->socks[i].ep = -1;
		c->socks[i].next_free = i + 1 < c->n_socks ? i + 1 : -1;
	}
	c->free_head = 0;
	c->next_port = (uint16_t)(1024 + (cfg.seed % 60000));
	m->ctx[cpu] = c;
	pthread_mutex_unlock(&m->lock);
	return c;
fail:
	if (c) {
		tcp_stack_destroy(c->st);
		free(c->socks);
		free(c->eps);
		free(c);
	}
	pthread_mutex_unlock(&m->lock);
	errno = ENOMEM;
	return NULL;
}

int mtcp_get_stat(mctx_t c, struct mtcp_stat *out)
{
	if (!c || !out) {
		errno = EINVAL;
		return -1;
	}
	const struct tcp_stats *s = &c->st->stats;

	*out = (struct mtcp_stat){ .rx_bytes = s->rx_bytes, .tx_bytes = s->tx_bytes,
				   .rexmt_segs = s->rexmt_segs, .rto = s->rto_fired,
				   .tlp_probe = s->tlp_probe, .rack_lost = s->rack_lost,
				   .recoveries = s->sack_recovery + s->fast_rexmt,
				   .tx_blocked = s->tx_blocked };
	return 0;
}

void mtcp_destroy_context(mctx_t c)
{
	struct mtcp_manager *m = &g_mtcp;

	if (!c)
		return;
	if (c->stat_print)
		print_ctx_stats(c);
	/* sockets still open: abort their connections */
	for (int i = 0; i < c->n_socks; i++) {
		struct mtcp_sock *s = &c->socks[i];

		if (s->type == MTCP_SOCK_STREAM && s->pcb)
			tcp_abort(s->pcb);
		else if (s->type == MTCP_SOCK_LISTENER && s->lst)
			tcp_listener_close(s->lst);
		else if (s->type == MTCP_SOCK_PIPE && s->pipe) {
			if (s->pipe->rd == i)
				s->pipe->rd = -1;
			if (s->pipe->wr == i)
				s->pipe->wr = -1;
			if (s->pipe->rd < 0 && s->pipe->wr < 0) {
				free(s->pipe->buf);
				free(s->pipe);
			}
		}
		if (s->type == MTCP_SOCK_EPOLL)
			free(c->eps[i].ring);
	}
	if (c->st && c->loop.be.flush)
		mtcp_loop_flush(&c->loop);
	tcp_stack_destroy(c->st);
	pthread_mutex_lock(&m->lock);
	if (c->cpu >= 0 && c->cpu < MTCP_MAX_CORES && m->ctx[c->cpu] == c)
		m->ctx[c->cpu] = NULL;
	pthread_mutex_unlock(&m->lock);
	free(c->rss_ok);
	free(c->socks);
	free(c->eps);
	free(c);
}
