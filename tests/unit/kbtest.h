/* kbtest.h: the smallest test harness that tells the truth.
 *
 * Each TEST prints "PASS: name" or "FAIL: name: file:line: expr" (the
 * protocol tests/run counts), and kbtest_main() returns non-zero if any
 * check failed.  A test that runs no check is a failure. */
#ifndef KBTEST_H
#define KBTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kbtest { const char *name; void (*fn)(void); };

static int kbtest_checks, kbtest_failed_here, kbtest_failures;
static const char *kbtest_current;

#define CHECK(expr) do { \
	kbtest_checks++; \
	if (!(expr)) { \
		if (!kbtest_failed_here) \
			printf("FAIL: %s: %s:%d: %s\n", kbtest_current, __FILE__, __LINE__, #expr); \
		kbtest_failed_here = 1; \
	} } while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	kbtest_checks++; \
	if (_a != _b) { \
		if (!kbtest_failed_here) \
			printf("FAIL: %s: %s:%d: %s == %s (%lld != %lld)\n", kbtest_current, \
			       __FILE__, __LINE__, #a, #b, _a, _b); \
		kbtest_failed_here = 1; \
	} } while (0)

#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	kbtest_checks++; \
	if (!_a || !_b || strcmp(_a, _b)) { \
		if (!kbtest_failed_here) \
			printf("FAIL: %s: %s:%d: \"%s\" == \"%s\"\n", kbtest_current, \
			       __FILE__, __LINE__, _a ? _a : "(null)", _b ? _b : "(null)"); \
		kbtest_failed_here = 1; \
	} } while (0)

static inline int kbtest_main(const struct kbtest *t, size_t n, int argc, char **argv)
{
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(t[i].name, argv[1]))
			continue;
		int before = kbtest_checks;

		kbtest_current = t[i].name;
		kbtest_failed_here = 0;
		t[i].fn();
		if (!kbtest_failed_here && kbtest_checks == before) {
			printf("FAIL: %s: ran no check\n", t[i].name);
			kbtest_failed_here = 1;
		}
		if (kbtest_failed_here)
			kbtest_failures++;
		else
			printf("PASS: %s\n", t[i].name);
		fflush(stdout);
	}
	return kbtest_failures ? 1 : 0;
}

#define KBTEST_MAIN(...) \
	int main(int argc, char **argv) { \
		static const struct kbtest _t[] = { __VA_ARGS__ }; \
		return kbtest_main(_t, sizeof(_t) / sizeof(_t[0]), argc, argv); \
	}
#define T(fn) { #fn, fn }

#endif
