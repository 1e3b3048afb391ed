/* script_builder: what the script engine asks of the pipeline.
 *
 * The engine (script_py.c: CPython, after script_sugar.c's rewrite) knows
 * the language and nothing about modules; the pipeline (pipeline.c) knows
 * modules and nothing about syntax.  Each callback validates completely and
 * returns 0, or -1 with err filled.  When a callback leaves err without a
 * position, the engine adds the call's, so every script error reads
 * "file:line:col: ...".
 *
 * Nothing here opens a port or touches DPDK: a whole script is built and
 * validated first, and only then does kbswitch start the pipeline. */
#ifndef SCRIPT_BUILDER_H
#define SCRIPT_BUILDER_H

#include <stdbool.h>

#include "kb_err.h"
#include "script_value.h"

struct script_builder {
	void *ctx;
	/* The module class names the script sees (NULL-terminated). */
	const char *const *classes;

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
};

/* The language is Python (the CPython the machine has), run once at
 * startup, with BESS's names in scope:
 *
 *   Class(k=v, ...)              create (anonymous: name picked by the builder;
 *                                name='x' names it); Class is every module
 *                                class the pipeline knows
 *   name::Class(k=v, ...)        create and bind name (script_sugar.h)
 *   a -> b, a:1 -> 2:b           connect (gates default to 0)
 *   m.cmd(k=v, ...)              builder->call; a lone positional argument
 *                                is passed under the key ""
 *   m.attach_task(wid=)          builder->attach_task (also
 *                                bess.attach_task('m', wid=))
 *   bess.add_worker(wid=, core=) builder->add_worker
 *   $VAR, $VAR!'default'         the environment (a str), else the default
 *
 * Positions handed to callbacks: create: the name in `name::Class(...)`,
 * the class in `name = Class(...)` and `Class(...)`; connect: the '->';
 * call/add_worker/attach_task: the method name; args->pos: the '('; each
 * value: where it is written when the call's text shows it (a keyword's
 * value, an item of a literal list or dict), else the '('.  Columns count
 * bytes from 1. */

/* Reads, checks and runs a script file (at most SCRIPT_MAX_BYTES, no NUL
 * byte) against a builder.  0, or -1 with a positioned error. */
int script_run_file(const char *path, const struct script_builder *b,
		    struct kb_err *err);
int script_run_string(const char *name, const char *text,
		      const struct script_builder *b, struct kb_err *err);

/* Bounds on a script: memory the interpreter may hold (MB) and run time
 * (seconds); past either, the script stops with a positioned error. */
void script_limits(unsigned mem_mb, unsigned time_s);

/* Fuzzing: scripts run without __import__, open, exec, eval, compile or
 * input, and print discards. */
void script_sandbox(bool on);

/* Releases the interpreter (kbswitch calls it once the script has run,
 * before DPDK starts: the data path never enters Python). */
void script_engine_shutdown(void);

#endif
