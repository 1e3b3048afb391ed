/* pipeline_show / pipeline_stats: what kbctl shows, in text for people and
 * in columns for `kbctl monitor`.  Reads counters the workers write without
 * locks: a value may be one burst old. */
#include <string.h>
#include <time.h>

#include "port.h"
#include "pipeline.h"

static void show_one(const struct module *m, FILE *out)
{
	char d[512] = "";

	if (m->cls->describe)
		m->cls->describe(m, d, sizeof(d));
	if (m->cls->is_port)
		fprintf(out, "%s::%s %s\n", m->name, m->cls->name, d);
	else
		fprintf(out, "%s::%s drops=%" PRIu64 "%s%s\n", m->name, m->cls->name, m->drops,
			d[0] ? " " : "", d);
}

void pipeline_show(struct pipeline *pl, const char *what, FILE *out)
{
	bool ports = !strcmp(what, "port"), pipe = !strcmp(what, "pipeline");

	for (int i = 0; i < pl->n_mods; i++) {
		const struct module *m = pl->mods[i];
		if (m->cls->is_port != ports && !pipe)
			continue;
		if (pipe && m->cls->is_port)
			continue;
		show_one(m, out);
		if (!pipe)
			continue;
		for (int g = 0; g < m->n_ogates; g++) {
			const struct ogate *o = &m->ogates[g];
			if (o->next)
				fprintf(out, "  %s:%d -> %d:%s pkts=%" PRIu64 " bytes=%" PRIu64 "\n",
					m->name, g, o->igate, o->next->name, o->st.pkts, o->st.bytes);
		}
	}
	if (pipe)
		for (int w = 0; w < KB_MAX_WORKERS; w++)
			if (pl->workers[w].defined)
				fprintf(out, "worker %d core=%d tasks=%d loops=%" PRIu64 " busy=%" PRIu64
					" yields=%" PRIu64 " sleeps=%" PRIu64 " blocks=%" PRIu64
					" kicks=%" PRIu64 " wakeups=%d\n", w,
					pl->workers[w].core, pl->workers[w].n_tasks,
					pl->workers[w].loops, pl->workers[w].busy_loops,
					pl->workers[w].idle.yields, pl->workers[w].idle.sleeps,
					pl->workers[w].idle.blocks, pl->workers[w].wait.kicks,
					pl->workers[w].n_wakeups);
}

/* Columns kbctl monitor parses: a monotonic time, then one line per port,
 * connected gate and module.  A port not started reports zeros. */
void pipeline_stats(struct pipeline *pl, FILE *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(out, "time %" PRIu64 "\n", (uint64_t)(ts.tv_sec * 1000000000ll + ts.tv_nsec));
	for (int i = 0; i < pl->n_mods; i++) {
		const struct module *m = pl->mods[i];
		struct port_counters c;

		if (m->cls->is_port) {
			port_counters((struct module *)m, &c);
			fprintf(out, "port %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
				" %" PRIu64 "\n", m->name, c.rx_pkts, c.rx_bytes, c.rx_drops,
				c.tx_pkts, c.tx_bytes, c.tx_drops);
			continue;
		}
		fprintf(out, "module %s %" PRIu64 "\n", m->name, m->drops);
		for (int g = 0; g < m->n_ogates; g++) {
			const struct ogate *o = &m->ogates[g];
			if (o->next)
				fprintf(out, "gate %s:%d->%d:%s %" PRIu64 " %" PRIu64 "\n", m->name, g,
					o->igate, o->next->name, o->st.pkts, o->st.bytes);
		}
	}
}
