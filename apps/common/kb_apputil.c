#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kb_apputil.h"

int kb_parse_addr(const char *s, uint16_t defport, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strchr(s, ':');
	size_t hl = colon ? (size_t)(colon - s) : strlen(s);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -1;
	long port = defport;
	if (colon) {
		char *end;
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
			return -1;
	}
	a->sin_port = htons((uint16_t)port);
	return 0;
}

int kb_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	v <<= shift;
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

void kb_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(2);
}

void kb_opt_bad(const char *prog, int c, char *const argv[])
{
	/* a long option is best named as typed; a short one by optopt, since
	 * argv[optind - 1] may be a cluster like -kn */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char name[3] = { '-', (char)optopt, 0 };
	const char *opt = !strncmp(arg, "--", 2) || !optopt ? arg : name;

	if (c == ':')
		kb_usage_error(prog, "%.*s needs a value", (int)strcspn(opt, "="), opt);
	kb_usage_error(prog, "unknown option '%s'", opt);
}

long long kb_opt_int(const char *prog, const char *opt, const char *val,
		     long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(val, &end, 10);
	if (errno || end == val || *end || v < min || v > max)
		kb_usage_error(prog, "%s: expected an integer %lld..%lld, got '%s'",
			       opt, min, max, val);
	return v;
}

uint64_t kb_opt_size(const char *prog, const char *opt, const char *val, uint64_t max)
{
	uint64_t v;
	if (kb_parse_size(val, max, &v) < 0)
		kb_usage_error(prog, "%s: expected a size like 4096, 64k, 20m (max %llu), got '%s'",
			       opt, (unsigned long long)max, val);
	return v;
}
