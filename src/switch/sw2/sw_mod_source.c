/* Source(pkt_size=60, burst=32): generates zero-filled frames as fast as
 * the worker polls it, for load tests. */
#include <string.h>

#include "sw_pipeline.h"

struct source { int64_t size, burst; uint64_t pkts, nombuf; };

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const keys[] = { "pkt_size", "burst", NULL };
	struct source *s = m->priv;
	s->size = 60;
	s->burst = SW_BURST;
	return script_args_check(a, "Source", keys, err) ||
	       script_arg_int(a, "Source", "pkt_size", 0, 14, RTE_MBUF_DEFAULT_DATAROOM, &s->size, err) ||
	       script_arg_int(a, "Source", "burst", 0, 1, SW_BURST, &s->burst, err) ? -1 : 0;
}

static unsigned run_task(struct sw_module *m)
{
	struct source *s = m->priv;
	struct sw_batch b;
	if (rte_pktmbuf_alloc_bulk(m->pl->pool, b.pkts, (unsigned)s->burst)) {
		s->nombuf++;
		return 0;
	}
	b.n = (uint16_t)s->burst;
	for (uint16_t i = 0; i < b.n; i++) {
		char *d = rte_pktmbuf_append(b.pkts[i], (uint16_t)s->size);
		memset(d, 0, (size_t)s->size);
	}
	s->pkts += b.n;
	sw_emit(m, 0, &b);
	return (unsigned)s->burst;
}

static int show(struct sw_module *m, char *buf, size_t len)
{
	struct source *s = m->priv;
	return snprintf(buf, len, "pkts=%" PRIu64 " nombuf=%" PRIu64, s->pkts, s->nombuf);
}

const struct sw_class sw_source_class = {
	.name = "Source", .max_igates = 0, .max_ogates = 1,
	.priv_size = sizeof(struct source), .init = init, .run_task = run_task, .show = show,
};
