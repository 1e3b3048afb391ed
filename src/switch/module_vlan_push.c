/* VLANPush(tci=N): inserts a VLAN tag after the MAC addresses, as BESS does:
 * TPID 0x8100, or 0x88a8 (802.1ad) when the frame is already tagged.  A
 * frame shorter than an Ethernet header is a counted drop (runt), as is one
 * without 4 bytes of headroom. */
#include <string.h>

#include <rte_ether.h>

#include "kb_parse.h"
#include "pipeline.h"
#include "pkt_writable.h"

struct vlan_push {
	uint16_t tci;             /* set_tci writes it from the control side */
	uint64_t pushed, runts, nomem;
};

static int get_tci(const struct script_args *a, const char *what, uint16_t *tci,
		   struct kb_err *err)
{
	static const char *const allowed[] = {"tci", "", NULL};
	int64_t v = 0;

	if (script_args_check(a, what, allowed, err) < 0)
		return -1;
	if (!script_args_get(a, "tci") && script_args_get(a, ""))
		return script_value_int(script_args_get(a, ""), "tci", 0, 0xffff, &v, err) ||
		       (*tci = (uint16_t)v, 0);
	if (script_arg_int(a, what, "tci", 1, 0, 0xffff, &v, err) < 0)
		return -1;
	*tci = (uint16_t)v;
	return 0;
}

static int vpush_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	struct vlan_push *v = m->priv;
	return get_tci(a, "VLANPush", &v->tci, err);
}

static int cmd_set_tci(struct module *m, const struct script_args *a,
		       struct script_value **res, struct kb_err *err)
{
	struct vlan_push *v = m->priv;
	uint16_t tci;

	if (get_tci(a, "VLANPush.set_tci", &tci, err) < 0)
		return -1;
	__atomic_store_n(&v->tci, tci, __ATOMIC_RELAXED);
	return 0;
}

/* kbctl command module NAME set_tci N */
static int ctl_set_tci(struct module *m, int argc, char *const argv[], FILE *out,
		       struct kb_err *err)
{
	struct vlan_push *v = m->priv;
	long long tci;

	if (kb_parse_int(argv[0], 0, 0xffff, &tci) < 0)
		return kb_err_set(err, "tci '%s' is not an integer 0..65535", argv[0]);
	__atomic_store_n(&v->tci, (uint16_t)tci, __ATOMIC_RELAXED);
	fprintf(out, "ok\n");
	return 0;
}

static void vpush_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct vlan_push *v = m->priv;
	uint16_t tci = __atomic_load_n(&v->tci, __ATOMIC_RELAXED), n = 0;

	for (uint16_t i = 0; i < b->cnt; i++) {
		struct rte_mbuf *p = b->pkts[i];
		uint8_t *d;
		uint16_t tpid, type;

		if (rte_pktmbuf_data_len(p) < RTE_ETHER_HDR_LEN) {
			v->runts++;
			module_drop(m, p);
			continue;
		}
		if (!(p = pkt_writable(m->pl->pool, p)) || !(d = (uint8_t *)rte_pktmbuf_prepend(p, 4))) {
			v->nomem++;
			if (p)
				module_drop(m, p);
			else
				m->drops++;
			continue;
		}
		memmove(d, d + 4, 2 * RTE_ETHER_ADDR_LEN);
		type = (uint16_t)(d[16] << 8 | d[17]);
		tpid = type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ ?
		       RTE_ETHER_TYPE_QINQ : RTE_ETHER_TYPE_VLAN;
		d[12] = (uint8_t)(tpid >> 8);
		d[13] = (uint8_t)tpid;
		d[14] = (uint8_t)(tci >> 8);
		d[15] = (uint8_t)tci;
		v->pushed++;
		b->pkts[n++] = p;
	}
	b->cnt = n;
	module_emit(w, m, 0, b);
}

static void vpush_describe(const struct module *m, char *buf, size_t len)
{
	const struct vlan_push *v = m->priv;
	snprintf(buf, len, "tci=%u pushed=%" PRIu64 " runts=%" PRIu64 " nomem=%" PRIu64,
		 v->tci, v->pushed, v->runts, v->nomem);
}

static const struct module_cmd vpush_cmds[] = {
	{"set_tci", "set_tci(tci=N)", cmd_set_tci},
	{NULL, NULL, NULL},
};

static const struct module_ctl_cmd vpush_ctl_cmds[] = {
	{"set_tci", "N", "the tag's TCI (priority, DEI and VLAN id) from now on", 1, 1, ctl_set_tci},
	{NULL, NULL, NULL, 0, 0, NULL},
};

const struct module_class mod_vlan_push = {
	.name = "VLANPush",
	.help = "inserts a VLAN tag: VLANPush(tci=N)",
	.priv_size = sizeof(struct vlan_push),
	.max_igates = 1,
	.max_ogates = 1,
	.init = vpush_init,
	.process = vpush_process,
	.describe = vpush_describe,
	.cmds = vpush_cmds,
	.ctl_cmds = vpush_ctl_cmds,
};
