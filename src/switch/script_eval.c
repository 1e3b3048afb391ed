/* script_eval: runs a parsed script against a script_builder.
 *
 * Values are freshly allocated by every evaluation and freed by whoever
 * asked for them; names bound with '=' or '::' own a copy in the variable
 * table.  A value read through a name takes the position of that use, so a
 * builder blames the argument the user wrote, not the assignment. */
#include "script_builder.h"
#include "script_ast.h"
#include "script_lex.h"
#include "script_str.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct var {
	char *name;
	struct script_value *v;
};

struct eval {
	const struct script_builder *b;
	struct var *vars;
	size_t nvars, cap;
	/* open addressing over vars: index + 1, 0 = empty; a generated script
	 * with thousands of modules spent half its time in a linear search */
	size_t *slots;
	size_t nslots;   /* a power of two, at least 2 * cap */
	struct kb_err *err;
	int depth;    /* of eval(): long `a + b + ...` chains recurse too */
};

enum { MAX_EVAL_DEPTH = 400 };

/* Evaluated call arguments: positional first, then keywords, both owned. */
struct call_args {
	struct script_value **pos;
	size_t npos;
	struct script_kv *kw;
	size_t nkw;
};

static struct script_value *eval(struct eval *ev, const struct expr *e);

static int oom(struct eval *ev)
{
	return kb_err_set(ev->err, "out of memory");
}

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t *var_slot(struct eval *ev, const char *name)
{
	size_t mask = ev->nslots - 1, i = name_hash(name) & mask;

	while (ev->slots[i] && strcmp(ev->vars[ev->slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return &ev->slots[i];
}

static struct var *var_find(struct eval *ev, const char *name)
{
	size_t *slot;

	if (!ev->nslots)
		return NULL;
	slot = var_slot(ev, name);
	return *slot ? &ev->vars[*slot - 1] : NULL;
}

static int var_grow(struct eval *ev)
{
	size_t cap = ev->cap ? 2 * ev->cap : 16;
	struct var *g = realloc(ev->vars, cap * sizeof(*g));
	size_t *slots;

	if (!g)
		return -1;
	ev->vars = g;
	ev->cap = cap;
	if (!(slots = calloc(2 * cap, sizeof(*slots))))
		return -1;
	free(ev->slots);
	ev->slots = slots;
	ev->nslots = 2 * cap;
	for (size_t i = 0; i < ev->nvars; i++)
		*var_slot(ev, ev->vars[i].name) = i + 1;
	return 0;
}

/* Takes v. */
static int var_set(struct eval *ev, const char *name, struct script_value *v)
{
	struct var *x = var_find(ev, name);

	if (x) {
		script_value_free(x->v);
		x->v = v;
		return 0;
	}
	if (ev->nvars == ev->cap && var_grow(ev) < 0)
		goto fail;
	if (!(ev->vars[ev->nvars].name = strdup(name)))
		goto fail;
	ev->vars[ev->nvars].v = v;
	*var_slot(ev, name) = ++ev->nvars;
	return 0;
fail:
	script_value_free(v);
	return oom(ev);
}

static struct script_value *new_str(struct eval *ev, struct script_pos pos,
				    enum script_vtype t, char *s)
{
	struct script_value *v;

	if (!s || !(v = script_value_new(t, pos))) {
		free(s);
		oom(ev);
		return NULL;
	}
	v->s = s;
	return v;
}

static struct script_value *new_int(struct eval *ev, struct script_pos pos, int64_t i)
{
	struct script_value *v = script_value_new(SV_INT, pos);

	if (!v)
		oom(ev);
	else
		v->i = i;
	return v;
}

/* Callbacks may leave err without a position (or even without a message):
 * the script position of the call completes it. */
static int builder_failed(struct eval *ev, const struct script_pos *pos, const char *what)
{
	struct kb_err *err = ev->err;

	if (!err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s failed", what);
	if (!err->file[0]) {
		snprintf(err->file, sizeof(err->file), "%s", pos->file);
		err->line = pos->line;
		err->col = pos->col;
	}
	return -1;
}

static void builder_begin(struct eval *ev)
{
	ev->err->file[0] = ev->err->msg[0] = '\0';
	ev->err->line = ev->err->col = 0;
}

static int unsupported(struct eval *ev, const struct script_pos *pos, const char *what)
{
	return script_err_at(ev->err, pos, "%s: not supported by this builder", what);
}

static void call_args_free(struct call_args *a)
{
	for (size_t i = 0; i < a->npos; i++)
		script_value_free(a->pos[i]);
	free(a->pos);
	for (size_t i = 0; i < a->nkw; i++)
		script_value_free(a->kw[i].val);   /* keys point into the tokens */
	free(a->kw);
	*a = (struct call_args){ 0 };
}

static int eval_args(struct eval *ev, const struct expr *call, struct call_args *out)
{
	*out = (struct call_args){ 0 };
	if (call->nargs && (!(out->pos = calloc(call->nargs, sizeof(*out->pos))) ||
			    !(out->kw = calloc(call->nargs, sizeof(*out->kw))))) {
		call_args_free(out);
		return oom(ev);
	}
	for (size_t i = 0; i < call->nargs; i++) {
		const struct ex_arg *a = &call->args[i];
		struct script_value *v = eval(ev, a->val);

		if (!v) {
			call_args_free(out);
			return -1;
		}
		if (a->key) {
			out->kw[out->nkw].key = (char *)a->key;
			out->kw[out->nkw++].val = v;
		} else {
			out->pos[out->npos++] = v;
		}
	}
	return 0;
}

/* The builder's form: keywords in source order, a lone positional argument
 * under the key "" (BESS commands take keywords; `l2.add([...])` is the one
 * habit worth keeping).  Consumes ca. */
static int to_script_args(struct eval *ev, struct call_args *ca,
			  const struct script_pos *lparen, struct script_args *out)
{
	size_t n = ca->npos + ca->nkw, k = 0;

	*out = (struct script_args){ .pos = *lparen };
	if (ca->npos > 1) {
		script_err_at(ev->err, &ca->pos[1]->pos,
			      "expected keyword arguments (name=value); only one positional argument is allowed");
		call_args_free(ca);
		return -1;
	}
	if (n && !(out->items = calloc(n, sizeof(*out->items)))) {
		call_args_free(ca);
		return oom(ev);
	}
	for (size_t i = 0; i < ca->npos; i++, k++) {
		out->items[k].key = strdup("");
		out->items[k].val = ca->pos[i];
		ca->pos[i] = NULL;
	}
	for (size_t i = 0; i < ca->nkw; i++, k++) {
		out->items[k].key = strdup(ca->kw[i].key);
		out->items[k].val = ca->kw[i].val;
		ca->kw[i].val = NULL;
	}
	out->n = n;
	call_args_free(ca);
	for (size_t i = 0; i < n; i++)
		if (!out->items[i].key) {
			script_args_free(out);
			return oom(ev);
		}
	return 0;
}

/* Binds arguments of the language's own calls (add_worker, attach_task) to
 * int parameters, by keyword or, where allowed, by position. */
static int bind_ints(struct eval *ev, const struct call_args *ca, const char *fn,
		     const struct script_pos *pos, const char *const *names,
		     int nnames, int positional_ok, int *vals)
{
	const struct script_value *slot[4] = { 0 };

	if (ca->npos && !positional_ok)
		return script_err_at(ev->err, &ca->pos[0]->pos,
				     "expected %s=<int> (keyword argument)", names[0]);
	if ((int)ca->npos > nnames)
		return script_err_at(ev->err, &ca->pos[nnames]->pos,
				     "%s takes at most %d arguments", fn, nnames);
	for (size_t i = 0; i < ca->npos; i++)
		slot[i] = ca->pos[i];
	for (size_t i = 0; i < ca->nkw; i++) {
		int k;

		for (k = 0; k < nnames && strcmp(names[k], ca->kw[i].key); k++)
			;
		if (k == nnames)
			return script_err_at(ev->err, &ca->kw[i].val->pos,
					     "unexpected argument '%s' to %s", ca->kw[i].key, fn);
		if (slot[k])
			return script_err_at(ev->err, &ca->kw[i].val->pos,
					     "argument '%s' given twice", names[k]);
		slot[k] = ca->kw[i].val;
	}
	for (int k = 0; k < nnames; k++) {
		if (!slot[k])
			return script_err_at(ev->err, pos, "%s needs %s=<int>", fn, names[k]);
		if (slot[k]->type != SV_INT || slot[k]->i < 0 || slot[k]->i > INT_MAX)
			return script_err_at(ev->err, &slot[k]->pos,
					     "expected a non-negative int for '%s', got %s",
					     names[k], script_vtype_name(slot[k]->type));
		vals[k] = (int)slot[k]->i;
	}
	return 0;
}

static int is_class_name(const char *s)
{
	return isupper((unsigned char)s[0]);
}

/* `name::Class(args)`, `name = Class(args)` or an anonymous `Class(args)`. */
static struct script_value *create(struct eval *ev, const char *name, const char *cls,
				   const struct expr *call, const struct script_pos *pos)
{
	char out_name[64] = "";
	struct script_args args;
	struct call_args ca;
	struct script_value *v;
	int rc;

	if (!ev->b->create) {
		unsupported(ev, pos, "creating modules");
		return NULL;
	}
	if (eval_args(ev, call, &ca) < 0 || to_script_args(ev, &ca, &call->lparen, &args) < 0)
		return NULL;
	builder_begin(ev);
	rc = ev->b->create(ev->b->ctx, name, cls, &args, pos, out_name, ev->err);
	script_args_free(&args);
	if (rc < 0) {
		builder_failed(ev, pos, "creating the module");
		return NULL;
	}
	out_name[sizeof(out_name) - 1] = '\0';
	if (name)
		snprintf(out_name, sizeof(out_name), "%s", name);
	else if (!out_name[0]) {
		script_err_at(ev->err, pos, "the builder named no anonymous %s", cls);
		return NULL;
	}
	if (!(v = new_str(ev, *pos, SV_OBJ, strdup(out_name))))
		return NULL;
	if (name) {
		struct script_value *copy = script_value_clone(v);

		if (!copy || var_set(ev, name, copy) < 0) {
			script_value_free(v);
			if (!copy)
				oom(ev);
			return NULL;
		}
	}
	return v;
}

static struct script_value *none(struct eval *ev, struct script_pos pos)
{
	struct script_value *v = script_value_new(SV_NONE, pos);

	if (!v)
		oom(ev);
	return v;
}

static struct script_value *call_format(struct eval *ev, const struct script_value *fmt,
					const struct expr *call)
{
	struct sbuf out = { 0 };
	struct call_args ca;
	int rc;

	if (eval_args(ev, call, &ca) < 0)
		return NULL;
	rc = script_format(&out, fmt, ca.pos, ca.npos, ca.kw, ca.nkw, ev->err);
	call_args_free(&ca);
	if (rc < 0) {
		free(out.s);
		return NULL;
	}
	return new_str(ev, fmt->pos, SV_STR, sbuf_take(&out));
}

static struct script_value *call_add_worker(struct eval *ev, const struct expr *call,
					    const struct script_pos *pos)
{
	static const char *const names[] = { "wid", "core" };
	struct call_args ca;
	int v[2], rc;

	if (!ev->b->add_worker) {
		unsupported(ev, pos, "bess.add_worker");
		return NULL;
	}
	if (eval_args(ev, call, &ca) < 0)
		return NULL;
	rc = bind_ints(ev, &ca, "bess.add_worker", pos, names, 2, 1, v);
	call_args_free(&ca);
	if (rc < 0)
		return NULL;
	builder_begin(ev);
	if (ev->b->add_worker(ev->b->ctx, v[0], v[1], pos, ev->err) < 0) {
		builder_failed(ev, pos, "bess.add_worker");
		return NULL;
	}
	return none(ev, *pos);
}

static struct script_value *call_attach_task(struct eval *ev, const char *module,
					     const struct expr *call,
					     const struct script_pos *pos)
{
	static const char *const names[] = { "wid" };
	struct call_args ca;
	int wid, rc;

	if (!ev->b->attach_task) {
		unsupported(ev, pos, "attach_task");
		return NULL;
	}
	if (eval_args(ev, call, &ca) < 0)
		return NULL;
	rc = bind_ints(ev, &ca, "attach_task", pos, names, 1, 0, &wid);
	call_args_free(&ca);
	if (rc < 0)
		return NULL;
	builder_begin(ev);
	if (ev->b->attach_task(ev->b->ctx, module, wid, pos, ev->err) < 0) {
		builder_failed(ev, pos, "attach_task");
		return NULL;
	}
	return none(ev, *pos);
}

/* `obj.cmd(args)`: the module's own command, through the builder. */
static struct script_value *call_command(struct eval *ev, const char *obj, const char *cmd,
					 const struct expr *call, const struct script_pos *pos)
{
	struct script_value *result = NULL;
	struct script_args args;
	struct call_args ca;
	int rc;

	if (!ev->b->call) {
		unsupported(ev, pos, "module commands");
		return NULL;
	}
	if (eval_args(ev, call, &ca) < 0 || to_script_args(ev, &ca, &call->lparen, &args) < 0)
		return NULL;
	builder_begin(ev);
	rc = ev->b->call(ev->b->ctx, obj, cmd, &args, pos, &result, ev->err);
	script_args_free(&args);
	if (rc < 0) {
		script_value_free(result);
		builder_failed(ev, pos, cmd);
		return NULL;
	}
	return result ? result : none(ev, *pos);
}

/* int(x) and str(x): environment variables are strings, and a core or a
 * queue count read from one has to become a number. */
static struct script_value *call_builtin(struct eval *ev, const struct expr *e)
{
	const char *fn = e->a->s;
	struct script_value *v = NULL, *r = NULL;
	struct call_args ca;

	if (eval_args(ev, e, &ca) < 0)
		return NULL;
	if (ca.npos != 1 || ca.nkw) {
		script_err_at(ev->err, &e->lparen, "%s() takes exactly one positional argument", fn);
		goto done;
	}
	v = ca.pos[0];
	if (!strcmp(fn, "str")) {
		struct sbuf out = { 0 };

		script_value_text(&out, v, 0);
		r = new_str(ev, v->pos, SV_STR, sbuf_take(&out));
	} else if (v->type == SV_INT || v->type == SV_BOOL) {
		r = new_int(ev, v->pos, v->type == SV_INT ? v->i : v->b);
	} else if (v->type == SV_STR) {
		char *end;
		long long i;

		errno = 0;
		i = strtoll(v->s, &end, 0);
		while (*end == ' ')
			end++;
		if (!*v->s || *end || errno)
			script_err_at(ev->err, &v->pos, "invalid literal for int(): '%s'", v->s);
		else
			r = new_int(ev, v->pos, i);
	} else {
		script_err_at(ev->err, &v->pos, "int() needs a str or an int, got %s",
			      script_vtype_name(v->type));
	}
done:
	call_args_free(&ca);
	return r;
}

static struct script_value *eval_call(struct eval *ev, const struct expr *e)
{
	const struct expr *callee = e->a;
	struct script_value *obj, *r;

	if (callee->kind == EX_NAME) {
		if (!strcmp(callee->s, "int") || !strcmp(callee->s, "str"))
			return call_builtin(ev, e);
		if (!is_class_name(callee->s)) {
			script_err_at(ev->err, &callee->pos,
				      "unknown function '%s' (module classes start with an uppercase letter)",
				      callee->s);
			return NULL;
		}
		return create(ev, NULL, callee->s, e, &callee->pos);
	}
	if (callee->kind != EX_ATTR) {
		script_err_at(ev->err, &e->lparen, "expected a module class or a method before '('");
		return NULL;
	}
	/* `bess` is the switch itself unless the script rebinds the name. */
	if (callee->a->kind == EX_NAME && !strcmp(callee->a->s, "bess") &&
	    !var_find(ev, "bess")) {
		if (!strcmp(callee->s, "add_worker"))
			return call_add_worker(ev, e, &callee->pos);
		return call_command(ev, "bess", callee->s, e, &callee->pos);
	}
	if (!(obj = eval(ev, callee->a)))
		return NULL;
	if (obj->type == SV_STR && !strcmp(callee->s, "format"))
		r = call_format(ev, obj, e);
	else if (obj->type == SV_OBJ && !strcmp(callee->s, "attach_task"))
		r = call_attach_task(ev, obj->s, e, &callee->pos);
	else if (obj->type == SV_OBJ)
		r = call_command(ev, obj->s, callee->s, e, &callee->pos);
	else {
		script_err_at(ev->err, &callee->pos, "%s has no method '%s'",
			      script_vtype_name(obj->type), callee->s);
		r = NULL;
	}
	script_value_free(obj);
	return r;
}

static struct script_value *eval_name(struct eval *ev, const struct expr *e)
{
	struct var *x = var_find(ev, e->s);
	struct script_value *v;

	if (x) {
		if (!(v = script_value_clone(x->v)))
			oom(ev);
		else
			v->pos = e->pos;
		return v;
	}
	if (ev->b->exists && ev->b->exists(ev->b->ctx, e->s))
		return new_str(ev, e->pos, SV_OBJ, strdup(e->s));
	script_err_at(ev->err, &e->pos, "undefined name '%s'", e->s);
	return NULL;
}

static struct script_value *eval_env(struct eval *ev, const struct expr *e)
{
	const char *s = getenv(e->s);

	if (s)
		return new_str(ev, e->pos, SV_STR, strdup(s));
	if (e->a)
		return eval(ev, e->a);
	script_err_at(ev->err, &e->pos,
		      "environment variable '%s' is not set (give a default: $%s!'value')",
		      e->s, e->s);
	return NULL;
}

static struct script_value *eval_list(struct eval *ev, const struct expr *e)
{
	struct script_value *v = script_value_new(SV_LIST, e->pos);

	if (!v || (e->n && !(v->list.items = calloc(e->n, sizeof(*v->list.items))))) {
		script_value_free(v);
		oom(ev);
		return NULL;
	}
	for (size_t i = 0; i < e->n; i++, v->list.n++)
		if (!(v->list.items[i] = eval(ev, e->items[i]))) {
			script_value_free(v);
			return NULL;
		}
	return v;
}

static struct script_value *eval_dict(struct eval *ev, const struct expr *e)
{
	struct script_value *v = script_value_new(SV_DICT, e->pos);

	if (!v || (e->n && !(v->dict.items = calloc(e->n, sizeof(*v->dict.items))))) {
		script_value_free(v);
		oom(ev);
		return NULL;
	}
	for (size_t i = 0; i < e->n; i++) {
		struct script_value *k = eval(ev, e->items[2 * i]), *val;

		if (!k)
			goto fail;
		if (k->type != SV_STR) {
			script_err_at(ev->err, &k->pos, "expected a string as dict key, got %s",
				      script_vtype_name(k->type));
			script_value_free(k);
			goto fail;
		}
		if (script_dict_get(v, k->s)) {
			script_err_at(ev->err, &k->pos, "duplicate dict key '%s'", k->s);
			script_value_free(k);
			goto fail;
		}
		if (!(val = eval(ev, e->items[2 * i + 1]))) {
			script_value_free(k);
			goto fail;
		}
		v->dict.items[v->dict.n].key = k->s;   /* steal the string */
		k->s = NULL;
		k->type = SV_NONE;
		script_value_free(k);
		v->dict.items[v->dict.n++].val = val;
	}
	return v;
fail:
	script_value_free(v);
	return NULL;
}

static struct script_value *percent(struct eval *ev, const struct expr *e,
				    struct script_value *fmt)
{
	const struct expr *rhs = e->b;
	struct script_value *one = NULL, *tuple = NULL, *const *args;
	struct sbuf out = { 0 };
	size_t n;
	int rc;

	/* `%` takes a tuple's items, any other value as one argument. */
	if (rhs->kind == EX_TUPLE) {
		if (!(tuple = eval(ev, rhs)))
			return NULL;
		args = tuple->list.items;
		n = tuple->list.n;
	} else {
		if (!(one = eval(ev, rhs)))
			return NULL;
		args = &one;
		n = 1;
	}
	rc = script_percent(&out, fmt, args, n, &e->pos, ev->err);
	script_value_free(one);
	script_value_free(tuple);
	if (rc < 0) {
		free(out.s);
		return NULL;
	}
	return new_str(ev, fmt->pos, SV_STR, sbuf_take(&out));
}

static struct script_value *arith(struct eval *ev, const struct expr *e,
				  const struct script_value *l, const struct script_value *r)
{
	int64_t x;

	if (l->type == SV_STR && r->type == SV_STR && e->op == '+') {
		struct sbuf out = { 0 };

		sbuf_puts(&out, l->s);
		sbuf_puts(&out, r->s);
		return new_str(ev, l->pos, SV_STR, sbuf_take(&out));
	}
	if (l->type != SV_INT || r->type != SV_INT) {
		script_err_at(ev->err, &e->pos, "cannot apply '%c' to %s and %s", e->op,
			      script_vtype_name(l->type), script_vtype_name(r->type));
		return NULL;
	}
	if (e->op == '%') {
		if (r->i == 0) {
			script_err_at(ev->err, &e->pos, "integer modulo by zero");
			return NULL;
		}
		/* Python's modulo takes the divisor's sign */
		x = r->i == -1 ? 0 : l->i % r->i;
		if (x && (x < 0) != (r->i < 0))
			x += r->i;
	} else if (e->op == '+' ? __builtin_add_overflow(l->i, r->i, &x)
				: __builtin_sub_overflow(l->i, r->i, &x)) {
		script_err_at(ev->err, &e->pos, "integer overflow");
		return NULL;
	}
	return new_int(ev, l->pos, x);
}

static struct script_value *eval_binop(struct eval *ev, const struct expr *e)
{
	struct script_value *l = eval(ev, e->a), *r, *v;

	if (!l)
		return NULL;
	if (e->op == '%' && l->type == SV_STR) {
		v = percent(ev, e, l);
		script_value_free(l);
		return v;
	}
	if (!(r = eval(ev, e->b))) {
		script_value_free(l);
		return NULL;
	}
	v = arith(ev, e, l, r);
	script_value_free(l);
	script_value_free(r);
	return v;
}

static struct script_value *eval_attr(struct eval *ev, const struct expr *e)
{
	struct script_value *obj = eval(ev, e->a), *v = NULL;

	if (!obj)
		return NULL;
	if (obj->type == SV_OBJ && !strcmp(e->s, "name"))
		v = new_str(ev, e->pos, SV_STR, strdup(obj->s));
	else
		script_err_at(ev->err, &e->pos, "%s has no attribute '%s'",
			      script_vtype_name(obj->type), e->s);
	script_value_free(obj);
	return v;
}

static struct script_value *eval_node(struct eval *ev, const struct expr *e);

static struct script_value *eval(struct eval *ev, const struct expr *e)
{
	struct script_value *v;

	if (ev->depth >= MAX_EVAL_DEPTH) {
		script_err_at(ev->err, &e->pos, "expression nested too deeply");
		return NULL;
	}
	ev->depth++;
	v = eval_node(ev, e);
	ev->depth--;
	return v;
}

static struct script_value *eval_node(struct eval *ev, const struct expr *e)
{
	struct script_value *v;

	switch (e->kind) {
	case EX_INT:
		return new_int(ev, e->pos, e->i);
	case EX_STR:
		return new_str(ev, e->pos, SV_STR, strdup(e->s));
	case EX_BOOL:
		if ((v = script_value_new(SV_BOOL, e->pos)))
			v->b = e->i;
		else
			oom(ev);
		return v;
	case EX_NONE:
		return none(ev, e->pos);
	case EX_NAME:
		return eval_name(ev, e);
	case EX_ENV:
		return eval_env(ev, e);
	case EX_LIST:
	case EX_TUPLE:   /* a tuple outside '%' is a list */
		return eval_list(ev, e);
	case EX_DICT:
		return eval_dict(ev, e);
	case EX_CALL:
		return eval_call(ev, e);
	case EX_ATTR:
		return eval_attr(ev, e);
	case EX_BINOP:
		return eval_binop(ev, e);
	case EX_NEG:
		if (!(v = eval(ev, e->a)))
			return NULL;
		if (v->type != SV_INT || v->i == INT64_MIN) {
			script_err_at(ev->err, &e->pos, v->type != SV_INT ?
				      "cannot negate %s" : "integer overflow",
				      script_vtype_name(v->type));
			script_value_free(v);
			return NULL;
		}
		v->i = -v->i;
		v->pos = e->pos;
		return v;
	case EX_CREATE:
		return create(ev, e->s, e->cls, e, &e->pos);
	}
	script_err_at(ev->err, &e->pos, "expected an expression");
	return NULL;
}

static int gate_of(struct eval *ev, const struct script_value *g)
{
	if (g->type != SV_INT)
		return script_err_at(ev->err, &g->pos, "expected a gate number, got %s",
				     script_vtype_name(g->type));
	if (g->i < 0 || g->i > INT_MAX)
		return script_err_at(ev->err, &g->pos, "gate %lld out of range",
				     (long long)g->i);
	return (int)g->i;
}

struct end {
	struct script_value *mod;
	int igate, ogate;
	int has_ogate;
};

static int eval_hop(struct eval *ev, const struct hop *h, struct end *out)
{
	struct script_value *v[3] = { 0 };
	int m = 0, rc = -1;

	*out = (struct end){ 0 };
	for (int k = 0; k < h->n; k++)
		if (!(v[k] = eval(ev, h->e[k])))
			goto done;
	/* `x:y` is igate:module when x is a number (BESS decides by type too). */
	if (h->n == 3 || (h->n == 2 && h->arrow.file && v[0]->type == SV_INT)) {
		if ((out->igate = gate_of(ev, v[0])) < 0)
			goto done;
		m = 1;
	}
	if (v[m]->type != SV_OBJ) {
		script_err_at(ev->err, &v[m]->pos, "expected a module, got %s",
			      script_vtype_name(v[m]->type));
		goto done;
	}
	if (m + 1 < h->n) {
		if ((out->ogate = gate_of(ev, v[m + 1])) < 0)
			goto done;
		out->has_ogate = 1;
	}
	out->mod = v[m];
	v[m] = NULL;
	rc = 0;
done:
	for (int k = 0; k < 3; k++)
		script_value_free(v[k]);
	return rc;
}

static int run_chain(struct eval *ev, const struct stmt *s)
{
	struct end prev, cur;
	int rc = 0;

	if (!ev->b->connect)
		return unsupported(ev, &s->hops[1].arrow, "connecting modules");
	if (eval_hop(ev, &s->hops[0], &prev) < 0)
		return -1;
	for (size_t i = 1; i < s->nhops && rc == 0; i++) {
		const struct hop *h = &s->hops[i];

		if ((rc = eval_hop(ev, h, &cur)) < 0)
			break;
		if (cur.has_ogate && i + 1 == s->nhops)
			rc = script_err_at(ev->err, &h->e[h->n - 1]->pos,
					   "expected '->' after the output gate");
		if (rc == 0) {
			builder_begin(ev);
			if (ev->b->connect(ev->b->ctx, prev.mod->s, prev.ogate, cur.mod->s,
					   cur.igate, &h->arrow, ev->err) < 0)
				rc = builder_failed(ev, &h->arrow, "connect");
		}
		script_value_free(prev.mod);
		prev = cur;
	}
	script_value_free(prev.mod);
	return rc;
}

static int run_stmt(struct eval *ev, const struct stmt *s)
{
	const struct expr *e = s->e;
	struct script_value *v;

	switch (s->kind) {
	case ST_CHAIN:
		return run_chain(ev, s);
	case ST_ASSIGN:
		/* `p0 = PMDPort(...)` names the port p0 */
		if (e->kind == EX_CALL && e->a->kind == EX_NAME && is_class_name(e->a->s)) {
			v = create(ev, s->name, e->a->s, e, &e->a->pos);
			script_value_free(v);
			return v ? 0 : -1;
		}
		if (!(v = eval(ev, e)))
			return -1;
		return var_set(ev, s->name, v);
	case ST_EXPR:
		if (!(v = eval(ev, e)))
			return -1;
		script_value_free(v);
		return 0;
	}
	return -1;
}

static int run(const char *name, const char *text, size_t len,
	       const struct script_builder *b, struct kb_err *err)
{
	struct token_list toks;
	struct script_ast ast;
	struct eval ev = { .b = b, .err = err };
	int rc = 0;

	if (script_lex(name, text, len, &toks, err) < 0)
		return -1;
	if (script_parse(name, &toks, &ast, err) < 0) {
		script_tokens_free(&toks);
		return -1;
	}
	for (size_t i = 0; i < ast.n && rc == 0; i++)
		rc = run_stmt(&ev, &ast.st[i]);
	for (size_t i = 0; i < ev.nvars; i++) {
		free(ev.vars[i].name);
		script_value_free(ev.vars[i].v);
	}
	free(ev.vars);
	free(ev.slots);
	script_ast_free(&ast);
	script_tokens_free(&toks);
	return rc;
}

int script_run_string(const char *name, const char *text,
		      const struct script_builder *b, struct kb_err *err)
{
	struct kb_err local;

	return run(name, text, strlen(text), b, err ? err : &local);
}

int script_run_file(const char *path, const struct script_builder *b,
		    struct kb_err *err)
{
	struct kb_err local;
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	int rc;

	if (!err)
		err = &local;
	if (!f)
		return kb_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	do {
		if (len == cap) {
			char *g = realloc(text, cap = cap ? 2 * cap : 4096);

			if (!g) {
				free(text);
				fclose(f);
				return kb_err_set(err, "out of memory");
			}
			text = g;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got);
	if (ferror(f)) {
		free(text);
		fclose(f);
		return kb_err_set(err, "%s: read error", path);
	}
	fclose(f);
	rc = run(path, text, len, b, err);
	free(text);
	return rc;
}
