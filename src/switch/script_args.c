/* script_args: the argument checks every module's Init repeats, in one
 * place, so that each message reads the same and blames the exact value. */
#include "script_value.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int allowed_has(const char *const *allowed, const char *key)
{
	for (; allowed && *allowed; allowed++)
		if (!strcmp(*allowed, key))
			return 1;
	return 0;
}

int script_args_check(const struct script_args *a, const char *what,
		      const char *const *allowed, struct kb_err *err)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct script_kv *kv = &a->items[i];
		char list[256] = "";
		size_t len = 0;

		if (allowed_has(allowed, kv->key))
			continue;
		for (const char *const *k = allowed; k && *k; k++)
			if (**k && len < sizeof(list))
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
							len ? ", " : "", *k);
		if (!kv->key[0])
			return script_err_at(err, &kv->val->pos,
					     "%s takes keyword arguments only (expected %s)",
					     what, len ? list : "none");
		return script_err_at(err, &kv->val->pos,
				     "unknown argument '%s' to %s (expected %s)",
				     kv->key, what, len ? list : "none");
	}
	return 0;
}

int script_value_int(const struct script_value *v, const char *key,
		     int64_t min, int64_t max, int64_t *out, struct kb_err *err)
{
	if (v->type != SV_INT)
		return script_err_at(err, &v->pos, "expected an int for '%s', got %s",
				     key, script_vtype_name(v->type));
	if (v->i < min || v->i > max)
		return script_err_at(err, &v->pos,
				     "'%s' must be in [%" PRId64 ", %" PRId64 "], got %" PRId64,
				     key, min, max, v->i);
	*out = v->i;
	return 0;
}

/* The key's value of type t, NULL when absent (an error if required). */
static int get_typed(const struct script_args *a, const char *what, const char *key,
		     int required, enum script_vtype t, const struct script_value **out,
		     struct kb_err *err)
{
	const struct script_value *v = script_args_get(a, key);

	*out = NULL;
	if (!v)
		return required ? script_err_at(err, &a->pos, "%s needs %s=<%s>", what, key,
						script_vtype_name(t)) : 0;
	if (v->type != t)
		return script_err_at(err, &v->pos, "expected a %s for '%s', got %s",
				     script_vtype_name(t), key, script_vtype_name(v->type));
	*out = v;
	return 0;
}

int script_arg_int(const struct script_args *a, const char *what, const char *key,
		   int required, int64_t min, int64_t max, int64_t *out,
		   struct kb_err *err)
{
	const struct script_value *v = script_args_get(a, key);

	if (!v)
		return required ? script_err_at(err, &a->pos, "%s needs %s=<int>", what, key) : 0;
	return script_value_int(v, key, min, max, out, err);
}

int script_arg_str(const struct script_args *a, const char *what, const char *key,
		   int required, const char **out, struct kb_err *err)
{
	const struct script_value *v;

	if (get_typed(a, what, key, required, SV_STR, &v, err) < 0)
		return -1;
	if (v)
		*out = v->s;
	return 0;
}

int script_arg_obj(const struct script_args *a, const char *what, const char *key,
		   int required, const char **out, struct kb_err *err)
{
	const struct script_value *v;

	if (get_typed(a, what, key, required, SV_OBJ, &v, err) < 0)
		return -1;
	if (v)
		*out = v->s;
	return 0;
}

int script_arg_list(const struct script_args *a, const char *what, const char *key,
		    int required, const struct script_value **out, struct kb_err *err)
{
	const struct script_value *v;

	if (get_typed(a, what, key, required, SV_LIST, &v, err) < 0)
		return -1;
	if (v)
		*out = v;
	return 0;
}
