/* script_value: allocation, lookup and positioned errors for script values. */
#include "script_value.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *script_vtype_name(enum script_vtype t)
{
	switch (t) {
	case SV_NONE: return "None";
	case SV_BOOL: return "bool";
	case SV_INT:  return "int";
	case SV_STR:  return "str";
	case SV_LIST: return "list";
	case SV_DICT: return "dict";
	case SV_OBJ:  return "module";
	case SV_BYTES: return "bytes";
	}
	return "?";
}

static const struct script_value *kv_get(const struct script_kv *kv, size_t n,
					 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

const struct script_value *script_args_get(const struct script_args *a, const char *key)
{
	return a ? kv_get(a->items, a->n, key) : NULL;
}

const struct script_value *script_dict_get(const struct script_value *dict, const char *key)
{
	if (!dict || dict->type != SV_DICT)
		return NULL;
	return kv_get(dict->dict.items, dict->dict.n, key);
}

int script_err_at(struct kb_err *err, const struct script_pos *pos,
		  const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pos && pos->file)
		return kb_err_at(err, pos->file, pos->line, pos->col, "%s", msg);
	return kb_err_set(err, "%s", msg);
}

struct script_value *script_value_new(enum script_vtype t, struct script_pos pos)
{
	struct script_value *v = calloc(1, sizeof(*v));

	if (v) {
		v->type = t;
		v->pos = pos;
	}
	return v;
}

struct script_value *script_value_clone(const struct script_value *v)
{
	struct script_value *c;

	if (!v || !(c = script_value_new(v->type, v->pos)))
		return NULL;
	switch (v->type) {
	case SV_NONE:
		break;
	case SV_BOOL:
		c->b = v->b;
		break;
	case SV_INT:
		c->i = v->i;
		break;
	case SV_STR:
	case SV_OBJ:
		if (!(c->s = strdup(v->s)))
			goto fail;
		break;
	case SV_BYTES:
		if (!(c->bytes.p = malloc(v->bytes.n ? v->bytes.n : 1)))
			goto fail;
		memcpy(c->bytes.p, v->bytes.p, v->bytes.n);
		c->bytes.n = v->bytes.n;
		break;
	case SV_LIST:
		if (v->list.n && !(c->list.items = calloc(v->list.n, sizeof(*c->list.items))))
			goto fail;
		for (size_t i = 0; i < v->list.n; i++, c->list.n++)
			if (!(c->list.items[i] = script_value_clone(v->list.items[i])))
				goto fail;
		break;
	case SV_DICT:
		if (v->dict.n && !(c->dict.items = calloc(v->dict.n, sizeof(*c->dict.items))))
			goto fail;
		for (size_t i = 0; i < v->dict.n; i++, c->dict.n++) {
			struct script_kv *kv = &c->dict.items[i];

			kv->key = strdup(v->dict.items[i].key);
			kv->val = script_value_clone(v->dict.items[i].val);
			if (!kv->key || !kv->val) {
				c->dict.n++;   /* free the half-built pair too */
				goto fail;
			}
		}
		break;
	}
	return c;
fail:
	script_value_free(c);
	return NULL;
}

void script_value_free(struct script_value *v)
{
	if (!v)
		return;
	switch (v->type) {
	case SV_STR:
	case SV_OBJ:
		free(v->s);
		break;
	case SV_BYTES:
		free(v->bytes.p);
		break;
	case SV_LIST:
		for (size_t i = 0; i < v->list.n; i++)
			script_value_free(v->list.items[i]);
		free(v->list.items);
		break;
	case SV_DICT:
		for (size_t i = 0; i < v->dict.n; i++) {
			free(v->dict.items[i].key);
			script_value_free(v->dict.items[i].val);
		}
		free(v->dict.items);
		break;
	default:
		break;
	}
	free(v);
}

void script_args_free(struct script_args *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->items[i].key);
		script_value_free(a->items[i].val);
	}
	free(a->items);
	a->items = NULL;
	a->n = 0;
}

static void repr_str(FILE *f, const unsigned char *p, size_t n, bool bytes)
{
	if (bytes)
		fputc('b', f);
	fputc('\'', f);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\'' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] == 0x7f || (bytes && p[i] >= 0x80))
			fprintf(f, "\\x%02x", p[i]);
		else
			fputc(p[i], f);
	}
	fputc('\'', f);
}

void script_value_repr(FILE *f, const struct script_value *v)
{
	switch (v->type) {
	case SV_NONE: fputs("None", f); break;
	case SV_BOOL: fputs(v->b ? "True" : "False", f); break;
	case SV_INT:  fprintf(f, "%lld", (long long)v->i); break;
	case SV_OBJ:  fputs(v->s, f); break;
	case SV_STR:  repr_str(f, (const unsigned char *)v->s, strlen(v->s), false); break;
	case SV_BYTES: repr_str(f, v->bytes.p, v->bytes.n, true); break;
	case SV_LIST:
		fputc('[', f);
		for (size_t i = 0; i < v->list.n; i++) {
			fputs(i ? ", " : "", f);
			script_value_repr(f, v->list.items[i]);
		}
		fputc(']', f);
		break;
	case SV_DICT:
		fputc('{', f);
		for (size_t i = 0; i < v->dict.n; i++) {
			fputs(i ? ", " : "", f);
			repr_str(f, (const unsigned char *)v->dict.items[i].key,
				 strlen(v->dict.items[i].key), false);
			fputs(": ", f);
			script_value_repr(f, v->dict.items[i].val);
		}
		fputc('}', f);
		break;
	}
}
