/* fuzz_conf: a VM config file (mtcp.conf) through everything that reads it
 * before anything starts, in mtcp_init()'s order: kb_conf's reader, the
 * stack's keys, the DPDK layer's keys, the unknown-key check, EAL's argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk_cfg.h"
#include "kb_conf.h"
#include "mtcp_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mtcp_manager m;
	static struct dpdk_cfg cfg;
	struct kb_conf c;
	struct kb_err err;

	if (kb_conf_load_mem(&c, "fuzz.conf", (const char *)data, size, &err) == 0) {
		memset(&m, 0, sizeof(m));
		memset(&cfg, 0, sizeof(cfg));
		if (mtcp_load_stack_keys(&c, &m, &err) == 0 &&
		    dpdk_cfg_parse(&c, &cfg, &err) == 0 &&
		    kb_conf_check_unused(&c, &err) == 0) {
			char *argv[64], buf[4096];

			dpdk_cfg_eal_argv(&cfg, "fuzz", false, argv, 64, buf, sizeof(buf));
			dpdk_cfg_eal_argv(&cfg, "fuzz", true, argv, 64, buf, sizeof(buf));
		}
		kb_conf_free(&c);
	}
	char msg[1024];

	kb_err_str(&err, msg, sizeof(msg));
	return 0;
}
