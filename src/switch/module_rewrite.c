/* Rewrite(templates=[bytes, ...]): replaces each packet's contents with the
 * next template in turn (BESS: up to 16 templates of at most 1536 bytes; the
 * turn carries over from batch to batch).  With no templates, packets pass
 * unchanged.  Templates come from bytes, bytearray or a scapy packet. */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "pkt_writable.h"

#define RW_MAX_TEMPLATES 16
#define RW_MAX_SIZE 1536

struct templates {
	int n;
	uint16_t len[RW_MAX_TEMPLATES];
	uint8_t data[RW_MAX_TEMPLATES][RW_MAX_SIZE];
};

struct rewrite {
	struct templates *t;      /* published; swapped whole by clear */
	unsigned next;
	uint64_t rewritten, nomem;
};

static int parse_templates(const struct script_args *a, struct templates **out,
			   struct kb_err *err)
{
	static const char *const allowed[] = {"templates", "", NULL};
	const struct script_value *v = script_args_get(a, "templates");
	struct templates *t;

	if (script_args_check(a, "Rewrite", allowed, err) < 0)
		return -1;
	if (!v)
		v = script_args_get(a, "");
	if (v && v->type != SV_LIST)
		return script_err_at(err, &v->pos, "Rewrite: expected templates=[bytes, ...], got %s",
				     script_vtype_name(v->type));
	if (v && v->list.n > RW_MAX_TEMPLATES)
		return script_err_at(err, &v->pos, "Rewrite: at most %d templates, got %zu",
				     RW_MAX_TEMPLATES, v->list.n);
	if (!(t = calloc(1, sizeof(*t))))
		return script_err_at(err, &a->pos, "Rewrite: out of memory");
	for (size_t i = 0; v && i < v->list.n; i++) {
		const struct script_value *x = v->list.items[i];
		if (x->type != SV_BYTES) {
			free(t);
			return script_err_at(err, &x->pos,
					     "Rewrite: a template is bytes (bytes(pkt) of a scapy packet), got %s",
					     script_vtype_name(x->type));
		}
		if (x->bytes.n < 14 || x->bytes.n > RW_MAX_SIZE) {
			free(t);
			return script_err_at(err, &x->pos,
					     "Rewrite: template %zu is %zu bytes (expected 14..%d)", i,
					     x->bytes.n, RW_MAX_SIZE);
		}
		memcpy(t->data[i], x->bytes.p, x->bytes.n);
		t->len[i] = (uint16_t)x->bytes.n;
		t->n++;
	}
	*out = t;
	return 0;
}

static int rw_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	struct rewrite *r = m->priv;
	return parse_templates(a, &r->t, err);
}

/* No templates from now on; the old ones are freed once no worker holds them. */
static int clear(struct module *m, struct kb_err *err)
{
	struct rewrite *r = m->priv;
	struct templates *t, *old;

	if (!(t = calloc(1, sizeof(*t))))
		return kb_err_set(err, "Rewrite: out of memory");
	old = r->t;
	__atomic_store_n(&r->t, t, __ATOMIC_RELEASE);
	pipeline_synchronize(m->pl);
	free(old);
	return 0;
}

static int cmd_clear(struct module *m, const struct script_args *a,
		     struct script_value **res, struct kb_err *err)
{
	static const char *const allowed[] = {NULL};

	if (script_args_check(a, "Rewrite.clear", allowed, err) < 0)
		return -1;
	return clear(m, err);
}

/* kbctl command module NAME clear */
static int ctl_clear(struct module *m, int argc, char *const argv[], FILE *out,
		     struct kb_err *err)
{
	if (clear(m, err) < 0)
		return -1;
	fprintf(out, "ok\n");
	return 0;
}

static void rw_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct rewrite *r = m->priv;
	const struct templates *t = __atomic_load_n(&r->t, __ATOMIC_ACQUIRE);
	uint16_t n = 0;

	if (!t->n) {
		module_emit(w, m, 0, b);
		return;
	}
	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *p = pkt_writable(m->pl->pool, b->pkts[i]);
		unsigned k = r->next;
		uint16_t len = t->len[k];

		if (!p || p->buf_len < RTE_PKTMBUF_HEADROOM + len) {
			r->nomem++;
			if (p)
				module_drop(m, p);
			else
				m->drops++;
			continue;
		}
		r->next = k + 1 == (unsigned)t->n ? 0 : k + 1;
		if (p->next) {            /* one segment holds any template */
			rte_pktmbuf_free(p->next);
			p->next = NULL;
			p->nb_segs = 1;
		}
		p->data_off = RTE_PKTMBUF_HEADROOM;
		p->data_len = len;
		p->pkt_len = len;
		memcpy(rte_pktmbuf_mtod(p, void *), t->data[k], len);
		r->rewritten++;
		b->pkts[n++] = p;
	}
	b->cnt = n;
	module_emit(w, m, 0, b);
}

static void rw_describe(const struct module *m, char *buf, size_t len)
{
	const struct rewrite *r = m->priv;
	snprintf(buf, len, "templates=%d rewritten=%" PRIu64 " nomem=%" PRIu64, r->t->n,
		 r->rewritten, r->nomem);
}

static void rw_destroy(struct module *m)
{
	struct rewrite *r = m->priv;
	free(r->t);
	r->t = NULL;
}

static const struct module_cmd rw_cmds[] = {
	{"clear", "clear(): no templates (packets pass unchanged)", cmd_clear},
	{NULL, NULL, NULL},
};

static const struct module_ctl_cmd rw_ctl_cmds[] = {
	{"clear", "", "no templates from now on (packets pass unchanged)", 0, 0, ctl_clear},
	{NULL, NULL, NULL, 0, 0, NULL},
};

const struct module_class mod_rewrite = {
	.name = "Rewrite",
	.help = "replaces packets with templates in turn: Rewrite(templates=[bytes, ...])",
	.priv_size = sizeof(struct rewrite),
	.max_igates = 1,
	.max_ogates = 1,
	.init = rw_init,
	.destroy = rw_destroy,
	.process = rw_process,
	.describe = rw_describe,
	.cmds = rw_cmds,
	.ctl_cmds = rw_ctl_cmds,
};
