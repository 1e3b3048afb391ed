/* Sink(): frees what it gets (counted as received, not as drops: that is its
 * job). */
#include "pipeline.h"

struct sink {
	uint64_t pkts, bytes;
};

static int sink_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {NULL};
	return script_args_check(a, "Sink", allowed, err);
}

static void sink_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct sink *s = m->priv;

	for (uint16_t i = 0; i < b->cnt; i++)
		s->bytes += b->pkts[i]->pkt_len;
	s->pkts += b->cnt;
	rte_pktmbuf_free_bulk(b->pkts, b->cnt);
	b->cnt = 0;
}

static void sink_describe(const struct module *m, char *buf, size_t len)
{
	const struct sink *s = m->priv;
	snprintf(buf, len, "pkts=%" PRIu64 " bytes=%" PRIu64, s->pkts, s->bytes);
}

const struct module_class mod_sink = {
	.name = "Sink",
	.help = "frees packets: Sink()",
	.priv_size = sizeof(struct sink),
	.max_igates = KB_MAX_GATES,
	.init = sink_init,
	.process = sink_process,
	.describe = sink_describe,
};
