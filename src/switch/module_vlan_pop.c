/* VLANPop(): removes the outer 802.1Q/802.1ad tag (TPID 0x8100, 0x88a8 or
 * 0x9100); an untagged frame passes unchanged. */
#include <string.h>

#include <rte_ether.h>

#include "pipeline.h"
#include "pkt_writable.h"

struct vlan_pop {
	uint64_t popped, untagged, nomem;
};

static int vpop_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {NULL};
	return script_args_check(a, "VLANPop", allowed, err);
}

static bool is_tagged(const struct rte_mbuf *p)
{
	const uint8_t *d = rte_pktmbuf_mtod(p, const uint8_t *);
	uint16_t tpid;

	if (rte_pktmbuf_data_len(p) < RTE_ETHER_HDR_LEN + 4)
		return false;
	tpid = (uint16_t)(d[12] << 8 | d[13]);
	return tpid == RTE_ETHER_TYPE_VLAN || tpid == RTE_ETHER_TYPE_QINQ ||
	       tpid == RTE_ETHER_TYPE_QINQ1;
}

static void vpop_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct vlan_pop *v = m->priv;
	uint16_t n = 0;

	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *p = b->pkts[i];
		uint8_t *d;

		if (!is_tagged(p)) {
			v->untagged++;
			b->pkts[n++] = p;
			continue;
		}
		if (!(p = pkt_writable(m->pl->pool, p))) {
			v->nomem++;
			m->drops++;
			continue;
		}
		d = rte_pktmbuf_mtod(p, uint8_t *);
		memmove(d + 4, d, 2 * RTE_ETHER_ADDR_LEN);
		rte_pktmbuf_adj(p, 4);
		v->popped++;
		b->pkts[n++] = p;
	}
	b->cnt = n;
	module_emit(w, m, 0, b);
}

static void vpop_describe(const struct module *m, char *buf, size_t len)
{
	const struct vlan_pop *v = m->priv;
	snprintf(buf, len, "popped=%" PRIu64 " untagged=%" PRIu64 " nomem=%" PRIu64,
		 v->popped, v->untagged, v->nomem);
}

const struct module_class mod_vlan_pop = {
	.name = "VLANPop",
	.help = "removes the outer VLAN tag: VLANPop()",
	.priv_size = sizeof(struct vlan_pop),
	.max_igates = 1,
	.max_ogates = 1,
	.init = vpop_init,
	.process = vpop_process,
	.describe = vpop_describe,
};
