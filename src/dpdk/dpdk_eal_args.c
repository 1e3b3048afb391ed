/* dpdk_eal_args.c: which EAL memory to use, and EAL's argv from the config
 * (pure: unit-tested without EAL). */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "dpdk_cfg.h"
#include "kb_hugepages.h"
#include "kb_parse.h"
#include "kb_place.h"

bool dpdk_cfg_hugepages_ok(uint32_t mem_mb)
{
	return kb_hugepages_free_mb(NULL, NULL) >= (long)mem_mb;
}

int dpdk_cfg_cpus(const struct dpdk_cfg *cfg, const cpu_set_t *allowed)
{
	cpu_set_t vm;

	dpdk_cfg_vm_cpuset(cfg, allowed, &vm);
	return CPU_COUNT(&vm) > 0 ? CPU_COUNT(&vm) : 1;
}

int dpdk_cfg_app_cpu(const struct dpdk_cfg *cfg, const cpu_set_t *allowed, int core)
{
	if (core < 0 || core >= cfg->n_app)
		return -1;
	if (cfg->cpu[0] >= 0)
		return cfg->cpu[core];
	return kb_place_vm_cpu(allowed, core);
}

void dpdk_cfg_vm_cpuset(const struct dpdk_cfg *cfg, const cpu_set_t *allowed, cpu_set_t *out)
{
	if (cfg->cpu[0] < 0) {
		kb_place_vm_set(allowed, out);
		return;
	}
	CPU_ZERO(out);
	for (int i = 0; i < cfg->num_cores; i++)
		CPU_SET(cfg->cpu[i], out);
}

bool dpdk_cfg_rxtx_inline(const struct dpdk_cfg *cfg, int cpus)
{
	if (cfg->mode == DPDK_MODE_SINGLE || cfg->rxtx == DPDK_RXTX_THREADS)
		return false;
	return cfg->rxtx == DPDK_RXTX_INLINE || cpus < cfg->num_cores;
}

int dpdk_cfg_eal_argv(const struct dpdk_cfg *cfg, const char *argv0, bool huge,
		      char **argv, int max, char *buf, size_t buflen)
{
	int argc = 0;
	size_t used = 0;

#define ADD(...) do { \
		if (argc >= max - 1 || used >= buflen) return -1; \
		int _n = snprintf(buf + used, buflen - used, __VA_ARGS__); \
		if (_n < 0 || (size_t)_n >= buflen - used) return -1; \
		argv[argc++] = buf + used; used += (size_t)_n + 1; \
	} while (0)

	ADD("%s", argv0 ? argv0 : "kbdpdk");
	/* lcore 0 is the calling thread, free to float over its CPUs; the Rx
	 * (last) and Tx (last but one) lcores run on theirs.  Without core_list
	 * (cpu -1) every lcore floats over the CPUs kb_place leaves to VMs:
	 * all we may run on but the last, which kbswitch's worker takes. */
	char lc[1024], all[512] = "";
	int o = 0;
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 &&
	    kb_place_vm_cpus(&allowed, all, sizeof(all)) < 0)
		all[0] = '\0';
	if (!all[0])
		snprintf(all, sizeof(all), "0");
	bool pinned = cfg->cpu[0] >= 0;

	if (pinned) {
		o = snprintf(lc, sizeof(lc), "0@(");
		for (int i = 0; i < cfg->num_cores; i++)
			o += snprintf(lc + o, sizeof(lc) - (size_t)o, "%s%d", i ? "," : "", cfg->cpu[i]);
		o += snprintf(lc + o, sizeof(lc) - (size_t)o, ")");
	} else {
		o = snprintf(lc, sizeof(lc), "0@(%s)", all);
	}
	if (cfg->mode != DPDK_MODE_SINGLE) {
		int rx = cfg->num_cores - 1;

		for (int l = rx; l >= rx - (cfg->mode == DPDK_MODE_2KB); l--) {
			if (pinned)
				o += snprintf(lc + o, sizeof(lc) - (size_t)o, ",%d@%d", l, cfg->cpu[l]);
			else
				o += snprintf(lc + o, sizeof(lc) - (size_t)o, ",%d@(%s)", l, all);
		}
	}
	ADD("--lcores");
	ADD("%s", lc);
	ADD("--file-prefix");
	ADD("%s", cfg->file_prefix);
	ADD("--no-telemetry");   /* its socket would outlive a crash */
	ADD("--log-level=%s", cfg->log_level[0] ? cfg->log_level : "notice");
	if (huge) {
		ADD("--in-memory");
		ADD("-m");
		ADD("%u", cfg->mem_mb);
	} else {
		ADD("--no-huge");
		ADD("-m");
		ADD("%u", cfg->mem_mb);
		ADD("--no-shconf");
	}
	/* virtio-user hands the backend one fd per memory segment, and vhost
	 * accepts only 8 regions: one file for all segments keeps it at one */
	if (cfg->port_is_virtio_user)
		ADD("--single-file-segments");
	if (cfg->port_is_vdev) {
		char m[18], qs[24] = "", mac[24] = "";

		ADD("--no-pci");
		if (cfg->port_is_virtio_user && cfg->has_mac && !strstr(cfg->port, "mac="))
			snprintf(mac, sizeof(mac), ",mac=%s", kb_fmt_mac(cfg->mac, m));
		/* virtio-user sizes its vrings by its own devarg (256 by
		 * default) and ignores the queue setup's count: with 64 KB
		 * segments in 2 KB buffers 256 descriptors hold 7 packets, so
		 * it gets nic_rx_desc/nic_tx_desc's */
		if (cfg->port_is_virtio_user && !strstr(cfg->port, "queue_size="))
			snprintf(qs, sizeof(qs), ",queue_size=%u", dpdk_cfg_vring_size(cfg));
		ADD("--vdev=%s%s%s", cfg->port, mac, qs);
	} else {
		ADD("-a");
		ADD("%s", cfg->port);
	}
	/* eal_args: whitespace-separated extra EAL arguments, appended last */
	char tmp[sizeof(cfg->eal_args)];

	strcpy(tmp, cfg->eal_args);
	for (char *sp, *t = strtok_r(tmp, " \t", &sp); t; t = strtok_r(NULL, " \t", &sp))
		ADD("%s", t);
#undef ADD
	argv[argc] = NULL;
	return argc;
}
