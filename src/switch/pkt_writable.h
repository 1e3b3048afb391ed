/* pkt_writable: a packet a module may write to.
 *
 * Replicate hands the same mbuf to several gates (refcnt, not copies), so a
 * module that changes bytes (Rewrite, VLANPush, VLANPop, RandomUpdate)
 * first makes sure it owns every segment; when it does not, it works on a
 * private copy and lets go of its reference to the shared one. */
#ifndef KB_SWITCH_PKT_WRITABLE_H
#define KB_SWITCH_PKT_WRITABLE_H

#include <rte_mbuf.h>

/* pkt itself, or a private copy (pkt is then released); NULL when the
 * copy could not be made (pkt is released too: the caller counts a drop). */
static inline struct rte_mbuf *pkt_writable(struct rte_mempool *mp, struct rte_mbuf *pkt)
{
	struct rte_mbuf *s, *c;

	for (s = pkt; s; s = s->next)
		if (!RTE_MBUF_DIRECT(s) || rte_mbuf_refcnt_read(s) != 1)
			break;
	if (likely(!s))
		return pkt;
	c = rte_pktmbuf_copy(pkt, mp, 0, UINT32_MAX);
	rte_pktmbuf_free(pkt);
	return c;
}

#endif
