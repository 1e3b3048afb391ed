/* gate_list: a module's list of output gates (Replicate, RoundRobin): the
 * script's gates=[...] checked once, and shown the same way by kbctl. */
#ifndef KB_SWITCH_GATE_LIST_H
#define KB_SWITCH_GATE_LIST_H

#include <stdbool.h>

#include "module.h"

struct gate_list {
	int n;
	int g[KB_MAX_GATES];
};

static inline bool gate_list_has(const struct gate_list *gl, int g)
{
	for (int k = 0; k < gl->n; k++)
		if (gl->g[k] == g)
			return true;
	return false;
}

/* v must be a non-empty list of gates 0..KB_MAX_GATES-1 (each at most once
 * when unique); 0, or -1 with err at the offending value. */
int gate_list_parse(const struct script_value *v, const char *what, bool unique,
		    struct gate_list *gl, struct kb_err *err);

/* "gates=[0, 1]" into buf. */
void gate_list_describe(const struct gate_list *gl, char *buf, size_t len);

#endif
