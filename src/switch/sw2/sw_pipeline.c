/* sw_pipeline: builder callbacks (validation only) and the graph's life. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "sw_pipeline.h"

static const struct sw_class *const classes[] = {
	&sw_queue_inc_class, &sw_queue_out_class, &sw_port_inc_class,
	&sw_port_out_class, &sw_l2forward_class, &sw_replicate_class,
	&sw_merge_class, &sw_sink_class, &sw_source_class,
};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

void sw_pipeline_init(struct sw_pipeline *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->idle_max_us = 50;
	for (int i = 0; i < SW_MAX_WORKERS; i++) {
		pl->workers[i].wid = i;
		pl->workers[i].pl = pl;
	}
}

struct sw_port *sw_port_find(struct sw_pipeline *pl, const char *name)
{
	for (int i = 0; i < pl->n_ports; i++)
		if (!strcmp(pl->ports[i].name, name))
			return &pl->ports[i];
	return NULL;
}

struct sw_module *sw_module_find(struct sw_pipeline *pl, const char *name)
{
	for (int i = 0; i < pl->n_mods; i++)
		if (!strcmp(pl->mods[i]->name, name))
			return pl->mods[i];
	return NULL;
}

int sw_port_claim(struct sw_pipeline *pl, struct sw_port *p, bool rx, int qid,
		  const char *who, const struct script_pos *pos, struct kb_err *err)
{
	const char **owner = rx ? &p->rx_owner[qid] : &p->tx_owner[qid];
	if (*owner)
		return script_err_at(err, pos, "%s queue %d of port '%s' is already used by '%s'",
				     rx ? "incoming" : "outgoing", qid, p->name, *owner);
	*owner = who;
	return 0;
}

int sw_arg_port(struct sw_pipeline *pl, const struct script_args *a,
		const char *what, struct sw_port **out, struct kb_err *err)
{
	const char *name = NULL;
	if (script_arg_obj(a, what, "port", 1, &name, err))
		return -1;
	*out = sw_port_find(pl, name);
	if (!*out)
		return script_err_at(err, &script_args_get(a, "port")->pos,
				     "%s: 'port' must be a PMDPort, '%s' is a module", what, name);
	return 0;
}

static int name_taken(struct sw_pipeline *pl, const char *name)
{
	return sw_port_find(pl, name) || sw_module_find(pl, name);
}

static int b_create(void *ctx, const char *name, const char *cls,
		    const struct script_args *args, const struct script_pos *pos,
		    char out_name[64], struct kb_err *err)
{
	struct sw_pipeline *pl = ctx;
	char anon[SW_NAME_LEN];

	if (!name) {
		int k = 0;
		for (const char *c = cls; *c && k < SW_NAME_LEN - 12; c++)
			anon[k++] = (char)tolower((unsigned char)*c);
		snprintf(anon + k, sizeof(anon) - k, "%d", pl->anon_seq++);
		name = anon;
	}
	if (strlen(name) >= SW_NAME_LEN)
		return script_err_at(err, pos, "name '%s' is longer than %d characters",
				     name, SW_NAME_LEN - 1);
	if (name_taken(pl, name))
		return script_err_at(err, pos, "'%s' is already defined", name);
	snprintf(out_name, 64, "%s", name);

	if (!strcmp(cls, "PMDPort"))
		return sw_port_create(pl, name, args, pos, err);

	const struct sw_class *c = NULL;
	for (size_t i = 0; i < N_CLASSES; i++)
		if (!strcmp(classes[i]->name, cls))
			c = classes[i];
	if (!c)
		return script_err_at(err, pos, "unknown module class '%s' (expected PMDPort, "
				     "QueueInc, QueueOut, PortInc, PortOut, L2Forward, Replicate, "
				     "Merge, Sink or Source)", cls);
	if (pl->n_mods == SW_MAX_MODULES)
		return script_err_at(err, pos, "too many modules (at most %d)", SW_MAX_MODULES);

	struct sw_module *m = calloc(1, sizeof(*m));
	if (!m || !(m->priv = calloc(1, c->priv_size ? c->priv_size : 1))) {
		free(m);
		return script_err_at(err, pos, "out of memory");
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->cls = c;
	m->pl = pl;
	m->pos = *pos;
	m->wid = -1;
	if (c->init(m, args, err)) {
		free(m->priv);
		free(m);
		return -1;
	}
	pl->mods[pl->n_mods++] = m;
	return 0;
}

static int b_connect(void *ctx, const char *from, int ogate, const char *to,
		     int igate, const struct script_pos *pos, struct kb_err *err)
{
	struct sw_pipeline *pl = ctx;
	struct sw_module *a = sw_module_find(pl, from), *b = sw_module_find(pl, to);
	const char *port = !a && sw_port_find(pl, from) ? from : !b && sw_port_find(pl, to) ? to : NULL;

	if (port)
		return script_err_at(err, pos, "'%s' is a port: connect a QueueInc/QueueOut "
				     "or PortInc/PortOut of it instead", port);
	if (!a || !b)
		return script_err_at(err, pos, "undefined module '%s'", a ? to : from);
	if (ogate < 0 || ogate >= a->cls->max_ogates)
		return script_err_at(err, pos, "%s '%s' has %s output gate%s; gate %d is out of range",
				     a->cls->name, a->name, a->cls->max_ogates ? "only" : "no",
				     a->cls->max_ogates > 1 ? "s" : "", ogate);
	if (igate < 0 || igate >= b->cls->max_igates)
		return script_err_at(err, pos, "%s '%s' has %s input gate%s; gate %d is out of range",
				     b->cls->name, b->name, b->cls->max_igates ? "only" : "no",
				     b->cls->max_igates > 1 ? "s" : "", igate);
	if (a->ogates[ogate].next)
		return script_err_at(err, pos, "output gate %s:%d is already connected (to '%s')",
				     a->name, ogate, a->ogates[ogate].next->name);
	a->ogates[ogate].next = b;
	a->ogates[ogate].igate = (uint16_t)igate;
	if (ogate >= a->n_ogates)
		a->n_ogates = ogate + 1;
	b->n_igates_in++;
	return 0;
}

static int b_call(void *ctx, const char *obj, const char *cmd,
		  const struct script_args *args, const struct script_pos *pos,
		  struct script_value **result, struct kb_err *err)
{
	struct sw_pipeline *pl = ctx;
	struct sw_module *m = sw_module_find(pl, obj);

	if (!m) {
		if (!strcmp(obj, "bess"))
			return script_err_at(err, pos, "unknown command bess.%s (expected add_worker)", cmd);
		if (sw_port_find(pl, obj))
			return script_err_at(err, pos, "PMDPort '%s' has no command '%s'", obj, cmd);
		return script_err_at(err, pos, "undefined module '%s'", obj);
	}
	for (const struct sw_cmd *c = m->cls->cmds; c && c->name; c++)
		if (!strcmp(c->name, cmd))
			return c->fn(m, args, result, err);
	char list[256] = "";
	for (const struct sw_cmd *c = m->cls->cmds; c && c->name; c++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 c == m->cls->cmds ? "" : ", ", c->name);
	return script_err_at(err, pos, "unknown command '%s' of %s '%s' (expected %s)", cmd,
			     m->cls->name, m->name, list[0] ? list : "none");
}

static int b_add_worker(void *ctx, int wid, int core, const struct script_pos *pos,
			struct kb_err *err)
{
	struct sw_pipeline *pl = ctx;
	if (wid < 0 || wid >= SW_MAX_WORKERS)
		return script_err_at(err, pos, "wid %d out of range [0, %d]", wid, SW_MAX_WORKERS - 1);
	if (core < 0 || core >= RTE_MAX_LCORE)
		return script_err_at(err, pos, "core %d out of range [0, %d]", core, RTE_MAX_LCORE - 1);
	if (pl->workers[wid].defined)
		return script_err_at(err, pos, "worker %d is already defined", wid);
	for (int i = 0; i < SW_MAX_WORKERS; i++)
		if (pl->workers[i].defined && pl->workers[i].core == core)
			return script_err_at(err, pos, "core %d already runs worker %d", core, i);
	pl->workers[wid].defined = true;
	pl->workers[wid].core = core;
	return 0;
}

static int b_attach_task(void *ctx, const char *module, int wid,
			 const struct script_pos *pos, struct kb_err *err)
{
	struct sw_pipeline *pl = ctx;
	struct sw_module *m = sw_module_find(pl, module);
	if (!m)
		return script_err_at(err, pos, "undefined module '%s'", module);
	if (!m->cls->run_task)
		return script_err_at(err, pos, "%s '%s' is not a task module (QueueInc, PortInc, Source)",
				     m->cls->name, m->name);
	if (wid < 0 || wid >= SW_MAX_WORKERS || !pl->workers[wid].defined)
		return script_err_at(err, pos, "worker %d is not defined (bess.add_worker first)", wid);
	m->wid = wid;
	return 0;
}

static int b_exists(void *ctx, const char *name)
{
	return name_taken(ctx, name);
}

struct script_builder sw_pipeline_builder(struct sw_pipeline *pl)
{
	return (struct script_builder){
		.ctx = pl, .create = b_create, .connect = b_connect, .call = b_call,
		.add_worker = b_add_worker, .attach_task = b_attach_task, .exists = b_exists,
	};
}

int sw_pipeline_start(struct sw_pipeline *pl, struct kb_err *err)
{
	unsigned nb = 2048;
	for (int i = 0; i < pl->n_ports; i++) {
		struct sw_port *p = &pl->ports[i];
		nb += p->n_inc_q * p->size_inc_q + p->n_out_q * p->size_out_q + 2 * SW_BURST;
	}
	pl->pool = rte_pktmbuf_pool_create("sw2_pool", nb, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pl->pool)
		return kb_err_set(err, "cannot create a pool of %u mbufs: %s", nb,
				  rte_strerror(rte_errno));

	/* Workers: without bess.add_worker the main lcore is the one worker. */
	int first = -1;
	for (int w = 0; w < SW_MAX_WORKERS; w++)
		if (pl->workers[w].defined && first < 0)
			first = w;
	if (first < 0) {
		first = 0;
		pl->workers[0].defined = true;
		pl->workers[0].core = (int)rte_get_main_lcore();
	}
	for (int w = 0; w < SW_MAX_WORKERS; w++) {
		struct sw_worker *wk = &pl->workers[w];
		if (wk->defined && !rte_lcore_is_enabled((unsigned)wk->core))
			return kb_err_set(err, "worker %d: core %d is not in the EAL core list (-l)",
					  w, wk->core);
	}
	for (int i = 0; i < pl->n_mods; i++) {
		struct sw_module *m = pl->mods[i];
		if (!m->cls->run_task)
			continue;
		struct sw_worker *wk = &pl->workers[m->wid < 0 ? first : m->wid];
		wk->tasks[wk->n_tasks++] = m;
	}
	for (int i = 0; i < pl->n_ports; i++)
		if (sw_port_open(pl, &pl->ports[i], err))
			return -1;
	for (int i = 0; i < pl->n_mods; i++) {
		struct sw_module *m = pl->mods[i];
		if (m->cls->start && m->cls->start(m, err))
			return -1;
	}
	return 0;
}

int sw_pipeline_run(struct sw_pipeline *pl, struct kb_err *err)
{
	unsigned main_lcore = rte_get_main_lcore();
	struct sw_worker *inline_w = NULL;

	for (int w = 0; w < SW_MAX_WORKERS; w++) {
		struct sw_worker *wk = &pl->workers[w];
		if (!wk->defined)
			continue;
		if ((unsigned)wk->core == main_lcore) {
			inline_w = wk;
			continue;
		}
		int rc = rte_eal_remote_launch(sw_worker_main, wk, (unsigned)wk->core);
		if (rc) {
			*pl->stop = 1;
			rte_eal_mp_wait_lcore();
			return kb_err_set(err, "worker %d: cannot launch on core %d: %s", w,
					  wk->core, rte_strerror(-rc));
		}
	}
	atomic_store(&pl->running, true);
	if (inline_w)
		sw_worker_main(inline_w);
	else
		while (!*pl->stop)
			usleep(100 * 1000);   /* only waits for a signal; not a data path */
	rte_eal_mp_wait_lcore();
	atomic_store(&pl->running, false);
	return 0;
}

void sw_pipeline_quiesce(struct sw_pipeline *pl)
{
	uint64_t seen[SW_MAX_WORKERS];
	for (int w = 0; w < SW_MAX_WORKERS; w++)
		seen[w] = atomic_load(&pl->epoch[w]);
	for (int w = 0; w < SW_MAX_WORKERS; w++)
		while (atomic_load(&pl->running) && pl->workers[w].defined && !*pl->stop &&
		       atomic_load(&pl->epoch[w]) == seen[w])
			usleep(50);
}

void sw_pipeline_stop(struct sw_pipeline *pl)
{
	for (int i = 0; i < pl->n_ports; i++)
		sw_port_close(&pl->ports[i]);
}

void sw_pipeline_show(struct sw_pipeline *pl, FILE *f, bool ports, bool modules,
		      bool graph)
{
	for (int i = 0; ports && i < pl->n_ports; i++)
		sw_port_show(&pl->ports[i], f);
	for (int i = 0; (modules || graph) && i < pl->n_mods; i++) {
		struct sw_module *m = pl->mods[i];
		char extra[512] = "";
		if (modules) {
			if (m->cls->show)
				m->cls->show(m, extra, sizeof(extra));
			fprintf(f, "module %s (%s): drop_unconnected=%" PRIu64 "%s%s\n", m->name,
				m->cls->name, m->drop_unconnected, extra[0] ? " " : "", extra);
		}
		for (int g = 0; g < m->n_ogates; g++)
			if (m->ogates[g].next)
				fprintf(f, "  %s:%d -> %d:%s pkts=%" PRIu64 " bytes=%" PRIu64 "\n",
					m->name, g, m->ogates[g].igate, m->ogates[g].next->name,
					m->ogates[g].pkts, m->ogates[g].bytes);
	}
	fflush(f);
}

void sw_pipeline_stats(struct sw_pipeline *pl, FILE *f)
{
	sw_pipeline_show(pl, f, true, true, true);
}

void sw_pipeline_free(struct sw_pipeline *pl)
{
	for (int i = 0; i < pl->n_mods; i++) {
		if (pl->mods[i]->cls->stop)
			pl->mods[i]->cls->stop(pl->mods[i]);
		free(pl->mods[i]->priv);
		free(pl->mods[i]);
	}
	for (int i = 0; i < pl->n_ports; i++)
		free(pl->ports[i].devargs);
	pl->n_mods = pl->n_ports = 0;
	if (pl->pool)
		rte_mempool_free(pl->pool);
	pl->pool = NULL;
}
