/* Minimal HTTP/1.1 parsing shared by epserver and epwget: just what a
 * static-file server and a load generator need, strict about framing
 * (malformed input is an error, never a guess). */
#ifndef KB_HTTP_H
#define KB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define KB_HTTP_MAX_HEADER 8192
#define KB_HTTP_MAX_PATH   1024

enum kb_http_method { KB_HTTP_GET, KB_HTTP_HEAD, KB_HTTP_OTHER };

struct kb_http_req {
	enum kb_http_method method;
	char path[KB_HTTP_MAX_PATH];
	bool keep_alive;
};

struct kb_http_resp {
	int status;
	int64_t content_length;   /* -1: none given */
	bool keep_alive;
};

/* Both parsers return the header length (through the blank line) when a
 * whole header is in buf, 0 when more bytes are needed, -1 when malformed
 * (or longer than KB_HTTP_MAX_HEADER). */
int kb_http_parse_request(const char *buf, size_t len, struct kb_http_req *r);
int kb_http_parse_response(const char *buf, size_t len, struct kb_http_resp *r);

/* "http://a.b.c.d[:port]/path" -> address (port 80 by default) and path. */
int kb_http_parse_url(const char *url, struct sockaddr_in *a, char *path, size_t pathlen);

/* A request path that stays inside the served directory: starts with '/',
 * no ".." segment, no NUL or backslash. */
bool kb_http_path_safe(const char *path);

const char *kb_http_reason(int status);

#endif
