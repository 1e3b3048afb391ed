/* Merge(): any number of input gates into output gate 0. */
#include "pipeline.h"

static int merge_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {NULL};
	return script_args_check(a, "Merge", allowed, err);
}

static void merge_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	module_emit(w, m, 0, b);
}

const struct module_class mod_merge = {
	.name = "Merge",
	.help = "many input gates into one output: Merge()",
	.max_igates = KB_MAX_GATES,
	.max_ogates = 1,
	.init = merge_init,
	.process = merge_process,
};
