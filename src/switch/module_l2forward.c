/* L2Forward(size=1024, bucket=4): destination MAC -> output gate.  A miss is
 * dropped (counted) unless set_default_gate() set one; broadcast and
 * multicast are ordinary entries (ff:ff:ff:ff:ff:ff -> a Replicate).  A frame
 * shorter than an Ethernet header is counted as a runt and dropped. */
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include "kb_parse.h"
#include "l2_table.h"
#include "pipeline.h"

struct l2fwd {
	struct l2_table *tbl;     /* published; swapped whole by the control side */
	int default_gate;         /* -1: drop misses */
	uint64_t hits, misses, runts;
};

static int l2_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"size", "bucket", NULL};
	struct l2fwd *l = m->priv;
	int64_t size = 1024, bucket = 4;

	if (script_args_check(a, "L2Forward", allowed, err) ||
	    script_arg_int(a, "L2Forward", "size", 0, 1, 1 << 24, &size, err) ||
	    script_arg_int(a, "L2Forward", "bucket", 0, 1, 64, &bucket, err))
		return -1;
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

static void l2_describe(const struct module *m, char *buf, size_t len)
{
	const struct l2fwd *l = m->priv;
	snprintf(buf, len,
		 "size=%u bucket=%u entries=%u default_gate=%d hits=%" PRIu64 " misses=%" PRIu64
		 " runts=%" PRIu64,
		 l->tbl->size, l->tbl->bucket, l->tbl->count, l->default_gate, l->hits,
		 l->misses, l->runts);
}

static void l2_destroy(struct module *m)
{
	struct l2fwd *l = m->priv;
	free(l->tbl);
	l->tbl = NULL;
}

static const struct module_cmd l2_cmds[] = {
	{"add", "add(entries=[{'addr': MAC, 'gate': N}, ...])", cmd_add},
	{"delete", "delete(addrs=[MAC, ...])", cmd_delete},
	{"lookup", "lookup(addrs=[MAC, ...]) -> [gate, ...]", cmd_lookup},
	{"set_default_gate", "set_default_gate(gate=N)", cmd_set_default_gate},
	{NULL, NULL, NULL},
};

static const struct module_ctl_cmd l2_ctl_cmds[] = {
	{"add", "MAC GATE", "send frames to MAC out of GATE", 2, 2, ctl_add},
	{"delete", "MAC", "forget MAC (its frames become misses)", 1, 1, ctl_delete},
	{"lookup", "MAC", "print MAC's gate", 1, 1, ctl_lookup},
	{"set_default_gate", "GATE", "send misses out of GATE (-1: drop and count them)", 1, 1,
	 ctl_set_default_gate},
	{NULL, NULL, NULL, 0, 0, NULL},
};

const struct module_class mod_l2forward = {
	.name = "L2Forward",
	.help = "destination MAC to output gate: L2Forward(size=1024, bucket=4)",
	.priv_size = sizeof(struct l2fwd),
	.max_igates = 1,
	.max_ogates = KB_MAX_GATES,
	.init = l2_init,
	.destroy = l2_destroy,
	.process = l2_process,
	.describe = l2_describe,
	.cmds = l2_cmds,
	.ctl_cmds = l2_ctl_cmds,
};
