/* No malloc on the data path: 10k connections opened, used and closed
 * between two stacks in virtual time (tcp_net.h) while a wrapper counts
 * every malloc/calloc/realloc the stack makes (linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc; this file's own channel
 * allocates through __real_*, so only the stack's calls are counted). */
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);

static int g_counting;
static unsigned long g_allocs;

void *__wrap_malloc(size_t n)
{
	g_allocs += g_counting;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	g_allocs += g_counting;
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	g_allocs += g_counting;
	return __real_realloc(p, n);
}

/* the test channel's packets are not the stack's allocations */
#define malloc(n) __real_malloc(n)
#define calloc(n, m) __real_calloc(n, m)
#include "kbtest.h"
#include "tcp_net.h"
#undef malloc
#undef calloc

#define N_CONNS 10000

struct one {
	struct tcp_listener *l;
	struct tcp_pcb *a, *c;
	struct owner ao;
};

static bool accepted(void *arg)
{
	struct one *o = arg;

	if (!o->a)
		o->a = tcp_accept(o->l, &o->ao);
	return o->a && o->c->state == TCP_ESTABLISHED;
}

static bool all_gone(void *arg)
{
	struct net *n = arg;

	return !n->st[0]->n_pcbs && !n->st[1]->n_pcbs && !n->n;
}

static void ten_thousand_connections_no_malloc(void)
{
	struct tcp_cfg cfg;
	struct net n;
	struct owner lo = { 0 }, co = { 0 };
	int err = 0, done = 0;
	char buf[64];

	tcp_cfg_defaults(&cfg);
	cfg.max_conns = 1024;
	net_init(&n, &cfg, &cfg);
	struct one o = { tcp_listen(n.st[0], 0, htons(80), 64, &lo, &err), NULL, NULL, { 0 } };

	CHECK(o.l != NULL);
	g_counting = 1;
	for (int i = 0; i < N_CONNS; i++) {
		o.a = NULL;
		o.c = tcp_connect(n.st[1], net_ip(1), htons((uint16_t)(20000 + i % 40000)),
				  net_ip(0), htons(80), &co, &err);
		if (!o.c || !net_run_until(&n, 1000000, accepted, &o))
			break;
		/* a request and its answer, then both sides close */
		if (tcp_send(o.c, "GET /", 5) != 5)
			break;
		net_run_until(&n, 2000, NULL, NULL);
		if (tcp_recv(o.a, buf, sizeof(buf)) != 5 || tcp_send(o.a, "200 OK", 6) != 6)
			break;
		net_run_until(&n, 2000, NULL, NULL);
		if (tcp_recv(o.c, buf, sizeof(buf)) != 6)
			break;
		tcp_close(o.c);
		tcp_close(o.a);
		if (!net_run_until(&n, 1000000, all_gone, &n))
			break;
		done++;
	}
	g_counting = 0;
	CHECK_EQ(done, N_CONNS);
	CHECK_EQ(g_allocs, 0);
	CHECK_EQ(n.st[0]->stats.conns_accepted, N_CONNS);
	printf("%d connections opened and closed, %lu allocations by the stack\n", done, g_allocs);
	/* the counter is live: a new listener does allocate */
	g_counting = 1;
	struct tcp_listener *l2 = tcp_listen(n.st[0], 0, htons(81), 4, &lo, &err);

	g_counting = 0;
	CHECK(l2 != NULL);
	CHECK(g_allocs > 0);
	net_free(&n);
}

KBTEST_MAIN(T(ten_thousand_connections_no_malloc))
