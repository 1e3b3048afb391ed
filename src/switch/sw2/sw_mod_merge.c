/* Merge(): many input gates into output gate 0. */
#include "sw_module.h"

static int init(struct sw_module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const keys[] = { NULL };
	return script_args_check(a, "Merge", keys, err);
}

static void process(struct sw_module *m, struct sw_batch *b)
{
	sw_emit(m, 0, b);
}

const struct sw_class sw_merge_class = {
	.name = "Merge", .max_igates = SW_MAX_GATES, .max_ogates = 1,
	.init = init, .process = process,
};
