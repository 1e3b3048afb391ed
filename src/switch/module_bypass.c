/* Bypass(): packets pass through untouched, to output gate 0 (a module that
 * costs nothing, for measuring a pipeline's own overhead). */
#include "pipeline.h"

static int bypass_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {NULL};
	return script_args_check(a, "Bypass", allowed, err);
}

static void bypass_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	module_emit(w, m, 0, b);
}

const struct module_class mod_bypass = {
	.name = "Bypass",
	.help = "passes packets through untouched: Bypass()",
	.max_igates = KB_MAX_GATES,
	.max_ogates = 1,
	.init = bypass_init,
	.process = bypass_process,
};
