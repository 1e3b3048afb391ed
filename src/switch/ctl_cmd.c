/* ctl_cmd: the requests kbctl sends, one line of words each, answered in text
 * (pipeline_ctl).  Module-specific commands are the class's ctl_cmds
 * (module.h), found here by name, so a new module's commands need no change
 * here or in kbctl.  Runs on the control thread only. */
#include <string.h>

#include "ctl.h"
#include "pipeline.h"

#define CTL_MAX_WORDS 32

/* Splits line into at most max words; -1 when there are more. */
static int split(char *line, char *w[], int max)
{
	int n = 0;

	for (char *sp, *s = strtok_r(line, " \t", &sp); s; s = strtok_r(NULL, " \t", &sp)) {
		if (n == max)
			return -1;
		w[n++] = s;
	}
	return n;
}

static void list_cmds(const struct module *m, FILE *out)
{
	const struct module_ctl_cmd *c = m->cls->ctl_cmds;

	if (!c || !c->name) {
		fprintf(out, "%s (%s) has no commands\n", m->name, m->cls->name);
		return;
	}
	for (; c->name; c++)
		fprintf(out, "command module %s %s%s%s\n    %s\n", m->name, c->name,
			c->usage[0] ? " " : "", c->usage, c->help);
}

int ctl_module_command(struct pipeline *pl, const char *name, int argc, char *argv[],
		       FILE *out)
{
	struct module *m = pipeline_find(pl, name);
	const struct module_ctl_cmd *c;
	struct kb_err err = {0};
	char known[256] = "";

	if (!m) {
		fprintf(out, "error: no module '%s'\n", name);
		return -1;
	}
	if (!argc || !strcmp(argv[0], "help")) {
		list_cmds(m, out);
		return 0;
	}
	for (c = m->cls->ctl_cmds; c && c->name; c++) {
		if (!strcmp(c->name, argv[0]))
			break;
		strncat(known, known[0] ? ", " : "", sizeof(known) - strlen(known) - 1);
		strncat(known, c->name, sizeof(known) - strlen(known) - 1);
	}
	if (!c || !c->name) {
		fprintf(out, "error: %s (%s) has no command '%s' (%s%s)\n", name, m->cls->name,
			argv[0], known[0] ? "expected one of " : "it has no commands", known);
		return -1;
	}
	if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
		char want[32];
		if (c->min_args == c->max_args)
			snprintf(want, sizeof(want), "%d argument%s", c->max_args,
				 c->max_args == 1 ? "" : "s");
		else
			snprintf(want, sizeof(want), "%d..%d arguments", c->min_args, c->max_args);
		fprintf(out, "error: %s %s: expected '%s%s%s' (%s, got %d)\n", name, c->name,
			c->name, c->usage[0] ? " " : "", c->usage, want, argc - 1);
		return -1;
	}
	if (c->fn(m, argc - 1, argv + 1, out, &err) < 0) {
		fprintf(out, "error: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* kbctl add/del l2: the old spellings of L2Forward's add/delete. */
static int l2_alias(struct pipeline *pl, int n, char *w[], FILE *out)
{
	bool add = w[0][0] == 'a';
	struct module *m;

	if (n != (add ? 5 : 4)) {
		fprintf(out, "error: expected '%s l2 NAME MAC%s' (%d words, got %d)\n", w[0],
			add ? " GATE" : "", add ? 5 : 4, n);
		return -1;
	}
	m = pipeline_find(pl, w[2]);
	if (!m || strcmp(m->cls->name, "L2Forward")) {
		fprintf(out, "error: '%s' is not an L2Forward module\n", w[2]);
		return -1;
	}
	w[2] = add ? "add" : "delete";
	return ctl_module_command(pl, m->name, n - 2, w + 2, out);
}

int pipeline_ctl(struct pipeline *pl, const char *line, FILE *out)
{
	char buf[CTL_MAX_LINE], *w[CTL_MAX_WORDS];
	int n;

	if (strlen(line) >= sizeof(buf)) {
		fprintf(out, "error: request longer than %d bytes\n", CTL_MAX_LINE - 1);
		return -1;
	}
	memcpy(buf, line, strlen(line) + 1);
	if ((n = split(buf, w, CTL_MAX_WORDS)) < 0) {
		fprintf(out, "error: more than %d words in the request\n", CTL_MAX_WORDS);
		return -1;
	}
	if (n >= 1 && !strcmp(w[0], "show")) {
		if (n == 2 && (!strcmp(w[1], "port") || !strcmp(w[1], "module") ||
			       !strcmp(w[1], "pipeline"))) {
			pipeline_show(pl, w[1], out);
			return 0;
		}
		fprintf(out, "error: expected 'show port|module|pipeline'\n");
		return -1;
	}
	if (n == 1 && !strcmp(w[0], "stats")) {
		pipeline_stats(pl, out);
		return 0;
	}
	if (n >= 3 && !strcmp(w[0], "command") && !strcmp(w[1], "module"))
		return ctl_module_command(pl, w[2], n - 3, w + 3, out);
	if (n >= 2 && !strcmp(w[1], "l2") && (!strcmp(w[0], "add") || !strcmp(w[0], "del")))
		return l2_alias(pl, n, w, out);
	fprintf(out, "error: unknown request '%s' (expected show port|module|pipeline, stats, "
		"command module NAME CMD ARGS..., capture MODULE in|out GATE, "
		"add l2 NAME MAC GATE, del l2 NAME MAC)\n", line);
	return -1;
}
