/* script_builder: what the script evaluator asks of the pipeline.
 *
 * The evaluator (script_eval.c) knows the language and nothing about
 * modules; the pipeline (pipeline.c) knows modules and nothing about syntax.
 * Each callback validates completely and returns 0, or -1 with err filled.
 * When a callback leaves err without a position, the evaluator adds the
 * statement's position, so every script error reads "file:line:col: ...".
 *
 * Nothing here opens a port or touches DPDK: a whole script is built and
 * validated first, and only then does kbswitch start the pipeline. */
#ifndef SCRIPT_BUILDER_H
#define SCRIPT_BUILDER_H

#include "kb_err.h"
#include "script_value.h"

struct script_builder {
	void *ctx;

	/* `name::Class(args)`, `name = Class(args)` (a port or a module), or an
	 * anonymous `Class(args)` inside a connection; name is then NULL and the
	 * builder picks a unique one, written to out_name (64 bytes). */
	int (*create)(void *ctx, const char *name, const char *cls,
		      const struct script_args *args, const struct script_pos *pos,
		      char out_name[64], struct kb_err *err);

	/* `from:ogate -> igate:to` (gates default to 0). */
	int (*connect)(void *ctx, const char *from, int ogate, const char *to,
		       int igate, const struct script_pos *pos, struct kb_err *err);

	/* `name.cmd(args)`; *result may be set to a value the script can use
	 * (or left NULL for None). */
	int (*call)(void *ctx, const char *obj, const char *cmd,
		    const struct script_args *args, const struct script_pos *pos,
		    struct script_value **result, struct kb_err *err);

	/* `bess.add_worker(wid=, core=)` */
	int (*add_worker)(void *ctx, int wid, int core, const struct script_pos *pos,
			  struct kb_err *err);

	/* `m.attach_task(wid=)` */
	int (*attach_task)(void *ctx, const char *module, int wid,
			   const struct script_pos *pos, struct kb_err *err);

	/* Is `name` a module or port the builder knows (for undefined names). */
	int (*exists)(void *ctx, const char *name);
};

/* The language (BESS's script subset, with BESS's meaning):
 *
 *   name::Class(k=v, ...)        create; name is bound to the module
 *   name = Class(k=v, ...)       the same (ports: p0 = PMDPort(...)); Class
 *                                is any name starting with an uppercase letter
 *   Class(...)                   anonymous, inside a connection
 *   a -> b -> c                  connect, gates 0
 *   a:OGATE -> IGATE:b:OGATE -> c   gates are ints (literals or names); in
 *                                `x:y` after '->', x is the input gate when
 *                                it is an int, else x is the module
 *   name.cmd(k=v, ...)           builder->call; a single positional argument
 *                                is passed under the key "" (l2.add([...]))
 *   bess.add_worker(wid=, core=) builder->add_worker (also positional)
 *   bess.other(...)              builder->call with obj "bess"
 *   m.attach_task(wid=)          builder->attach_task
 *   x = expr                     binds a value; name.name is the name string
 *   literals                     'str' "str" (\n \t \r \\ \' \"), 12, 0x1f,
 *                                -3, True, False, None, [..], {'k': v}, (a, b)
 *   'fmt'.format(a, k=v)         {} {0} {k}, spec [0|-][width][s|d|x|X]
 *   'fmt' % (a, b) / % a         %s %d %i %x %X %r %%, [0|-][width]
 *   + -  %                       str + str, int arithmetic (Python modulo)
 *   int(x) str(x)                e.g. core=int($KB_CORE!'1')
 *   $VAR, $VAR!default           the environment variable (a str), else
 *                                default; unset without default is an error
 *   # comments; newlines inside (), [], {} do not end a statement; '\'
 *   at the end of a line joins it with the next; ';' separates statements.
 *
 * The whole script is parsed first (a syntax error runs nothing), then run
 * statement by statement; the first error stops it.
 *
 * Positions handed to callbacks: create: the name in `name::Class(...)`,
 * the class in `name = Class(...)` and `Class(...)`; connect: the '->'; call/add_worker/attach_task: the method name;
 * args->pos: the '('; each value: where it was written (for a name, where
 * it was used).  Columns count bytes from 1. */

/* Parse and run a script file against a builder. 0, or -1 with a
 * positioned error. */
int script_run_file(const char *path, const struct script_builder *b,
		    struct kb_err *err);
int script_run_string(const char *name, const char *text,
		      const struct script_builder *b, struct kb_err *err);

#endif
