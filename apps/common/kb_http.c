#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kb_apputil.h"
#include "kb_http.h"

/* End of header ("\r\n\r\n") or 0 / -1 as the parsers return. */
static int header_end(const char *buf, size_t len)
{
	size_t lim = len < KB_HTTP_MAX_HEADER ? len : KB_HTTP_MAX_HEADER;
	for (size_t i = 0; i + 3 < lim; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return (int)(i + 4);
	return len >= KB_HTTP_MAX_HEADER ? -1 : 0;
}

/* Next line in [p,end): sets *eol to its "\r\n"; NULL when none. */
static const char *line_end(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static bool token_eq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

/* Walks header fields after the first line; fills keep-alive and length.
 * Returns -1 on a malformed field. */
static int parse_fields(const char *p, const char *end, bool *keep_alive, int64_t *clen)
{
	while (p < end) {
		const char *eol = line_end(p, end);
		if (!eol)
			return -1;
		if (eol == p)
			return 0;   /* the blank line */
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return -1;
		for (const char *q = p; q < colon; q++)
			if (*q == ' ' || *q == '\t')
				return -1;   /* no space before ':' (RFC 9112 5.1) */
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		const char *ve = eol;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		size_t nl = (size_t)(colon - p), vl = (size_t)(ve - v);
		if (token_eq(p, nl, "connection")) {
			if (token_eq(v, vl, "close"))
				*keep_alive = false;
			else if (token_eq(v, vl, "keep-alive"))
				*keep_alive = true;
		} else if (token_eq(p, nl, "content-length") && clen) {
			if (vl == 0 || vl > 18)
				return -1;
			int64_t n = 0;
			for (size_t i = 0; i < vl; i++) {
				if (v[i] < '0' || v[i] > '9')
					return -1;
				n = n * 10 + (v[i] - '0');
			}
			if (*clen >= 0 && *clen != n)
				return -1;   /* conflicting lengths: refuse */
			*clen = n;
		} else if (token_eq(p, nl, "transfer-encoding")) {
			return -1;   /* chunked bodies are not supported: say so */
		}
		p = eol + 2;
	}
	return -1;
}

/* "HTTP/1.x" at p (8 bytes): minor version or -1. */
static int http_version(const char *p, const char *end)
{
	if (end - p != 8 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1'))
		return -1;
	return p[7] - '0';
}

int kb_http_parse_request(const char *buf, size_t len, struct kb_http_req *r)
{
	int hl = header_end(buf, len);
	if (hl <= 0)
		return hl;
	const char *end = buf + hl;
	const char *eol = line_end(buf, end);
	const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp1 || sp1 == buf)
		return -1;
	const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return -1;
	size_t ml = (size_t)(sp1 - buf), pl = (size_t)(sp2 - sp1 - 1);
	int minor = http_version(sp2 + 1, eol);
	if (minor < 0 || pl >= KB_HTTP_MAX_PATH)
		return -1;
	r->method = ml == 3 && !memcmp(buf, "GET", 3) ? KB_HTTP_GET :
		    ml == 4 && !memcmp(buf, "HEAD", 4) ? KB_HTTP_HEAD : KB_HTTP_OTHER;
	memcpy(r->path, sp1 + 1, pl);
	r->path[pl] = 0;
	r->keep_alive = minor == 1;
	int64_t clen = -1;
	if (parse_fields(eol + 2, end, &r->keep_alive, &clen) < 0)
		return -1;
	if (clen > 0)
		return -1;   /* GET/HEAD with a body: not for a static server */
	return hl;
}

int kb_http_parse_response(const char *buf, size_t len, struct kb_http_resp *r)
{
	int hl = header_end(buf, len);
	if (hl <= 0)
		return hl;
	const char *end = buf + hl;
	const char *eol = line_end(buf, end);
	if (eol - buf < 12 || buf[8] != ' ')
		return -1;
	int minor = http_version(buf, buf + 8);
	if (minor < 0)
		return -1;
	int st = 0;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		st = st * 10 + (buf[i] - '0');
	}
	r->status = st;
	r->keep_alive = minor == 1;
	r->content_length = -1;
	if (parse_fields(eol + 2, end, &r->keep_alive, &r->content_length) < 0)
		return -1;
	return hl;
}

int kb_http_parse_url(const char *url, struct sockaddr_in *a, char *path, size_t pathlen)
{
	if (strncmp(url, "http://", 7))
		return -1;
	const char *host = url + 7, *slash = strchr(host, '/');
	char hp[80];
	size_t hl = slash ? (size_t)(slash - host) : strlen(host);
	if (hl == 0 || hl >= sizeof(hp))
		return -1;
	memcpy(hp, host, hl);
	hp[hl] = 0;
	if (kb_parse_addr(hp, 80, a) < 0)
		return -1;
	const char *p = slash ? slash : "/";
	if (strlen(p) >= pathlen || strpbrk(p, " \r\n"))
		return -1;
	strcpy(path, p);
	return 0;
}

bool kb_http_path_safe(const char *path)
{
	if (path[0] != '/' || strchr(path, '\\'))
		return false;
	for (const char *p = path; *p; ) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		if (e - p == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p = e;
	}
	return true;
}

const char *kb_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	default: return "Unknown";
	}
}
