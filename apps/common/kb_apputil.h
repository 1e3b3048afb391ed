/* Small helpers every app shares: argument parsing with clear errors,
 * clocks, and "IP[:port]" addresses. */
#ifndef KB_APPUTIL_H
#define KB_APPUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <time.h>

static inline uint64_t kb_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* "IP" or "IP:port" (port defaults to defport) into a. 0 or -1. */
int kb_parse_addr(const char *s, uint16_t defport, struct sockaddr_in *a);
/* "123", "64k", "20m", "1g" (powers of 1024) into *out. 0 or -1. */
int kb_parse_size(const char *s, uint64_t max, uint64_t *out);
/* Option value as an integer in [min,max]; on error prints
 * "PROG: -X: expected ... got '...'" and exits 2 (before anything starts). */
long long kb_opt_int(const char *prog, const char *opt, const char *val,
		     long long min, long long max);
uint64_t kb_opt_size(const char *prog, const char *opt, const char *val, uint64_t max);
/* Prints "PROG: msg\nTry 'PROG --help'." and exits 2. */
void kb_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* getopt_long's '?' or ':' (the option string starts with ':', so getopt
 * prints nothing itself): one message, "PROG: -n needs a value" or
 * "PROG: unknown option '--x'", and exit 2. */
void kb_opt_bad(const char *prog, int c, char *const argv[])
	__attribute__((noreturn));

#endif
