/* kbctl: asks a running kbswitch through its control socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage[] =
	"usage: kbctl [--ctl PATH] COMMAND\n"
	"  show port                 ports with their DPDK counters\n"
	"  show module               modules with their drops and state\n"
	"  show pipeline             modules, per-gate packet/byte counters, workers\n"
	"  add l2 NAME MAC GATE      add MAC -> GATE to L2Forward NAME\n"
	"  del l2 NAME MAC           delete MAC from L2Forward NAME\n"
	"  --ctl PATH                kbswitch's control socket (default /tmp/kbswitch.ctl)\n"
	"  COMMAND --help            help on one command\n";

static const char *const cmd_help[][2] = {
	{"show", "usage: kbctl show port|module|pipeline\n"
		 "Per-module 'drops' counts packets to unconnected gates and the module's\n"
		 "own drops (L2Forward misses and runts, QueueOut's full tx ring).\n"},
	{"add", "usage: kbctl add l2 NAME MAC GATE\n"
		"Adds MAC (02:00:00:00:00:01) -> output GATE to L2Forward NAME while it runs.\n"},
	{"del", "usage: kbctl del l2 NAME MAC\n"
		"Deletes MAC from L2Forward NAME while it runs.\n"},
};

int main(int argc, char **argv)
{
	const char *path = "/tmp/kbswitch.ctl";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[512] = "", buf[4096];
	int i = 1, fd;
	ssize_t r;
	int failed = 0, first = 1;

	if (argc > 2 && !strcmp(argv[1], "--ctl")) {
		path = argv[2];
		i = 3;
	}
	if (i >= argc || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
		fputs(usage, i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	for (int k = i; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			for (size_t h = 0; h < sizeof(cmd_help) / sizeof(cmd_help[0]); h++)
				if (!strcmp(argv[i], cmd_help[h][0])) {
					fputs(cmd_help[h][1], stdout);
					return 0;
				}
			fputs(usage, stdout);
			return 0;
		}
	for (int k = i; k < argc; k++) {
		if (strlen(line) + strlen(argv[k]) + 2 >= sizeof(line)) {
			fprintf(stderr, "kbctl: command too long\n");
			return 2;
		}
		strcat(line, k > i ? " " : "");
		strcat(line, argv[k]);
	}
	strcat(line, "\n");
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "kbctl: socket path too long: %s\n", path);
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "kbctl: cannot connect to %s: %s (is kbswitch running with --ctl %s?)\n",
			path, strerror(errno), path);
		return 1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "kbctl: write: %s\n", strerror(errno));
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (first && r >= 6 && !strncmp(buf, "error:", 6))
			failed = 1;
		first = 0;
		fwrite(buf, 1, (size_t)r, failed ? stderr : stdout);
	}
	close(fd);
	return failed;
}
