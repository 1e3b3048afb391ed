/* dpdk_eal_init.c: rte_eal_init() with what it prints held back.
 *
 * EAL answers a bad argument with getopt's line on stderr and its whole
 * usage text (~100 lines) on stdout; a VM's user wants the one line that
 * says why, at the config line that caused it (eal_args).  So stdout and
 * stderr go to memory files while EAL initialises: on success what EAL
 * printed is passed on unchanged; on failure the caller gets that line,
 * and what EAL printed is passed on too unless it was the usage text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "dpdk_priv.h"

#define HELD_MAX (256 * 1024)   /* EAL prints a few KB; more is dropped */

/* Reads what fd held (up to cap - 1 bytes) into buf; returns its length. */
static size_t slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static void pass_on(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* The first line of text containing key (with "prog: " dropped), or "". */
static void first_line(const char *text, const char *key, char *why, size_t len)
{
	const char *p = key ? strstr(text, key) : text;

	if (!p || !len)
		return;
	while (p > text && p[-1] != '\n')
		p--;
	size_t l = strcspn(p, "\n");
	const char *colon = memchr(p, ':', l);

	/* getopt's "kbdpdk: unrecognized option '--x'": the program is ours */
	if (colon && colon[1] == ' ' && strncmp(p, "EAL", 3)) {
		l -= (size_t)(colon + 2 - p);
		p = colon + 2;
	}
	snprintf(why, len, "%.*s", (int)l, p);
}

int dpdk_eal_init(int argc, char **argv, char *why, size_t len, bool *bad_args)
{
	int hold[2] = { memfd_create("kb_eal_stdout", MFD_CLOEXEC),
			memfd_create("kb_eal_stderr", MFD_CLOEXEC) };
	int saved[2] = { -1, -1 };
	int rc, e;

	*bad_args = false;
	if (why && len)
		why[0] = '\0';
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		if (hold[i] >= 0)
			saved[i] = dup(i + 1);
		if (saved[i] < 0 || dup2(hold[i], i + 1) < 0) {
			/* cannot hold it back: EAL prints as it always did */
			if (saved[i] >= 0)
				close(saved[i]);
			if (hold[i] >= 0)
				close(hold[i]);
			saved[i] = hold[i] = -1;
		}
	}
	rc = rte_eal_init(argc, argv);
	e = rte_errno;
	fflush(stdout);
	fflush(stderr);
	char *text[2] = { NULL, NULL };
	size_t n[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		if (hold[i] < 0)
			continue;
		dup2(saved[i], i + 1);
		close(saved[i]);
		if ((text[i] = malloc(HELD_MAX)))
			n[i] = slurp(hold[i], text[i], HELD_MAX);
		close(hold[i]);
	}
	const char *out = text[0] ? text[0] : "", *err = text[1] ? text[1] : "";

	/* EAL printed its usage: the arguments were the trouble, and its
	 * usage text is noise; anything else EAL said is passed on */
	*bad_args = rc < 0 && (strstr(out, "Usage:") || strstr(err, "Usage:"));
	if (!*bad_args)
		for (int i = 0; i < 2; i++)
			if (text[i])
				pass_on(i + 1, text[i], n[i]);
	if (rc < 0 && why && len) {
		static const char *const keys[] = { "unrecognized option", "invalid option",
			"requires an argument", "doesn't allow an argument", "is ambiguous",
			"invalid", "Invalid", "Cannot", "cannot", "error", "Error" };

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && !why[0]; k++) {
			first_line(err, keys[k], why, len);
			if (!why[0])
				first_line(out, keys[k], why, len);
		}
		if (!why[0])
			snprintf(why, len, "%s", rte_strerror(e));
	}
	free(text[0]);
	free(text[1]);
	rte_errno = e;
	return rc;
}
