/* script_sugar: BESS's script syntax rewritten into plain Python, with every
 * position kept, the way bessctl's sugar.py does it before running a script.
 *
 *   $VAR               __bess_env__('VAR')
 *   $VAR!'default'     __bess_env__('VAR', 'default')   (also "..", a name, a number)
 *   name::Class(args)  __bess_module__('name', 'Class', args)
 *   name::Class        __bess_module__('name', 'Class')
 *   a -> b             a + b                  (Module.__add__ connects)
 *   a:og -> ig:b:og2   (a)*(og) + (ig)*(b)*(og2)   (int*module: input gate,
 *                                                  module*int: output gate)
 *
 * Differences from sugar.py, on purpose: a gate colon is written without
 * spaces on either side (`l2:1 -> out`), so `if x: a -> b` keeps its block
 * colon; `::` inside [] is a slice, never a module name; `->` in a `def`
 * line is a return annotation.
 *
 * The rewritten text has the same lines as the original (nothing adds or
 * removes a newline); a position in it maps back to the original byte
 * through a span table, so Python's line:col (syntax errors, frames) is
 * reported in the user's file.  Pure C with no Python: fuzzed on its own
 * (tests/fuzz). */
#ifndef SCRIPT_SUGAR_H
#define SCRIPT_SUGAR_H

#include <stddef.h>
#include <stdint.h>

#include "kb_err.h"
#include "script_value.h"

/* Scripts larger than this are refused (a real one is a few KB). */
#define SCRIPT_MAX_BYTES (4u << 20)

enum sugar_tok {
	ST_NAME, ST_NUMBER, ST_STRING, ST_OP, ST_OPEN, ST_CLOSE,
	ST_ARROW,   /* -> */
	ST_DCOLON,  /* :: */
	ST_COLON,   /* : (not :=) */
	ST_END,     /* end of a statement: newline or ';' at depth 0 */
};

struct sugar_token {
	uint32_t start, end;    /* byte offsets in the original text */
	int32_t match;          /* ST_OPEN/ST_CLOSE: index of the partner, else -1 */
	uint16_t depth;         /* bracket depth (the bracket itself: outside) */
	uint8_t type;
	char ch;                /* first byte */
	char parent;            /* the innermost open bracket around it, 0: none */
	uint8_t done;           /* an open bracket whose arrows were rewritten */
};

struct sugar_span {
	uint32_t out;           /* offset in the rewritten text */
	uint32_t src;           /* offset in the original */
	uint32_t copied;        /* 1: byte for byte; 0: inserted text, maps to src */
};

struct sugar_arrow {
	uint32_t out;           /* the '+' that replaced it */
	uint32_t src;           /* the '->' */
	uint16_t depth;
};

struct script_src {
	const char *file;       /* name in messages (not owned) */
	const char *text;       /* original (not owned), len bytes, no NUL inside */
	size_t len;
	char *py;               /* rewritten, NUL-terminated */
	size_t py_len;
	struct sugar_token *tok;
	size_t n_tok;
	struct sugar_span *span;
	size_t n_span;
	struct sugar_arrow *arrow;
	size_t n_arrow;
	uint32_t *src_line;     /* byte offset where each original line starts */
	size_t n_src_line;
	uint32_t *py_line;      /* the same for the rewritten text */
	size_t n_py_line;
};

/* Checks text (no NUL byte, at most SCRIPT_MAX_BYTES) and rewrites it into
 * s->py.  0, or -1 with a positioned error. */
int script_sugar(struct script_src *s, const char *file, const char *text,
		 size_t len, struct kb_err *err);
void script_src_free(struct script_src *s);

/* Original offset of a rewritten position (1-based line, 0-based byte col). */
size_t script_src_from_py(const struct script_src *s, int line, int col0);
/* The same for an offset in the rewritten text. */
size_t script_src_from_py_off(const struct script_src *s, size_t out);
/* Byte offset of a rewritten position. */
size_t script_py_off(const struct script_src *s, int line, int col0);
/* file:line:col of an original offset. */
struct script_pos script_src_pos(const struct script_src *s, size_t off);

/* The '->' a connection came from: the outermost, last arrow inside the
 * rewritten span [out_start, out_end); SIZE_MAX when none. */
size_t script_src_arrow(const struct script_src *s, size_t out_start, size_t out_end);

/* Index of the first token starting at or after off (n_tok if none). */
size_t script_src_tok_at(const struct script_src *s, size_t off);

/* Positions of a call's arguments, read from the original text: the call
 * whose source starts at off (its first '(' at or after off).  open gets
 * the '(' offset, name the last name before it (a method's); for each argument in order, key (or NULL, keylen 0) and
 * the offset of its value.  Returns the number found (at most max), or -1
 * when there is no call at off. */
struct sugar_arg {
	const char *key;
	size_t keylen;
	size_t val;             /* token index of the value's first token */
};
int script_src_call_args(const struct script_src *s, size_t off, size_t *open,
			 size_t *name, struct sugar_arg *args, int max);

/* Children of a literal list, tuple or dict written at token t: the token
 * index of each element's value (for a dict: each value's).  Returns the
 * count found (at most max), or -1 when the token does not open a literal. */
int script_src_items(const struct script_src *s, size_t t, size_t *items, int max);

#endif
