#include "kb_wait.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define KICK_TAG (-1)

int kb_wait_init(struct kb_wait *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = KICK_TAG };

	w->n_fds = 0;
	w->sleeping = 0;
	w->blocks = w->kicks = 0;
	w->kickfd = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -1;
	w->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->kickfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->kickfd, &ev) < 0) {
		int e = errno;

		kb_wait_fini(w);
		errno = e;
		return -1;
	}
	return 0;
}

void kb_wait_fini(struct kb_wait *w)
{
	if (w->kickfd >= 0)
		close(w->kickfd);
	if (w->epfd >= 0)
		close(w->epfd);
	w->kickfd = w->epfd = -1;
}

int kb_wait_add(struct kb_wait *w, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	w->n_fds++;
	return 0;
}

int kb_wait_del(struct kb_wait *w, int fd)
{
	if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		return -1;
	w->n_fds--;
	return 0;
}

int kb_wait_block(struct kb_wait *w, int64_t timeout_ns, int *ready, int max)
{
	struct epoll_event ev[16];
	struct timespec ts, *tp = NULL;

	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tp = &ts;
	}
	__atomic_fetch_add(&w->blocks, 1, __ATOMIC_RELAXED);
	/* epoll_pwait2: a nanosecond timeout (epoll_wait's is in ms).  Where
	 * it is missing (kernels before 5.11, valgrind 3.19, seccomp profiles
	 * that predate it) epoll_wait with the timeout rounded up to a ms:
	 * otherwise every block would return at once and the loop spin */
	static int no_pwait2;
	int n = -1;

	if (!__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
		n = epoll_pwait2(w->epfd, ev, 16, tp, NULL);
		if (n < 0 && errno == ENOSYS)
			__atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
		int64_t ms = timeout_ns < 0 ? -1 : (timeout_ns + 999999) / 1000000;

		n = epoll_wait(w->epfd, ev, 16, ms > INT32_MAX ? INT32_MAX : (int)ms);
	}
	int k = 0;

	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == KICK_TAG) {
			uint64_t v;

			if (read(w->kickfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				continue;
		} else if (k < max) {
			ready[k++] = ev[i].data.fd;
		}
	}
	return n;
}

void kb_wait_kick(struct kb_wait *w)
{
	uint64_t one = 1;
	ssize_t r;

	if (w->kickfd < 0)
		return;
	__atomic_fetch_add(&w->kicks, 1, __ATOMIC_RELAXED);
	/* EAGAIN: the counter is already non-zero, the owner wakes anyway */
	do
		r = write(w->kickfd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
}
