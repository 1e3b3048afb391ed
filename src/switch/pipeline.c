/* pipeline: builder callbacks (validation only), start, stop. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "pipeline.h"
#include "port.h"

extern const struct module_class mod_pmdport, mod_vhostport, mod_queue_inc, mod_queue_out,
	mod_port_inc, mod_port_out, mod_l2forward, mod_replicate, mod_merge,
	mod_sink, mod_source, mod_bypass, mod_rewrite, mod_roundrobin,
	mod_random_update, mod_vlan_push, mod_vlan_pop, mod_port_security;

static const struct module_class *const classes[] = {
	&mod_pmdport, &mod_vhostport, &mod_queue_inc, &mod_queue_out, &mod_port_inc,
	&mod_port_out, &mod_l2forward, &mod_replicate, &mod_merge, &mod_sink,
	&mod_source, &mod_bypass, &mod_rewrite, &mod_roundrobin, &mod_random_update,
	&mod_vlan_push, &mod_vlan_pop, &mod_port_security,
};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

/* The names a script sees (script_builder.classes). */
static const char *class_names[N_CLASSES + 1];

const struct module_class *pipeline_class(const char *name)
{
	for (size_t i = 0; i < N_CLASSES; i++)
		if (!strcmp(classes[i]->name, name))
			return classes[i];
	return NULL;
}

void pipeline_init(struct pipeline *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->idle_max_us = KB_IDLE_DEFAULT_MAX_SLEEP_US;
	for (int i = 0; i < KB_MAX_WORKERS; i++) {
		pl->workers[i].pl = pl;
		pl->workers[i].wid = i;
		pl->workers[i].core = -1;
		kb_wait_clear(&pl->workers[i].wait);
	}
}

/* FNV-1a: names are short and few collide; the table is half empty. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct module *pipeline_find(struct pipeline *pl, const char *name)
{
	if (!pl->index)
		return NULL;
	for (uint32_t i = name_hash(name) & pl->index_mask;; i = (i + 1) & pl->index_mask) {
		struct module *m = pl->index[i];

		if (!m || !strcmp(m->name, name))
			return m;
	}
}

/* Adds m to mods and the index, growing both by doubling. */
static int add_module(struct pipeline *pl, struct module *m)
{
	if (pl->n_mods == pl->cap_mods) {
		int cap = pl->cap_mods ? 2 * pl->cap_mods : 16;
		struct module **mods = realloc(pl->mods, (size_t)cap * sizeof(*mods));

		if (!mods)
			return -1;
		pl->mods = mods;
		pl->cap_mods = cap;
	}
	if (2 * ((uint32_t)pl->n_mods + 1) > pl->index_mask) {
		uint32_t size = pl->index ? 2 * (pl->index_mask + 1) : 64;
		struct module **idx = calloc(size, sizeof(*idx));

		if (!idx)
			return -1;
		free(pl->index);
		pl->index = idx;
		pl->index_mask = size - 1;
		for (int i = 0; i < pl->n_mods; i++) {
			uint32_t h = name_hash(pl->mods[i]->name) & pl->index_mask;

			while (idx[h])
				h = (h + 1) & pl->index_mask;
			idx[h] = pl->mods[i];
		}
	}
	uint32_t h = name_hash(m->name) & pl->index_mask;

	while (pl->index[h])
		h = (h + 1) & pl->index_mask;
	pl->index[h] = m;
	pl->mods[pl->n_mods++] = m;
	return 0;
}

static int b_create(void *ctx, const char *name, const char *cname,
		    const struct script_args *args, const struct script_pos *pos,
		    char out_name[64], struct kb_err *err)
{
	struct pipeline *pl = ctx;
	const struct module_class *cls = pipeline_class(cname);
	struct module *m;
	char auto_name[64];

	if (!cls) {
		char known[512] = "";
		for (size_t i = 0; i < N_CLASSES; i++) {
			strcat(known, i ? ", " : "");
			strcat(known, classes[i]->name);
		}
		return script_err_at(err, pos, "unknown module class '%s' (expected one of %s)",
				     cname, known);
	}
	if (!name) {
		/* BESS-style: lowercase class name plus a sequence number. */
		size_t i;
		do {
			for (i = 0; cname[i] && i < 40; i++)
				auto_name[i] = (char)tolower((unsigned char)cname[i]);
			snprintf(auto_name + i, sizeof(auto_name) - i, "%d", pl->anon_seq++);
		} while (pipeline_find(pl, auto_name));
		name = auto_name;
	}
	if (strlen(name) >= sizeof(m->name))
		return script_err_at(err, pos, "name '%s' is longer than 63 bytes", name);
	if (pipeline_find(pl, name))
		return script_err_at(err, pos, "'%s' is already defined", name);
	if (!(m = calloc(1, sizeof(*m))) ||
	    (cls->priv_size && !(m->priv = calloc(1, cls->priv_size)))) {
		free(m);
		return script_err_at(err, pos, "out of memory");
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->cls = cls;
	m->pl = pl;
	m->pos = *pos;
	m->wid = -1;
	if (cls->init(m, args, err) < 0) {
		if (!err->file[0])
			script_err_at(err, &args->pos, "%s", err->msg);
		if (cls->destroy)
			cls->destroy(m);
		free(m->priv);
		free(m);
		return -1;
	}
	if (add_module(pl, m) < 0) {
		if (cls->destroy)
			cls->destroy(m);
		free(m->priv);
		free(m);
		return script_err_at(err, pos, "out of memory");
	}
	if (out_name)
		snprintf(out_name, 64, "%s", m->name);
	return 0;
}

static int lookup(struct pipeline *pl, const char *name, const struct script_pos *pos,
		  struct module **out, struct kb_err *err)
{
	if (!(*out = pipeline_find(pl, name)))
		return script_err_at(err, pos, "undefined name '%s'", name);
	if ((*out)->cls->is_port)
		return script_err_at(err, pos,
				     "'%s' is a port, not a module (connect QueueInc/QueueOut/PortInc/PortOut)",
				     name);
	return 0;
}

static int b_connect(void *ctx, const char *from, int og, const char *to, int ig,
		     const struct script_pos *pos, struct kb_err *err)
{
	struct pipeline *pl = ctx;
	struct module *a, *b;

	if (pl->started)
		return script_err_at(err, pos, "cannot connect while running");
	if (lookup(pl, from, pos, &a, err) || lookup(pl, to, pos, &b, err))
		return -1;
	if (og < 0 || og >= a->cls->max_ogates)
		return a->cls->max_ogates
			? script_err_at(err, pos, "'%s' (%s) has no output gate %d (expected 0..%d)",
					from, a->cls->name, og, a->cls->max_ogates - 1)
			: script_err_at(err, pos, "'%s' (%s) has no output gates", from, a->cls->name);
	if (ig < 0 || ig >= b->cls->max_igates)
		return b->cls->max_igates
			? script_err_at(err, pos, "'%s' (%s) has no input gate %d (expected 0..%d)",
					to, b->cls->name, ig, b->cls->max_igates - 1)
			: script_err_at(err, pos, "'%s' (%s) has no input gates", to, b->cls->name);
	if (a->ogates[og].next)
		return script_err_at(err, pos,
				     "output gate %d of '%s' is already connected to '%s' (an output gate feeds one input gate)",
				     og, from, a->ogates[og].next->name);
	a->ogates[og].next = b;
	a->ogates[og].igate = ig;
	if (og >= a->n_ogates)
		a->n_ogates = og + 1;
	b->igate_used |= 1ull << ig;
	return 0;
}

static int b_call(void *ctx, const char *obj, const char *cmd,
		  const struct script_args *args, const struct script_pos *pos,
		  struct script_value **result, struct kb_err *err)
{
	struct pipeline *pl = ctx;
	struct module *m = pipeline_find(pl, obj);
	const struct module_cmd *c;
	char known[256] = "";

	if (!m)
		return script_err_at(err, pos, "undefined name '%s'", obj);
	for (c = m->cls->cmds; c && c->name; c++) {
		if (!strcmp(c->name, cmd)) {
			if (c->fn(m, args, result, err) < 0) {
				if (!err->file[0])
					script_err_at(err, pos, "%s", err->msg);
				return -1;
			}
			return 0;
		}
		strcat(known, c == m->cls->cmds ? "" : ", ");
		strncat(known, c->name, sizeof(known) - strlen(known) - 3);
	}
	return script_err_at(err, pos, "unknown command '%s' of %s '%s' (%s%s)", cmd,
			     m->cls->name, obj, known[0] ? "expected one of " : "it has no commands",
			     known);
}

static int b_add_worker(void *ctx, int wid, int core, const struct script_pos *pos,
			struct kb_err *err)
{
	struct pipeline *pl = ctx;

	if (wid < 0 || wid >= KB_MAX_WORKERS)
		return script_err_at(err, pos, "worker id %d out of range (expected 0..%d)",
				     wid, KB_MAX_WORKERS - 1);
	if (pl->workers[wid].defined)
		return script_err_at(err, pos, "worker %d is already added", wid);
	if (core < 0 || core >= RTE_MAX_LCORE || (pl->core_ok && !pl->core_ok(core)))
		return script_err_at(err, pos,
				     "core %d is not an EAL lcore of this process (expected one given with -l/--lcores)",
				     core);
	for (int i = 0; i < KB_MAX_WORKERS; i++)
		if (pl->workers[i].defined && pl->workers[i].core == core)
			return script_err_at(err, pos,
					     "core %d already runs worker %d (two pollers on one core collapse)",
					     core, i);
	pl->workers[wid].defined = true;
	pl->workers[wid].core = core;
	pl->workers[wid].pos = *pos;
	return 0;
}

int pipeline_check_cores(struct pipeline *pl, struct kb_err *err)
{
	for (int i = 0; i < KB_MAX_WORKERS; i++) {
		struct worker *w = &pl->workers[i];
		if (w->defined && pl->core_ok && !pl->core_ok(w->core))
			return script_err_at(err, &w->pos,
					     "core %d is not an EAL lcore of this process (expected one given with -l/--lcores)",
					     w->core);
	}
	return 0;
}

static int b_attach_task(void *ctx, const char *name, int wid,
			 const struct script_pos *pos, struct kb_err *err)
{
	struct pipeline *pl = ctx;
	struct module *m;

	if (lookup(pl, name, pos, &m, err))
		return -1;
	if (!m->cls->run_task)
		return script_err_at(err, pos, "'%s' (%s) is not a task module", name,
				     m->cls->name);
	if (wid < 0 || wid >= KB_MAX_WORKERS || (wid && !pl->workers[wid].defined))
		return script_err_at(err, pos, "worker %d does not exist (expected bess.add_worker(wid=%d, core=...) first)",
				     wid, wid);
	m->wid = wid;
	return 0;
}

void pipeline_builder(struct pipeline *pl, struct script_builder *b)
{
	b->ctx = pl;
	for (size_t i = 0; i < N_CLASSES; i++)
		class_names[i] = classes[i]->name;
	b->classes = class_names;
	b->create = b_create;
	b->connect = b_connect;
	b->call = b_call;
	b->add_worker = b_add_worker;
	b->attach_task = b_attach_task;
}

/* Modules call the next one's process() directly (module_emit), so a cycle
 * recurses until the stack overflows: refuse it before anything starts.
 * Iterative depth-first search (a script may chain 40k modules): white =
 * not seen, grey = on the current path, black = done. */
enum { WHITE, GREY, BLACK };

struct dfs_frame {
	struct module *m;
	int og;                    /* next output gate to follow */
};

static int cycle_err(struct dfs_frame *st, int top, struct module *to, struct kb_err *err)
{
	struct module *from = st[top].m;
	char path[320];
	size_t n = 0;
	int first = top;

	while (st[first].m != to)
		first--;
	/* the loop by name, back to where it started; a long one by its ends */
	for (int i = first; i <= top && n < sizeof(path); i++) {
		if (top - first > 8 && i == first + 3) {
			n += (size_t)snprintf(path + n, sizeof(path) - n, " -> ...");
			i = top - 2;
			continue;
		}
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%s%s", i > first ? " -> " : "",
				      st[i].m->name);
	}
	if (n < sizeof(path))
		snprintf(path + n, sizeof(path) - n, " -> %s", to->name);
	return script_err_at(err, &from->pos,
			     "'%s' feeds back into '%s': %s is a cycle, where a packet would loop forever",
			     from->name, to->name, path);
}

int pipeline_check(struct pipeline *pl, struct kb_err *err)
{
	uint8_t *color = calloc((size_t)pl->n_mods + 1, 1);
	struct dfs_frame *st = malloc(((size_t)pl->n_mods + 1) * sizeof(*st));
	int rc = 0;

	if (!color || !st) {
		free(color);
		free(st);
		return kb_err_set(err, "out of memory");
	}
	/* a module's index in mods: its creation order */
	for (int i = 0; i < pl->n_mods; i++)
		pl->mods[i]->seq = i;
	for (int root = 0; root < pl->n_mods && !rc; root++) {
		int top = 0;

		if (color[root] != WHITE)
			continue;
		st[0] = (struct dfs_frame){ pl->mods[root], 0 };
		color[root] = GREY;
		while (top >= 0 && !rc) {
			struct dfs_frame *f = &st[top];

			if (f->og >= f->m->n_ogates) {
				color[f->m->seq] = BLACK;
				top--;
				continue;
			}
			struct module *next = f->m->ogates[f->og++].next;

			if (!next || color[next->seq] == BLACK)
				continue;
			if (color[next->seq] == GREY) {
				rc = cycle_err(st, top, next, err);
				break;
			}
			color[next->seq] = GREY;
			st[++top] = (struct dfs_frame){ next, 0 };
		}
	}
	free(color);
	free(st);
	return rc;
}

static int assign_tasks(struct pipeline *pl, struct kb_err *err)
{
	for (int i = 0; i < pl->n_mods; i++) {
		struct module *m = pl->mods[i];
		struct worker *w;

		if (!m->cls->run_task)
			continue;
		w = &pl->workers[m->wid < 0 ? 0 : m->wid];
		if (!w->defined) {
			/* BESS's default worker: the main lcore. */
			w->defined = true;
			w->core = pl->main_core;
		}
		struct module **t = realloc(w->tasks, (w->n_tasks + 1) * sizeof(*t));
		if (!t)
			return kb_err_set(err, "out of memory");
		w->tasks = t;
		w->tasks[w->n_tasks++] = m;
	}
	return 0;
}

int pipeline_start(struct pipeline *pl, struct kb_err *err)
{
	unsigned n_mbufs = 8192;

	for (int i = 0; i < pl->n_mods; i++)
		if (pl->mods[i]->cls->is_port)
			n_mbufs += port_mbufs_needed(pl->mods[i]);
	pl->pool = rte_pktmbuf_pool_create("kbswitch_pool", n_mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pl->pool)
		return kb_err_set(err, "cannot create a pool of %u mbufs: %s", n_mbufs,
				  rte_strerror(rte_errno));
	/* Ports first: queue modules look up their port ids at start. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < pl->n_mods; i++) {
			struct module *m = pl->mods[i];
			if (m->cls->is_port != (pass == 0) || !m->cls->start)
				continue;
			if (m->cls->start(m, err) < 0) {
				char msg[sizeof(err->msg)];
				snprintf(msg, sizeof(msg), "%s", err->msg);
				/* where the script made it: the user's way back */
				script_err_at(err, &m->pos, "%s '%s': %s", m->cls->name, m->name, msg);
				return -1;
			}
		}
	if (assign_tasks(pl, err) < 0)
		return -1;
	pl->started = true;
	return 0;
}

void pipeline_run(struct pipeline *pl)
{
	struct worker *main_w = NULL;

	for (int i = 0; i < KB_MAX_WORKERS; i++) {
		struct worker *w = &pl->workers[i];
		if (!w->defined || !w->n_tasks)
			continue;
		kb_idle_init(&w->idle, pl->pure_poll, pl->idle_max_us);
		worker_setup(w);
		__atomic_store_n(&w->running, 1, __ATOMIC_RELEASE);
		if (w->core == pl->main_core)
			main_w = w;
		else if (rte_eal_remote_launch(worker_main, w, (unsigned)w->core) != 0)
			__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	}
	if (main_w)
		worker_main(main_w);
	else
		while (!pl->stop)
			usleep(20000);
	rte_eal_mp_wait_lcore();
	for (int i = 0; i < KB_MAX_WORKERS; i++)
		worker_fini(&pl->workers[i]);
}

void pipeline_kick(struct pipeline *pl)
{
	for (int i = 0; i < KB_MAX_WORKERS; i++)
		kb_wait_kick(&pl->workers[i].wait);
}

void pipeline_synchronize(struct pipeline *pl)
{
	if (!pl->started)
		return;
	for (int i = 0; i < KB_MAX_WORKERS; i++) {
		struct worker *w = &pl->workers[i];
		uint64_t e = __atomic_load_n(&w->epoch, __ATOMIC_ACQUIRE);
		kb_wait_kick(&w->wait);   /* a blocked worker passes no quiescent point */
		while (__atomic_load_n(&w->running, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&w->epoch, __ATOMIC_ACQUIRE) == e)
			usleep(10);
	}
}

void pipeline_stop(struct pipeline *pl)
{
	/* Modules before ports: a queue module never outlives its port. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < pl->n_mods; i++) {
			struct module *m = pl->mods[i];
			if (m->cls->is_port == (pass == 1) && m->cls->stop)
				m->cls->stop(m);
		}
	pl->started = false;
}

void pipeline_free(struct pipeline *pl)
{
	for (int i = 0; i < pl->n_mods; i++) {
		if (pl->mods[i]->cls->destroy)
			pl->mods[i]->cls->destroy(pl->mods[i]);
		free(pl->mods[i]->priv);
		free(pl->mods[i]);
	}
	free(pl->mods);
	free(pl->index);
	pl->index = NULL;
	pl->index_mask = 0;
	pl->cap_mods = 0;
	for (int i = 0; i < KB_MAX_WORKERS; i++)
		free(pl->workers[i].tasks);
	if (pl->pool)
		rte_mempool_free(pl->pool);
	pl->mods = NULL;
	pl->n_mods = 0;
}
