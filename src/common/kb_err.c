#include "kb_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct kb_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int kb_err_set(struct kb_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->file[0] = '\0';
	err->line = err->col = 0;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

int kb_err_at(struct kb_err *err, const char *file, int line, int col,
	      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

const char *kb_err_str(const struct kb_err *err, char *buf, size_t len)
{
	if (!err->file[0])
		snprintf(buf, len, "%s", err->msg);
	else if (err->col > 0)
		snprintf(buf, len, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
	else
		snprintf(buf, len, "%s:%d: %s", err->file, err->line, err->msg);
	return buf;
}
