/* script_ast: the parsed form of a script.
 *
 * The whole script is parsed before anything runs, so a syntax error on the
 * last line leaves the builder untouched.  Nodes point into the token list
 * for their strings and live in one arena, freed at once. */
#ifndef SCRIPT_AST_H
#define SCRIPT_AST_H

#include <stddef.h>
#include <stdint.h>

#include "script_value.h"

enum ex_kind {
	EX_INT, EX_STR, EX_BOOL, EX_NONE,
	EX_NAME,     /* s */
	EX_ENV,      /* s = variable, a = default or NULL */
	EX_LIST,     /* items */
	EX_TUPLE,    /* items; only as the right side of '%' */
	EX_DICT,     /* items = key0, val0, key1, val1, ... (n pairs) */
	EX_CALL,     /* a = callee, args */
	EX_ATTR,     /* a = object, s = attribute */
	EX_BINOP,    /* op, a, b */
	EX_NEG,      /* a */
	EX_CREATE,   /* s = name, cls, args: `name::Class(args)` */
};

struct expr;

struct ex_arg {
	const char *key;          /* NULL when positional */
	struct expr *val;
};

struct expr {
	enum ex_kind kind;
	struct script_pos pos;
	int64_t i;                /* INT, BOOL */
	const char *s;
	const char *cls;
	int op;                   /* '+', '-', '%' */
	struct expr *a, *b;
	struct expr **items;
	size_t n;
	struct ex_arg *args;
	size_t nargs;
	struct script_pos lparen; /* CALL, CREATE: the '(' */
};

/* One module of a chain `[igate:] module [:ogate]`.  The parser cannot tell
 * `x:y` apart (igate:module or module:ogate); the evaluator decides by
 * whether x is an int, as BESS does by the operands' types. */
struct hop {
	struct expr *e[3];
	int n;
	struct script_pos arrow;  /* the '->' before it; the first hop has none */
};

enum st_kind { ST_EXPR, ST_ASSIGN, ST_CHAIN };

struct stmt {
	enum st_kind kind;
	struct script_pos pos;
	const char *name;         /* ASSIGN */
	struct expr *e;           /* EXPR, ASSIGN */
	struct hop *hops;         /* CHAIN */
	size_t nhops;
};

struct script_ast {
	struct stmt *st;
	size_t n;
	void **mem;               /* the arena: every node allocation */
	size_t nmem, capmem;
};

struct token_list;

int script_parse(const char *file, const struct token_list *toks,
		 struct script_ast *ast, struct kb_err *err);
void script_ast_free(struct script_ast *ast);

#endif
