/* capture: gate hooks that copy frames for kbctl capture (see capture.h). */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "capture.h"

/* Called by a worker from module_emit, before the burst moves on. */
void capture_burst(struct capture *c, const struct pkt_batch *b)
{
	struct rte_mbuf *cp[KB_BURST];
	uint64_t tsc = rte_get_tsc_cycles();
	unsigned n = 0, q;

	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *m = rte_pktmbuf_copy(b->pkts[i], c->pool, 0, UINT32_MAX);
		if (!m)
			break;   /* pool empty: the reader is behind */
		*(uint64_t *)rte_mbuf_to_priv(m) = tsc;
		cp[n++] = m;
	}
	q = rte_ring_enqueue_burst(c->ring, (void **)cp, n, NULL);
	if (q < n)
		rte_pktmbuf_free_bulk(cp + q, n - q);
	if (q < b->cnt)
		__atomic_fetch_add(&c->drops, b->cnt - q, __ATOMIC_RELAXED);
}

static int hook(struct capture *c, struct ogate *g, struct kb_err *err)
{
	if (g->cap)
		return kb_err_set(err, "that gate is already being captured");
	if (c->n_hooks == CAPTURE_MAX_HOOKS)
		return kb_err_set(err, "more than %d gates feed that gate", CAPTURE_MAX_HOOKS);
	c->hooks[c->n_hooks++] = g;
	return 0;
}

static int find_hooks(struct capture *c, struct pipeline *pl, const char *name, bool in,
		      int gate, struct kb_err *err)
{
	struct module *m = pipeline_find(pl, name);

	if (!m)
		return kb_err_set(err, "no module '%s'", name);
	if (m->cls->is_port)
		return kb_err_set(err, "'%s' is a port; capture a gate of the module that uses it "
				  "(its QueueInc/PortInc output, or its QueueOut/PortOut input)", name);
	if (gate < 0 || gate >= KB_MAX_GATES)
		return kb_err_set(err, "gate %d out of range (expected 0..%d)", gate, KB_MAX_GATES - 1);
	if (!in) {
		if (gate >= m->n_ogates || !m->ogates[gate].next)
			return kb_err_set(err, "output gate %d of '%s' is not connected "
					  "(its packets are counted drops)", gate, name);
		return hook(c, &m->ogates[gate], err);
	}
	for (int i = 0; i < pl->n_mods; i++)
		for (int g = 0; g < pl->mods[i]->n_ogates; g++) {
			struct ogate *o = &pl->mods[i]->ogates[g];
			if (o->next == m && o->igate == gate && hook(c, o, err) < 0)
				return -1;
		}
	if (!c->n_hooks)
		return kb_err_set(err, "input gate %d of '%s' is not connected", gate, name);
	return 0;
}

static void free_capture(struct capture *c)
{
	struct rte_mbuf *m[KB_BURST];
	unsigned n;

	if (c->ring)
		while ((n = rte_ring_dequeue_burst(c->ring, (void **)m, KB_BURST, NULL)) > 0)
			rte_pktmbuf_free_bulk(m, n);
	rte_ring_free(c->ring);
	rte_mempool_free(c->pool);
	free(c);
}

int capture_open(struct capture **out, struct pipeline *pl, const char *name, bool in,
		 int gate, struct kb_err *err)
{
	static unsigned seq;   /* control thread only: unique memzone names */
	struct capture *c;
	char zn[RTE_MEMZONE_NAMESIZE];

	if (!pl->started)
		return kb_err_set(err, "the switch is not running");
	if (!(c = calloc(1, sizeof(*c))))
		return kb_err_set(err, "out of memory");
	c->pl = pl;
	if (find_hooks(c, pl, name, in, gate, err) < 0) {
		free(c);
		return -1;
	}
	seq++;
	snprintf(zn, sizeof(zn), "kbcap_p%u", seq);
	/* No per-lcore cache: copies are freed by the control thread, which
	 * has none, and a cache would hide copies from a small pool. */
	c->pool = rte_pktmbuf_pool_create(zn, CAPTURE_RING - 1, 0, sizeof(uint64_t),
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	snprintf(zn, sizeof(zn), "kbcap_r%u", seq);
	c->ring = rte_ring_create(zn, CAPTURE_RING, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (!c->pool || !c->ring) {
		kb_err_set(err, "cannot create the capture's pool and ring: %s",
			   rte_strerror(rte_errno));
		free_capture(c);
		return -1;
	}
	c->hz = rte_get_tsc_hz();
	c->tsc0 = rte_get_tsc_cycles();
	clock_gettime(CLOCK_REALTIME, &c->t0);
	for (int i = 0; i < c->n_hooks; i++)
		__atomic_store_n(&c->hooks[i]->cap, c, __ATOMIC_RELEASE);
	*out = c;
	return 0;
}

void capture_close(struct capture *c)
{
	for (int i = 0; i < c->n_hooks; i++)
		__atomic_store_n(&c->hooks[i]->cap, NULL, __ATOMIC_RELEASE);
	pipeline_synchronize(c->pl);
	free_capture(c);
}

unsigned capture_drain(struct capture *c, struct rte_mbuf **pkts, unsigned n)
{
	unsigned got = rte_ring_dequeue_burst(c->ring, (void **)pkts, n, NULL);

	c->frames += got;
	return got;
}

uint64_t capture_time_ns(const struct capture *c, const struct rte_mbuf *copy)
{
	uint64_t tsc = *(const uint64_t *)rte_mbuf_to_priv((struct rte_mbuf *)copy);
	uint64_t d = tsc - c->tsc0;
	uint64_t ns = d / c->hz * 1000000000ull + d % c->hz * 1000000000ull / c->hz;

	return (uint64_t)c->t0.tv_sec * 1000000000ull + (uint64_t)c->t0.tv_nsec + ns;
}
