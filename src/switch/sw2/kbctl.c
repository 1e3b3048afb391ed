/* kbctl: talk to a running kbswitch (sw2) over its control socket.
 *
 *   kbctl [--ctl PATH] show port|module|pipeline
 *   kbctl [--ctl PATH] add l2 NAME MAC GATE
 *   kbctl [--ctl PATH] del l2 NAME MAC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_DEFAULT "/tmp/kbswitch.ctl"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbctl [--ctl PATH] COMMAND\n"
		"  show port            ports with rx/tx/missed/error counters\n"
		"  show module          modules with their counters and per-gate packets/bytes\n"
		"  show pipeline        the connections (module:ogate -> igate:module)\n"
		"  add l2 NAME MAC GATE add MAC -> GATE to L2Forward NAME\n"
		"  del l2 NAME MAC      delete MAC from L2Forward NAME\n"
		"  --ctl PATH           the switch's control socket (default %s)\n"
		"  -h, --help           this text\n", CTL_DEFAULT);
}

static int ok_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int ok_mac(const char *s)
{
	unsigned b[6];
	char tail;
	return strlen(s) == 17 &&
	       sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		      &b[5], &tail) == 6;
}

int main(int argc, char **argv)
{
	const char *path = CTL_DEFAULT;
	char req[512];
	int i = 1;

	for (; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--ctl") && i + 1 < argc) {
			path = argv[++i];
		} else {
			break;
		}
	}
	int n = argc - i;
	char **a = argv + i;
	if (n == 2 && !strcmp(a[0], "show") &&
	    (!strcmp(a[1], "port") || !strcmp(a[1], "module") || !strcmp(a[1], "pipeline"))) {
		snprintf(req, sizeof(req), "show %s\n", a[1]);
	} else if (n == 5 && !strcmp(a[0], "add") && !strcmp(a[1], "l2")) {
		char *end;
		long g = strtol(a[4], &end, 10);
		if (!ok_name(a[2]) || !ok_mac(a[3]) || *end || end == a[4] || g < 0 || g > 16383) {
			fprintf(stderr, "kbctl: add l2 NAME MAC GATE: a module name, a MAC like "
				"02:00:00:00:00:01 and a gate number are expected\n");
			return 2;
		}
		snprintf(req, sizeof(req), "call %s.add(entries=[{'addr': '%s', 'gate': %ld}])\n",
			 a[2], a[3], g);
	} else if (n == 4 && !strcmp(a[0], "del") && !strcmp(a[1], "l2")) {
		if (!ok_name(a[2]) || !ok_mac(a[3])) {
			fprintf(stderr, "kbctl: del l2 NAME MAC: a module name and a MAC like "
				"02:00:00:00:00:01 are expected\n");
			return 2;
		}
		snprintf(req, sizeof(req), "call %s.delete(addrs=['%s'])\n", a[2], a[3]);
	} else {
		usage(stderr);
		return 2;
	}

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "kbctl: --ctl %s: path too long\n", path);
		return 1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("kbctl: connect");
		fprintf(stderr, "kbctl: is kbswitch running with --ctl %s?\n", path);
		return 1;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		perror("kbctl: write");
		return 1;
	}
	char buf[4096];
	ssize_t r;
	int failed = 0, first = 1;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (first && r >= 6 && !memcmp(buf, "error:", 6))
			failed = 1;
		first = 0;
		fwrite(buf, 1, (size_t)r, stdout);
	}
	close(fd);
	return failed;
}
