/* script_lex: the tokenizer of the script language. */
#include "script_lex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
	const char *file, *src;
	size_t len, i;
	int line, col;
	int depth;            /* open brackets: newlines inside do not count */
	struct token_list *out;
	struct kb_err *err;
};

const char *script_tok_desc(enum tok_kind k)
{
	static const char *const d[] = {
		[TK_EOF] = "end of file", [TK_NEWLINE] = "end of line",
		[TK_NAME] = "a name", [TK_INT] = "an integer", [TK_STR] = "a string",
		[TK_ENV] = "an environment variable",
		[TK_LPAREN] = "'('", [TK_RPAREN] = "')'", [TK_LBRACK] = "'['",
		[TK_RBRACK] = "']'", [TK_LBRACE] = "'{'", [TK_RBRACE] = "'}'",
		[TK_COMMA] = "','", [TK_COLON] = "':'", [TK_DCOLON] = "'::'",
		[TK_ASSIGN] = "'='", [TK_ARROW] = "'->'", [TK_DOT] = "'.'",
		[TK_PERCENT] = "'%'", [TK_PLUS] = "'+'", [TK_MINUS] = "'-'",
		[TK_BANG] = "'!'", [TK_SEMI] = "';'",
	};
	return k < sizeof(d) / sizeof(d[0]) && d[k] ? d[k] : "?";
}

static int peekc(const struct lexer *lx, size_t ahead)
{
	return lx->i + ahead < lx->len ? (unsigned char)lx->src[lx->i + ahead] : -1;
}

static void advance(struct lexer *lx)
{
	if (lx->src[lx->i++] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
}

static struct token *push(struct lexer *lx, enum tok_kind k, int line, int col)
{
	struct token_list *l = lx->out;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct token *t = realloc(l->t, cap * sizeof(*t));

		if (!t) {
			kb_err_set(lx->err, "out of memory");
			return NULL;
		}
		l->t = t;
		l->cap = cap;
	}
	l->t[l->n] = (struct token){ .kind = k, .line = line, .col = col };
	return &l->t[l->n++];
}

static int lex_string(struct lexer *lx)
{
	int line = lx->line, col = lx->col, q = peekc(lx, 0);
	size_t cap = 16, n = 0;
	char *s = malloc(cap);
	struct token *t;

	if (!s)
		return kb_err_set(lx->err, "out of memory");
	advance(lx);
	for (;;) {
		int c = peekc(lx, 0);

		if (c < 0 || c == '\n') {
			free(s);
			return kb_err_at(lx->err, lx->file, line, col, "unterminated string");
		}
		advance(lx);
		if (c == q)
			break;
		if (c == '\\') {
			int e = peekc(lx, 0);

			if (e < 0) {
				free(s);
				return kb_err_at(lx->err, lx->file, line, col, "unterminated string");
			}
			advance(lx);
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '\\': case '\'': case '"': c = e; break;
			case '\n': continue;   /* a line continued inside a string */
			default:
				/* Python keeps unknown escapes as written. */
				s[n++] = '\\';
				c = e;
				break;
			}
		}
		if (n + 2 >= cap) {
			char *g = realloc(s, cap *= 2);

			if (!g) {
				free(s);
				return kb_err_set(lx->err, "out of memory");
			}
			s = g;
		}
		s[n++] = (char)c;
	}
	s[n] = '\0';
	if (!(t = push(lx, TK_STR, line, col))) {
		free(s);
		return -1;
	}
	t->text = s;
	return 0;
}

static int lex_int(struct lexer *lx)
{
	int line = lx->line, col = lx->col, base = 10;
	uint64_t v = 0;
	int digits = 0;
	struct token *t;

	if (peekc(lx, 0) == '0' && (peekc(lx, 1) == 'x' || peekc(lx, 1) == 'X')) {
		base = 16;
		advance(lx);
		advance(lx);
	}
	for (int c; (c = peekc(lx, 0)) >= 0 && (isalnum(c) || c == '_'); advance(lx)) {
		int d;

		if (c == '_')
			continue;
		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = tolower(c) - 'a' + 10;
		else
			return kb_err_at(lx->err, lx->file, lx->line, lx->col,
					 "expected a digit in the number");
		if (v > (uint64_t)(INT64_MAX - d) / base)
			return kb_err_at(lx->err, lx->file, line, col, "integer too large");
		v = v * base + d;
		digits++;
	}
	if (!digits)
		return kb_err_at(lx->err, lx->file, lx->line, lx->col,
				 "expected hex digits after '0x'");
	if (!(t = push(lx, TK_INT, line, col)))
		return -1;
	t->ival = (int64_t)v;
	return 0;
}

static int lex_name(struct lexer *lx, enum tok_kind k, int line, int col)
{
	size_t start = lx->i;
	struct token *t;
	char *s;

	while (peekc(lx, 0) >= 0 && (isalnum(peekc(lx, 0)) || peekc(lx, 0) == '_'))
		advance(lx);
	if (!(s = strndup(lx->src + start, lx->i - start)))
		return kb_err_set(lx->err, "out of memory");
	if (!(t = push(lx, k, line, col))) {
		free(s);
		return -1;
	}
	t->text = s;
	return 0;
}

static int newline(struct lexer *lx)
{
	struct token_list *l = lx->out;

	/* Blank lines and comment lines make no empty statements. */
	if (lx->depth == 0 && l->n && l->t[l->n - 1].kind != TK_NEWLINE)
		return push(lx, TK_NEWLINE, lx->line, lx->col) ? 0 : -1;
	return 0;
}

static int punct(struct lexer *lx)
{
	static const struct { char s[3]; enum tok_kind k; int depth; } ops[] = {
		{ "::", TK_DCOLON, 0 }, { "->", TK_ARROW, 0 },
		{ "(", TK_LPAREN, 1 }, { ")", TK_RPAREN, -1 },
		{ "[", TK_LBRACK, 1 }, { "]", TK_RBRACK, -1 },
		{ "{", TK_LBRACE, 1 }, { "}", TK_RBRACE, -1 },
		{ ",", TK_COMMA, 0 }, { ":", TK_COLON, 0 }, { "=", TK_ASSIGN, 0 },
		{ ".", TK_DOT, 0 }, { "%", TK_PERCENT, 0 }, { "+", TK_PLUS, 0 },
		{ "-", TK_MINUS, 0 }, { "!", TK_BANG, 0 }, { ";", TK_SEMI, 0 },
	};
	int c = peekc(lx, 0);

	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t n = strlen(ops[k].s);

		if (lx->i + n > lx->len || memcmp(lx->src + lx->i, ops[k].s, n))
			continue;
		if (!push(lx, ops[k].k, lx->line, lx->col))
			return -1;
		for (size_t j = 0; j < n; j++)
			advance(lx);
		/* An unmatched closer is the parser's to report; never go below 0
		 * so the lines after it still end statements. */
		lx->depth += ops[k].depth;
		if (lx->depth < 0)
			lx->depth = 0;
		return 0;
	}
	if (isprint(c))
		return kb_err_at(lx->err, lx->file, lx->line, lx->col,
				 "unexpected character '%c'", c);
	return kb_err_at(lx->err, lx->file, lx->line, lx->col,
			 "unexpected byte 0x%02x", (unsigned)c);
}

static int lex_one(struct lexer *lx)
{
	int c = peekc(lx, 0);

	if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
		advance(lx);
		return 0;
	}
	if (c == '#') {
		while (peekc(lx, 0) >= 0 && peekc(lx, 0) != '\n')
			advance(lx);
		return 0;
	}
	if (c == '\\' && peekc(lx, 1) == '\n') {   /* explicit line joining */
		advance(lx);
		advance(lx);
		return 0;
	}
	if (c == '\n') {
		int r = newline(lx);

		advance(lx);
		return r;
	}
	if (c == '\'' || c == '"')
		return lex_string(lx);
	if (isdigit(c))
		return lex_int(lx);
	if (isalpha(c) || c == '_')
		return lex_name(lx, TK_NAME, lx->line, lx->col);
	if (c == '$') {
		int line = lx->line, col = lx->col;

		advance(lx);
		c = peekc(lx, 0);
		if (c < 0 || !(isalpha(c) || c == '_'))
			return kb_err_at(lx->err, lx->file, line, col,
					 "expected an environment variable name after '$'");
		return lex_name(lx, TK_ENV, line, col);
	}
	if (c == 0)
		return kb_err_at(lx->err, lx->file, lx->line, lx->col, "unexpected NUL byte");
	return punct(lx);
}

int script_lex(const char *file, const char *src, size_t len,
	       struct token_list *out, struct kb_err *err)
{
	struct lexer lx = {
		.file = file, .src = src, .len = len, .line = 1, .col = 1,
		.out = out, .err = err,
	};

	*out = (struct token_list){ 0 };
	while (lx.i < lx.len)
		if (lex_one(&lx) < 0) {
			script_tokens_free(out);
			return -1;
		}
	if (newline(&lx) < 0 || !push(&lx, TK_EOF, lx.line, lx.col)) {
		script_tokens_free(out);
		return -1;
	}
	return 0;
}

void script_tokens_free(struct token_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->t[i].text);
	free(l->t);
	*l = (struct token_list){ 0 };
}
