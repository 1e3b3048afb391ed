#include <arpa/inet.h>

#include "dpdk_cfg.h"
#include "kb_parse.h"
#include "kbtest.h"

/* Parse text; on error return the "file:line:col: msg" string. */
static const char *parse(const char *text, struct dpdk_cfg *cfg)
{
	static char buf[800];
	struct kb_conf c;
	struct kb_err err;

	if (kb_conf_load_str(&c, "vm.conf", text, &err) < 0)
		return kb_err_str(&err, buf, sizeof(buf));
	int rc = dpdk_cfg_parse(&c, cfg, &err);

	if (rc == 0)
		rc = kb_conf_check_unused(&c, &err);
	kb_conf_free(&c);
	return rc ? kb_err_str(&err, buf, sizeof(buf)) : NULL;
}

#define BASE "port = net_virtio_user0,path=/tmp/x.sock,queues=1\nip = 10.0.0.1/24\n"

static void minimal_and_defaults(void)
{
	static struct dpdk_cfg c;

	CHECK(parse(BASE, &c) == NULL);
	CHECK_EQ(c.mode, DPDK_MODE_SINGLE);
	CHECK_EQ(c.n_app, 1);
	CHECK(c.port_is_vdev && c.port_is_virtio_user);
	CHECK_STR(c.port_name, "net_virtio_user0");
	CHECK_EQ(c.ip, htonl(0x0a000001));
	CHECK_EQ(c.prefix, 24);
	CHECK(!c.has_mac);
	CHECK_EQ(c.rx_ring_size, 1024);
}

static void full_config(void)
{
	static struct dpdk_cfg c;
	const char *e = parse(BASE "mac = 02:00:00:00:00:01\nmode = 2kb\nnum_cores = 4\n"
			      "core_list = 0,0-1,1\ngateway = 10.0.0.254\n"
			      "arp = 10.0.0.2 02:00:00:00:00:02\narp = 10.0.0.3 02:00:00:00:00:03\n"
			      "rx_ring_size = 2048\npure_poll = yes\nmemory = nohuge\n", &c);

	CHECK(e == NULL);
	CHECK_EQ(c.mode, DPDK_MODE_2KB);
	CHECK_EQ(c.n_app, 2);
	CHECK_EQ(c.cpu[0], 0);
	CHECK_EQ(c.cpu[2], 1);
	CHECK_EQ(c.n_arp, 2);
	CHECK_EQ(c.arp[1].mac[5], 3);
	CHECK_EQ(c.gateway, htonl(0x0a0000fe));
	CHECK(c.pure_poll);
	CHECK_EQ(c.memory, DPDK_MEM_NOHUGE);
	CHECK(c.has_mac);
	CHECK(parse(BASE "mode = 1kb\nnum_cores = 2\n", &c) == NULL);
	CHECK_EQ(c.n_app, 1);
}

static void errors_have_positions(void)
{
	static struct dpdk_cfg c;

	CHECK_STR(parse(BASE "mode = 3kb\n", &c),
		  "vm.conf:3:8: mode: expected single, 1kb or 2kb, got '3kb'");
	CHECK_STR(parse(BASE "mode = 1kb\nnum_cores = 1\n", &c),
		  "vm.conf:4:13: num_cores: expected num_cores >= 2 in mode 1kb, got '1'");
	CHECK(parse(BASE "mode = 2kb\n", &c) == NULL);
	CHECK_STR(parse(BASE "mode = 2kb\nnum_cores = 2\n", &c),
		  "vm.conf:4:13: num_cores: expected num_cores >= 3 in mode 2kb, got '2'");
	CHECK_STR(parse("ip = 10.0.0.1\n", &c),
		  "vm.conf:2:1: missing key 'port' (expected a vdev like net_virtio_user0,"
		  "path=/tmp/sw.sock or a PCI address like 0000:00:03.0)");
	CHECK_STR(parse("port = eth0\nip = 10.0.0.1\n", &c),
		  "vm.conf:1:8: port: expected a vdev name starting with net_ or a PCI address, got 'eth0'");
	CHECK_STR(parse("port = 0000:00:03.0\nip = 10.0.0.300\n", &c),
		  "vm.conf:2:6: ip: expected an IPv4 address like 10.0.0.1 or 10.0.0.1/24, got '10.0.0.300'");
	CHECK_STR(parse(BASE "arp = 10.0.0.2\n", &c),
		  "vm.conf:3:7: arp: expected 'IP MAC' like 10.0.0.2 02:00:00:00:00:02, got '10.0.0.2'");
	CHECK_STR(parse(BASE "rx_ring_size = 1000\n", &c),
		  "vm.conf:3:16: rx_ring_size: expected a power of two, got '1000'");
	CHECK_STR(parse(BASE "mac = 03:00:00:00:00:01\n", &c),
		  "vm.conf:3:7: mac: expected a unicast MAC (first octet even), got '03:00:00:00:00:01'");
	CHECK_STR(parse(BASE "mode = 1kb\nnum_cores = 2\ncore_list = 0\n", &c),
		  "vm.conf:5:13: core_list: expected exactly num_cores CPUs, got '0'");
	CHECK_STR(parse(BASE "core_list = 99999\n", &c),
		  "vm.conf:3:13: core_list: expected CPUs this process may run on, got '99999'");
	CHECK_STR(parse(BASE "ip_addr = 1.2.3.4\n", &c), "vm.conf:3:1: unknown key 'ip_addr'");
	CHECK_STR(parse("port = net_virtio_user0,path=/x,mac=02:00:00:00:00:05\nip = 10.0.0.1\n"
			"mac = 02:00:00:00:00:01\n", &c),
		  "vm.conf:3:7: mac: expected no mac key when port already has mac=, got '02:00:00:00:00:01'");
	CHECK_STR(parse(BASE "prefix = 16\n", &c),
		  "vm.conf:3:10: prefix: expected no prefix (ip already has /len), got '16'");
}

static void eal_args(void)
{
	static struct dpdk_cfg c;
	char *argv[64], buf[4096], joined[4096] = "";

	CHECK(parse(BASE "mac = 02:00:00:00:00:01\nmode = 1kb\nnum_cores = 2\ncore_list = 1,0\n"
		    "file_prefix = vm1\neal_args = --log-level=lib.eal:debug\n", &c) == NULL);
	int argc = dpdk_cfg_eal_argv(&c, "x", false, argv, 64, buf, sizeof(buf));

	CHECK(argc > 0);
	for (int i = 1; i < argc; i++) {
		strcat(joined, argv[i]);
		strcat(joined, " ");
	}
	CHECK_STR(joined, "--lcores 0@(1,0),1@0 --file-prefix vm1 --no-telemetry --log-level=notice "
		  "--no-huge -m 161 "   /* 128 + 16 KB rx buffers */
		  "--no-shconf --single-file-segments --no-pci "
		  "--vdev=net_virtio_user0,path=/tmp/x.sock,queues=1,mac=02:00:00:00:00:01,queue_size=1024 "
		  "--log-level=lib.eal:debug ");
	CHECK(dpdk_cfg_eal_argv(&c, "x", false, argv, 5, buf, sizeof(buf)) < 0);
	/* without core_list nothing is pinned: every lcore floats */
	CHECK(parse(BASE "mode = 2kb\nnum_cores = 4\n", &c) == NULL);
	CHECK_EQ(c.cpu[0], -1);
	argc = dpdk_cfg_eal_argv(&c, "x", true, argv, 64, buf, sizeof(buf));
	CHECK(argc > 2);
	CHECK(!strncmp(argv[2], "0@(", 3));
	CHECK(strstr(argv[2], ",3@(") && strstr(argv[2], ",2@("));
	CHECK(!strstr(argv[2], ",1@"));
	CHECK_STR(argv[7], "--in-memory");
	/* log_level reaches EAL; a level EAL lacks is refused where it stands */
	CHECK(parse(BASE "log_level = info\nlog_file = /tmp/x.log\n", &c) == NULL);
	CHECK_STR(c.log_file, "/tmp/x.log");
	argc = dpdk_cfg_eal_argv(&c, "x", true, argv, 64, buf, sizeof(buf));
	CHECK_STR(argv[6], "--log-level=info");
	CHECK_STR(parse(BASE "log_level = loud\n", &c),
		  "vm.conf:3:13: log_level: expected error, warning, notice, info or debug, got 'loud'");
}

static void routes(void)
{
	static struct dpdk_cfg c;
	uint32_t a;

#define IP(s) (kb_parse_ipv4(s, &a), a)
	CHECK(parse(BASE "gateway = 10.0.0.254\nroute = 192.168.0.0/16 via 10.0.0.5\n"
		    "route = 192.168.7.0/24 via 10.0.0.6\n", &c) == NULL);
	CHECK_EQ(c.n_route, 2);
	CHECK_EQ(dpdk_cfg_next_hop(&c, IP("10.0.0.9")), IP("10.0.0.9"));         /* on-link */
	CHECK_EQ(dpdk_cfg_next_hop(&c, IP("192.168.1.1")), IP("10.0.0.5"));
	CHECK_EQ(dpdk_cfg_next_hop(&c, IP("192.168.7.1")), IP("10.0.0.6"));      /* longest */
	CHECK_EQ(dpdk_cfg_next_hop(&c, IP("8.8.8.8")), IP("10.0.0.254"));        /* default */
	CHECK(parse(BASE, &c) == NULL);
	CHECK_EQ(dpdk_cfg_next_hop(&c, IP("8.8.8.8")), IP("8.8.8.8"));           /* no gateway */
	CHECK_STR(parse(BASE "route = 192.168.0.0/16 10.0.0.5\n", &c),
		  "vm.conf:3:9: route: expected 'NET/LEN via GATEWAY' like 192.168.0.0/16 via 10.0.0.254, "
		  "got '192.168.0.0/16 10.0.0.5'");
	CHECK_STR(parse(BASE "route = 192.168.0.0/16 via 10.1.0.5\n", &c),
		  "vm.conf:3:9: route: expected a gateway on the VM's own prefix, got '192.168.0.0/16 via 10.1.0.5'");
	CHECK_STR(parse(BASE "gateway = 10.9.0.1\n", &c),
		  "vm.conf:3:11: gateway: expected a gateway on the VM's own prefix, got '10.9.0.1'");
#undef IP
}

static void set_cpus(cpu_set_t *s, int n)
{
	CPU_ZERO(s);
	for (int i = 0; i < n; i++)
		CPU_SET(i, s);
}

/* rxtx: inline when the VM has fewer CPUs than threads (kb_place leaves
 * VMs all CPUs but the last), unless the conf says otherwise */
static void rxtx_placement(void)
{
	static struct dpdk_cfg c;
	cpu_set_t s;

	CHECK(parse(BASE "mode = 1kb\nnum_cores = 2\n", &c) == NULL);
	CHECK_EQ(c.rxtx, DPDK_RXTX_AUTO);
	set_cpus(&s, 2);   /* the switch takes CPU 1: app core + RxTx on CPU 0 */
	CHECK_EQ(dpdk_cfg_cpus(&c, &s), 1);
	CHECK(dpdk_cfg_rxtx_inline(&c, 1));
	set_cpus(&s, 1);   /* one CPU: everything shares it */
	CHECK_EQ(dpdk_cfg_cpus(&c, &s), 1);
	set_cpus(&s, 3);
	CHECK_EQ(dpdk_cfg_cpus(&c, &s), 2);
	CHECK(!dpdk_cfg_rxtx_inline(&c, 2));
	CHECK(parse(BASE "mode = 2kb\nnum_cores = 4\n", &c) == NULL);
	set_cpus(&s, 4);
	CHECK(dpdk_cfg_rxtx_inline(&c, dpdk_cfg_cpus(&c, &s)));
	set_cpus(&s, 5);
	CHECK(!dpdk_cfg_rxtx_inline(&c, dpdk_cfg_cpus(&c, &s)));
	/* core_list: its distinct CPUs */
	CHECK(parse(BASE "mode = 1kb\nnum_cores = 2\ncore_list = 0,0\n", &c) == NULL);
	CHECK_EQ(dpdk_cfg_cpus(&c, &s), 1);
	CHECK(dpdk_cfg_rxtx_inline(&c, 1));
	/* the key overrides; single mode has no Rx/Tx work to place */
	CHECK(parse(BASE "mode = 1kb\nnum_cores = 2\nrxtx = threads\n", &c) == NULL);
	CHECK(!dpdk_cfg_rxtx_inline(&c, 1));
	CHECK(parse(BASE "mode = 2kb\nrxtx = inline\n", &c) == NULL);
	CHECK(dpdk_cfg_rxtx_inline(&c, 64));
	CHECK(parse(BASE "rxtx = inline\n", &c) == NULL);
	CHECK(!dpdk_cfg_rxtx_inline(&c, 1));
	CHECK_STR(parse(BASE "mode = 1kb\nrxtx = fast\n", &c),
		  "vm.conf:4:8: rxtx: expected auto, threads or inline, got 'fast'");
}

/* where mtcp_core_affinitize(i) binds app thread i */
static void app_cpus(void)
{
	static struct dpdk_cfg c;
	cpu_set_t s;

	/* no core_list, 2 CPUs: both app cores on CPU 0, off the switch's 1 */
	CHECK(parse(BASE "mode = 1kb\nnum_cores = 3\n", &c) == NULL);
	set_cpus(&s, 2);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 0), 0);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 1), 0);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 2), -1);    /* the RxTx core, not an app core */
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, -1), -1);
	set_cpus(&s, 4);                               /* CPU 3 is the switch's */
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 1), 1);
	/* core_list: its entries, in order */
	CHECK(parse(BASE "mode = 1kb\nnum_cores = 3\ncore_list = 1,0,1\n", &c) == NULL);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 0), 1);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 1), 0);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 2), -1);
	/* single mode: one app core, whatever num_cores says */
	CHECK(parse(BASE "num_cores = 2\ncore_list = 1,0\n", &c) == NULL);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 0), 1);
	CHECK_EQ(dpdk_cfg_app_cpu(&c, &s, 1), -1);
	/* the process's set: core_list's CPUs, else all but the switch's */
	cpu_set_t vm;

	dpdk_cfg_vm_cpuset(&c, &s, &vm);
	CHECK_EQ(CPU_COUNT(&vm), 2);
	CHECK(CPU_ISSET(0, &vm) && CPU_ISSET(1, &vm));
	CHECK(parse(BASE "mode = 1kb\nnum_cores = 3\n", &c) == NULL);
	set_cpus(&s, 2);
	dpdk_cfg_vm_cpuset(&c, &s, &vm);
	CHECK_EQ(CPU_COUNT(&vm), 1);
	CHECK(CPU_ISSET(0, &vm));
	set_cpus(&s, 1);                               /* one CPU: all of it */
	dpdk_cfg_vm_cpuset(&c, &s, &vm);
	CHECK_EQ(CPU_COUNT(&vm), 1);
	CHECK(CPU_ISSET(0, &vm));
}

/* rx_buf: 16 KB buffers of their own pool where a port takes LRO, room for
 * them in the default mem_mb, the pool's 2 KB elsewhere. */
static void rx_buffers(void)
{
	static struct dpdk_cfg c;

	CHECK(parse(BASE, &c) == NULL);
	CHECK_EQ(dpdk_cfg_rx_buf(&c, true), DPDK_RX_BUF_LRO);
	CHECK_EQ(dpdk_cfg_rx_buf(&c, false), DPDK_RX_BUF_STD);
	/* the 1024-slot vring's buffers and more: 2^k - 1 */
	CHECK(c.rx_pool_size >= 1024 + 256 && ((c.rx_pool_size + 1) & c.rx_pool_size) == 0);
	uint32_t mb = (uint32_t)(((uint64_t)c.rx_pool_size * DPDK_RX_BUF_LRO) >> 20);

	CHECK(c.mem_mb >= 128 + mb);
	/* a given mem_mb stays as it is */
	CHECK(parse(BASE "mem_mb = 96\n", &c) == NULL);
	CHECK_EQ(c.mem_mb, 96);
	/* no LRO without offloads, and no room taken for it */
	CHECK(parse(BASE "offloads = no\n", &c) == NULL);
	CHECK_EQ(dpdk_cfg_rx_buf(&c, true), DPDK_RX_BUF_STD);
	CHECK_EQ(c.mem_mb, 128);
	/* net_tap takes no LRO: nothing reserved */
	CHECK(parse("port = net_tap0,iface=kb0\nip = 10.0.0.1/24\n", &c) == NULL);
	CHECK_EQ(c.mem_mb, 128);
	/* asked for: whatever the port */
	CHECK(parse(BASE "rx_buf = 65407\n", &c) == NULL);
	CHECK_EQ(dpdk_cfg_rx_buf(&c, false), 65407);
	CHECK(c.mem_mb >= 128 + (uint32_t)(((uint64_t)c.rx_pool_size * 65407) >> 20));
	CHECK(parse(BASE "rx_buf = 1024\noffloads = no\n", &c) == NULL);
	CHECK_EQ(dpdk_cfg_rx_buf(&c, true), 1024);
	CHECK(c.rx_pool_size > 0);
	CHECK_STR(parse(BASE "rx_buf = 65408\n", &c),
		  "vm.conf:3:10: rx_buf: expected an integer in 1024..65407, got '65408'");
	CHECK_STR(parse(BASE "rx_buf = 512\n", &c),
		  "vm.conf:3:10: rx_buf: expected an integer in 1024..65407, got '512'");
	/* the big buffers' pool: given, kept; fewer than the vring's and
	 * DPDK_RX_POOL_SPARE would starve the vNIC's refill */
	CHECK(parse(BASE "rx_pool_size = 1280\n", &c) == NULL);
	CHECK_EQ(c.rx_pool_size, 1280);
	CHECK_STR(parse(BASE "rx_pool_size = 1279\n", &c),
		  "vm.conf:3:16: rx_pool_size: expected at least 1280 (the vNIC's 1024 rx "
		  "descriptors and 256), got '1279'");
	CHECK_STR(parse(BASE "nic_rx_desc = 2048\nrx_pool_size = 2000\n", &c),
		  "vm.conf:4:16: rx_pool_size: expected at least 2304 (the vNIC's 2048 rx "
		  "descriptors and 256), got '2000'");
}

KBTEST_MAIN(T(rx_buffers), T(routes), T(rxtx_placement), T(app_cpus), T(minimal_and_defaults), T(full_config), T(errors_have_positions), T(eal_args))
