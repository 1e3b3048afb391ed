/* RandomUpdate(fields=[{'offset': O, 'size': S, 'min': A, 'max': B}, ...]):
 * writes a random value in [A, B] big-endian into S bytes (1..4) at byte O
 * of each packet, as BESS does (up to 16 fields).  A packet too short for a
 * field is left alone for that field and counted (`short`). */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "pkt_writable.h"

#define RU_MAX_FIELDS 16

struct ru_field {
	uint32_t offset;
	uint32_t size;
	uint32_t min;
	uint64_t range;           /* max - min + 1 */
};

struct random_update {
	int n;
	struct ru_field f[RU_MAX_FIELDS];
	uint64_t rng;             /* xorshift64*: a worker's own, never shared */
	uint64_t updated, short_pkts, nomem;
};

static int ru_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"fields", "", NULL};
	static const char *const keys[] = {"offset", "size", "min", "max"};
	struct random_update *r = m->priv;
	const struct script_value *v = script_args_get(a, "fields");

	if (script_args_check(a, "RandomUpdate", allowed, err) < 0)
		return -1;
	if (!v)
		v = script_args_get(a, "");
	if (!v || v->type != SV_LIST || !v->list.n)
		return script_err_at(err, v ? &v->pos : &a->pos,
				     "RandomUpdate: expected fields=[{'offset': O, 'size': S, 'min': A, 'max': B}, ...]");
	if (v->list.n > RU_MAX_FIELDS)
		return script_err_at(err, &v->pos, "RandomUpdate: at most %d fields", RU_MAX_FIELDS);
	for (size_t i = 0; i < v->list.n; i++) {
		const struct script_value *e = v->list.items[i];
		int64_t x[4];

		if (e->type != SV_DICT)
			return script_err_at(err, &e->pos,
					     "RandomUpdate: a field is {'offset': O, 'size': S, 'min': A, 'max': B}");
		for (size_t k = 0; k < e->dict.n; k++) {
			size_t j = 0;
			while (j < 4 && strcmp(e->dict.items[k].key, keys[j]))
				j++;
			if (j == 4)
				return script_err_at(err, &e->dict.items[k].val->pos,
						     "RandomUpdate: unknown key '%s' (expected offset, size, min, max)",
						     e->dict.items[k].key);
		}
		for (int j = 0; j < 4; j++) {
			const struct script_value *f = script_dict_get(e, keys[j]);
			if (!f)
				return script_err_at(err, &e->pos, "RandomUpdate: field %zu has no '%s'", i,
						     keys[j]);
			if (script_value_int(f, keys[j], 0, j == 0 ? 1535 : j == 1 ? 4 : UINT32_MAX,
					     &x[j], err) < 0)
				return -1;
		}
		if (x[1] < 1)
			return script_err_at(err, &script_dict_get(e, "size")->pos,
					     "RandomUpdate: size is 1..4 bytes");
		if (x[2] > x[3] || (x[1] < 4 && x[3] >= (1ll << (8 * x[1]))))
			return script_err_at(err, &script_dict_get(e, "max")->pos,
					     "RandomUpdate: expected min <= max < 2^(8*size) (got min %lld, max %lld, size %lld)",
					     (long long)x[2], (long long)x[3], (long long)x[1]);
		r->f[r->n++] = (struct ru_field){ (uint32_t)x[0], (uint32_t)x[1], (uint32_t)x[2],
						  (uint64_t)(x[3] - x[2]) + 1 };
	}
	r->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)m;
	return 0;
}

static uint32_t rng_next(uint64_t *s, uint64_t range)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (uint32_t)(((x * 0x2545f4914f6cdd1dull) >> 32) * range >> 32);
}

static void ru_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct random_update *r = m->priv;
	uint16_t n = 0;

	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *p = pkt_writable(m->pl->pool, b->pkts[i]);
		uint8_t *d;

		if (!p) {
			r->nomem++;
			m->drops++;
			continue;
		}
		d = rte_pktmbuf_mtod(p, uint8_t *);
		for (int k = 0; k < r->n; k++) {
			const struct ru_field *f = &r->f[k];
			uint32_t v;

			if (f->offset + f->size > rte_pktmbuf_data_len(p)) {
				r->short_pkts++;
				continue;
			}
			v = f->min + rng_next(&r->rng, f->range);
			for (uint32_t j = 0; j < f->size; j++)
				d[f->offset + j] = (uint8_t)(v >> (8 * (f->size - 1 - j)));
		}
		r->updated++;
		b->pkts[n++] = p;
	}
	b->cnt = n;
	module_emit(w, m, 0, b);
}

static void ru_describe(const struct module *m, char *buf, size_t len)
{
	const struct random_update *r = m->priv;
	snprintf(buf, len, "fields=%d updated=%" PRIu64 " short=%" PRIu64 " nomem=%" PRIu64, r->n,
		 r->updated, r->short_pkts, r->nomem);
}

const struct module_class mod_random_update = {
	.name = "RandomUpdate",
	.help = "random values into packet bytes: RandomUpdate(fields=[{'offset', 'size', 'min', 'max'}, ...])",
	.priv_size = sizeof(struct random_update),
	.max_igates = 1,
	.max_ogates = 1,
	.init = ru_init,
	.process = ru_process,
	.describe = ru_describe,
};
