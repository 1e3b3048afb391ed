/* Source(pkt_size=60, burst=32): a task that emits zero-filled frames as fast
 * as it is polled, for load.  A failed allocation is counted, not retried. */
#include <string.h>

#include "pipeline.h"

struct source {
	int64_t pkt_size;
	int64_t burst;
	uint64_t alloc_fail;
};

static int src_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"pkt_size", "burst", NULL};
	struct source *s = m->priv;

	s->pkt_size = 60;
	s->burst = KB_BURST;
	return script_args_check(a, "Source", allowed, err) ||
	       script_arg_int(a, "Source", "pkt_size", 0, 14, 1514, &s->pkt_size, err) ||
	       script_arg_int(a, "Source", "burst", 0, 1, KB_BURST, &s->burst, err) ? -1 : 0;
}

static unsigned src_run(struct worker *w, struct module *m)
{
	struct source *s = m->priv;
	struct pkt_batch b;

	if (rte_pktmbuf_alloc_bulk(m->pl->pool, b.pkts, (unsigned)s->burst) < 0) {
		s->alloc_fail++;
		return 0;
	}
	b.cnt = (uint16_t)s->burst;
	for (uint16_t i = 0; i < b.cnt; i++) {
		char *d = rte_pktmbuf_append(b.pkts[i], (uint16_t)s->pkt_size);
		memset(d, 0, (size_t)s->pkt_size);
	}
	module_emit(w, m, 0, &b);
	return (unsigned)s->burst;
}

static void src_describe(const struct module *m, char *buf, size_t len)
{
	const struct source *s = m->priv;
	snprintf(buf, len, "pkt_size=%lld burst=%lld alloc_fail=%" PRIu64,
		 (long long)s->pkt_size, (long long)s->burst, s->alloc_fail);
}

const struct module_class mod_source = {
	.name = "Source",
	.help = "emits zero-filled frames for load: Source(pkt_size=60, burst=32)",
	.priv_size = sizeof(struct source),
	.max_ogates = 1,
	.init = src_init,
	.run_task = src_run,
	.describe = src_describe,
};
