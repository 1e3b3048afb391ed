#include "kb_conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kb_parse.h"

static int add_entry(struct kb_conf *c, const char *k, size_t kl, const char *v,
		     size_t vl, int line, int kcol, int vcol)
{
	struct kb_conf_entry *ne = realloc(c->e, (c->n + 1) * sizeof(*ne));

	if (!ne)
		return -1;
	c->e = ne;
	struct kb_conf_entry *e = &c->e[c->n];

	e->key = strndup(k, kl);
	e->val = strndup(v, vl);
	if (!e->key || !e->val) {
		free(e->key);
		free(e->val);
		return -1;
	}
	e->line = line;
	e->key_col = kcol;
	e->val_col = vcol;
	e->used = false;
	c->n++;
	return 0;
}

static bool is_key_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-';
}

/* A config is text: a NUL (which would end the C string there and drop
 * the rest) or another control byte says this is not a config file. */
static int check_bytes(const char *name, const char *text, size_t len, struct kb_err *err)
{
	int line = 1, col = 1;

	for (size_t i = 0; i < len; i++, col++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\n') {
			line++;
			col = 0;
		} else if (ch == 0) {
			return kb_err_at(err, name, line, col,
					 "a NUL byte (a config file is text lines of key = value)");
		} else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			return kb_err_at(err, name, line, col,
					 "control byte 0x%02x (binary data? a config file is text lines of key = value)",
					 ch);
		}
	}
	return 0;
}

int kb_conf_load_mem(struct kb_conf *c, const char *name, const char *text, size_t len,
		     struct kb_err *err)
{
	memset(c, 0, sizeof(*c));
	if (check_bytes(name, text, len, err) < 0)
		return -1;

	char *copy = strndup(text, len);

	if (!copy)
		return kb_err_set(err, "out of memory");
	int rc = kb_conf_load_str(c, name, copy, err);

	free(copy);
	return rc;
}

int kb_conf_load_str(struct kb_conf *c, const char *name, const char *text,
		     struct kb_err *err)
{
	memset(c, 0, sizeof(*c));
	if (check_bytes(name, text, strlen(text), err) < 0)
		return -1;
	c->path = strdup(name);
	if (!c->path)
		return kb_err_set(err, "out of memory");

	int line = 0;
	const char *p = text;

	while (*p) {
		const char *ls = p; /* line start, for columns */
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *s = p, *end = p + len;

		line++;
		p = eol ? eol + 1 : p + len;
		const char *hash = memchr(s, '#', len);

		if (hash)
			end = hash;
		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (s == end)
			continue;
		const char *k = s;

		while (s < end && is_key_char(*s))
			s++;
		if (s == k) {
			kb_err_at(err, name, line, (int)(k - ls) + 1,
				  "expected a key (letters, digits, '_', '.', '-')");
			goto fail;
		}
		size_t kl = (size_t)(s - k);

		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end || *s != '=') {
			kb_err_at(err, name, line, (int)(s - ls) + 1,
				  "expected '=' after key '%.*s'", (int)kl, k);
			goto fail;
		}
		s++;
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (add_entry(c, k, kl, s, (size_t)(end - s), line, (int)(k - ls) + 1,
			      (int)(s - ls) + 1) < 0) {
			kb_err_set(err, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	kb_conf_free(c);
	return -1;
}

int kb_conf_load(struct kb_conf *c, const char *path, struct kb_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return kb_err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return kb_err_set(err, "%s: is a directory, expected a config file", path);
	}
	/* one read more than the limit tells a big file (or /dev/zero, a
	 * pipe that never ends) from one of exactly the limit */
	char *buf = malloc(KB_CONF_MAX_BYTES + 1);
	size_t n = 0;

	if (!buf) {
		close(fd);
		return kb_err_set(err, "out of memory");
	}
	while (n < KB_CONF_MAX_BYTES + 1) {
		ssize_t r = read(fd, buf + n, KB_CONF_MAX_BYTES + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return kb_err_set(err, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > KB_CONF_MAX_BYTES) {
		free(buf);
		return kb_err_set(err, "%s: more than %d bytes: not a config file", path,
				  KB_CONF_MAX_BYTES);
	}
	int rc = kb_conf_load_mem(c, path, buf, n, err);

	free(buf);
	return rc;
}

void kb_conf_free(struct kb_conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].val);
	}
	free(c->e);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

struct kb_conf_entry *kb_conf_next(struct kb_conf *c, const char *key,
				   struct kb_conf_entry *prev)
{
	size_t i = prev ? (size_t)(prev - c->e) + 1 : 0;

	for (; i < c->n; i++) {
		if (!strcmp(c->e[i].key, key)) {
			c->e[i].used = true;
			return &c->e[i];
		}
	}
	return NULL;
}

struct kb_conf_entry *kb_conf_get(struct kb_conf *c, const char *key)
{
	struct kb_conf_entry *e = NULL, *first = NULL, *last = NULL;

	while ((e = kb_conf_next(c, key, e))) {
		if (!first)
			first = e;
		else if (!c->dup_again)
			c->dup_first = first, c->dup_again = e;
		last = e;
	}
	return last;
}

int kb_conf_check_dups(const struct kb_conf *c, struct kb_err *err)
{
	const struct kb_conf_entry *a = c->dup_first, *b = c->dup_again;

	if (!b)
		return 0;
	return kb_err_at(err, c->path, b->line, b->key_col,
			 "duplicate key '%s' (first at %s:%d:%d); it takes one value", b->key,
			 c->path, a->line, a->key_col);
}

/* A getter's result for key: the duplicate when key is one. */
static int dup_of(const struct kb_conf *c, const char *key, struct kb_err *err)
{
	if (c->dup_again && !strcmp(c->dup_again->key, key))
		return kb_conf_check_dups(c, err);
	return 0;
}

int kb_conf_bad(const struct kb_conf *c, const struct kb_conf_entry *e,
		struct kb_err *err, const char *expected)
{
	/* a bad value of a key given twice: the duplicate is the news */
	if (dup_of(c, e->key, err) < 0)
		return -1;
	return kb_err_at(err, c->path, e->line, e->val_col, "%s: expected %s, got '%s'",
			 e->key, expected, e->val);
}

int kb_conf_str(struct kb_conf *c, const char *key, const char **out,
		struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (!e || dup_of(c, key, err) < 0)
		return e ? -1 : 0;
	if (!e->val[0])
		return kb_conf_bad(c, e, err, "a value");
	*out = e->val;
	return 0;
}

int kb_conf_int(struct kb_conf *c, const char *key, long long min,
		long long max, long long *out, struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (!e || dup_of(c, key, err) < 0)
		return e ? -1 : 0;
	if (kb_parse_int(e->val, min, max, out) < 0) {
		char what[96];

		snprintf(what, sizeof(what), "an integer in %lld..%lld", min, max);
		return kb_conf_bad(c, e, err, what);
	}
	return 0;
}

int kb_conf_bool(struct kb_conf *c, const char *key, bool *out,
		 struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (e && dup_of(c, key, err) < 0)
		return -1;
	if (e && kb_parse_bool(e->val, out) < 0)
		return kb_conf_bad(c, e, err, "yes/no, true/false, on/off or 1/0");
	return 0;
}

int kb_conf_ipv4(struct kb_conf *c, const char *key, uint32_t *out_be,
		 struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (e && dup_of(c, key, err) < 0)
		return -1;
	if (e && kb_parse_ipv4(e->val, out_be) < 0)
		return kb_conf_bad(c, e, err, "an IPv4 address like 10.0.0.1");
	return 0;
}

int kb_conf_mac(struct kb_conf *c, const char *key, uint8_t out[6],
		struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (e && dup_of(c, key, err) < 0)
		return -1;
	if (e && kb_parse_mac(e->val, out) < 0)
		return kb_conf_bad(c, e, err, "a MAC address like 02:00:00:00:00:01");
	return 0;
}

int kb_conf_check_unused(const struct kb_conf *c, struct kb_err *err)
{
	if (kb_conf_check_dups(c, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->e[i].used)
			return kb_err_at(err, c->path, c->e[i].line, c->e[i].key_col,
					 "unknown key '%s'", c->e[i].key);
	}
	return 0;
}
