/* script_parse: recursive descent from tokens to statements.
 *
 *   stmt    := NAME '=' expr | expr [':' expr] ('->' expr [':' expr [':' expr]])*
 *   expr    := term (('+' | '-') term)*
 *   term    := unary ('%' unary)*
 *   unary   := '-' unary | postfix
 *   postfix := primary ('.' NAME | '(' args ')')*
 *   primary := INT | STR | True | False | None | NAME ['::' NAME '(' args ')']
 *            | $ENV ['!' unary] | '[' ... ']' | '{' k: v ... '}' | '(' expr [, ...] ')'
 */
#include "script_ast.h"
#include "script_lex.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 64 };   /* nesting; keeps hostile input off the C stack */

struct parser {
	const char *file;
	const struct token *t;
	size_t i;
	int depth;
	struct script_ast *ast;
	struct kb_err *err;
};

struct vec {
	void *p;
	size_t n, cap, size;
};

static void *arena_keep(struct script_ast *ast, void *p)
{
	if (!p)
		return NULL;
	if (ast->nmem == ast->capmem) {
		size_t cap = ast->capmem ? 2 * ast->capmem : 64;
		void **m = realloc(ast->mem, cap * sizeof(*m));

		if (!m) {
			free(p);
			return NULL;
		}
		ast->mem = m;
		ast->capmem = cap;
	}
	ast->mem[ast->nmem++] = p;
	return p;
}

static void *arena_zalloc(struct parser *p, size_t size)
{
	void *m = arena_keep(p->ast, calloc(1, size));

	if (!m)
		kb_err_set(p->err, "out of memory");
	return m;
}

static int vec_push(struct parser *p, struct vec *v, const void *elem)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 4;
		void *g = realloc(v->p, cap * v->size);

		if (!g)
			return kb_err_set(p->err, "out of memory");
		v->p = g;
		v->cap = cap;
	}
	memcpy((char *)v->p + v->n * v->size, elem, v->size);
	v->n++;
	return 0;
}

/* Hands the vector's storage to the arena. */
static void *vec_keep(struct parser *p, struct vec *v)
{
	if (!v->p)
		return NULL;
	if (!arena_keep(p->ast, v->p)) {
		kb_err_set(p->err, "out of memory");
		v->p = NULL;
		return NULL;
	}
	return v->p;
}

static const struct token *peek(const struct parser *p)
{
	return &p->t[p->i];
}

static enum tok_kind peek_kind(const struct parser *p, size_t ahead)
{
	size_t i = p->i;

	/* TK_EOF is last, so never step past it */
	while (ahead-- && p->t[i].kind != TK_EOF)
		i++;
	return p->t[i].kind;
}

static struct script_pos pos_of(const struct parser *p, const struct token *t)
{
	return (struct script_pos){ .file = p->file, .line = t->line, .col = t->col };
}

static int accept(struct parser *p, enum tok_kind k)
{
	if (peek(p)->kind != k)
		return 0;
	p->i++;
	return 1;
}

static int fail_here(struct parser *p, const char *what)
{
	const struct token *t = peek(p);

	return kb_err_at(p->err, p->file, t->line, t->col, "expected %s", what);
}

static int expect(struct parser *p, enum tok_kind k)
{
	return accept(p, k) ? 0 : fail_here(p, script_tok_desc(k));
}

static struct expr *new_expr(struct parser *p, enum ex_kind k, const struct token *at)
{
	struct expr *e = arena_zalloc(p, sizeof(*e));

	if (e) {
		e->kind = k;
		e->pos = pos_of(p, at);
	}
	return e;
}

static struct expr *parse_expr(struct parser *p);
static struct expr *parse_unary(struct parser *p);

/* Arguments after '(' up to and including ')'. */
static int parse_args(struct parser *p, struct ex_arg **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct ex_arg) };
	int kw_seen = 0;

	while (peek(p)->kind != TK_RPAREN) {
		struct ex_arg a = { 0 };
		const struct token *start = peek(p);

		if (start->kind == TK_NAME && peek_kind(p, 1) == TK_ASSIGN) {
			struct ex_arg *prev = v.p;

			for (size_t k = 0; k < v.n; k++)
				if (prev[k].key && !strcmp(prev[k].key, start->text)) {
					kb_err_at(p->err, p->file, start->line, start->col,
						  "duplicate argument '%s'", start->text);
					goto fail;
				}
			a.key = start->text;
			p->i += 2;
			kw_seen = 1;
		} else if (kw_seen) {
			kb_err_at(p->err, p->file, start->line, start->col,
				  "expected a keyword argument (name=value) after keyword arguments");
			goto fail;
		}
		if (!(a.val = parse_expr(p)) || vec_push(p, &v, &a) < 0)
			goto fail;
		if (!accept(p, TK_COMMA))
			break;
	}
	if (expect(p, TK_RPAREN) < 0)
		goto fail;
	*n = v.n;
	*out = vec_keep(p, &v);
	return *n && !*out ? -1 : 0;
fail:
	free(v.p);
	return -1;
}

/* Items up to and including the closer; ',' between, one trailing allowed.
 * With dict set, each item is `key: value` and both go into the vector. */
static int parse_items(struct parser *p, enum tok_kind closer, int dict,
		       struct expr ***out, size_t *n, int *trailing_comma)
{
	struct vec v = { .size = sizeof(struct expr *) };

	*trailing_comma = 0;
	while (peek(p)->kind != closer) {
		struct expr *e = parse_expr(p);

		if (!e || vec_push(p, &v, &e) < 0)
			goto fail;
		if (dict) {
			if (!accept(p, TK_COLON)) {
				fail_here(p, "':' after a dict key");
				goto fail;
			}
			if (!(e = parse_expr(p)) || vec_push(p, &v, &e) < 0)
				goto fail;
		}
		*trailing_comma = accept(p, TK_COMMA);
		if (!*trailing_comma)
			break;
	}
	if (expect(p, closer) < 0)
		goto fail;
	*n = dict ? v.n / 2 : v.n;
	*out = vec_keep(p, &v);
	return v.n && !*out ? -1 : 0;
fail:
	free(v.p);
	return -1;
}

static struct expr *parse_create(struct parser *p, const struct token *name)
{
	struct expr *e = new_expr(p, EX_CREATE, name);
	const struct token *cls = peek(p);

	if (!e)
		return NULL;
	if (cls->kind != TK_NAME) {
		fail_here(p, "a module class after '::'");
		return NULL;
	}
	p->i++;
	e->s = name->text;
	e->cls = cls->text;
	e->lparen = pos_of(p, peek(p));
	if (!accept(p, TK_LPAREN)) {
		fail_here(p, "'(' after the module class");
		return NULL;
	}
	return parse_args(p, &e->args, &e->nargs) < 0 ? NULL : e;
}

static struct expr *parse_primary(struct parser *p)
{
	const struct token *t = peek(p);
	struct expr *e;
	int trailing;

	switch (t->kind) {
	case TK_INT:
		p->i++;
		if ((e = new_expr(p, EX_INT, t)))
			e->i = t->ival;
		return e;
	case TK_STR:
		p->i++;
		if ((e = new_expr(p, EX_STR, t)))
			e->s = t->text;
		return e;
	case TK_NAME:
		p->i++;
		if (!strcmp(t->text, "True") || !strcmp(t->text, "False")) {
			if ((e = new_expr(p, EX_BOOL, t)))
				e->i = t->text[0] == 'T';
			return e;
		}
		if (!strcmp(t->text, "None"))
			return new_expr(p, EX_NONE, t);
		if (accept(p, TK_DCOLON))
			return parse_create(p, t);
		if ((e = new_expr(p, EX_NAME, t)))
			e->s = t->text;
		return e;
	case TK_ENV:
		p->i++;
		if (!(e = new_expr(p, EX_ENV, t)))
			return NULL;
		e->s = t->text;
		if (accept(p, TK_BANG) && !(e->a = parse_unary(p)))
			return NULL;
		return e;
	case TK_LBRACK:
	case TK_LBRACE:
		p->i++;
		if (!(e = new_expr(p, t->kind == TK_LBRACK ? EX_LIST : EX_DICT, t)))
			return NULL;
		if (parse_items(p, t->kind == TK_LBRACK ? TK_RBRACK : TK_RBRACE,
				t->kind == TK_LBRACE, &e->items, &e->n, &trailing) < 0)
			return NULL;
		return e;
	case TK_LPAREN:
		p->i++;
		if (!(e = new_expr(p, EX_TUPLE, t)))
			return NULL;
		if (parse_items(p, TK_RPAREN, 0, &e->items, &e->n, &trailing) < 0)
			return NULL;
		/* (x) is x; (x,) and (x, y) are tuples */
		if (e->n == 1 && !trailing)
			return e->items[0];
		return e;
	default:
		fail_here(p, "an expression");
		return NULL;
	}
}

static struct expr *parse_postfix(struct parser *p)
{
	struct expr *e = parse_primary(p);

	while (e) {
		const struct token *t = peek(p);
		struct expr *x;

		if (accept(p, TK_DOT)) {
			const struct token *name = peek(p);

			if (!accept(p, TK_NAME)) {
				fail_here(p, "a name after '.'");
				return NULL;
			}
			if (!(x = new_expr(p, EX_ATTR, name)))
				return NULL;
			x->a = e;
			x->s = name->text;
		} else if (accept(p, TK_LPAREN)) {
			if (!(x = new_expr(p, EX_CALL, t)))
				return NULL;
			x->pos = e->pos;   /* blame the class or method name */
			x->lparen = pos_of(p, t);
			x->a = e;
			if (parse_args(p, &x->args, &x->nargs) < 0)
				return NULL;
		} else {
			break;
		}
		e = x;
	}
	return e;
}

static struct expr *parse_unary(struct parser *p)
{
	const struct token *t = peek(p);
	struct expr *e;

	if (++p->depth > MAX_DEPTH) {
		kb_err_at(p->err, p->file, t->line, t->col, "expression nested too deeply");
		return NULL;
	}
	if (accept(p, TK_MINUS)) {
		if ((e = new_expr(p, EX_NEG, t)) && !(e->a = parse_unary(p)))
			e = NULL;
	} else {
		e = parse_postfix(p);
	}
	p->depth--;
	return e;
}

static struct expr *binop(struct parser *p, const struct token *t, struct expr *l,
			  struct expr *r)
{
	struct expr *e;

	if (!l || !r || !(e = new_expr(p, EX_BINOP, t)))
		return NULL;
	e->op = t->kind == TK_PLUS ? '+' : t->kind == TK_MINUS ? '-' : '%';
	e->a = l;
	e->b = r;
	return e;
}

static struct expr *parse_term(struct parser *p)
{
	struct expr *e = parse_unary(p);

	while (e && peek(p)->kind == TK_PERCENT) {
		const struct token *t = &p->t[p->i++];

		e = binop(p, t, e, parse_unary(p));
	}
	return e;
}

static struct expr *parse_expr(struct parser *p)
{
	struct expr *e = parse_term(p);

	while (e && (peek(p)->kind == TK_PLUS || peek(p)->kind == TK_MINUS)) {
		const struct token *t = &p->t[p->i++];

		e = binop(p, t, e, parse_term(p));
	}
	return e;
}

/* `[igate:] module [:ogate]`, up to three expressions split by ':'. */
static int parse_hop(struct parser *p, struct hop *h, int max)
{
	do {
		if (!(h->e[h->n++] = parse_expr(p)))
			return -1;
	} while (h->n < max && accept(p, TK_COLON));
	return 0;
}

static int parse_chain(struct parser *p, struct stmt *s, struct expr *first)
{
	struct vec v = { .size = sizeof(struct hop) };
	struct hop h = { .e = { first }, .n = 1 };

	if (accept(p, TK_COLON) && !(h.e[h.n++] = parse_expr(p)))
		return -1;
	if (vec_push(p, &v, &h) < 0)
		return -1;
	if (peek(p)->kind != TK_ARROW) {
		fail_here(p, "'->' after the output gate");
		goto fail;
	}
	while (peek(p)->kind == TK_ARROW) {
		h = (struct hop){ .arrow = pos_of(p, peek(p)) };
		p->i++;
		if (parse_hop(p, &h, 3) < 0 || vec_push(p, &v, &h) < 0)
			goto fail;
	}
	s->kind = ST_CHAIN;
	s->nhops = v.n;
	return (s->hops = vec_keep(p, &v)) ? 0 : -1;
fail:
	free(v.p);
	return -1;
}

static int parse_stmt(struct parser *p, struct stmt *s)
{
	const struct token *t = peek(p);

	s->pos = pos_of(p, t);
	if (t->kind == TK_NAME && peek_kind(p, 1) == TK_ASSIGN) {
		if (!strcmp(t->text, "True") || !strcmp(t->text, "False") ||
		    !strcmp(t->text, "None"))
			return kb_err_at(p->err, p->file, t->line, t->col,
					 "cannot assign to %s", t->text);
		p->i += 2;
		s->kind = ST_ASSIGN;
		s->name = t->text;
		if (!(s->e = parse_expr(p)))
			return -1;
	} else {
		if (!(s->e = parse_expr(p)))
			return -1;
		s->kind = ST_EXPR;
		if ((peek(p)->kind == TK_COLON || peek(p)->kind == TK_ARROW) &&
		    parse_chain(p, s, s->e) < 0)
			return -1;
	}
	if (accept(p, TK_SEMI) || peek(p)->kind == TK_NEWLINE || peek(p)->kind == TK_EOF)
		return 0;
	return fail_here(p, "end of line");
}

int script_parse(const char *file, const struct token_list *toks,
		 struct script_ast *ast, struct kb_err *err)
{
	struct parser p = { .file = file, .t = toks->t, .ast = ast, .err = err };
	struct vec v = { .size = sizeof(struct stmt) };

	*ast = (struct script_ast){ 0 };
	while (peek(&p)->kind != TK_EOF) {
		struct stmt s = { 0 };

		if (accept(&p, TK_NEWLINE) || accept(&p, TK_SEMI))
			continue;
		if (parse_stmt(&p, &s) < 0 || vec_push(&p, &v, &s) < 0) {
			free(v.p);
			script_ast_free(ast);
			return -1;
		}
	}
	ast->n = v.n;
	ast->st = v.p;   /* owned directly, freed by script_ast_free */
	return 0;
}

void script_ast_free(struct script_ast *ast)
{
	for (size_t i = 0; i < ast->nmem; i++)
		free(ast->mem[i]);
	free(ast->mem);
	free(ast->st);
	*ast = (struct script_ast){ 0 };
}
