/* tcp_pool.c: preallocated connection blocks (see tcp_pool.h). */
#include "tcp_pool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tcp.h"

int tcp_pool_init(struct tcp_pool *pl, uint32_t n, uint32_t rcv, uint32_t snd)
{
	memset(pl, 0, sizeof(*pl));
	pl->n = n;
	pl->rcv = rcv;
	pl->snd = snd;
	/* per slot the rings that index its payload buffers (mbufs) */
	pl->slot_len = (size_t)rcvbuf_slots(rcv) * sizeof(struct rcv_piece) +
		       (size_t)sndbuf_slots(snd) * sizeof(struct snd_chunk);
	pl->pcbs = calloc(n, sizeof(*pl->pcbs));
	pl->bufs_len = (size_t)n * pl->slot_len;
	pl->bufs = mmap(NULL, pl->bufs_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!pl->pcbs || pl->bufs == MAP_FAILED) {
		pl->bufs = NULL;
		tcp_pool_fini(pl);
		return -1;
	}
	/* LIFO: slot 0 first, so few slots get their pages touched */
	for (uint32_t i = n; i-- > 0;)
		tcp_pool_put(pl, &pl->pcbs[i]);
	return 0;
}

void tcp_pool_fini(struct tcp_pool *pl)
{
	free(pl->pcbs);
	if (pl->bufs)
		munmap(pl->bufs, pl->bufs_len);
	memset(pl, 0, sizeof(*pl));
}

struct tcp_pcb *tcp_pool_get(struct tcp_pool *pl)
{
	struct tcp_pcb *p = pl->free;

	if (!p)
		return NULL;
	pl->free = p->hnext;
	memset(p, 0, sizeof(*p));
	uint8_t *b = pl->bufs + (size_t)(p - pl->pcbs) * pl->slot_len;
	struct rcv_piece *rp = (struct rcv_piece *)b;

	rcvbuf_setup(&p->rb, NULL, pl->rcv, rp, 0);
	sndbuf_setup(&p->sb, NULL, pl->snd, (struct snd_chunk *)(rp + rcvbuf_slots(pl->rcv)), 0);
	return p;
}

void tcp_pool_put(struct tcp_pool *pl, struct tcp_pcb *p)
{
	p->hnext = pl->free;
	pl->free = p;
}
