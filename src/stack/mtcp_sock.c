/* mtcp_sock.c: a context's socket table (a preallocated array with a
 * free list) and readiness: what a socket's state means in epoll terms,
 * and queuing a socket whose state changed on its epoll's ready ring.
 * The stack reports changes through mtcp_sock_on_event(). */
#include <errno.h>
#include <string.h>

#include "mtcp_core.h"

struct mtcp_sock *mtcp_sock_get(struct mtcp_context *c, int id)
{
	if (!c || id < 0 || id >= c->n_socks || c->socks[id].type == MTCP_SOCK_UNUSED)
		return NULL;
	return &c->socks[id];
}

int mtcp_sock_alloc(struct mtcp_context *c, enum socket_type t)
{
	int id = c->free_head;

	if (id < 0) {
		errno = ENFILE;
		return -1;
	}
	struct mtcp_sock *s = &c->socks[id];

	c->free_head = s->next_free;
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->type = t;
	s->ep = -1;
	c->n_used++;
	return id;
}

void mtcp_sock_release(struct mtcp_context *c, struct mtcp_sock *s)
{
	int id = s->id;

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->ep = -1;
	s->type = MTCP_SOCK_UNUSED;
	s->next_free = c->free_head;
	c->free_head = id;
	c->n_used--;
}

uint32_t mtcp_sock_events(struct mtcp_context *c, struct mtcp_sock *s)
{
	uint32_t ev = 0;
	struct tcp_pcb *p = s->pcb;

	(void)c;
	switch (s->type) {
	case MTCP_SOCK_STREAM:
		if (!p)
			return 0;
		if (tcp_readable(p) || p->fin_rcvd)
			ev |= MTCP_EPOLLIN;
		if (p->fin_rcvd)
			ev |= MTCP_EPOLLRDHUP;
		if (tcp_can_send(p))
			ev |= MTCP_EPOLLOUT;
		if (p->err)
			ev |= MTCP_EPOLLERR | MTCP_EPOLLIN | MTCP_EPOLLOUT;
		if (p->state == TCP_CLOSED && p->state != TCP_SYN_SENT)
			ev |= MTCP_EPOLLHUP;
		break;
	case MTCP_SOCK_LISTENER:
		if (s->lst && s->lst->acc_head)
			ev |= MTCP_EPOLLIN;
		break;
	case MTCP_SOCK_PIPE:
		if (s->pipe->rd == s->id) {
			if (s->pipe->len)
				ev |= MTCP_EPOLLIN;
			if (s->pipe->wr < 0)
				ev |= MTCP_EPOLLIN | MTCP_EPOLLHUP;
		} else {
			if (s->pipe->len < MTCP_PIPE_SIZE)
				ev |= MTCP_EPOLLOUT;
			if (s->pipe->rd < 0)
				ev |= MTCP_EPOLLERR;
		}
		break;
	default:
		break;
	}
	return ev;
}

void mtcp_ready_push(struct mtcp_epoll *e, struct mtcp_sock *s)
{
	/* A closed socket's entry may linger until popped; the tag tells it
	 * from the entry of a new socket with the same id. */
	s->ring_tag = ++e->tag;
	e->ring[(e->head + e->n) % e->cap] = (struct mtcp_ready){ s->id, s->ring_tag };
	e->n++;
}

/* Drop stale entries; live ones (at most one per socket) always fit. */
static void ring_compact(struct mtcp_context *c, struct mtcp_epoll *e, int epid)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->n; i++) {
		struct mtcp_ready r = e->ring[(e->head + i) % e->cap];
		struct mtcp_sock *s = &c->socks[r.id];

		if (s->type != MTCP_SOCK_UNUSED && s->ep == epid && s->queued && s->ring_tag == r.tag)
			e->ring[(e->head + n++) % e->cap] = r;
	}
	e->n = n;
}

void mtcp_sock_notify(struct mtcp_context *c, struct mtcp_sock *s)
{
	if (!s || s->ep < 0 || s->queued || !s->ep_mask)
		return;
	struct mtcp_epoll *e = &c->eps[s->ep];

	if (!e->ring)
		return;
	if (e->n >= e->cap)
		ring_compact(c, e, s->ep);
	s->queued = true;
	mtcp_ready_push(e, s);
}

void mtcp_sock_on_event(void *ctx, void *user, unsigned ev)
{
	(void)ev;
	mtcp_sock_notify(ctx, user);
}
