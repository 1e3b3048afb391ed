/* PortSecurity(mac=MAC, ip=IP): anti-spoofing for the frames a VM sends.
 * Placed right after the VM's QueueInc: a frame whose source MAC is not the
 * VM's is dropped; with ip, so is an IPv4 packet from another source address
 * and an ARP packet whose sender is not (mac, ip).  Each reason has its own
 * counter and every drop is the module's (one module per port: per-port
 * counts).  Upstream of a learning L2Forward this is what keeps one VM from
 * taking another's MAC, and so its traffic. */
#include <arpa/inet.h>
#include <string.h>

#include <rte_ether.h>

#include "kb_parse.h"
#include "pipeline.h"

struct port_sec {
	uint8_t mac[6];
	uint32_t ip;              /* network order; 0: MAC only */
	uint64_t passed, bad_mac, bad_ip, bad_arp, runts;
};

static int psec_init(struct module *m, const struct script_args *a, struct kb_err *err)
{
	static const char *const allowed[] = {"mac", "ip", NULL};
	struct port_sec *s = m->priv;
	const char *mac = NULL, *ip = NULL;

	if (script_args_check(a, "PortSecurity", allowed, err) ||
	    script_arg_str(a, "PortSecurity", "mac", 1, &mac, err) ||
	    script_arg_str(a, "PortSecurity", "ip", 0, &ip, err))
		return -1;
	if (kb_parse_mac(mac, s->mac) < 0 || (s->mac[0] & 1))
		return script_err_at(err, &script_args_get(a, "mac")->pos,
				     "PortSecurity: mac expects a unicast MAC like '02:00:00:00:00:01'");
	if (ip && (kb_parse_ipv4(ip, &s->ip) < 0 || !s->ip))
		return script_err_at(err, &script_args_get(a, "ip")->pos,
				     "PortSecurity: ip expects an IPv4 address like '10.0.0.1'");
	return 0;
}

/* 0 when p may pass, else the counter it is dropped under. */
static uint64_t *psec_check(struct port_sec *s, const struct rte_mbuf *p)
{
	const uint8_t *f = rte_pktmbuf_mtod(p, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(p);
	uint16_t type;

	if (len < RTE_ETHER_HDR_LEN)
		return &s->runts;
	if (memcmp(f + 6, s->mac, 6))
		return &s->bad_mac;
	if (!s->ip)
		return NULL;
	memcpy(&type, f + 12, 2);
	if (type == htons(RTE_ETHER_TYPE_IPV4)) {
		if (len < RTE_ETHER_HDR_LEN + 20 || memcmp(f + RTE_ETHER_HDR_LEN + 12, &s->ip, 4))
			return &s->bad_ip;
	} else if (type == htons(RTE_ETHER_TYPE_ARP)) {
		/* sender hardware address at 8, sender protocol address at 14 */
		if (len < RTE_ETHER_HDR_LEN + 28 || memcmp(f + RTE_ETHER_HDR_LEN + 8, s->mac, 6) ||
		    memcmp(f + RTE_ETHER_HDR_LEN + 14, &s->ip, 4))
			return &s->bad_arp;
	}
	return NULL;
}

static void psec_process(struct worker *w, struct module *m, struct pkt_batch *b)
{
	struct port_sec *s = m->priv;
	struct pkt_batch out;

	out.cnt = 0;
	for (uint16_t i = 0; i < b->cnt; i++) {
		uint64_t *why = psec_check(s, b->pkts[i]);

		if (likely(!why)) {
			out.pkts[out.cnt++] = b->pkts[i];
			continue;
		}
		(*why)++;
		module_drop(m, b->pkts[i]);
	}
	b->cnt = 0;
	s->passed += out.cnt;
	module_emit(w, m, 0, &out);
}

static void psec_describe(const struct module *m, char *buf, size_t len)
{
	const struct port_sec *s = m->priv;
	char mac[18], ip[16];

	snprintf(buf, len, "mac=%s ip=%s passed=%" PRIu64 " bad_mac=%" PRIu64 " bad_ip=%" PRIu64
		 " bad_arp=%" PRIu64 " runts=%" PRIu64, kb_fmt_mac(s->mac, mac),
		 s->ip ? kb_fmt_ipv4(s->ip, ip) : "any", s->passed, s->bad_mac, s->bad_ip,
		 s->bad_arp, s->runts);
}

const struct module_class mod_port_security = {
	.name = "PortSecurity",
	.help = "drops frames a VM sends from another MAC (or IPv4 address): "
		"PortSecurity(mac=MAC, ip=IP)",
	.priv_size = sizeof(struct port_sec),
	.max_igates = 1,
	.max_ogates = 1,
	.init = psec_init,
	.process = psec_process,
	.describe = psec_describe,
};
