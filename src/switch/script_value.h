/* script_value: a script's values, as the script engine (script_py.c)
 * hands them to the pipeline builder, and as kbctl's commands arrive: the
 * modules read these, never Python objects, so no module depends on the
 * interpreter and the data path never meets it.
 *
 * Every value remembers where it was written, so a module's Init can blame
 * the exact argument ("file:line:col: ...") through script_err_at(). */
#ifndef SCRIPT_VALUE_H
#define SCRIPT_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kb_err.h"

struct script_pos {
	const char *file;   /* owned by the script; valid while it is alive */
	int line;           /* 1-based */
	int col;            /* 1-based */
};

enum script_vtype {
	SV_NONE,
	SV_BOOL,
	SV_INT,
	SV_STR,
	SV_LIST,
	SV_DICT,
	SV_OBJ,   /* a reference to a named module or port; .s holds its name */
	SV_BYTES, /* bytes, bytearray, or a packet (scapy: bytes(pkt)) */
};

struct script_value;

struct script_kv {
	char *key;
	struct script_value *val;
};

struct script_value {
	enum script_vtype type;
	struct script_pos pos;
	union {
		bool b;
		int64_t i;
		char *s;                                              /* SV_STR, SV_OBJ */
		struct { struct script_value **items; size_t n; } list;
		struct { struct script_kv *items; size_t n; } dict;   /* keys are strings */
		struct { uint8_t *p; size_t n; } bytes;
	};
};

/* Keyword arguments of a constructor or command call, in source order. */
struct script_args {
	struct script_kv *items;
	size_t n;
	struct script_pos pos;   /* the call's opening parenthesis */
};

const char *script_vtype_name(enum script_vtype t);

/* The value of key in args or dict, or NULL. */
const struct script_value *script_args_get(const struct script_args *a, const char *key);
const struct script_value *script_dict_get(const struct script_value *dict, const char *key);

/* Positioned error at a value (or at a call when v is NULL). Returns -1. */
int script_err_at(struct kb_err *err, const struct script_pos *pos,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Helpers for a builder's argument checks (script_args.c): each returns 0,
 * or -1 with err positioned at the offending value (or at the call's '('
 * for a missing one).  `what` names the callee in messages, e.g. "QueueInc".
 *
 * Only keys in allowed (NULL-terminated) may appear; "" is the key of a lone
 * positional argument, so list "" to accept one. */
int script_args_check(const struct script_args *a, const char *what,
		      const char *const *allowed, struct kb_err *err);
/* v must be an int within [min, max]; key names it in messages. */
int script_value_int(const struct script_value *v, const char *key,
		     int64_t min, int64_t max, int64_t *out, struct kb_err *err);
/* The key's int, str, module name or list; when the key is absent, *out is
 * left as it is (the default), or, with required set, that is an error. */
int script_arg_int(const struct script_args *a, const char *what, const char *key,
		   int required, int64_t min, int64_t max, int64_t *out,
		   struct kb_err *err);
int script_arg_str(const struct script_args *a, const char *what, const char *key,
		   int required, const char **out, struct kb_err *err);
int script_arg_obj(const struct script_args *a, const char *what, const char *key,
		   int required, const char **out, struct kb_err *err);
int script_arg_list(const struct script_args *a, const char *what, const char *key,
		    int required, const struct script_value **out, struct kb_err *err);

struct script_value *script_value_new(enum script_vtype t, struct script_pos pos);
struct script_value *script_value_clone(const struct script_value *v);
void script_value_free(struct script_value *v);
/* Python's repr() of v, for tests and kbctl answers. */
void script_value_repr(FILE *f, const struct script_value *v);
void script_args_free(struct script_args *a);

#endif
