/* L2Forward(size=1024, bucket=4): destination MAC -> output gate.  A miss is
 * dropped (counted) unless set_default_gate() set one; broadcast and
 * multicast are ordinary entries (ff:ff:ff:ff:ff:ff -> a Replicate).  A frame
 * shorter than an Ethernet header is counted as a runt and dropped.
 *
 * learn=True (off by default, so a script's own entries are the whole
 * table, as in BESS): the source MAC of each frame is learned toward the
 * gate whose QueueOut/PortOut sends to the port the frame came in on;
 * learned entries age out after age seconds (300), at most learn_max of them
 * (1024, rounded up to a power of two) fit, and a static entry always wins
 * (a learned one never shadows it, a frame from a static MAC teaches
 * nothing).  The learned table is written by the data path: the modules
 * feeding one learning L2Forward must run on one worker. */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include "kb_parse.h"
#include "l2_table.h"
#include "pipeline.h"

#define LEARN_PROBE 8

struct l2_learned_entry {
	uint64_t key;             /* l2_mac_key, 0: never used */
	uint64_t seen;            /* TSC of the last frame from it */
	int gate;
};

struct l2fwd {
	struct l2_table *tbl;     /* published; swapped whole by the control side */
	int default_gate;         /* -1: drop misses */
	uint64_t hits, misses, runts;
	/* learning (NULL: off); written by the one worker that runs us */
	struct l2_learned_entry *learned;
	uint32_t learn_mask;
	uint64_t age_s, age_tsc;
	uint64_t learn_full;      /* a new MAC found no free or aged slot */
	int16_t port_gate[RTE_MAX_ETHPORTS];   /* ingress port -> gate toward it */
};

/* The gate of a learned, unexpired entry, or -1. */
static inline int learned_lookup(const struct l2fwd *l, uint64_t key, uint64_t now)
{
	uint32_t h = l2_hash(key);

	for (uint32_t i = 0; i < LEARN_PROBE; i++) {
		const struct l2_learned_entry *e = &l->learned[(h + i) & l->learn_mask];

		if (e->key == key)
			return now - e->seen <= l->age_tsc ? e->gate : -1;
		if (!e->key)
			return -1;
	}
	return -1;
}

/* Source MACs of a burst: learn or refresh them (static ones teach nothing). */
static void learn_burst(struct l2fwd *l, const struct l2_table *t, const struct pkt_batch *b,
			uint64_t now)
{
	for (uint16_t i = 0; i < b->cnt; i++) {
		const struct rte_mbuf *p = b->pkts[i];
		const uint8_t *src = rte_pktmbuf_mtod(p, const uint8_t *) + 6;
		int gate = p->port < RTE_MAX_ETHPORTS ? l->port_gate[p->port] : -1;

		if (gate < 0 || rte_pktmbuf_data_len(p) < RTE_ETHER_HDR_LEN || (src[0] & 1))
			continue;
		uint64_t key = l2_mac_key(src);
		uint32_t h = l2_hash(key);
		struct l2_learned_entry *slot = NULL;

		if (l2_lookup(t, key) >= 0)
			continue;
		for (uint32_t k = 0; k < LEARN_PROBE; k++) {
			struct l2_learned_entry *e = &l->learned[(h + k) & l->learn_mask];

			if (e->key == key) {
				slot = e;
				break;
			}
			if (!slot && (!e->key || now - e->seen > l->age_tsc))
				slot = e;
		}
		if (!slot) {
			l->learn_full++;
			continue;
		}
		slot->gate = gate;   /* a station that moved is followed */
		slot->seen = now;
		slot->key = key;
	}
}

static int l2_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"size", "bucket", "learn", "learn_max", "age", NULL};
	struct l2fwd *l = m->priv;
	int64_t size = 1024, bucket = 4, learn_max = 1024, age = 300;
	const struct script_value *lv = script_args_get(a, "learn");

	if (script_args_check(a, "L2Forward", allowed, err) ||
	    script_arg_int(a, "L2Forward", "size", 0, 1, 1 << 24, &size, err) ||
	    script_arg_int(a, "L2Forward", "bucket", 0, 1, 64, &bucket, err) ||
	    script_arg_int(a, "L2Forward", "learn_max", 0, 1, 1 << 20, &learn_max, err) ||
	    script_arg_int(a, "L2Forward", "age", 0, 1, 86400, &age, err))
		return -1;
	if (lv && lv->type != SV_BOOL)
		return script_err_at(err, &lv->pos, "L2Forward: learn expects True or False");
	if (lv && lv->b) {
		uint32_t n = 16;

		while (n < 2 * (uint64_t)learn_max)   /* half full at the cap: short probes */
			n *= 2;
		if (!(l->learned = calloc(n, sizeof(*l->learned))))
			return script_err_at(err, &a->pos, "L2Forward: out of memory");
		l->learn_mask = n - 1;
		l->age_s = (uint64_t)age;
	}
	if (!kb_is_pow2((uint64_t)size))
		return script_err_at(err, &script_args_get(a, "size")->pos,
				     "L2Forward: size must be a power of two (got %lld)", (long long)size);
	if (!kb_is_pow2((uint64_t)bucket))
		return script_err_at(err, &script_args_get(a, "bucket")->pos,
				     "L2Forward: bucket must be a power of two (got %lld)", (long long)bucket);
	if (bucket > size)
		return script_err_at(err, &script_args_get(a, "bucket")->pos,
				     "L2Forward: bucket (%lld) must not exceed size (%lld)",
				     (long long)bucket, (long long)size);
	l->default_gate = -1;
	if (!(l->tbl = l2_table_new((uint32_t)size, (uint32_t)bucket)))
		return script_err_at(err, &a->pos, "L2Forward: out of memory");
	return 0;
}


/* Publish a new table; free the old one once no worker can hold it. */
static void publish(struct module *m, struct l2_table *t)
{
	struct l2fwd *l = m->priv;
	struct l2_table *old = l->tbl;

	__atomic_store_n(&l->tbl, t, __ATOMIC_RELEASE);
	pipeline_synchronize(m->pl);
	free(old);
}

static int parse_mac(const struct script_value *v, uint64_t *key, struct kb_err *err)
{
	uint8_t mac[6];

	if (!v || v->type != SV_STR || kb_parse_mac(v->s, mac) < 0)
		return script_err_at(err, v ? &v->pos : NULL,
				     "L2Forward: expected a MAC address string like '02:00:00:00:00:01'");
	*key = l2_mac_key(mac);
	return 0;
}

static int table_err(int rc, const struct script_value *v, struct kb_err *err)
{
	if (rc == -2)
		return script_err_at(err, &v->pos, "L2Forward: address %s is already in the table", v->s);
	return script_err_at(err, &v->pos, "L2Forward: the bucket of %s is full (raise size or bucket)", v->s);
}

static const struct script_value *list_arg(const struct script_args *a, const char *key,
					   struct kb_err *err)
{
	const struct script_value *v = script_args_get(a, key);

	if (!v)
		v = script_args_get(a, "");
	if (!v || v->type != SV_LIST) {
		script_err_at(err, v ? &v->pos : &a->pos, "L2Forward: expected %s=[...]", key);
		return NULL;
	}
	return v;
}

static int cmd_add(struct module *m, const struct script_args *a,
		   struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {"entries", "", NULL};
	struct l2fwd *l = m->priv;
	const struct script_value *list;
	struct l2_table *t;

	if (script_args_check(a, "L2Forward.add", allowed, err) ||
	    !(list = list_arg(a, "entries", err)))
		return -1;
	if (!(t = l2_table_clone(l->tbl)))
		return script_err_at(err, &a->pos, "L2Forward: out of memory");
	for (size_t i = 0; i < list->list.n; i++) {
		const struct script_value *e = list->list.items[i], *addr, *gate;
		uint64_t key;
		int64_t g;
		int rc;

		if (e->type != SV_DICT) {
			script_err_at(err, &e->pos, "L2Forward.add: expected {'addr': MAC, 'gate': N}");
			goto fail;
		}
		addr = script_dict_get(e, "addr");
		gate = script_dict_get(e, "gate");
		if (!addr || !gate) {
			script_err_at(err, &e->pos, "L2Forward.add: expected {'addr': MAC, 'gate': N} (missing '%s')",
				      addr ? "gate" : "addr");
			goto fail;
		}
		for (size_t k = 0; k < e->dict.n; k++)
			if (strcmp(e->dict.items[k].key, "addr") && strcmp(e->dict.items[k].key, "gate")) {
				script_err_at(err, &e->dict.items[k].val->pos,
					      "L2Forward.add: unknown key '%s' (expected 'addr' or 'gate')",
					      e->dict.items[k].key);
				goto fail;
			}
		if (parse_mac(addr, &key, err) ||
		    script_value_int(gate, "gate", 0, KB_MAX_GATES - 1, &g, err))
			goto fail;
		if ((rc = l2_table_add(t, key, (int)g)) < 0) {
			table_err(rc, addr, err);
			goto fail;
		}
	}
	publish(m, t);
	return 0;
fail:
	free(t);
	return -1;
}

static int cmd_delete(struct module *m, const struct script_args *a,
		      struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {"addrs", "", NULL};
	struct l2fwd *l = m->priv;
	const struct script_value *list;
	struct l2_table *t;

	if (script_args_check(a, "L2Forward.delete", allowed, err) ||
	    !(list = list_arg(a, "addrs", err)))
		return -1;
	if (!(t = l2_table_clone(l->tbl)))
		return script_err_at(err, &a->pos, "L2Forward: out of memory");
	for (size_t i = 0; i < list->list.n; i++) {
		uint64_t key;
		if (parse_mac(list->list.items[i], &key, err))
			goto fail;
		if (l2_table_del(t, key) < 0) {
			script_err_at(err, &list->list.items[i]->pos,
				      "L2Forward.delete: address %s is not in the table",
				      list->list.items[i]->s);
			goto fail;
		}
	}
	publish(m, t);
	return 0;
fail:
	free(t);
	return -1;
}

static int cmd_lookup(struct module *m, const struct script_args *a,
		      struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {"addrs", "", NULL};
	struct l2fwd *l = m->priv;
	const struct script_value *list;
	struct script_value *out;

	if (script_args_check(a, "L2Forward.lookup", allowed, err) ||
	    !(list = list_arg(a, "addrs", err)))
		return -1;
	if (!(out = script_value_new(SV_LIST, a->pos)))
		return script_err_at(err, &a->pos, "out of memory");
	out->list.items = calloc(list->list.n ? list->list.n : 1, sizeof(*out->list.items));
	for (size_t i = 0; out->list.items && i < list->list.n; i++) {
		uint64_t key;
		int g;
		if (parse_mac(list->list.items[i], &key, err))
			goto fail;
		if ((g = l2_lookup(l->tbl, key)) < 0) {
			script_err_at(err, &list->list.items[i]->pos,
				      "L2Forward.lookup: address %s is not in the table",
				      list->list.items[i]->s);
			goto fail;
		}
		if (!(out->list.items[i] = script_value_new(SV_INT, list->list.items[i]->pos)))
			goto fail;
		out->list.items[i]->i = g;
		out->list.n = i + 1;
	}
	if (!out->list.items)
		goto fail;
	*res = out;
	return 0;
fail:
	script_value_free(out);
	return -1;
}

static int cmd_set_default_gate(struct module *m, const struct script_args *a,
				struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {"gate", "", NULL};
	struct l2fwd *l = m->priv;
	const struct script_value *v = script_args_get(a, "gate");
	int64_t g;

	if (!v)
		v = script_args_get(a, "");
	if (script_args_check(a, "L2Forward.set_default_gate", allowed, err))
		return -1;
	if (!v)
		return script_err_at(err, &a->pos, "L2Forward.set_default_gate: missing argument 'gate'");
	if (script_value_int(v, "gate", 0, KB_MAX_GATES - 1, &g, err))
		return -1;
	__atomic_store_n(&l->default_gate, (int)g, __ATOMIC_RELEASE);
	return 0;
}

/* kbctl's words: `command module NAME add MAC GATE` and friends (also
 * `kbctl add/del l2`).  Each edit is one clone-and-publish, like the script's. */
static int ctl_mac(const char *s, uint64_t *key, struct kb_err *err)
{
	uint8_t mac[6];

	if (kb_parse_mac(s, mac) < 0)
		return kb_err_set(err, "'%s' is not a MAC address (expected 02:00:00:00:00:01)", s);
	*key = l2_mac_key(mac);
	return 0;
}

static int ctl_gate(const char *s, int lo, int64_t *gate, struct kb_err *err)
{
	long long g;

	if (kb_parse_int(s, lo, KB_MAX_GATES - 1, &g) < 0)
		return kb_err_set(err, "gate '%s' is not an integer %d..%d", s, lo, KB_MAX_GATES - 1);
	*gate = g;
	return 0;
}

static int ctl_add(struct module *m, int argc, char *const argv[], FILE *out,
		   struct kb_err *err)
{
	struct l2fwd *l = m->priv;
	struct l2_table *t;
	uint64_t key;
	int64_t gate = 0;
	int rc;

	if (ctl_mac(argv[0], &key, err) || ctl_gate(argv[1], 0, &gate, err))
		return -1;
	if (!(t = l2_table_clone(l->tbl)))
		return kb_err_set(err, "out of memory");
	if ((rc = l2_table_add(t, key, (int)gate)) < 0) {
		free(t);
		return kb_err_set(err, "%s: %s", argv[0], rc == -2 ?
				  "address already in the table (delete it first)" : "its bucket is full");
	}
	publish(m, t);
	fprintf(out, "ok\n");
	return 0;
}

static int ctl_delete(struct module *m, int argc, char *const argv[], FILE *out,
		      struct kb_err *err)
{
	struct l2fwd *l = m->priv;
	struct l2_table *t;
	uint64_t key;

	if (ctl_mac(argv[0], &key, err))
		return -1;
	if (!(t = l2_table_clone(l->tbl)))
		return kb_err_set(err, "out of memory");
	if (l2_table_del(t, key) < 0) {
		free(t);
		return kb_err_set(err, "%s: address not in the table", argv[0]);
	}
	publish(m, t);
	fprintf(out, "ok\n");
	return 0;
}

static int ctl_lookup(struct module *m, int argc, char *const argv[], FILE *out,
		      struct kb_err *err)
{
	struct l2fwd *l = m->priv;
	uint64_t key;
	int g;

	if (ctl_mac(argv[0], &key, err))
		return -1;
	if ((g = l2_lookup(l->tbl, key)) < 0)
		return kb_err_set(err, "%s: address not in the table", argv[0]);
	fprintf(out, "%d\n", g);
	return 0;
}

static int ctl_set_default_gate(struct module *m, int argc, char *const argv[], FILE *out,
				struct kb_err *err)
{
	struct l2fwd *l = m->priv;
	int64_t gate = 0;

	if (ctl_gate(argv[0], -1, &gate, err))
		return -1;
	__atomic_store_n(&l->default_gate, (int)gate, __ATOMIC_RELEASE);
	fprintf(out, "ok\n");
	return 0;
}

static void l2_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct l2fwd *l = m->priv;
	const struct l2_table *t = __atomic_load_n(&l->tbl, __ATOMIC_ACQUIRE);
	int def = __atomic_load_n(&l->default_gate, __ATOMIC_RELAXED);
	int16_t gate[KB_BURST];
	struct pkt_batch out;
	uint16_t n = b->cnt;
	uint64_t now = 0;

	if (unlikely(l->learned != NULL)) {
		now = rte_get_tsc_cycles();
		learn_burst(l, t, b, now);
	}

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *p = b->pkts[i];
		int g;

		if (unlikely(rte_pktmbuf_data_len(p) < RTE_ETHER_HDR_LEN)) {
			l->runts++;
			module_drop(m, p);
			gate[i] = -1;
			continue;
		}
		g = l2_lookup(t, l2_mac_key(rte_pktmbuf_mtod(p, const uint8_t *)));
		if (unlikely(g < 0) && l->learned)
			g = learned_lookup(l, l2_mac_key(rte_pktmbuf_mtod(p, const uint8_t *)), now);
		if (g < 0) {
			if (def < 0) {
				l->misses++;
				module_drop(m, p);
				gate[i] = -1;
				continue;
			}
			g = def;
		}
		l->hits++;
		gate[i] = (int16_t)g;
	}
	/* Group by gate, keeping each gate's packets in arrival order. */
	for (uint16_t i = 0; i < n; i++) {
		int g = gate[i];
		if (g < 0)
			continue;
		out.cnt = 0;
		for (uint16_t j = i; j < n; j++)
			if (gate[j] == g) {
				out.pkts[out.cnt++] = b->pkts[j];
				gate[j] = -1;
			}
		module_emit(w, m, g, &out);
	}
	b->cnt = 0;
}

/* Learning maps each port to the gate that sends to it: ports have started
 * (their ids are known) before any other module starts. */
static int l2_start(struct module *m, struct kb_err *err)
{
	struct l2fwd *l = m->priv;

	(void)err;
	for (int p = 0; p < RTE_MAX_ETHPORTS; p++)
		l->port_gate[p] = -1;
	l->age_tsc = l->age_s * rte_get_tsc_hz();
	for (int g = 0; g < m->n_ogates; g++) {
		const struct module *nx = m->ogates[g].next;
		int pid = nx && nx->cls->tx_port ? nx->cls->tx_port(nx) : -1;

		if (pid >= 0 && pid < RTE_MAX_ETHPORTS && l->port_gate[pid] < 0)
			l->port_gate[pid] = (int16_t)g;
	}
	return 0;
}

static void l2_describe(const struct module *m, char *buf, size_t len)
{
	const struct l2fwd *l = m->priv;
	int n = snprintf(buf, len,
			 "size=%u bucket=%u entries=%u default_gate=%d hits=%" PRIu64 " misses=%" PRIu64
			 " runts=%" PRIu64,
			 l->tbl->size, l->tbl->bucket, l->tbl->count, l->default_gate, l->hits,
			 l->misses, l->runts);

	if (l->learned && n >= 0 && (size_t)n < len) {
		uint64_t now = rte_get_tsc_cycles();
		uint32_t live = 0;

		/* read racily from the control thread: a snapshot, good enough */
		for (uint32_t i = 0; i <= l->learn_mask; i++)
			live += l->learned[i].key && now - l->learned[i].seen <= l->age_tsc;
		snprintf(buf + n, len - (size_t)n, " learn=on learned=%u learn_max=%u age=%" PRIu64
			 " learn_full=%" PRIu64, live, (l->learn_mask + 1) / 2, l->age_s, l->learn_full);
	}
}

static void l2_destroy(struct module *m)
{
	struct l2fwd *l = m->priv;
	free(l->tbl);
	l->tbl = NULL;
	free(l->learned);
	l->learned = NULL;
}

/* clear(): an empty table (a saved table's first line, see ctl_save). */
static int cmd_clear(struct module *m, const struct script_args *a,
		     struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {NULL};
	struct l2fwd *l = m->priv;
	struct l2_table *t;

	if (script_args_check(a, "L2Forward.clear", allowed, err))
		return -1;
	if (!(t = l2_table_new(l->tbl->size, l->tbl->bucket)))
		return script_err_at(err, &a->pos, "L2Forward: out of memory");
	publish(m, t);
	return 0;
}

/* The table as script lines that rebuild it (kbctl save): a script runs
 * them after its own add() to get back what kbctl changed at run time. */
static int ctl_save(struct module *m, int argc, char *const argv[], FILE *out,
		    struct kb_err *err)
{
	const struct l2fwd *l = m->priv;
	const struct l2_table *t = l->tbl;
	const char *sep = "";

	(void)argc; (void)argv; (void)err;
	fprintf(out, "%s.clear()\n%s.add(entries=[", m->name, m->name);
	for (uint32_t i = 0; i < t->size; i++) {
		uint64_t k = t->e[i].key;

		if (!(k & L2_VALID))
			continue;
		fprintf(out, "%s{'addr': '%02x:%02x:%02x:%02x:%02x:%02x', 'gate': %d}", sep,
			(unsigned)(k >> 40) & 255, (unsigned)(k >> 32) & 255, (unsigned)(k >> 24) & 255,
			(unsigned)(k >> 16) & 255, (unsigned)(k >> 8) & 255, (unsigned)k & 255,
			(int)t->e[i].gate);
		sep = ",\n    ";
	}
	fprintf(out, "])\n");
	if (l->default_gate >= 0)
		fprintf(out, "%s.set_default_gate(gate=%d)\n", m->name, l->default_gate);
	return 0;
}

static const struct module_cmd l2_cmds[] = {
	{"add", "add(entries=[{'addr': MAC, 'gate': N}, ...])", cmd_add},
	{"delete", "delete(addrs=[MAC, ...])", cmd_delete},
	{"lookup", "lookup(addrs=[MAC, ...]) -> [gate, ...]", cmd_lookup},
	{"set_default_gate", "set_default_gate(gate=N)", cmd_set_default_gate},
	{"clear", "clear()", cmd_clear},
	{NULL, NULL, NULL},
};

static const struct module_ctl_cmd l2_ctl_cmds[] = {
	{"add", "MAC GATE", "send frames to MAC out of GATE", 2, 2, ctl_add},
	{"delete", "MAC", "forget MAC (its frames become misses)", 1, 1, ctl_delete},
	{"lookup", "MAC", "print MAC's gate", 1, 1, ctl_lookup},
	{"set_default_gate", "GATE", "send misses out of GATE (-1: drop and count them)", 1, 1,
	 ctl_set_default_gate},
	{"save", "", "print the table as script lines (what kbctl save writes)", 0, 0, ctl_save},
	{NULL, NULL, NULL, 0, 0, NULL},
};

const struct module_class mod_l2forward = {
	.name = "L2Forward",
	.help = "destination MAC to output gate: L2Forward(size=1024, bucket=4, "
		"learn=False, learn_max=1024, age=300)",
	.priv_size = sizeof(struct l2fwd),
	.max_igates = 1,
	.max_ogates = KB_MAX_GATES,
	.init = l2_init,
	.start = l2_start,
	.destroy = l2_destroy,
	.process = l2_process,
	.describe = l2_describe,
	.cmds = l2_cmds,
	.ctl_cmds = l2_ctl_cmds,
};
