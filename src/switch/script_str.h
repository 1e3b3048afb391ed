/* script_str: text from values: str()/repr(), str.format() and '%'. */
#ifndef SCRIPT_STR_H
#define SCRIPT_STR_H

#include <stddef.h>

#include "script_value.h"

struct sbuf {
	char *s;        /* NUL-terminated once anything was put */
	size_t n, cap;
	int oom;        /* sticky: checked once at the end */
};

void sbuf_putn(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
/* Hands the string over (never NULL unless out of memory); b is emptied. */
char *sbuf_take(struct sbuf *b);

/* Python's str(v) (repr set: repr(v)) appended to b. */
void script_value_text(struct sbuf *b, const struct script_value *v, int repr);

/* fmt.format(*pos, **kw): fields {}, {0}, {name}, each with an optional
 * spec [0|-][width][s|d|x|X].  0, or -1 with an error at fmt or the argument. */
int script_format(struct sbuf *out, const struct script_value *fmt,
		  struct script_value *const *pos, size_t npos,
		  const struct script_kv *kw, size_t nkw, struct kb_err *err);

/* fmt % args: %s %d %i %x %X %r %% with [0|-][width]; the argument count must
 * match exactly, as in Python. */
int script_percent(struct sbuf *out, const struct script_value *fmt,
		   struct script_value *const *args, size_t n,
		   const struct script_pos *at, struct kb_err *err);

#endif
