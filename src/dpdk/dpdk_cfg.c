#include "dpdk_cfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb_parse.h"

static int missing(const struct kb_conf *c, const char *key, const char *what,
		   struct kb_err *err)
{
	int last = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].line > last)
			last = c->e[i].line;
	return kb_err_at(err, c->path, last + 1, 1, "missing key '%s' (expected %s)", key, what);
}

static int get_u32(struct kb_conf *c, const char *key, long long min, long long max,
		   uint32_t *out, struct kb_err *err)
{
	long long v = *out;

	if (kb_conf_int(c, key, min, max, &v, err) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A key whose value is one of names[] (*out = its index; absent: unchanged). */
static int get_choice(struct kb_conf *c, const char *key, const char *const *names, int n,
		      int *out, const char *expected, struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (!e)
		return 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(e->val, names[i])) {
			*out = i;
			return 0;
		}
	return kb_conf_bad(c, e, err, expected);
}

static int copy_str(struct kb_conf *c, const char *key, char *dst, size_t cap,
		    struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, key);

	if (!e)
		return 0;
	if (strlen(e->val) >= cap) {
		char what[64];

		snprintf(what, sizeof(what), "at most %zu characters", cap - 1);
		return kb_conf_bad(c, e, err, what);
	}
	strcpy(dst, e->val);
	return 0;
}

/* The value of ",key=" in a vdev string into out[cap] ("" when absent). */
static void vdev_arg(const char *port, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *a = strchr(port, ','); a; a = strchr(a + 1, ','))
		if (!strncmp(a + 1, key, kl) && a[1 + kl] == '=') {
			size_t n = strcspn(a + 2 + kl, ",");

			if (n < cap) {
				memcpy(out, a + 2 + kl, n);
				out[n] = '\0';
			}
			return;
		}
}

/* vhost_server = yes (or server=1 in the port string): virtio-user listens on
 * its path and the switch connects as a vhost-user client, so either side can
 * restart (docs/dpdk-layer.md). */
static int parse_vhost_server(struct kb_conf *c, struct kb_conf_entry *pe, struct dpdk_cfg *cfg,
			      struct kb_err *err)
{
	char v[16];
	bool key = false;
	struct kb_conf_entry *e = kb_conf_get(c, "vhost_server");

	if (kb_conf_bool(c, "vhost_server", &key, err) < 0)
		return -1;
	vdev_arg(cfg->port, "server", v, sizeof(v));
	if (v[0] && strcmp(v, "0") && strcmp(v, "1"))
		return kb_conf_bad(c, pe, err, "server=0 or server=1");
	if (e && v[0] && key != !strcmp(v, "1"))
		return kb_conf_bad(c, e, err, "the same as the port's server=");
	cfg->vhost_server = key || !strcmp(v, "1");
	if (cfg->vhost_server && !v[0]) {
		if (strlen(cfg->port) + sizeof(",server=1") > sizeof(cfg->port))
			return kb_conf_bad(c, pe, err, "a shorter port string");
		strcat(cfg->port, ",server=1");
	}
	vdev_arg(cfg->port, "path", cfg->vhost_path, sizeof(cfg->vhost_path));
	return 0;
}

static int parse_port(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, "port");

	if (!e)
		return missing(c, "port", "a vdev like net_virtio_user0,path=/tmp/sw.sock "
			       "or a PCI address like 0000:00:03.0", err);
	if (copy_str(c, "port", cfg->port, sizeof(cfg->port), err) < 0)
		return -1;
	size_t nl = strcspn(e->val, ",");

	if (nl == 0 || nl >= sizeof(cfg->port_name))
		return kb_conf_bad(c, e, err, "a device name before the first ','");
	memcpy(cfg->port_name, e->val, nl);
	cfg->port_name[nl] = '\0';
	if (!strncmp(cfg->port_name, "net_", 4)) {
		cfg->port_is_vdev = true;
		cfg->port_is_virtio_user = !strncmp(cfg->port_name, "net_virtio_user", 15);
		return cfg->port_is_virtio_user ? parse_vhost_server(c, e, cfg, err) : 0;
	}
	unsigned d, b, s, f;
	char tail;

	if (sscanf(cfg->port_name, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) == 4 ||
	    sscanf(cfg->port_name, "%x:%x.%x%c", &b, &s, &f, &tail) == 3)
		return 0;
	return kb_conf_bad(c, e, err, "a vdev name starting with net_ or a PCI address");
}

static int parse_ip(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err)
{
	struct kb_conf_entry *e = kb_conf_get(c, "ip");

	if (!e)
		return missing(c, "ip", "the VM's IPv4 address like 10.0.0.1/24", err);
	bool has_len = strchr(e->val, '/') != NULL;

	if (kb_parse_cidr(e->val, &cfg->ip, &cfg->prefix) < 0 || cfg->ip == 0)
		return kb_conf_bad(c, e, err, "an IPv4 address like 10.0.0.1 or 10.0.0.1/24");
	if (!has_len)
		cfg->prefix = 24;
	struct kb_conf_entry *p = kb_conf_get(c, "prefix");

	if (p) {
		long long v;

		if (has_len)
			return kb_conf_bad(c, p, err, "no prefix (ip already has /len)");
		if (kb_parse_int(p->val, 0, 32, &v) < 0)
			return kb_conf_bad(c, p, err, "a prefix length 0..32");
		cfg->prefix = (uint8_t)v;
	}
	return 0;
}

static int parse_arp(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err)
{
	struct kb_conf_entry *e = NULL;

	while ((e = kb_conf_next(c, "arp", e))) {
		char ip[32], mac[32], extra;

		if (cfg->n_arp >= DPDK_CFG_MAX_ARP)
			return kb_conf_bad(c, e, err, "at most 64 static arp entries");
		if (sscanf(e->val, "%31s %31s %c", ip, mac, &extra) != 2 ||
		    kb_parse_ipv4(ip, &cfg->arp[cfg->n_arp].ip) < 0 ||
		    kb_parse_mac(mac, cfg->arp[cfg->n_arp].mac) < 0)
			return kb_conf_bad(c, e, err, "'IP MAC' like 10.0.0.2 02:00:00:00:00:02");
		cfg->n_arp++;
	}
	return 0;
}

uint32_t dpdk_cfg_mask(uint8_t prefix)
{
	return prefix ? htonl(~0u << (32 - prefix)) : 0;
}

/* route = NET/LEN via GATEWAY; the gateway must be on our prefix. */
static int parse_routes(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err)
{
	struct kb_conf_entry *e = NULL;

	while ((e = kb_conf_next(c, "route", e))) {
		char net[40], via[8], gw[32], extra;
		uint8_t len;
		struct dpdk_route *r = &cfg->route[cfg->n_route];

		if (cfg->n_route >= DPDK_CFG_MAX_ROUTES)
			return kb_conf_bad(c, e, err, "at most 16 routes");
		if (sscanf(e->val, "%39s %7s %31s %c", net, via, gw, &extra) != 3 || strcmp(via, "via") ||
		    !strchr(net, '/') || kb_parse_cidr(net, &r->net, &len) < 0 ||
		    kb_parse_ipv4(gw, &r->via) < 0)
			return kb_conf_bad(c, e, err, "'NET/LEN via GATEWAY' like 192.168.0.0/16 via 10.0.0.254");
		r->mask = dpdk_cfg_mask(len);
		r->net &= r->mask;
		if ((r->via ^ cfg->ip) & dpdk_cfg_mask(cfg->prefix))
			return kb_conf_bad(c, e, err, "a gateway on the VM's own prefix");
		cfg->n_route++;
	}
	return 0;
}

/* A mempool's best size: 2^k - 1 for the smallest k >= log2(min) that holds need. */
static uint32_t pool_count(uint64_t need, uint64_t min)
{
	uint64_t sz = min;

	while (sz - 1 < need)
		sz *= 2;
	return (uint32_t)(sz - 1);
}

uint32_t dpdk_cfg_rx_buf(const struct dpdk_cfg *cfg, bool lro)
{
	if (cfg->rx_buf)
		return cfg->rx_buf;
	return lro && cfg->offloads ? DPDK_RX_BUF_LRO : DPDK_RX_BUF_STD;
}

uint32_t dpdk_cfg_vring_size(const struct dpdk_cfg *cfg)
{
	uint32_t want = cfg->nic_rx_desc > cfg->nic_tx_desc ? cfg->nic_rx_desc : cfg->nic_tx_desc;
	uint32_t n = 64;

	/* split vrings are a power of 2, and vhost takes at most 32768 */
	while (n < want && n < 32768)
		n *= 2;
	return n;
}

uint32_t dpdk_cfg_next_hop(const struct dpdk_cfg *cfg, uint32_t daddr)
{
	if (((daddr ^ cfg->ip) & dpdk_cfg_mask(cfg->prefix)) == 0)
		return daddr;
	const struct dpdk_route *best = NULL;

	for (int i = 0; i < cfg->n_route; i++) {
		const struct dpdk_route *r = &cfg->route[i];

		if ((daddr & r->mask) == r->net && (!best || ntohl(r->mask) > ntohl(best->mask)))
			best = r;
	}
	if (best)
		return best->via;
	return cfg->gateway ? cfg->gateway : daddr;
}

/* "0,1,2" or "0-3" or a mix; each CPU must be one this process may run on. */
static int parse_core_list(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err)
{
	cpu_set_t allowed;

	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return kb_err_set(err, "sched_getaffinity failed");

	struct kb_conf_entry *e = kb_conf_get(c, "core_list");

	if (!e) {
		/* Default: not pinned.  Several VMs (and a switch) share this host's
		 * CPUs; pinning each to "its" CPUs 0..n-1 would stack them all on
		 * the same few while others idle.  The kernel spreads floaters. */
		for (int i = 0; i < cfg->num_cores; i++)
			cfg->cpu[i] = -1;
		return 0;
	}
	int n = 0;
	const char *s = e->val;

	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0)
			goto bad;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				goto bad;
		}
		for (long v = a; v <= b; v++) {
			if (n >= cfg->num_cores)
				return kb_conf_bad(c, e, err, "exactly num_cores CPUs");
			if (v >= CPU_SETSIZE || !CPU_ISSET(v, &allowed))
				return kb_conf_bad(c, e, err, "CPUs this process may run on");
			cfg->cpu[n++] = (int)v;
		}
		while (isspace((unsigned char)*end))
			end++;
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		while (isspace((unsigned char)*end))
			end++;
		s = end;
	}
	if (n != cfg->num_cores)
		return kb_conf_bad(c, e, err, "exactly num_cores CPUs");
	return 0;
bad:
	return kb_conf_bad(c, e, err, "a CPU list like 0,1,2 or 0-2");
}

int dpdk_cfg_parse(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->num_cores = 1;
	cfg->rx_ring_size = 1024;
	cfg->tx_ring_size = 1024;
	cfg->pool_size = 8191;
	cfg->nic_rx_desc = 1024;
	cfg->nic_tx_desc = 1024;
	cfg->idle_max_us = 0;     /* kb_idle's default */
	cfg->arp_retry_ms = 200;
	cfg->arp_tries = 10;
	cfg->mem_mb = 128;
	cfg->linger_ms = 100;
	cfg->mtu = 1500;
	cfg->offloads = true;

	if (parse_port(c, cfg, err) < 0 || parse_ip(c, cfg, err) < 0)
		return -1;
	if (!cfg->port_is_virtio_user && kb_conf_get(c, "vhost_server"))
		return kb_conf_bad(c, kb_conf_get(c, "vhost_server"), err,
				   "no vhost_server key (only a net_virtio_user port has one)");
	if (kb_conf_get(c, "mac")) {
		if (kb_conf_mac(c, "mac", cfg->mac, err) < 0)
			return -1;
		struct kb_conf_entry *e = kb_conf_get(c, "mac");

		if (cfg->mac[0] & 1)
			return kb_conf_bad(c, e, err, "a unicast MAC (first octet even)");
		if (strstr(cfg->port, ",mac="))
			return kb_conf_bad(c, e, err, "no mac key when port already has mac=");
		cfg->has_mac = true;
	}
	if (kb_conf_ipv4(c, "gateway", &cfg->gateway, err) < 0 || parse_arp(c, cfg, err) < 0 ||
	    parse_routes(c, cfg, err) < 0)
		return -1;
	if (cfg->gateway && ((cfg->gateway ^ cfg->ip) & dpdk_cfg_mask(cfg->prefix)))
		return kb_conf_bad(c, kb_conf_get(c, "gateway"), err, "a gateway on the VM's own prefix");

	struct kb_conf_entry *me = kb_conf_get(c, "mode");
	static const char *const modes[] = { "single", "1kb", "2kb" };   /* enum dpdk_mode */
	int mode = DPDK_MODE_SINGLE;

	if (get_choice(c, "mode", modes, 3, &mode, "single, 1kb or 2kb", err) < 0)
		return -1;
	cfg->mode = (enum dpdk_mode)mode;
	static const int min_cores[] = { 1, 2, 3 };
	long long nc = min_cores[cfg->mode];

	if (kb_conf_int(c, "num_cores", 1, DPDK_MAX_CORES, &nc, err) < 0)
		return -1;
	cfg->num_cores = (int)nc;
	struct kb_conf_entry *ne = kb_conf_get(c, "num_cores");

	if (cfg->mode == DPDK_MODE_SINGLE) {
		/* The seed's Case I: the stack runs on one core and no helper
		 * threads; extra cores are the stack's business, not ours. */
		cfg->n_app = 1;
	} else if (nc < min_cores[cfg->mode]) {
		return kb_conf_bad(c, ne ? ne : me, err, cfg->mode == DPDK_MODE_1KB ?
				   "num_cores >= 2 in mode 1kb" : "num_cores >= 3 in mode 2kb");
	} else {
		cfg->n_app = cfg->num_cores - (cfg->mode == DPDK_MODE_1KB ? 1 : 2);
	}
	if (parse_core_list(c, cfg, err) < 0)
		return -1;

	if (get_u32(c, "rx_ring_size", 32, 1 << 20, &cfg->rx_ring_size, err) < 0 ||
	    get_u32(c, "tx_ring_size", 32, 1 << 20, &cfg->tx_ring_size, err) < 0 ||
	    get_u32(c, "pool_size", 1023, 1 << 22, &cfg->pool_size, err) < 0 ||
	    get_u32(c, "nic_rx_desc", 64, 32768, &cfg->nic_rx_desc, err) < 0 ||
	    get_u32(c, "nic_tx_desc", 64, 32768, &cfg->nic_tx_desc, err) < 0 ||
	    get_u32(c, "idle_max_us", 1, 1000000, &cfg->idle_max_us, err) < 0 ||
	    get_u32(c, "arp_retry_ms", 1, 60000, &cfg->arp_retry_ms, err) < 0 ||
	    get_u32(c, "arp_tries", 1, 255, &cfg->arp_tries, err) < 0 ||
	    get_u32(c, "mem_mb", 16, 1 << 20, &cfg->mem_mb, err) < 0 ||
	    get_u32(c, "linger_ms", 0, 10000, &cfg->linger_ms, err) < 0 ||
	    get_u32(c, "mtu", 576, 9000, &cfg->mtu, err) < 0 ||
	    get_u32(c, "rx_buf", 1024, DPDK_RX_BUF_MAX, &cfg->rx_buf, err) < 0 ||
	    get_u32(c, "rx_pool_size", 256, 1 << 22, &cfg->rx_pool_size, err) < 0 ||
	    kb_conf_bool(c, "offloads", &cfg->offloads, err) < 0 ||
	    kb_conf_bool(c, "pure_poll", &cfg->pure_poll, err) < 0 ||
	    copy_str(c, "file_prefix", cfg->file_prefix, sizeof(cfg->file_prefix), err) < 0 ||
	    copy_str(c, "eal_args", cfg->eal_args, sizeof(cfg->eal_args), err) < 0 ||
	    copy_str(c, "log_file", cfg->log_file, sizeof(cfg->log_file), err) < 0 ||
	    copy_str(c, "log_level", cfg->log_level, sizeof(cfg->log_level), err) < 0)
		return -1;
	struct kb_conf_entry *ea = kb_conf_get(c, "eal_args");

	snprintf(cfg->conf_path, sizeof(cfg->conf_path), "%s", c->path);
	if (ea) {
		/* EAL judges them at start: its complaint is reported here */
		cfg->eal_args_pos.line = ea->line;
		cfg->eal_args_pos.col = ea->val_col;
		/* but --help would print EAL's usage and exit(0) mid-start */
		char tmp[sizeof(cfg->eal_args)];

		strcpy(tmp, cfg->eal_args);
		for (char *sp, *t = strtok_r(tmp, " \t", &sp); t; t = strtok_r(NULL, " \t", &sp))
			if (!strcmp(t, "-h") || !strcmp(t, "--help"))
				return kb_conf_bad(c, ea, err, "EAL arguments other than --help");
	}
	/* EAL's INFO lines (lcores detected, IOVA mode) are a developer's; a
	 * user sees notices and worse unless asking for more */
	static const char *const levels[] = { "emergency", "alert", "critical", "error",
					      "warning", "notice", "info", "debug" };
	bool level_ok = !cfg->log_level[0];

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]) && !level_ok; i++)
		level_ok = !strcmp(cfg->log_level, levels[i]);
	if (!level_ok)
		return kb_conf_bad(c, kb_conf_get(c, "log_level"), err,
				   "error, warning, notice, info or debug");
	if (!cfg->log_level[0])
		strcpy(cfg->log_level, "notice");
	static const char *const sized[] = { "rx_ring_size", "tx_ring_size" };
	const uint32_t vals[] = { cfg->rx_ring_size, cfg->tx_ring_size };

	for (int i = 0; i < 2; i++)
		if (!kb_is_pow2(vals[i]))
			return kb_conf_bad(c, kb_conf_get(c, sized[i]), err, "a power of two");

	/* the names in each enum's order */
	static const char *const rxtx[] = { "auto", "threads", "inline" };
	static const char *const mem[] = { "auto", "hugepages", "nohuge" };
	int rx = DPDK_RXTX_AUTO, mm = cfg->memory;

	if (get_choice(c, "rxtx", rxtx, 3, &rx, "auto, threads or inline", err) < 0 ||
	    get_choice(c, "memory", mem, 3, &mm, "auto, hugepages or nohuge", err) < 0)
		return -1;
	cfg->rxtx = (enum dpdk_rxtx)rx;
	cfg->memory = (enum dpdk_mem)mm;
	uint32_t vr = cfg->port_is_virtio_user ? dpdk_cfg_vring_size(cfg) : 0;
	uint32_t posted = vr > cfg->nic_rx_desc ? vr : cfg->nic_rx_desc;   /* rx buffers in the vNIC */

	if (!kb_conf_get(c, "pool_size")) {
		/* Enough for every place an mbuf can wait at once -- rings, vNIC
		 * descriptors, per-lcore caches (up to 1.5x their size), bursts,
		 * the tx backlogs and the ARP hold queue -- so a full pipeline cannot starve the vNIC's
		 * refill; then the next 2^k - 1 (the pool's best size). */
		uint64_t need = (uint64_t)cfg->n_app * (cfg->rx_ring_size + cfg->tx_ring_size + 64 +
							 2 * DPDK_MAX_BURST) +
				posted + (vr > cfg->nic_tx_desc ? vr : cfg->nic_tx_desc) + 256 +
				(uint64_t)(cfg->n_app + 1) * DPDK_TX_BACKLOG +
				(uint64_t)(cfg->n_app + 3) * 384 + 2048 +
				/* the stack keeps received and unacknowledged
				 * payload in mbufs (tcp_rcvbuf/tcp_sndbuf) */
				(uint64_t)cfg->n_app * 2048;

		cfg->pool_size = pool_count(need, 8192);
	}
	/* Buffers bigger than the pool's come from a pool of their own, for
	 * the vNIC's rx queue only: the posted ones (the vring), what the
	 * stack's receive queues keep of large frames (small ones are copied
	 * out at once, dl_rx_process) and bursts; then the next 2^k - 1.
	 * The default mem_mb grows by its size where a port may take LRO
	 * (virtio: virtio-user, or a PCI device in a guest). */
	bool may_lro = cfg->offloads && (cfg->port_is_virtio_user || !cfg->port_is_vdev);
	struct kb_conf_entry *rp = kb_conf_get(c, "rx_pool_size");

	/* fewer would leave the vNIC's refill short of buffers for good */
	if (rp && cfg->rx_pool_size < posted + DPDK_RX_POOL_SPARE) {
		char what[96];

		snprintf(what, sizeof(what), "at least %u (the vNIC's %u rx descriptors and %u)",
			 posted + DPDK_RX_POOL_SPARE, posted, DPDK_RX_POOL_SPARE);
		return kb_conf_bad(c, rp, err, what);
	}
	if (may_lro || (cfg->rx_buf && cfg->rx_buf != DPDK_RX_BUF_STD)) {
		if (!rp)
			cfg->rx_pool_size = pool_count(posted + DPDK_RX_POOL_SPARE +
						       (uint64_t)cfg->n_app * 128, 1024);
		/* per buffer: the data room, headroom, mbuf and mempool header */
		uint64_t b = dpdk_cfg_rx_buf(cfg, true), bytes = cfg->rx_pool_size * (b + 384);

		if (b > DPDK_RX_BUF_STD && !kb_conf_get(c, "mem_mb"))
			cfg->mem_mb += (uint32_t)((bytes + (1 << 20) - 1) >> 20);
	}
	if (!cfg->file_prefix[0])
		snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "kbdpdk%d", (int)getpid());
	/* a one-value key given twice, whose values were both fine */
	return kb_conf_check_dups(c, err);
}
