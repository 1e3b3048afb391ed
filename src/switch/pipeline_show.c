/* pipeline_show / pipeline_ctl: what kbctl asks, answered in text.  Reads
 * counters the workers write without locks: a value may be one burst old. */
#include <string.h>

#include "kb_parse.h"
#include "module_l2forward.h"
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
					" yields=%" PRIu64 " sleeps=%" PRIu64 "\n", w,
					pl->workers[w].core, pl->workers[w].n_tasks,
					pl->workers[w].loops, pl->workers[w].busy_loops,
					pl->workers[w].idle.yields, pl->workers[w].idle.sleeps);
}

static struct module *find_l2(struct pipeline *pl, const char *name, FILE *out)
{
	struct module *m = pipeline_find(pl, name);

	if (!m || m->cls != &mod_l2forward) {
		fprintf(out, "error: '%s' is not an L2Forward module\n", name);
		return NULL;
	}
	return m;
}

int pipeline_ctl(struct pipeline *pl, const char *line, FILE *out)
{
	char a[5][128];
	int n = sscanf(line, "%127s %127s %127s %127s %127s", a[0], a[1], a[2], a[3], a[4]);
	struct kb_err err = {0};
	struct module *m;
	uint8_t mac[6];
	long long gate;

	if (n == 2 && !strcmp(a[0], "show") &&
	    (!strcmp(a[1], "port") || !strcmp(a[1], "module") || !strcmp(a[1], "pipeline"))) {
		pipeline_show(pl, a[1], out);
		return 0;
	}
	if (n >= 4 && !strcmp(a[1], "l2") && (!strcmp(a[0], "add") || !strcmp(a[0], "del"))) {
		bool add = a[0][0] == 'a';
		if (n != (add ? 5 : 4)) {
			fprintf(out, "error: expected '%s l2 NAME MAC%s'\n", a[0], add ? " GATE" : "");
			return -1;
		}
		if (!(m = find_l2(pl, a[2], out)))
			return -1;
		if (kb_parse_mac(a[3], mac) < 0) {
			fprintf(out, "error: '%s' is not a MAC address (expected 02:00:00:00:00:01)\n", a[3]);
			return -1;
		}
		if (add && kb_parse_int(a[4], 0, KB_MAX_GATES - 1, &gate) < 0) {
			fprintf(out, "error: gate '%s' is not an integer 0..%d\n", a[4], KB_MAX_GATES - 1);
			return -1;
		}
		if ((add ? l2fwd_add(m, mac, (int)gate, &err) : l2fwd_del(m, mac, &err)) < 0) {
			fprintf(out, "error: %s: %s\n", a[3], err.msg);
			return -1;
		}
		fprintf(out, "ok\n");
		return 0;
	}
	fprintf(out, "error: unknown request '%s' (expected show port|module|pipeline, "
		"add l2 NAME MAC GATE, del l2 NAME MAC)\n", line);
	return -1;
}
