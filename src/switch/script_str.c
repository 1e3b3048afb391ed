/* script_str: str(), repr(), str.format() and the '%' operator. */
#include "script_str.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *g;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(g = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = g;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_putn(b, s, strlen(s));
}

char *sbuf_take(struct sbuf *b)
{
	char *s;

	sbuf_putn(b, "", 0);
	s = b->oom ? NULL : b->s;
	if (b->oom)
		free(b->s);
	*b = (struct sbuf){ 0 };
	return s;
}

/* Python's repr(): double quotes when that saves escaping a single one. */
static void put_quoted(struct sbuf *b, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

	sbuf_putn(b, &q, 1);
	for (; *s; s++) {
		char esc[8];

		switch (*s) {
		case '\n': sbuf_puts(b, "\\n"); break;
		case '\t': sbuf_puts(b, "\\t"); break;
		case '\r': sbuf_puts(b, "\\r"); break;
		case '\\': sbuf_puts(b, "\\\\"); break;
		default:
			if (*s == q) {
				sbuf_putn(b, "\\", 1);
				sbuf_putn(b, s, 1);
				break;
			}
			if ((unsigned char)*s < 0x20) {
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*s);
				sbuf_puts(b, esc);
			} else {
				sbuf_putn(b, s, 1);
			}
		}
	}
	sbuf_putn(b, &q, 1);
}

void script_value_text(struct sbuf *b, const struct script_value *v, int repr)
{
	char num[32];

	switch (v->type) {
	case SV_NONE:
		sbuf_puts(b, "None");
		break;
	case SV_BOOL:
		sbuf_puts(b, v->b ? "True" : "False");
		break;
	case SV_INT:
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		sbuf_puts(b, num);
		break;
	case SV_STR:
		if (repr)
			put_quoted(b, v->s);
		else
			sbuf_puts(b, v->s);
		break;
	case SV_OBJ:
		sbuf_puts(b, v->s);
		break;
	case SV_LIST:
		sbuf_putn(b, "[", 1);
		for (size_t i = 0; i < v->list.n; i++) {
			if (i)
				sbuf_puts(b, ", ");
			script_value_text(b, v->list.items[i], 1);
		}
		sbuf_putn(b, "]", 1);
		break;
	case SV_DICT:
		sbuf_putn(b, "{", 1);
		for (size_t i = 0; i < v->dict.n; i++) {
			if (i)
				sbuf_puts(b, ", ");
			put_quoted(b, v->dict.items[i].key);
			sbuf_puts(b, ": ");
			script_value_text(b, v->dict.items[i].val, 1);
		}
		sbuf_putn(b, "}", 1);
		break;
	}
}

struct spec {
	char flag;     /* '0', '-' or 0 */
	int width;
	char type;     /* 's', 'r', 'd', 'x', 'X' */
};

/* [0|-][width] from s; returns the first byte after them. */
static const char *parse_flags(const char *s, struct spec *sp)
{
	if (*s == '0' || *s == '-')
		sp->flag = *s++;
	for (sp->width = 0; isdigit((unsigned char)*s) && sp->width < 1000; s++)
		sp->width = sp->width * 10 + (*s - '0');
	return s;
}

/* One conversion, shared by format() and '%'. */
static int convert(struct sbuf *out, const struct script_value *v,
		   const struct spec *sp, struct kb_err *err)
{
	struct sbuf text = { 0 };
	size_t len;

	if (sp->type == 'd' || sp->type == 'x' || sp->type == 'X') {
		char num[32];
		int64_t i;

		if (v->type != SV_INT && v->type != SV_BOOL)
			return script_err_at(err, &v->pos, "'%c' format needs an int, got %s",
					     sp->type, script_vtype_name(v->type));
		i = v->type == SV_INT ? v->i : v->b;
		if (sp->type == 'd')
			snprintf(num, sizeof(num), "%" PRId64, i);
		else
			snprintf(num, sizeof(num), sp->type == 'x' ? "%s%" PRIx64 : "%s%" PRIX64,
				 i < 0 ? "-" : "", i < 0 ? -(uint64_t)i : (uint64_t)i);
		sbuf_puts(&text, num);
	} else {
		script_value_text(&text, v, sp->type == 'r');
	}
	{
		const char *t = text.s ? text.s : "";
		int numeric = sp->type == 'd' || sp->type == 'x' || sp->type == 'X';
		size_t pad;

		len = text.n;
		pad = (size_t)sp->width > len ? (size_t)sp->width - len : 0;
		if (sp->flag == '0' && numeric) {
			/* zero padding goes after the sign, as in Python */
			if (*t == '-') {
				sbuf_putn(out, t++, 1);
				len--;
			}
			for (; pad; pad--)
				sbuf_putn(out, "0", 1);
		} else if (sp->flag != '-') {
			for (; pad; pad--)
				sbuf_putn(out, " ", 1);
		}
		sbuf_putn(out, t, len);
		for (; pad; pad--)
			sbuf_putn(out, " ", 1);
	}
	out->oom |= text.oom;
	free(text.s);
	return 0;
}

static int spec_type(const char *s, const char *end, struct spec *sp)
{
	s = parse_flags(s, sp);
	if (s == end)
		return 0;
	if (end - s != 1 || !strchr("sdxX", *s))
		return -1;
	sp->type = *s;
	return 0;
}

int script_format(struct sbuf *out, const struct script_value *fmt,
		  struct script_value *const *pos, size_t npos,
		  const struct script_kv *kw, size_t nkw, struct kb_err *err)
{
	const struct script_pos *at = &fmt->pos;
	int auto_next = 0, manual = 0;

	for (const char *s = fmt->s; *s; s++) {
		const struct script_value *v = NULL;
		const char *name, *colon, *close;
		struct spec sp = { .type = 's' };
		size_t nlen;

		if ((*s == '{' && s[1] == '{') || (*s == '}' && s[1] == '}')) {
			sbuf_putn(out, s++, 1);
			continue;
		}
		if (*s == '}')
			return script_err_at(err, at, "single '}' in format string (write '}}')");
		if (*s != '{') {
			sbuf_putn(out, s, 1);
			continue;
		}
		name = s + 1;
		if (!(close = strchr(name, '}')))
			return script_err_at(err, at, "expected '}' in format string");
		colon = memchr(name, ':', (size_t)(close - name));
		nlen = (size_t)((colon ? colon : close) - name);
		if (colon && spec_type(colon + 1, close, &sp) < 0)
			return script_err_at(err, at, "bad format spec '%.*s' (expected [0|-][width][s|d|x|X])",
					     (int)(close - colon - 1), colon + 1);
		if (nlen == 0) {
			if (manual)
				return script_err_at(err, at, "cannot mix '{}' and '{0}' in one format string");
			auto_next++;
			if ((size_t)auto_next > npos)
				return script_err_at(err, at, "format field %d has no argument (%zu given)",
						     auto_next - 1, npos);
			v = pos[auto_next - 1];
		} else if (isdigit((unsigned char)*name)) {
			char *end;
			unsigned long k = strtoul(name, &end, 10);

			if (end != name + nlen)
				return script_err_at(err, at, "bad format field '%.*s'", (int)nlen, name);
			if (auto_next)
				return script_err_at(err, at, "cannot mix '{}' and '{0}' in one format string");
			manual = 1;
			if (k >= npos)
				return script_err_at(err, at, "format field %lu has no argument (%zu given)",
						     k, npos);
			v = pos[k];
		} else {
			for (size_t k = 0; k < nkw && !v; k++)
				if (strlen(kw[k].key) == nlen && !memcmp(kw[k].key, name, nlen))
					v = kw[k].val;
			if (!v)
				return script_err_at(err, at, "format field '%.*s' has no argument",
						     (int)nlen, name);
		}
		if (convert(out, v, &sp, err) < 0)
			return -1;
		s = close;
	}
	return 0;
}

int script_percent(struct sbuf *out, const struct script_value *fmt,
		   struct script_value *const *args, size_t n,
		   const struct script_pos *at, struct kb_err *err)
{
	size_t used = 0;

	for (const char *s = fmt->s; *s; s++) {
		struct spec sp = { 0 };

		if (*s != '%') {
			sbuf_putn(out, s, 1);
			continue;
		}
		if (s[1] == '%') {
			sbuf_putn(out, "%", 1);
			s++;
			continue;
		}
		s = parse_flags(s + 1, &sp);
		if (!*s || !strchr("sdixXr", *s))
			return script_err_at(err, &fmt->pos,
					     "bad '%%' conversion (expected %%s, %%d, %%x or %%%%)");
		sp.type = *s == 'i' ? 'd' : *s;
		if (used == n)
			return script_err_at(err, at, "not enough arguments for format string (%zu given)", n);
		if (convert(out, args[used++], &sp, err) < 0)
			return -1;
	}
	if (used != n)
		return script_err_at(err, at, "not all arguments converted during string formatting (%zu of %zu used)",
				     used, n);
	return 0;
}
