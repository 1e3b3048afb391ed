/* mtcp_epoll.c: mTCP's epoll.  Each epoll keeps a ring of socket ids that
 * may have events; the stack's readiness callbacks push sockets on it.
 * epoll_wait re-checks each one's real state, so a stale entry costs a
 * check and never a false event.  Level-triggered entries go back on the
 * ring after being reported; edge-triggered ones wait for the next change;
 * one-shot ones are disarmed until EPOLL_CTL_MOD. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mtcp_core.h"

#define ALWAYS_EVENTS (MTCP_EPOLLERR | MTCP_EPOLLHUP)

int mtcp_epoll_create1(mctx_t c, int flags)
{
	(void)flags;
	if (!c) {
		errno = EACCES;
		return -1;
	}
	int id = mtcp_sock_alloc(c, MTCP_SOCK_EPOLL);

	if (id < 0)
		return -1;
	/* room for every socket once plus stale entries of closed ones */
	c->eps[id].cap = 2u * (uint32_t)c->n_socks;
	c->eps[id].ring = malloc(sizeof(struct mtcp_ready) * c->eps[id].cap);
	c->eps[id].head = c->eps[id].n = 0;
	if (!c->eps[id].ring) {
		mtcp_sock_release(c, &c->socks[id]);
		errno = ENOMEM;
		return -1;
	}
	return id;
}

void mtcp_epoll_destroy(struct mtcp_context *c, int id)
{
	for (int i = 0; i < c->n_socks; i++)
		if (c->socks[i].ep == id) {
			c->socks[i].ep = -1;
			c->socks[i].queued = false;
		}
	free(c->eps[id].ring);
	memset(&c->eps[id], 0, sizeof(c->eps[id]));
}

int mtcp_epoll_create(mctx_t c, int size)
{
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return mtcp_epoll_create1(c, 0);
}

int mtcp_epoll_ctl(mctx_t c, int epid, int op, int id, struct mtcp_epoll_event *ev)
{
	struct mtcp_sock *ep = mtcp_sock_get(c, epid);
	struct mtcp_sock *s = mtcp_sock_get(c, id);

	if (!ep || !s) {
		errno = EBADF;
		return -1;
	}
	if (ep->type != MTCP_SOCK_EPOLL || s == ep || s->type == MTCP_SOCK_EPOLL) {
		errno = EINVAL;
		return -1;
	}
	switch (op) {
	case MTCP_EPOLL_CTL_ADD:
		if (s->ep >= 0) {
			errno = EEXIST;
			return -1;
		}
		/* fallthrough */
	case MTCP_EPOLL_CTL_MOD:
		if (!ev) {
			errno = EINVAL;
			return -1;
		}
		if (op == MTCP_EPOLL_CTL_MOD && s->ep != epid) {
			errno = ENOENT;
			return -1;
		}
		s->ep = epid;
		s->ep_mask = ev->events | ALWAYS_EVENTS;
		s->ep_data = ev->data;
		/* already ready: report it, as epoll does on ADD/MOD */
		if (mtcp_sock_events(c, s) & s->ep_mask)
			mtcp_sock_notify(c, s);
		return 0;
	case MTCP_EPOLL_CTL_DEL:
		if (s->ep != epid) {
			errno = ENOENT;
			return -1;
		}
		s->ep = -1;
		s->ep_mask = 0;
		s->queued = false;   /* a stale ring entry is skipped */
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

static int collect(struct mtcp_context *c, int epid, struct mtcp_epoll_event *out, int max)
{
	struct mtcp_epoll *e = &c->eps[epid];
	uint32_t todo = e->n;
	int n = 0;

	while (todo-- && n < max) {
		struct mtcp_ready r = e->ring[e->head];
		int id = r.id;
		struct mtcp_sock *s = &c->socks[id];

		e->head = (e->head + 1) % e->cap;
		e->n--;
		if (s->type == MTCP_SOCK_UNUSED || s->ep != epid || !s->queued ||
		    s->ring_tag != r.tag)
			continue;   /* closed, moved or deleted since queued */
		s->queued = false;
		uint32_t ev = mtcp_sock_events(c, s) & s->ep_mask;

		if (!ev)
			continue;
		out[n].events = ev;
		out[n].data = s->ep_data;
		n++;
		if (s->ep_mask & MTCP_EPOLLONESHOT)
			s->ep_mask = 0;
		else if (!(s->ep_mask & MTCP_EPOLLET)) {
			s->queued = true;   /* level-triggered: ask again next time */
			mtcp_ready_push(e, s);
		}
	}
	return n;
}

int mtcp_epoll_wait(mctx_t c, int epid, struct mtcp_epoll_event *events, int maxevents,
		    int timeout)
{
	struct mtcp_sock *ep = mtcp_sock_get(c, epid);

	if (!ep || ep->type != MTCP_SOCK_EPOLL) {
		errno = EBADF;
		return -1;
	}
	if (!events || maxevents <= 0) {
		errno = EINVAL;
		return -1;
	}
	uint64_t deadline = timeout > 0 ? mtcp_now_us() + (uint64_t)timeout * 1000u : 0;

	for (;;) {
		/* the application is back in the loop: what it queued leaves */
		int work = mtcp_loop_poll(&c->loop);
		int n = collect(c, epid, events, maxevents);

		if (n)
			return n;
		if (timeout == 0)
			return 0;
		if (mtcp_interrupted(c)) {
			errno = EINTR;
			return -1;
		}
		uint64_t now = mtcp_now_us();

		if (timeout > 0 && now >= deadline)
			return 0;
		if (!work)
			mtcp_loop_wait(&c->loop, timeout > 0 ? (uint32_t)(deadline - now) : UINT32_MAX);
	}
}
