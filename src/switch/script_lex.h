/* script_lex: turns script text into tokens.
 *
 * Newlines end statements except inside (), [] and {}, as in Python, so the
 * lexer drops them there and the parser never sees a line structure. */
#ifndef SCRIPT_LEX_H
#define SCRIPT_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "kb_err.h"

enum tok_kind {
	TK_EOF, TK_NEWLINE, TK_NAME, TK_INT, TK_STR, TK_ENV,
	TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_LBRACE, TK_RBRACE,
	TK_COMMA, TK_COLON, TK_DCOLON, TK_ASSIGN, TK_ARROW, TK_DOT,
	TK_PERCENT, TK_PLUS, TK_MINUS, TK_BANG, TK_SEMI,
};

struct token {
	enum tok_kind kind;
	int line, col;
	char *text;     /* NAME, ENV (without '$'), STR (unescaped); else NULL */
	int64_t ival;   /* INT */
};

struct token_list {
	struct token *t;
	size_t n, cap;
};

/* Tokenizes len bytes of src; the list always ends with TK_EOF.
 * 0, or -1 with a positioned error (and an empty list). */
int script_lex(const char *file, const char *src, size_t len,
	       struct token_list *out, struct kb_err *err);
void script_tokens_free(struct token_list *l);

/* "')'", "a name", "end of line": for "expected ..." messages. */
const char *script_tok_desc(enum tok_kind k);

#endif
