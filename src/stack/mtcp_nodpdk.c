/* mtcp_nodpdk.c: the network setup of the unit-test build of the API,
 * which has no DPDK; tests use mtcp_init_custom() instead. */
#include "kb_conf.h"
#include "mtcp_core.h"

int mtcp_dpdk_setup(struct mtcp_manager *m, struct kb_conf *c, struct kb_err *err)
{
	(void)m;
	(void)c;
	return kb_err_set(err, "this build of the stack has no DPDK layer");
}
