/* dpdk_cfg: the layer's keys of the VM config file, parsed and checked
 * before anything starts (pure: unit-tested without EAL).
 * The keys are documented in docs/dpdk-layer.md. */
#ifndef KB_DPDK_CFG_H
#define KB_DPDK_CFG_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "dpdk_api.h"
#include "kb_conf.h"
#include "kb_err.h"

#define DPDK_CFG_MAX_ARP 64
#define DPDK_CFG_MAX_ROUTES 16

enum dpdk_mem { DPDK_MEM_AUTO, DPDK_MEM_HUGE, DPDK_MEM_NOHUGE };
/* conf key rxtx: where 1kb/2kb run the Rx/Tx work (docs/dpdk-layer.md) */
enum dpdk_rxtx { DPDK_RXTX_AUTO, DPDK_RXTX_THREADS, DPDK_RXTX_INLINE };

struct dpdk_cfg {
	char port[512];           /* vdev string or PCI address */
	bool port_is_vdev;
	bool port_is_virtio_user; /* mac= goes into the vdev args */
	char port_name[64];       /* vdev name (before the first ',') or PCI address */
	bool vhost_server;        /* virtio-user owns the socket (server=1): the switch,
				   * a vhost-user client, may restart and reconnect */
	char vhost_path[256];     /* virtio-user's path=, for a stale socket's removal */
	uint32_t ip;              /* network order */
	uint8_t prefix;
	uint8_t mac[6];
	bool has_mac;
	uint32_t gateway;
	struct dpdk_route { uint32_t net, mask, via; } route[DPDK_CFG_MAX_ROUTES];
	int n_route;
	struct { uint32_t ip; uint8_t mac[6]; } arp[DPDK_CFG_MAX_ARP];
	int n_arp;
	enum dpdk_mode mode;
	int num_cores;
	int n_app;
	int cpu[DPDK_MAX_CORES];  /* core_list: CPU of each core */
	enum dpdk_rxtx rxtx;
	uint32_t rx_ring_size, tx_ring_size, pool_size, nic_rx_desc, nic_tx_desc;
	bool pure_poll;
	uint32_t idle_max_us;
	uint32_t arp_retry_ms, arp_tries;
	uint32_t linger_ms;
	uint32_t mtu;             /* largest L3 packet on the wire */
	bool offloads;            /* negotiate TSO/LRO/checksum offloads (conf key offloads) */
	uint32_t rx_buf;          /* bytes of a receive buffer; 0: auto (dpdk_cfg_rx_buf) */
	uint32_t rx_pool_size;    /* receive buffers when they are not the pool's (conf key,
				   * default: the vNIC's descriptors and more, as 2^k - 1) */
	char file_prefix[64];
	char eal_args[512];
	struct { int line, col; } eal_args_pos;   /* in conf_path; 0 when not given */
	char conf_path[256];
	char log_level[16];       /* EAL's --log-level: error .. debug */
	char log_file[256];       /* EAL's log stream; "" = stderr */
	enum dpdk_mem memory;
	uint32_t mem_mb;
};

/* Network mask of a prefix length, network byte order. */
uint32_t dpdk_cfg_mask(uint8_t prefix);

/* The next hop for daddr: on our prefix, itself; else the longest matching
 * route's gateway; else the default gateway; else itself (on-link). */
uint32_t dpdk_cfg_next_hop(const struct dpdk_cfg *cfg, uint32_t daddr);

/* Claim and check the layer's keys; positioned errors. */
int dpdk_cfg_parse(struct kb_conf *c, struct dpdk_cfg *cfg, struct kb_err *err);

/* net_virtio_user's vring size (its queue_size devarg, both directions):
 * nic_rx_desc/nic_tx_desc's larger, as a power of 2 up to 32768. */
uint32_t dpdk_cfg_vring_size(const struct dpdk_cfg *cfg);

/* The receive buffers' size for a port that does or does not take large
 * receive: conf rx_buf, else DPDK_RX_BUF_LRO with LRO and the pool's 2 KB
 * without.  A frame bigger than a buffer is chained (mergeable buffers), so
 * big buffers mean fewer, longer copies for whoever fills them. */
uint32_t dpdk_cfg_rx_buf(const struct dpdk_cfg *cfg, bool lro);

/* Whether hugepages can be used now: hugetlbfs mounted and enough free. */
bool dpdk_cfg_hugepages_ok(uint32_t mem_mb);

/* How many CPUs the VM's threads may run on: core_list's distinct CPUs,
 * else those of allowed that kb_place leaves to VMs. */
int dpdk_cfg_cpus(const struct dpdk_cfg *cfg, const cpu_set_t *allowed);

/* The CPU application core `core` (0..n_app-1) runs on, which is where
 * mtcp_core_affinitize(core) binds its thread: core_list's entry, else
 * kb_place_vm_cpu() (never the switch's CPU when there is a choice).  -1
 * when core is out of range or allowed is empty. */
int dpdk_cfg_app_cpu(const struct dpdk_cfg *cfg, const cpu_set_t *allowed, int core);

/* Every CPU the VM's threads use, as a set: core_list's, else allowed minus
 * the CPU kb_place gives kbswitch's worker.  The process narrows itself to
 * it before EAL starts, so that EAL's control threads (which take the CPUs
 * the lcores leave) stay off the switch's CPU too. */
void dpdk_cfg_vm_cpuset(const struct dpdk_cfg *cfg, const cpu_set_t *allowed, cpu_set_t *out);

/* 1kb/2kb: whether the app cores do the Rx/Tx threads' work themselves
 * (rxtx = inline, or auto with fewer CPUs than threads: a dedicated thread
 * could not run beside the app cores, so every packet would cost two
 * thread switches on one CPU instead of none). */
bool dpdk_cfg_rxtx_inline(const struct dpdk_cfg *cfg, int cpus);

/* Build EAL's argv into argv[max] (strings in buf).  Returns argc or -1.
 * *mem_desc says which memory was chosen (for the log line). */
int dpdk_cfg_eal_argv(const struct dpdk_cfg *cfg, const char *argv0, bool huge,
		      char **argv, int max, char *buf, size_t buflen);

#endif
