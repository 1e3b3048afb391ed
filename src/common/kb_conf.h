/* kb_conf: the "key = value" file format of mtcp.conf, shared by the DPDK
 * layer and the stack, which each claim their own keys from one file.
 *
 * Lines are `key = value`; '#' starts a comment; blank lines are ignored.
 * The file is text: at most KB_CONF_MAX_BYTES, no NUL or other control byte
 * (each an error at its position), and not a directory.
 * A key read with kb_conf_next may repeat (arp = ..., route = ...); one read
 * with kb_conf_get (one value) may not: a second one is an error naming both
 * positions, even when the first value was bad.  Every lookup marks the entries
 * it returns as used, so after all layers have taken theirs,
 * kb_conf_check_unused() reports a misspelt key as "file:line:col: ...".
 * Typed getters report a bad value at the value's own position. */
#ifndef KB_CONF_H
#define KB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kb_err.h"

struct kb_conf_entry {
	char *key;
	char *val;
	int line;
	int key_col;
	int val_col;
	bool used;
};

#define KB_CONF_MAX_BYTES (1 << 20)

struct kb_conf {
	char *path;
	struct kb_conf_entry *e;
	size_t n;
	/* the first one-value key kb_conf_get found twice, both entries */
	const struct kb_conf_entry *dup_first, *dup_again;
};

/* Returns 0, or -1 with a positioned error for a line that isn't key = value. */
int kb_conf_load(struct kb_conf *c, const char *path, struct kb_err *err);
/* Same, from a string (tests); name is used in error positions. */
int kb_conf_load_str(struct kb_conf *c, const char *name, const char *text,
		     struct kb_err *err);
/* Same, from len bytes that may hold anything (a NUL is an error). */
int kb_conf_load_mem(struct kb_conf *c, const char *name, const char *text, size_t len,
		     struct kb_err *err);
void kb_conf_free(struct kb_conf *c);

/* The entry of a one-value key (marks every entry of that key used), or
 * NULL; when the key is there twice, the last, and the typed getters,
 * kb_conf_bad and kb_conf_check_unused report the duplicate. */
struct kb_conf_entry *kb_conf_get(struct kb_conf *c, const char *key);
/* Iterate all entries of one key: pass NULL first, then the previous result. */
struct kb_conf_entry *kb_conf_next(struct kb_conf *c, const char *key,
				   struct kb_conf_entry *prev);

/* Typed getters: absent key leaves *out at the default the caller set and
 * returns 0; a malformed value returns -1 with a positioned error. */
int kb_conf_str(struct kb_conf *c, const char *key, const char **out,
		struct kb_err *err);
int kb_conf_int(struct kb_conf *c, const char *key, long long min,
		long long max, long long *out, struct kb_err *err);
int kb_conf_bool(struct kb_conf *c, const char *key, bool *out,
		 struct kb_err *err);
int kb_conf_ipv4(struct kb_conf *c, const char *key, uint32_t *out_be,
		 struct kb_err *err);
int kb_conf_mac(struct kb_conf *c, const char *key, uint8_t out[6],
		struct kb_err *err);
/* Positioned error about an entry's value, for checks the caller makes. */
int kb_conf_bad(const struct kb_conf *c, const struct kb_conf_entry *e,
		struct kb_err *err, const char *expected);

/* -1 with "file:line:col: duplicate key 'k' (first at file:line:col)" when
 * kb_conf_get met a one-value key twice. */
int kb_conf_check_dups(const struct kb_conf *c, struct kb_err *err);
/* kb_conf_check_dups, then -1 with "file:line:col: unknown key 'k'" for the
 * first unclaimed entry. */
int kb_conf_check_unused(const struct kb_conf *c, struct kb_err *err);

#endif
