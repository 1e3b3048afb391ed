/* Sink(): frees and counts everything it gets. */
#include "sw_module.h"

struct sink { uint64_t pkts, bytes; };

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const keys[] = { NULL };
	return script_args_check(a, "Sink", keys, err);
}

static void process(struct sw_module *m, struct sw_batch *b)
{
	struct sink *s = m->priv;
	s->pkts += b->n;
	for (uint16_t i = 0; i < b->n; i++)
		s->bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	rte_pktmbuf_free_bulk(b->pkts, b->n);
	b->n = 0;
}

static int show(struct sw_module *m, char *buf, size_t len)
{
	struct sink *s = m->priv;
	return snprintf(buf, len, "pkts=%" PRIu64 " bytes=%" PRIu64, s->pkts, s->bytes);
}

const struct sw_class sw_sink_class = {
	.name = "Sink", .max_igates = SW_MAX_GATES, .max_ogates = 0,
	.priv_size = sizeof(struct sink), .init = init, .process = process, .show = show,
};
