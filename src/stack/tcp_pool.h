/* tcp_pool.h: one core's connection blocks, preallocated.
 *
 * max_conns pcbs in one array, and each slot's receive and send rings
 * (the piece and chunk slots that index its payload buffers; the payload
 * itself lives in mbufs, tcp_buf.h) in one anonymous mapping made when the
 * stack is created, so opening a connection (a SYN, a connect) never
 * reaches malloc: it pops a slot from a free list.  Single-threaded per core (shared nothing), so no locks.
 * The mapping reserves address space only (MAP_NORESERVE): a slot's
 * ring pages are backed once a connection in it first touches them, and
 * the free list is LIFO so a few hot slots serve short connections. */
#ifndef TCP_POOL_H
#define TCP_POOL_H

#include <stddef.h>
#include <stdint.h>

struct tcp_pcb;

struct tcp_pool {
	struct tcp_pcb *pcbs;
	uint8_t *bufs;            /* slot i: rcv pieces, then snd chunks */
	size_t bufs_len, slot_len;
	uint32_t n, rcv, snd;
	struct tcp_pcb *free;     /* linked through hnext */
};

/* Returns -1 when the memory cannot be had. */
int tcp_pool_init(struct tcp_pool *pl, uint32_t n, uint32_t rcv, uint32_t snd);
void tcp_pool_fini(struct tcp_pool *pl);
/* A zeroed pcb whose rb/sb are set up over its slot's rings (no buffer
 * ops yet: the stack sets them), or NULL when all are in use. */
struct tcp_pcb *tcp_pool_get(struct tcp_pool *pl);
void tcp_pool_put(struct tcp_pool *pl, struct tcp_pcb *p);

#endif
