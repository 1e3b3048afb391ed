#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kb_conf.h"
#include <pthread.h>
#include <unistd.h>

#include "kb_hugepages.h"
#include "kb_idle.h"
#include "kb_parse.h"
#include "kb_place.h"
#include "kb_wait.h"
#include "kbtest.h"

static void mac_parse(void)
{
	uint8_t m[6] = { 0 };
	char buf[18];

	CHECK_EQ(kb_parse_mac("02:00:00:00:00:0a", m), 0);
	CHECK_EQ(m[0], 2);
	CHECK_EQ(m[5], 10);
	CHECK_STR(kb_fmt_mac(m, buf), "02:00:00:00:00:0a");
	CHECK_EQ(kb_parse_mac("ff-ff-ff-ff-ff-ff", m), 0);
	CHECK_EQ(m[3], 0xff);
	CHECK_EQ(kb_parse_mac("02:00:00:00:00", m), -1);
	CHECK_EQ(kb_parse_mac("02:00:00:00:00:0a:", m), -1);
	CHECK_EQ(kb_parse_mac("0g:00:00:00:00:0a", m), -1);
	/* heap strings of exact size: ASan sees a read past the NUL (fuzz_conf
	 * found `mac =` reading one byte past an empty value) */
	const char *cut[] = { "", "02:", "02:00:00:00:00:", "0" };

	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		char *h = strdup(cut[i]);

		CHECK_EQ(kb_parse_mac(h, m), -1);
		free(h);
	}
}

static void ipv4_and_cidr(void)
{
	uint32_t ip;
	uint8_t pfx;
	char buf[16];

	CHECK_EQ(kb_parse_ipv4("10.0.0.1", &ip), 0);
	CHECK_EQ(ip, htonl(0x0a000001));
	CHECK_STR(kb_fmt_ipv4(ip, buf), "10.0.0.1");
	CHECK_EQ(kb_parse_ipv4("10.0.0", &ip), -1);
	CHECK_EQ(kb_parse_cidr("10.0.0.0/24", &ip, &pfx), 0);
	CHECK_EQ(pfx, 24);
	CHECK_EQ(kb_parse_cidr("10.0.0.9", &ip, &pfx), 0);
	CHECK_EQ(pfx, 32);
	CHECK_EQ(kb_parse_cidr("10.0.0.0/33", &ip, &pfx), -1);
}

static void ints_and_bools(void)
{
	long long v;
	bool b;

	CHECK_EQ(kb_parse_int("0x20", 0, 100, &v), 0);
	CHECK_EQ(v, 32);
	CHECK_EQ(kb_parse_int("101", 0, 100, &v), -1);
	CHECK_EQ(kb_parse_int("12a", 0, 100, &v), -1);
	CHECK_EQ(kb_parse_int("", 0, 100, &v), -1);
	CHECK_EQ(kb_parse_bool("Yes", &b), 0);
	CHECK(b);
	CHECK_EQ(kb_parse_bool("off", &b), 0);
	CHECK(!b);
	CHECK_EQ(kb_parse_bool("maybe", &b), -1);
	CHECK(kb_is_pow2(1024));
	CHECK(!kb_is_pow2(1000));
	CHECK(!kb_is_pow2(0));
}

static void conf_reads_and_claims(void)
{
	struct kb_conf c;
	struct kb_err err;
	char buf[600];
	long long n = 1;
	uint32_t ip = 0;

	CHECK_EQ(kb_conf_load_str(&c, "vm.conf",
				  "# comment\n"
				  "num_cores = 2   # trailing\n"
				  "\n"
				  "ip = 10.0.0.1\n"
				  "arp = 10.0.0.2 02:00:00:00:00:02\n"
				  "arp = 10.0.0.3 02:00:00:00:00:03\n"
				  "  typo_key = 3\n", &err), 0);
	CHECK_EQ(kb_conf_int(&c, "num_cores", 1, 16, &n, &err), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(kb_conf_ipv4(&c, "ip", &ip, &err), 0);
	CHECK_EQ(ip, htonl(0x0a000001));
	int arps = 0;

	for (struct kb_conf_entry *e = NULL; (e = kb_conf_next(&c, "arp", e));)
		arps++;
	CHECK_EQ(arps, 2);
	CHECK_EQ(kb_conf_check_unused(&c, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "vm.conf:7:3: unknown key 'typo_key'");
	kb_conf_free(&c);
}

static void conf_bad_values_are_positioned(void)
{
	struct kb_conf c;
	struct kb_err err;
	char buf[600];
	long long n = 1;

	CHECK_EQ(kb_conf_load_str(&c, "a.conf", "x = 1\nnum_cores =  99\n", &err), 0);
	CHECK_EQ(kb_conf_int(&c, "num_cores", 1, 16, &n, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)),
		  "a.conf:2:14: num_cores: expected an integer in 1..16, got '99'");
	CHECK_EQ(n, 1);
	kb_conf_free(&c);
	CHECK_EQ(kb_conf_load_str(&c, "b.conf", "ok = 1\n  bad line\n", &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "b.conf:2:7: expected '=' after key 'bad'");
}

/* A NUL, a control byte, a duplicate one-value key: errors at their place. */
static void conf_refuses_what_is_not_config(void)
{
	struct kb_conf c;
	struct kb_err err;
	char buf[600];
	long long n = 1;

	CHECK_EQ(kb_conf_load_mem(&c, "n.conf", "ip = 1\nport = a\0b\nmode = x\n", 24, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)),
		  "n.conf:2:9: a NUL byte (a config file is text lines of key = value)");
	CHECK_EQ(kb_conf_load_str(&c, "e.conf", "\x7f" "ELF\x02", &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)),
		  "e.conf:1:1: control byte 0x7f (binary data? a config file is text lines of key = value)");
	CHECK_EQ(kb_conf_load_str(&c, "t.conf", "a = 1\t# tab\r\n", &err), 0);
	kb_conf_free(&c);
	/* the first value is bad, the second good: still the duplicate */
	CHECK_EQ(kb_conf_load_str(&c, "d.conf", "num_cores = lots\nx = 1\n  num_cores = 2\n", &err), 0);
	CHECK_EQ(kb_conf_int(&c, "num_cores", 1, 16, &n, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)),
		  "d.conf:3:3: duplicate key 'num_cores' (first at d.conf:1:1); it takes one value");
	kb_conf_free(&c);
	/* found by a raw lookup, reported by the unused-key check */
	CHECK_EQ(kb_conf_load_str(&c, "r.conf", "port = a\nport = b\narp = 1\narp = 2\n", &err), 0);
	CHECK(kb_conf_get(&c, "port") != NULL);
	for (struct kb_conf_entry *e = NULL; (e = kb_conf_next(&c, "arp", e));)
		;
	CHECK_EQ(kb_conf_check_unused(&c, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)),
		  "r.conf:2:1: duplicate key 'port' (first at r.conf:1:1); it takes one value");
	kb_conf_free(&c);
	/* a directory, a device that never ends */
	CHECK_EQ(kb_conf_load(&c, "/", &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "/: is a directory, expected a config file");
	CHECK_EQ(kb_conf_load(&c, "/dev/zero", &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)),
		  "/dev/zero: more than 1048576 bytes: not a config file");
}

static void idle_backs_off_and_resets(void)
{
	struct kb_idle s;

	kb_idle_init(&s, false, 10);
	for (int i = 0; i < 400; i++)
		kb_idle_account(&s, 0);
	CHECK(s.yields > 0);
	CHECK(s.sleeps > 0);
	CHECK(s.sleep_ns <= 10000);
	kb_idle_account(&s, 5);
	CHECK_EQ(s.empty, 0);
	kb_idle_init(&s, true, 10);
	for (int i = 0; i < 400; i++)
		kb_idle_account(&s, 0);
	CHECK_EQ(s.yields + s.sleeps, 0);
}

/* A loop with a wake-up polls its window (spin, then yield), then is told
 * to block; it never sleeps in steps; kicks within 100 us widen the
 * window, long blocks narrow it; a timeout leaves it idle. */
static void idle_window_then_block(void)
{
	struct kb_idle s;
	unsigned polls = 0;

	kb_idle_init(&s, false, 10);
	kb_idle_can_block(&s);
	while (!kb_idle_account(&s, 0))
		polls++;
	CHECK_EQ(polls, KB_IDLE_DEF_WINDOW);
	CHECK_EQ(s.sleeps, 0);
	CHECK(s.yields > 0);
	kb_idle_woke(&s, 1000, true);          /* a kick right after blocking */
	CHECK_EQ(s.window, 2 * KB_IDLE_DEF_WINDOW);
	CHECK_EQ(s.empty, 0);
	for (int i = 0; i < 20; i++)
		kb_idle_woke(&s, 1000, true);
	CHECK_EQ(s.window, KB_IDLE_MAX_WINDOW);
	for (int i = 0; i < 20; i++)
		kb_idle_woke(&s, 50000000, true);   /* long idle periods */
	CHECK_EQ(s.window, KB_IDLE_MIN_WINDOW);
	s.empty = s.window + 1;
	kb_idle_woke(&s, 2000000, false);      /* the caller's timeout */
	CHECK(kb_idle_account(&s, 0));         /* blocks again at once */
	CHECK(!kb_idle_account(&s, 3));        /* work resets */
	CHECK_EQ(s.empty, 0);
	kb_idle_init(&s, true, 10);            /* pure poll never blocks */
	kb_idle_can_block(&s);
	for (int i = 0; i < 10000; i++)
		CHECK(!kb_idle_account(&s, 0));
}

static void *kick_later(void *arg)
{
	usleep(20000);
	kb_wait_kick(arg);
	return NULL;
}

/* Blocks until a watched fd is readable, a kick from another thread, or
 * its timeout; reports which fd. */
static void wait_kick_fd_timeout(void)
{
	struct kb_wait w;
	int p[2], ready[4];
	pthread_t t;

	CHECK_EQ(kb_wait_init(&w), 0);
	CHECK_EQ(kb_wait_block(&w, 1000000, ready, 4), 0);      /* 1 ms: timeout */
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(kb_wait_add(&w, p[0]), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(kb_wait_block(&w, -1, ready, 4), 1);
	CHECK_EQ(ready[0], p[0]);
	CHECK_EQ(kb_wait_del(&w, p[0]), 0);
	pthread_create(&t, NULL, kick_later, &w);
	CHECK_EQ(kb_wait_block(&w, 5000000000LL, ready, 4), 1);  /* the kick, not 5 s */
	pthread_join(t, NULL);
	CHECK_EQ(w.kicks, 1);
	CHECK_EQ(kb_wait_block(&w, 0, ready, 4), 0);            /* kick consumed */
	kb_wait_prepare(&w);
	kb_wait_notify(&w);                                     /* sleeping: kicks */
	kb_wait_done(&w);
	kb_wait_notify(&w);                                     /* awake: does not */
	CHECK_EQ(w.kicks, 2);
	kb_wait_fini(&w);
	close(p[0]);
	close(p[1]);
	kb_wait_clear(&w);
	kb_wait_kick(&w);                                       /* nowhere: harmless */
}

#ifdef __x86_64__
/* In a child whose epoll_pwait2 answers ENOSYS (a seccomp filter, as on a
 * kernel before 5.11 or under valgrind 3.19): a timed block must still
 * sleep its time (it used to return at once, so the loop spun) and a kick
 * must still end it.  Returns the child's failed-check count. */
static int pwait2_missing_child(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(f) / sizeof(f[0])), f };
	struct kb_wait w;
	int ready[4], bad = 0;
	pthread_t t;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 100;
	if (kb_wait_init(&w))
		return 101;
	uint64_t t0 = kb_idle_now_ns();

	bad += kb_wait_block(&w, 30000000, ready, 4) != 0;        /* 30 ms: a timeout */
	bad += kb_idle_now_ns() - t0 < 25000000;                  /* ... that slept */
	pthread_create(&t, NULL, kick_later, &w);
	bad += kb_wait_block(&w, 5000000000LL, ready, 4) != 1;    /* the kick, not 5 s */
	pthread_join(t, NULL);
	kb_wait_fini(&w);
	return bad;
}

static void wait_without_pwait2(void)
{
	pid_t pid = fork();
	int st = -1;

	CHECK(pid >= 0);
	if (pid == 0)
		_exit(pwait2_missing_child());
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}
#endif

static void placement(void)
{
	cpu_set_t s;
	char buf[64];

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	CHECK_EQ(kb_place_switch_cpu(&s), -1);
	CHECK_EQ(kb_place_vm_cpus(&s, buf, sizeof(buf)), 1);
	CHECK_STR(buf, "0");
	CPU_SET(1, &s);
	CHECK_EQ(kb_place_switch_cpu(&s), 1);
	CHECK_EQ(kb_place_vm_cpus(&s, buf, sizeof(buf)), 1);
	CHECK_STR(buf, "0");
	CPU_ZERO(&s);
	CPU_SET(2, &s);
	CPU_SET(5, &s);
	CPU_SET(7, &s);
	CHECK_EQ(kb_place_switch_cpu(&s), 7);
	CHECK_EQ(kb_place_vm_cpus(&s, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "2,5");
	CHECK_EQ(kb_place_vm_cpus(&s, buf, 3), -1);
	/* app core i: the i-th VM CPU, round robin, never the switch's 7 */
	CHECK_EQ(kb_place_vm_cpu(&s, 0), 2);
	CHECK_EQ(kb_place_vm_cpu(&s, 1), 5);
	CHECK_EQ(kb_place_vm_cpu(&s, 2), 2);
	CHECK_EQ(kb_place_vm_cpu(&s, -1), -1);
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	CPU_SET(1, &s);
	CHECK_EQ(kb_place_vm_cpu(&s, 1), 0);   /* 2 CPUs: CPU 1 is the switch's */
	CPU_CLR(1, &s);
	CHECK_EQ(kb_place_vm_cpu(&s, 3), 0);   /* one CPU: everything shares it */
	CPU_ZERO(&s);
	CHECK_EQ(kb_place_vm_cpu(&s, 0), -1);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* counted as EAL counts: free less reserved; nothing without hugetlbfs */
static void hugepages_free_and_fit(void)
{
	char mi[] = "/tmp/kbtest_meminfo.XXXXXX", mo[] = "/tmp/kbtest_mounts.XXXXXX";
	int a = mkstemp(mi), b = mkstemp(mo);

	CHECK(a >= 0 && b >= 0);
	close(a);
	close(b);
	write_file(mi, "MemTotal: 1000 kB\nHugePages_Total: 768\nHugePages_Free: 300\n"
		   "HugePages_Rsvd: 100\nHugePages_Surp: 0\nHugepagesize: 2048 kB\n");
	write_file(mo, "proc /proc proc rw 0 0\nnodev /dev/hugepages hugetlbfs rw,pagesize=2M 0 0\n");
	CHECK_EQ(kb_hugepages_free_mb(mi, mo), 400);
	write_file(mi, "HugePages_Free: 10\nHugePages_Rsvd: 12\nHugepagesize: 2048 kB\n");
	CHECK_EQ(kb_hugepages_free_mb(mi, mo), 0);
	write_file(mo, "proc /proc proc rw 0 0\n");
	CHECK_EQ(kb_hugepages_free_mb(mi, mo), 0);
	unlink(mi);
	unlink(mo);

	char *in[] = { "kbswitch", "--in-memory", "-m", "128", "--no-pci", "--", "-f", "x", NULL };
	char *out[12];
	long mb = 0;

	CHECK_EQ(kb_hugepages_fit_args(8, in, out, 12, 128, &mb), 0);   /* enough */
	CHECK_EQ(mb, 128);
	CHECK_EQ(kb_hugepages_fit_args(8, in, out, 12, 126, &mb), 9);
	const char *want[] = { "kbswitch", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			       "--", "-f", "x" };
	for (int i = 0; i < 9; i++)
		CHECK_STR(out[i], want[i]);
	CHECK(out[9] == NULL);
	CHECK_EQ(kb_hugepages_fit_args(8, in, out, 9, 0, &mb), -1);     /* no room */
	/* -m256 with no "--"; --no-shconf already there */
	char *in2[] = { "kbgen", "-m256", "--no-shconf", "--in-memory", NULL };
	CHECK_EQ(kb_hugepages_fit_args(4, in2, out, 12, 0, &mb), 4);
	CHECK_EQ(mb, 256);
	CHECK_STR(out[3], "--no-huge");
	/* already --no-huge, no --in-memory, no -m, an -m after "--": left alone */
	char *in3[] = { "x", "--no-huge", "-m", "64", NULL };
	char *in4[] = { "x", "-m", "64", NULL };
	char *in5[] = { "x", "--in-memory", NULL };
	char *in6[] = { "x", "--in-memory", "--", "-m", "64", NULL };
	CHECK_EQ(kb_hugepages_fit_args(4, in3, out, 12, 0, &mb), 0);
	CHECK_EQ(kb_hugepages_fit_args(3, in4, out, 12, 0, &mb), 0);
	CHECK_EQ(kb_hugepages_fit_args(2, in5, out, 12, 0, &mb), 0);
	CHECK_EQ(kb_hugepages_fit_args(5, in6, out, 12, 0, &mb), 0);
}

KBTEST_MAIN(T(mac_parse), T(ipv4_and_cidr), T(ints_and_bools),
	    T(conf_reads_and_claims), T(conf_bad_values_are_positioned),
	    T(conf_refuses_what_is_not_config),
	    T(idle_backs_off_and_resets), T(idle_window_then_block),
	    T(wait_kick_fd_timeout),
#ifdef __x86_64__
	    T(wait_without_pwait2),
#endif
	    T(placement), T(hugepages_free_and_fit))
