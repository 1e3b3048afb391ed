/* mtcp_dpdk.c: the mTCP layer's backend over the DPDK layer (dpdk_api.h). */
#include <stddef.h>
#include <stdio.h>

#include "dpdk_api.h"
#include "dpdk_cfg.h"
#include "mtcp_core.h"

static int be_rx_count(void *core) { return get_rx_count(core); }
static uint8_t *be_rx_buf(void *core, uint16_t *len) { return get_buffer_rx(core, len); }
static uint8_t *be_tx_buf(void *core) { return get_buffer_tx(core); }
static int be_tx_send(void *core, uint8_t *buf, uint16_t len) { return addBufferToRing(core, buf, len); }
static void be_flush(void *core) { dpdk_flush_tx(core); }
static void be_wait(void *core, uint32_t us) { dpdk_wait_rx(core, us); }

/* struct tcp_frag and struct dpdk_frag are the same four fields */
_Static_assert(sizeof(struct tcp_frag) == sizeof(struct dpdk_frag), "frag layouts");
_Static_assert(offsetof(struct tcp_frag, room) == offsetof(struct dpdk_frag, room), "frag layouts");

static int be_rx_frags(void *core, struct tcp_frag *f, int max, unsigned *flags)
{
	unsigned fl;
	int n = get_frags_rx(core, (struct dpdk_frag *)f, max, &fl);

	*flags = (fl & DPDK_RX_L4_CKSUM_OK) ? TCP_RX_CKSUM_OK : 0;
	return n;
}

static int be_buf_alloc(void *core, struct tcp_frag *f)
{
	return dpdk_buf_alloc(core, (struct dpdk_frag *)f);
}

static void be_buf_free(void *core, void *buf) { dpdk_buf_free(core, buf); }

static int be_tx_send_frags(void *core, uint8_t *buf, uint16_t hlen, const struct tcp_frag *f,
			    int n, uint16_t tso_mss)
{
	return addFragsToRing(core, buf, hlen, (const struct dpdk_frag *)f, n, tso_mss);
}

static unsigned be_tx_room(void *core) { return dpdk_tx_room(core); }

static int be_sndbuf_alloc(void *core, struct tcp_frag *f)
{
	return dpdk_sndbuf_alloc(core, (struct dpdk_frag *)f);
}

static int attach(struct mtcp_manager *m, int cpu, struct mtcp_backend *be)
{
	struct dpdk_core *dc = dpdk_core_attach(m->layer, cpu);

	if (!dc)
		return -1;
	*be = (struct mtcp_backend){ dc, be_rx_count, be_rx_buf, be_tx_buf, be_tx_send,
				     be_flush, be_wait, be_rx_frags, be_buf_alloc, be_buf_free,
				     be_tx_send_frags, be_tx_room, be_sndbuf_alloc };
	return 0;
}

static int rss_core(struct mtcp_manager *m, uint32_t saddr, uint32_t daddr,
		    uint16_t sport, uint16_t dport)
{
	/* as the reply will arrive: from the peer to us */
	return dpdk_rss_core(m->layer, daddr, saddr, dport, sport);
}

static void destroy_layer(struct mtcp_manager *m)
{
	dpdk_destroy(m->layer);
	m->layer = NULL;
}

static void print_core_stats(struct mtcp_context *c)
{
	struct dpdk_core_stats s;

	dpdk_core_stats(c->loop.be.core, &s);
	fprintf(stderr, "dpdk core %d: rx_pkts=%llu rx_filtered=%llu rx_malformed=%llu "
		"rx_ring_full=%llu tx_pkts=%llu tx_backlog=%llu tx_nobuf=%llu tx_noarp=%llu "
		"tx_dropped=%llu\n", c->cpu,
		(unsigned long long)s.rx_pkts, (unsigned long long)s.rx_filtered,
		(unsigned long long)s.rx_malformed, (unsigned long long)s.rx_ring_full,
		(unsigned long long)s.tx_pkts, (unsigned long long)s.tx_backlog,
		(unsigned long long)s.tx_nobuf, (unsigned long long)s.tx_noarp,
		(unsigned long long)s.tx_dropped);
	if (c->cpu == 0)
		dpdk_print_stats(g_mtcp.layer, stderr);
}

int mtcp_dpdk_setup(struct mtcp_manager *m, struct kb_conf *c, struct kb_err *err)
{
	/* dpdk_init_conf() starts EAL once it has read its keys; a typo in
	 * any key must stop us before that, so claim the layer's keys with
	 * its pure parser first and check what is left (the stack's are
	 * claimed already) */
	static struct dpdk_cfg pre;

	if (dpdk_cfg_parse(c, &pre, err) < 0 || kb_conf_check_unused(c, err) < 0)
		return -1;

	struct dpdk_layer *dl = dpdk_init_conf(c, err);

	if (!dl)
		return -1;
	const struct dpdk_info *info = dpdk_get_info(dl);

	m->layer = dl;
	m->ip = info->ip;
	m->n_app_cores = info->n_app_cores;
	for (int i = 0; i < MTCP_MAX_CORES; i++)
		m->app_cpu[i] = i < info->n_app_cores && i < DPDK_MAX_CORES ? info->app_cpu[i] : -1;
	m->tcp.rx_cksum_offload = info->rx_cksum_offload;
	m->tcp.tx_cksum_offload = info->tx_cksum_offload;
	m->tcp.tso = info->tso;
	/* the MSS we advertise follows the wire's MTU (mtu = 9000 between
	 * our own VMs where no TSO is offered) */
	m->tcp.mss = (uint16_t)(info->mtu - 40);
	m->attach = attach;
	m->rss_core = rss_core;
	m->destroy_layer = destroy_layer;
	m->print_core_stats = print_core_stats;
	return 0;
}
