/* kb_err: an error that knows where it happened.
 *
 * Every layer returns errors through this struct instead of printing them, so
 * the caller decides how to report.  When file is set, kb_err_str() renders
 * the "file:line:col: message" form that scripts and configs must produce. */
#ifndef KB_ERR_H
#define KB_ERR_H

#include <stddef.h>

struct kb_err {
	char file[256];   /* empty when the error has no source position */
	int line;         /* 1-based; 0 when unknown */
	int col;          /* 1-based; 0 when unknown */
	char msg[512];
};

/* Sets msg (printf-style) and clears the position. Returns -1 so callers can
 * write `return kb_err_set(err, ...)`. err may be NULL. */
int kb_err_set(struct kb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Same, with a source position. */
int kb_err_at(struct kb_err *err, const char *file, int line, int col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "file:line:col: msg", "file:line: msg" or "msg". Returns buf. */
const char *kb_err_str(const struct kb_err *err, char *buf, size_t len);

#endif
