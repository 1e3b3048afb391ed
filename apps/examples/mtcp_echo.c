/* mtcp_echo.c: an mTCP application written as for upstream mTCP (same
 * headers, same calls, same structure as mTCP's examples), used to check that
 * `cc mtcp_echo.c $(pkg-config --cflags --libs kbnet)` builds one unchanged.
 * Not built by meson on purpose: tests/integration/t_apps_install.sh builds
 * it against an installed kbnet.
 *
 *   mtcp_echo -f CONF [-p PORT]   echoes every byte back, one core */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mtcp_api.h>
#include <mtcp_epoll.h>

#define MAX_EVENTS 1024

static volatile int done;

static void SignalHandler(int signum)
{
	(void)signum;
	done = 1;
}

static int AcceptConnections(mctx_t mctx, int ep, int listener)
{
	struct mtcp_epoll_event ev;
	int c;
	while ((c = mtcp_accept(mctx, listener, NULL, NULL)) >= 0) {
		mtcp_setsock_nonblock(mctx, c);
		ev.events = MTCP_EPOLLIN;
		ev.data.sockid = c;
		mtcp_epoll_ctl(mctx, ep, MTCP_EPOLL_CTL_ADD, c, &ev);
	}
	return errno == EAGAIN ? 0 : -1;
}

static void Echo(mctx_t mctx, int ep, int sockid)
{
	char buf[8192];
	ssize_t r;
	while ((r = mtcp_read(mctx, sockid, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;
		while (off < r) {
			ssize_t w = mtcp_write(mctx, sockid, buf + off, (size_t)(r - off));
			if (w <= 0)
				break;   /* a slow reader: this example drops the rest */
			off += w;
		}
	}
	if (r == 0 || (r < 0 && errno != EAGAIN)) {
		mtcp_epoll_ctl(mctx, ep, MTCP_EPOLL_CTL_DEL, sockid, NULL);
		mtcp_close(mctx, sockid);
	}
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int port = 7, o;
	while ((o = getopt(argc, argv, "f:p:h")) != -1) {
		if (o == 'f')
			conf = optarg;
		else if (o == 'p')
			port = atoi(optarg);
		else {
			printf("usage: %s -f CONF [-p PORT]\n", argv[0]);
			return o == 'h' ? 0 : 2;
		}
	}
	if (!conf || port <= 0 || port > 65535) {
		fprintf(stderr, "usage: %s -f CONF [-p PORT]\n", argv[0]);
		return 2;
	}
	if (mtcp_init(conf)) {
		fprintf(stderr, "Failed to initialize mtcp\n");
		return 1;
	}
	mtcp_register_signal(SIGINT, SignalHandler);
	mtcp_core_affinitize(0);
	mctx_t mctx = mtcp_create_context(0);
	if (!mctx) {
		fprintf(stderr, "Failed to create mtcp context\n");
		mtcp_destroy();
		return 1;
	}
	int ep = mtcp_epoll_create(mctx, MAX_EVENTS);
	int listener = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in saddr = { .sin_family = AF_INET, .sin_addr.s_addr = INADDR_ANY,
				     .sin_port = htons((uint16_t)port) };
	mtcp_setsock_nonblock(mctx, listener);
	if (mtcp_bind(mctx, listener, (struct sockaddr *)&saddr, sizeof(saddr)) < 0 ||
	    mtcp_listen(mctx, listener, 4096) < 0) {
		fprintf(stderr, "Failed to listen on port %d\n", port);
		return 1;
	}
	struct mtcp_epoll_event ev = { .events = MTCP_EPOLLIN, .data.sockid = listener };
	mtcp_epoll_ctl(mctx, ep, MTCP_EPOLL_CTL_ADD, listener, &ev);
	printf("mtcp_echo: listening on port %d\n", port);
	fflush(stdout);

	struct mtcp_epoll_event *events = calloc(MAX_EVENTS, sizeof(*events));
	while (!done) {
		int n = mtcp_epoll_wait(mctx, ep, events, MAX_EVENTS, 100);
		for (int i = 0; i < n; i++) {
			if (events[i].data.sockid == listener)
				AcceptConnections(mctx, ep, listener);
			else
				Echo(mctx, ep, events[i].data.sockid);
		}
	}
	free(events);
	mtcp_destroy_context(mctx);
	mtcp_destroy();
	return 0;
}
