/* script_sugar: tokenizes just enough Python (strings, comments, brackets,
 * names) to rewrite BESS's sugar outside strings and comments, then applies
 * the edits in one pass, recording where every output byte came from. */
#include "script_sugar.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One edit of the original: replace [start, end) by text (end == start:
 * insert).  Applied in (start, order) order; insertions at an offset come
 * before a replacement starting there. */
struct edit {
	uint32_t start, end;
	uint32_t anchor;        /* where the new text comes from (default: start) */
	uint32_t seq;
	const char *text;       /* static, or owned when own is set */
	bool own;
	bool arrow;             /* a '->' becoming '+' */
	uint16_t depth;
};

struct edits {
	struct edit *e;
	size_t n, cap;
	bool oom;
};

static void edit_add(struct edits *es, uint32_t start, uint32_t end, const char *text,
		     bool own)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 64;
		struct edit *e = realloc(es->e, cap * sizeof(*e));
		if (!e) {
			es->oom = true;
			if (own)
				free((char *)text);
			return;
		}
		es->e = e;
		es->cap = cap;
	}
	es->e[es->n] = (struct edit){ .start = start, .end = end, .anchor = start,
				      .seq = (uint32_t)es->n, .text = text, .own = own };
	es->n++;
}

static bool is_name_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_string_prefix(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("rRbBuUfF", p[i]))
			return false;
	return n <= 2;
}

/* End of the string literal whose opening quote is at i. */
static size_t string_end(const char *t, size_t len, size_t i)
{
	char q = t[i];
	bool triple = i + 2 < len && t[i + 1] == q && t[i + 2] == q;

	i += triple ? 3 : 1;
	while (i < len) {
		if (t[i] == '\\' && i + 1 < len) {
			i += 2;
			continue;
		}
		if (!triple && t[i] == '\n')
			return i;          /* unterminated: Python reports it */
		if (t[i] == q && (!triple || (i + 2 < len && t[i + 1] == q && t[i + 2] == q)))
			return i + (triple ? 3 : 1);
		i++;
	}
	return len;
}

static int tokenize(struct script_src *s, struct kb_err *err)
{
	const char *t = s->text;
	size_t len = s->len, i = 0, cap = 0;
	int32_t *stack = NULL;
	size_t sp = 0, scap = 0;

#define PUSH_TOK(ty, a, b) do { \
	if (s->n_tok == cap) { \
		cap = cap ? cap * 2 : 256; \
		struct sugar_token *nt = realloc(s->tok, cap * sizeof(*nt)); \
		if (!nt) goto oom; \
		s->tok = nt; \
	} \
	s->tok[s->n_tok++] = (struct sugar_token){ .start = (uint32_t)(a), .end = (uint32_t)(b), \
		.match = -1, .depth = (uint16_t)(sp > 0xffff ? 0xffff : sp), .type = (ty), .ch = t[a], \
		.parent = sp ? t[s->tok[stack[sp - 1]].start] : 0 }; \
} while (0)

	while (i < len) {
		unsigned char c = (unsigned char)t[i];

		if (c == '#') {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '\\' && i + 1 < len && t[i + 1] == '\n') {
			i += 2;
		} else if (c == '\\' && i + 2 < len && t[i + 1] == '\r' && t[i + 2] == '\n') {
			i += 3;
		} else if (c == '\n' || c == ';') {
			if (!sp && (!s->n_tok || s->tok[s->n_tok - 1].type != ST_END))
				PUSH_TOK(ST_END, i, i + 1);
			else if (sp && c == ';')
				PUSH_TOK(ST_OP, i, i + 1);
			i++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			i++;
		} else if (c == '\'' || c == '"') {
			size_t e = string_end(t, len, i);
			PUSH_TOK(ST_STRING, i, e);
			i = e;
		} else if (is_name_start(c)) {
			size_t e = i;
			while (e < len && is_name_char((unsigned char)t[e]))
				e++;
			if (e < len && (t[e] == '\'' || t[e] == '"') && is_string_prefix(t + i, e - i)) {
				size_t se = string_end(t, len, e);
				PUSH_TOK(ST_STRING, i, se);
				i = se;
			} else {
				PUSH_TOK(ST_NAME, i, e);
				i = e;
			}
		} else if (c >= '0' && c <= '9') {
			size_t e = i;
			while (e < len && (is_name_char((unsigned char)t[e]) || t[e] == '.'))
				e++;
			PUSH_TOK(ST_NUMBER, i, e);
			i = e;
		} else if (c == '(' || c == '[' || c == '{') {
			if (sp == scap) {
				scap = scap ? scap * 2 : 64;
				int32_t *ns = realloc(stack, scap * sizeof(*ns));
				if (!ns)
					goto oom;
				stack = ns;
			}
			PUSH_TOK(ST_OPEN, i, i + 1);
			stack[sp++] = (int32_t)(s->n_tok - 1);
			i++;
		} else if (c == ')' || c == ']' || c == '}') {
			if (sp) {
				sp--;
				PUSH_TOK(ST_CLOSE, i, i + 1);
				s->tok[s->n_tok - 1].match = stack[sp];
				s->tok[stack[sp]].match = (int32_t)(s->n_tok - 1);
			} else {
				PUSH_TOK(ST_OP, i, i + 1);   /* unbalanced: Python reports it */
			}
			i++;
		} else if (c == '-' && i + 1 < len && t[i + 1] == '>') {
			PUSH_TOK(ST_ARROW, i, i + 2);
			i += 2;
		} else if (c == ':' && i + 1 < len && t[i + 1] == ':') {
			PUSH_TOK(ST_DCOLON, i, i + 2);
			i += 2;
		} else if (c == ':' && i + 1 < len && t[i + 1] == '=') {
			PUSH_TOK(ST_OP, i, i + 2);
			i += 2;
		} else if (c == ':') {
			PUSH_TOK(ST_COLON, i, i + 1);
			i++;
		} else {
			PUSH_TOK(ST_OP, i, i + 1);
			i++;
		}
	}
	free(stack);
	return 0;
oom:
	free(stack);
	return kb_err_at(err, s->file, 1, 1, "out of memory reading the script");
#undef PUSH_TOK
}

static bool tok_is(const struct script_src *s, size_t i, enum sugar_tok ty, char ch)
{
	return i < s->n_tok && s->tok[i].type == ty && (!ch || s->tok[i].ch == ch);
}

static bool tok_word(const struct script_src *s, size_t i, const char *w)
{
	size_t n = strlen(w);
	return tok_is(s, i, ST_NAME, 0) && s->tok[i].end - s->tok[i].start == n &&
	       !memcmp(s->text + s->tok[i].start, w, n);
}

static char *dup_fmt(const char *fmt, const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = strlen(fmt) + an + bn + 1;
	char *o = malloc(n);
	if (o)
		snprintf(o, n, fmt, (int)an, a, (int)bn, b);
	return o;
}

/* $VAR and $VAR!default. */
static void sugar_env(struct script_src *s, struct edits *es)
{
	for (size_t i = 0; i + 1 < s->n_tok; i++) {
		const struct sugar_token *d = &s->tok[i], *n = &s->tok[i + 1];
		const struct sugar_token *bang, *def;

		if (d->type != ST_OP || d->ch != '$' || n->type != ST_NAME || n->start != d->end)
			continue;
		bang = i + 2 < s->n_tok ? &s->tok[i + 2] : NULL;
		def = i + 3 < s->n_tok ? &s->tok[i + 3] : NULL;
		if (bang && def && bang->type == ST_OP && bang->ch == '!' && bang->start == n->end &&
		    def->start == bang->end &&
		    (def->type == ST_STRING || def->type == ST_NAME || def->type == ST_NUMBER)) {
			edit_add(es, d->start, bang->end,
				 dup_fmt("__bess_env__('%.*s', %.*s", s->text + n->start,
					 n->end - n->start, "", 0), true);
			edit_add(es, def->end, def->end, ")", false);
			i += 3;
		} else {
			edit_add(es, d->start, n->end,
				 dup_fmt("__bess_env__('%.*s')%.*s", s->text + n->start,
					 n->end - n->start, "", 0), true);
			i += 1;
		}
	}
}

/* Is token i directly inside '[' (a subscript, where '::' is a slice)? */
static bool in_brackets(const struct script_src *s, size_t i)
{
	return s->tok[i].parent == '[';
}

/* Does [a, b) of the original hold a newline?  A replacement never spans
 * one: the rewritten text keeps every line where it was. */
static bool has_nl(const struct script_src *s, uint32_t a, uint32_t b)
{
	return b > a && memchr(s->text + a, '\n', b - a) != NULL;
}

/* name::Class( */
static void sugar_modules(struct script_src *s, struct edits *es)
{
	for (size_t i = 0; i + 2 < s->n_tok; i++) {
		const struct sugar_token *n = &s->tok[i], *c = &s->tok[i + 2];

		if (n->type != ST_NAME || s->tok[i + 1].type != ST_DCOLON || c->type != ST_NAME)
			continue;
		if (i > 0 && s->tok[i - 1].type == ST_OP && s->tok[i - 1].ch == '.')
			continue;      /* a.b::C: not a name */
		if (in_brackets(s, i + 1) || has_nl(s, n->start, c->end))
			continue;
		if (tok_is(s, i + 3, ST_OPEN, '(') && !has_nl(s, c->end, s->tok[i + 3].start)) {
			/* each piece keeps its own origin: an unclosed '(' is
			 * reported at the script's '(' */
			uint32_t p = s->tok[i + 3].start, pe = s->tok[i + 3].end;
			edit_add(es, n->start, pe, "__bess_module__", false);
			edit_add(es, pe, pe, "(", false);
			if (es->n)
				es->e[es->n - 1].anchor = p;
			edit_add(es, pe, pe, dup_fmt("'%.*s', %.*s", s->text + n->start,
						     n->end - n->start, "", 0), true);
			if (es->n)
				es->e[es->n - 1].anchor = n->start;
			edit_add(es, pe, pe, dup_fmt("'%.*s', %.*s", s->text + c->start,
						     c->end - c->start, "", 0), true);
			if (es->n)
				es->e[es->n - 1].anchor = c->start;
			i += 3;
		} else {
			edit_add(es, n->start, c->end,
				 dup_fmt("__bess_module__('%.*s', '%.*s')", s->text + n->start,
					 n->end - n->start, s->text + c->start, c->end - c->start), true);
			i += 2;
		}
	}
}

/* `x = Class(...)` as a statement: __bess_named__('x', Class)(...), so a
 * module (a port above all) takes the variable's name, as kbswitch scripts
 * always had it; any other callable passes through unchanged. */
static void sugar_assign(struct script_src *s, struct edits *es)
{
	for (size_t i = 0; i + 3 < s->n_tok; i++) {
		const struct sugar_token *n = &s->tok[i], *eq = &s->tok[i + 1], *c = &s->tok[i + 2];

		if ((i && s->tok[i - 1].type != ST_END) || n->type != ST_NAME || n->depth ||
		    eq->type != ST_OP || eq->ch != '=' || c->type != ST_NAME ||
		    !tok_is(s, i + 3, ST_OPEN, '('))
			continue;
		/* x = A() -> B() binds x to B: no name from it */
		bool chain = false;
		for (size_t k = i + 3; k < s->n_tok && s->tok[k].type != ST_END && !chain; k++)
			chain = s->tok[k].type == ST_ARROW && !s->tok[k].depth;
		if (chain)
			continue;
		edit_add(es, c->start, c->start,
			 dup_fmt("__bess_named__('%.*s', %.*s", s->text + n->start, n->end - n->start,
				 "", 0), true);
		edit_add(es, c->end, c->end, ")", false);
	}
}

/* A gate colon: touches the tokens on both sides (`l2:1`, `1:out`). */
static bool gate_colon(const struct script_src *s, size_t i)
{
	return s->tok[i].type == ST_COLON && i > 0 && i + 1 < s->n_tok &&
	       s->tok[i - 1].end == s->tok[i].start && s->tok[i + 1].start == s->tok[i].end &&
	       s->tok[i - 1].type != ST_END && s->tok[i + 1].type != ST_END;
}

/* Next token of the same group after i (skipping nested brackets). */
static size_t next_in_group(const struct script_src *s, size_t i)
{
	if (s->tok[i].type == ST_OPEN && s->tok[i].match >= 0)
		return (size_t)s->tok[i].match + 1;
	return i + 1;
}

/* First token of the primary ending at token e (inclusive), scanning back:
 * names, numbers, strings, '.' trailers, call/subscript groups, name::Class. */
static size_t primary_back(const struct script_src *s, size_t lo, size_t e)
{
	size_t i = e;

	for (;;) {
		const struct sugar_token *t = &s->tok[i];
		if (t->type == ST_CLOSE && t->match >= 0 && (size_t)t->match >= lo) {
			i = (size_t)t->match;
			if (i > lo && (s->tok[i - 1].type == ST_NAME || s->tok[i - 1].type == ST_CLOSE)) {
				i--;
				continue;
			}
		}
		if (s->tok[i].type == ST_NAME) {
			if (i >= lo + 2 && s->tok[i - 1].type == ST_OP && s->tok[i - 1].ch == '.') {
				i -= 2;
				continue;
			}
			if (i >= lo + 2 && s->tok[i - 1].type == ST_DCOLON && s->tok[i - 2].type == ST_NAME)
				i -= 2;
		}
		return i;
	}
}

/* Last token of the primary starting at token b, scanning forward. */
static size_t primary_fwd(const struct script_src *s, size_t b, size_t hi)
{
	size_t i = b;

	if (s->tok[i].type == ST_OPEN && s->tok[i].match > 0)
		i = (size_t)s->tok[i].match;
	else if (s->tok[i].type == ST_NAME && i + 2 < hi && s->tok[i + 1].type == ST_DCOLON &&
		 s->tok[i + 2].type == ST_NAME)
		i += 2;
	for (;;) {
		if (i + 2 < hi && s->tok[i + 1].type == ST_OP && s->tok[i + 1].ch == '.' &&
		    s->tok[i + 2].type == ST_NAME) {
			i += 2;
			continue;
		}
		if (i + 1 < hi && s->tok[i + 1].type == ST_OPEN && s->tok[i + 1].ch != '{' &&
		    s->tok[i + 1].match > 0 && (size_t)s->tok[i + 1].match < hi) {
			i = (size_t)s->tok[i + 1].match;
			continue;
		}
		return i;
	}
}

static void wrap(struct edits *es, const struct script_src *s, size_t a, size_t b)
{
	edit_add(es, s->tok[a].start, s->tok[a].start, "(", false);
	edit_add(es, s->tok[b].end, s->tok[b].end, ")", false);
}

/* The arrows of one group: the tokens [lo, hi) at one bracket level. */
static void sugar_group(struct script_src *s, struct edits *es, size_t lo, size_t hi)
{
	size_t *sep = NULL, nsep = 0, cap = 0;

	for (size_t i = lo; i < hi; i = next_in_group(s, i)) {
		if (s->tok[i].type != ST_ARROW && !gate_colon(s, i))
			continue;
		if (nsep == cap) {
			size_t *n = realloc(sep, (cap = cap ? cap * 2 : 16) * sizeof(*n));
			if (!n) {
				es->oom = true;
				free(sep);
				return;
			}
			sep = n;
		}
		sep[nsep++] = i;
	}
	for (size_t k = 0; k < nsep; k++) {
		size_t i = sep[k], a_beg, a_end = i - 1, b_beg = i + 1, b_end;

		if (s->tok[i].type == ST_ARROW) {
			size_t ei = es->n;
			edit_add(es, s->tok[i].start, s->tok[i].end, "+", false);
			if (ei < es->n) {
				es->e[ei].arrow = true;
				es->e[ei].depth = s->tok[i].depth;
			}
			continue;
		}
		/* a gate colon becomes '*', with parentheses around both
		 * operands; an operand not bounded by another separator is the
		 * primary touching the colon */
		a_beg = k ? sep[k - 1] + 1 : primary_back(s, lo, a_end);
		b_end = k + 1 < nsep ? sep[k + 1] - 1 : primary_fwd(s, b_beg, hi);
		if (a_beg > a_end || b_beg > b_end || b_end >= hi)
			continue;
		/* ig:m:og: m was wrapped as the right operand of the first colon */
		if (!(k && s->tok[sep[k - 1]].type == ST_COLON))
			wrap(es, s, a_beg, a_end);
		wrap(es, s, b_beg, b_end);
		edit_add(es, s->tok[i].start, s->tok[i].end, "*", false);
	}
	free(sep);
}

/* Every group (a statement at depth 0, or the inside of one bracket pair)
 * that holds an arrow, rewritten once. */
static void sugar_arrows(struct script_src *s, struct edits *es)
{
	size_t stmt = 0, stmt_done = SIZE_MAX, *open = NULL, ocap = 0;

	for (size_t i = 0; i < s->n_tok; i++) {
		struct sugar_token *t = &s->tok[i];

		if (t->type == ST_END) {
			stmt = i + 1;
			continue;
		}
		if (t->type == ST_OPEN) {
			if (t->depth >= ocap) {
				size_t *n = realloc(open, (ocap = t->depth + 64u) * sizeof(*n));
				if (!n) {
					es->oom = true;
					break;
				}
				open = n;
			}
			open[t->depth] = i;
			continue;
		}
		if (t->type != ST_ARROW)
			continue;
		if (t->depth == 0) {
			size_t hi = i;
			if (stmt_done == stmt)
				continue;
			stmt_done = stmt;
			while (hi < s->n_tok && s->tok[hi].type != ST_END)
				hi++;
			if (!tok_word(s, stmt, "def") && !tok_word(s, stmt, "async"))
				sugar_group(s, es, stmt, hi);
			continue;
		}
		size_t o = open[t->depth - 1];
		if (s->tok[o].done || s->tok[o].match < 0)
			continue;
		s->tok[o].done = 1;
		sugar_group(s, es, o + 1, (size_t)s->tok[o].match);
	}
	free(open);
}

static int edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	bool xi = x->start == x->end, yi = y->start == y->end;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (xi != yi)
		return xi ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct outbuf {
	struct script_src *s;
	size_t cap, span_cap, arrow_cap;
	bool oom;
};

static void out_span(struct outbuf *o, uint32_t src, bool copied)
{
	struct script_src *s = o->s;
	if (s->n_span == o->span_cap) {
		size_t cap = o->span_cap ? o->span_cap * 2 : 64;
		struct sugar_span *n = realloc(s->span, cap * sizeof(*n));
		if (!n) {
			o->oom = true;
			return;
		}
		s->span = n;
		o->span_cap = cap;
	}
	s->span[s->n_span++] = (struct sugar_span){ (uint32_t)s->py_len, src, copied };
}

static void out_put(struct outbuf *o, const char *p, size_t n)
{
	struct script_src *s = o->s;
	if (s->py_len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < s->py_len + n + 1)
			cap *= 2;
		char *np = realloc(s->py, cap);
		if (!np) {
			o->oom = true;
			return;
		}
		s->py = np;
		o->cap = cap;
	}
	memcpy(s->py + s->py_len, p, n);
	s->py_len += n;
	s->py[s->py_len] = 0;
}

static uint32_t *line_starts(const char *t, size_t len, size_t *n)
{
	size_t cnt = 1;
	uint32_t *ls;

	for (size_t i = 0; i < len; i++)
		cnt += t[i] == '\n';
	if (!(ls = malloc(cnt * sizeof(*ls))))
		return NULL;
	ls[0] = 0;
	cnt = 1;
	for (size_t i = 0; i < len; i++)
		if (t[i] == '\n')
			ls[cnt++] = (uint32_t)(i + 1);
	*n = cnt;
	return ls;
}

int script_sugar(struct script_src *s, const char *file, const char *text,
		 size_t len, struct kb_err *err)
{
	struct edits es = { 0 };
	struct outbuf o = { .s = s };
	const char *nul;
	size_t pos = 0;

	memset(s, 0, sizeof(*s));
	s->file = file;
	s->text = text;
	s->len = len;
	if (!(s->src_line = line_starts(text, len, &s->n_src_line)))
		return kb_err_at(err, file, 1, 1, "out of memory reading the script");
	if (len > SCRIPT_MAX_BYTES) {
		struct script_pos p = script_src_pos(s, SCRIPT_MAX_BYTES);
		return kb_err_at(err, file, p.line, p.col,
				 "script is larger than %u bytes (a pipeline script is a few KB)",
				 SCRIPT_MAX_BYTES);
	}
	if ((nul = memchr(text, 0, len))) {
		struct script_pos p = script_src_pos(s, (size_t)(nul - text));
		return kb_err_at(err, file, p.line, p.col,
				 "NUL byte in the script (a script is text)");
	}
	if (tokenize(s, err) < 0)
		return -1;
	sugar_env(s, &es);
	sugar_modules(s, &es);
	sugar_assign(s, &es);
	sugar_arrows(s, &es);
	if (es.oom)
		goto oom;
	if (es.n)
		qsort(es.e, es.n, sizeof(*es.e), edit_cmp);
	for (size_t k = 0; k < es.n; k++) {
		struct edit *e = &es.e[k];
		if (e->start < pos)
			continue;     /* overlaps an earlier edit: keep the first */
		if (e->start > pos) {
			out_span(&o, (uint32_t)pos, true);
			out_put(&o, text + pos, e->start - pos);
		}
		out_span(&o, e->anchor, false);
		if (e->arrow && !o.oom) {
			if (s->n_arrow == o.arrow_cap) {
				size_t cap = o.arrow_cap ? o.arrow_cap * 2 : 32;
				struct sugar_arrow *na = realloc(s->arrow, cap * sizeof(*na));
				if (!na)
					goto oom;
				s->arrow = na;
				o.arrow_cap = cap;
			}
			s->arrow[s->n_arrow++] = (struct sugar_arrow){ (uint32_t)s->py_len, e->start,
								       e->depth };
		}
		out_put(&o, e->text, strlen(e->text));
		pos = e->end;
	}
	if (pos < len || !s->py_len) {
		out_span(&o, (uint32_t)pos, true);
		out_put(&o, text + pos, len - pos);
	}
	if (o.oom || !(s->py_line = line_starts(s->py, s->py_len, &s->n_py_line)))
		goto oom;
	for (size_t k = 0; k < es.n; k++)
		if (es.e[k].own)
			free((char *)es.e[k].text);
	free(es.e);
	return 0;
oom:
	for (size_t k = 0; k < es.n; k++)
		if (es.e[k].own)
			free((char *)es.e[k].text);
	free(es.e);
	return kb_err_at(err, file, 1, 1, "out of memory reading the script");
}

void script_src_free(struct script_src *s)
{
	free(s->py);
	free(s->tok);
	free(s->span);
	free(s->arrow);
	free(s->src_line);
	free(s->py_line);
	memset(s, 0, sizeof(*s));
}

size_t script_py_off(const struct script_src *s, int line, int col0)
{
	size_t off;

	if (line < 1 || !s->n_py_line)
		return 0;
	if ((size_t)line > s->n_py_line)
		return s->py_len;
	off = s->py_line[line - 1] + (size_t)(col0 > 0 ? col0 : 0);
	return off > s->py_len ? s->py_len : off;
}

size_t script_src_from_py_off(const struct script_src *s, size_t out)
{
	size_t lo = 0, hi = s->n_span;

	if (!s->n_span)
		return out < s->len ? out : s->len;
	while (hi - lo > 1) {     /* last span with span.out <= out */
		size_t mid = (lo + hi) / 2;
		if (s->span[mid].out <= out)
			lo = mid;
		else
			hi = mid;
	}
	/* several spans may start at one offset (an empty insertion): the
	 * last of them holds the byte */
	const struct sugar_span *sp = &s->span[lo];
	size_t r = sp->copied ? sp->src + (out - sp->out) : sp->src;
	return r > s->len ? s->len : r;
}

size_t script_src_from_py(const struct script_src *s, int line, int col0)
{
	return script_src_from_py_off(s, script_py_off(s, line, col0));
}

struct script_pos script_src_pos(const struct script_src *s, size_t off)
{
	size_t lo = 0, hi = s->n_src_line;
	struct script_pos p = { .file = s->file, .line = 1, .col = 1 };

	if (!hi)
		return p;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->src_line[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	p.line = (int)lo + 1;
	p.col = (int)(off - s->src_line[lo]) + 1;
	return p;
}

size_t script_src_arrow(const struct script_src *s, size_t out_start, size_t out_end)
{
	size_t lo = 0, hi = s->n_arrow, best = SIZE_MAX;
	int best_depth = 1 << 20;

	while (lo < hi) {          /* first arrow with out >= out_start */
		size_t mid = (lo + hi) / 2;
		if (s->arrow[mid].out < out_start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->n_arrow && s->arrow[i].out < out_end; i++)
		if (s->arrow[i].depth <= best_depth) {
			best_depth = s->arrow[i].depth;
			best = s->arrow[i].src;
		}
	return best;
}

size_t script_src_tok_at(const struct script_src *s, size_t off)
{
	size_t lo = 0, hi = s->n_tok;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->tok[mid].start < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Items of the group opened at token o: the first token of each element,
 * for a dict the first token after its ':'. */
static int group_items(const struct script_src *s, size_t o, size_t *items, int max,
		       bool dict, const char **keys, size_t *keylen)
{
	size_t close = (size_t)s->tok[o].match, i = o + 1;
	int n = 0;

	while (i < close && n < max) {
		size_t start = i, val = i;
		/* find this element's end: ',' at this level */
		size_t e = i;
		while (e < close && !(s->tok[e].type == ST_OP && s->tok[e].ch == ',' &&
				      s->tok[e].depth == s->tok[o].depth + 1))
			e = next_in_group(s, e);
		if (dict) {
			for (size_t k = start; k < e; k = next_in_group(s, k))
				if (s->tok[k].type == ST_COLON && k + 1 < e) {
					val = k + 1;
					break;
				}
		} else if (keys) {
			keys[n] = NULL;
			keylen[n] = 0;
			if (start + 2 <= e && s->tok[start].type == ST_NAME &&
			    s->tok[start + 1].type == ST_OP && s->tok[start + 1].ch == '=' &&
			    !(start + 2 < close && s->tok[start + 2].type == ST_OP &&
			      s->tok[start + 2].ch == '=' &&
			      s->tok[start + 2].start == s->tok[start + 1].end)) {
				keys[n] = s->text + s->tok[start].start;
				keylen[n] = s->tok[start].end - s->tok[start].start;
				val = start + 2;
			}
		}
		if (start < e)
			items[n++] = val;
		i = e + 1;
	}
	return n;
}

int script_src_items(const struct script_src *s, size_t t, size_t *items, int max)
{
	if (t >= s->n_tok || s->tok[t].type != ST_OPEN || s->tok[t].match < 0)
		return -1;
	return group_items(s, t, items, max, s->tok[t].ch == '{', NULL, NULL);
}

int script_src_call_args(const struct script_src *s, size_t off, size_t *open,
			 size_t *name, struct sugar_arg *args, int max)
{
	size_t t = script_src_tok_at(s, off);
	const char *keys[64];
	size_t keylen[64], items[64];
	int n;

	*name = off;
	/* the callee: names, '.', '::', subscripts; then its '(' */
	while (t < s->n_tok && !(s->tok[t].type == ST_OPEN && s->tok[t].ch == '(')) {
		if (s->tok[t].type == ST_OPEN && s->tok[t].match > 0)
			t = (size_t)s->tok[t].match + 1;
		else if (s->tok[t].type == ST_NAME && (*name = s->tok[t].start, 1))
			t++;
		else if (s->tok[t].type == ST_DCOLON ||
			 (s->tok[t].type == ST_OP && (s->tok[t].ch == '.' || s->tok[t].ch == '$')))
			t++;
		else
			return -1;
	}
	if (t >= s->n_tok || s->tok[t].match < 0)
		return -1;
	*open = s->tok[t].start;
	if (max > 64)
		max = 64;
	n = group_items(s, t, items, max, false, keys, keylen);
	for (int i = 0; i < n; i++)
		args[i] = (struct sugar_arg){ keys[i], keylen[i], items[i] };
	return n;
}
