#include <pthread.h>

#include "arp_table.h"
#include "kbtest.h"

static const uint8_t M1[6] = { 2, 0, 0, 0, 0, 1 }, M2[6] = { 2, 0, 0, 0, 0, 2 };

static void learn_and_lookup(void)
{
	static struct arp_table t;
	uint8_t m[6];

	arp_table_init(&t);
	CHECK_EQ(arp_table_lookup(&t, 0x0200000a, m), -1);
	CHECK_EQ(arp_table_learn(&t, 0x0200000a, M1, false), ARP_LEARN_NEW);
	CHECK_EQ(arp_table_lookup(&t, 0x0200000a, m), 0);
	CHECK(!memcmp(m, M1, 6));
	CHECK_EQ(arp_table_learn(&t, 0x0200000a, M1, false), ARP_LEARN_SAME);
	CHECK_EQ(arp_table_learn(&t, 0x0200000a, M2, false), ARP_LEARN_UPDATED);
	CHECK_EQ(arp_table_lookup(&t, 0x0200000a, m), 0);
	CHECK(!memcmp(m, M2, 6));
	/* nonsense is never learned */
	const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, z[6] = { 0 };

	CHECK_EQ(arp_table_learn(&t, 0, M1, false), ARP_LEARN_INVALID);
	CHECK_EQ(arp_table_learn(&t, 0x0300000a, bc, false), ARP_LEARN_INVALID);
	CHECK_EQ(arp_table_learn(&t, 0x0300000a, z, false), ARP_LEARN_INVALID);
	CHECK_EQ(arp_table_lookup(&t, 0x0300000a, m), -1);
}

static void static_wins(void)
{
	static struct arp_table t;
	uint8_t m[6];

	arp_table_init(&t);
	CHECK_EQ(arp_table_learn(&t, 0x0500000a, M1, true), ARP_LEARN_NEW);
	CHECK_EQ(arp_table_learn(&t, 0x0500000a, M2, false), ARP_LEARN_STATIC_KEPT);
	CHECK_EQ(arp_table_lookup(&t, 0x0500000a, m), 0);
	CHECK(!memcmp(m, M1, 6));
	/* a static entry replaces a learned one */
	CHECK_EQ(arp_table_learn(&t, 0x0600000a, M2, false), ARP_LEARN_NEW);
	CHECK_EQ(arp_table_learn(&t, 0x0600000a, M1, true), ARP_LEARN_UPDATED);
	CHECK_EQ(arp_table_learn(&t, 0x0600000a, M2, false), ARP_LEARN_STATIC_KEPT);
}

static void full_table_is_counted(void)
{
	static struct arp_table t;
	uint8_t m[6];
	int learned = 0, full = 0;

	arp_table_init(&t);
	for (uint32_t i = 1; i <= ARP_TABLE_SIZE + 10; i++) {
		enum arp_learn r = arp_table_learn(&t, i << 8, M1, false);

		learned += r == ARP_LEARN_NEW;
		full += r == ARP_LEARN_FULL;
	}
	CHECK_EQ(learned, ARP_TABLE_SIZE - 1);
	CHECK_EQ(full, 11);
	CHECK_EQ(t.full, 11);
	for (uint32_t i = 1; i < ARP_TABLE_SIZE; i++)
		CHECK_EQ(arp_table_lookup(&t, i << 8, m), 0);
	CHECK_EQ(arp_table_lookup(&t, 0xdead, m), -1);   /* lookups of absent IPs end */
}

static void hold_bound_and_resolution(void)
{
	static struct arp_table t;
	struct arp_hold h;
	int pk[40];
	void *out[ARP_HOLD_PKTS];
	unsigned n;
	uint32_t ip;
	uint8_t mac[6];

	arp_table_init(&t);
	arp_hold_init(&h, 1000, 3);
	CHECK_EQ(arp_hold_add(&h, 0x0200000a, &pk[0], 0), ARP_HOLD_SEND_REQUEST);
	for (unsigned i = 1; i < ARP_HOLD_PKTS; i++)
		CHECK_EQ(arp_hold_add(&h, 0x0200000a, &pk[i], 0), ARP_HOLD_QUEUED);
	CHECK_EQ(arp_hold_add(&h, 0x0200000a, &pk[20], 0), ARP_HOLD_FULL);
	CHECK_EQ(h.active, 1);
	/* nothing due yet */
	CHECK_EQ(arp_hold_check(&h, 0, &t, 10, &ip, mac, out, &n), ARP_HOLD_IDLE);
	arp_table_learn(&t, 0x0200000a, M2, false);
	CHECK_EQ(arp_hold_check(&h, 0, &t, 20, &ip, mac, out, &n), ARP_HOLD_RESOLVED);
	CHECK_EQ(n, ARP_HOLD_PKTS);
	CHECK_EQ(ip, 0x0200000a);
	CHECK(!memcmp(mac, M2, 6));
	CHECK(out[0] == &pk[0] && out[ARP_HOLD_PKTS - 1] == &pk[ARP_HOLD_PKTS - 1]);  /* in order */
	CHECK_EQ(h.active, 0);
}

static void hold_retry_then_expire(void)
{
	static struct arp_table t;
	struct arp_hold h;
	int pk[2];
	void *out[ARP_HOLD_PKTS];
	unsigned n;
	uint32_t ip;
	uint8_t mac[6];

	arp_table_init(&t);
	arp_hold_init(&h, 1000, 3);
	CHECK_EQ(arp_hold_add(&h, 0x0900000a, &pk[0], 0), ARP_HOLD_SEND_REQUEST);
	CHECK_EQ(arp_hold_add(&h, 0x0900000a, &pk[1], 5), ARP_HOLD_QUEUED);
	CHECK_EQ(arp_hold_check(&h, 0, &t, 999, &ip, mac, out, &n), ARP_HOLD_IDLE);
	CHECK_EQ(arp_hold_check(&h, 0, &t, 1000, &ip, mac, out, &n), ARP_HOLD_RETRY);
	CHECK_EQ(ip, 0x0900000a);
	CHECK_EQ(arp_hold_check(&h, 0, &t, 1500, &ip, mac, out, &n), ARP_HOLD_IDLE);  /* rate limit */
	CHECK_EQ(arp_hold_check(&h, 0, &t, 2000, &ip, mac, out, &n), ARP_HOLD_RETRY);
	CHECK_EQ(arp_hold_check(&h, 0, &t, 3000, &ip, mac, out, &n), ARP_HOLD_EXPIRED);
	CHECK_EQ(n, 2);
	CHECK_EQ(h.active, 0);
	CHECK_EQ(arp_hold_check(&h, 0, &t, 9000, &ip, mac, out, &n), ARP_HOLD_IDLE);
}

static void hold_hop_limit(void)
{
	struct arp_hold h;
	int pk;

	arp_hold_init(&h, 1000, 3);
	for (uint32_t i = 1; i <= ARP_HOLD_HOPS; i++)
		CHECK_EQ(arp_hold_add(&h, i << 24, &pk, 0), ARP_HOLD_SEND_REQUEST);
	CHECK_EQ(arp_hold_add(&h, 0x7f, &pk, 0), ARP_HOLD_FULL);
	CHECK_EQ(h.active, ARP_HOLD_HOPS);
}

/* One writer (the Rx thread) flips MACs and adds entries while a reader
 * (an app core) looks them up: a reader sees an old or a new MAC, never a
 * mix, and never a half-published entry. */
static struct arp_table conc_t;
static int conc_stop;
static long conc_torn, conc_reads;

static void *conc_reader(void *arg)
{
	uint8_t m[6];

	while (!__atomic_load_n(&conc_stop, __ATOMIC_ACQUIRE)) {
		for (uint32_t ip = 1; ip <= 64; ip++) {
			if (arp_table_lookup(&conc_t, ip << 8, m) < 0)
				continue;
			__atomic_add_fetch(&conc_reads, 1, __ATOMIC_RELAXED);
			/* every MAC written is 02:x:x:x:x:x with all x equal */
			if (m[0] != 2 || m[1] != m[2] || m[2] != m[3] || m[3] != m[4] || m[4] != m[5])
				conc_torn++;
		}
	}
	return arg;
}

static void concurrent_reader(void)
{
	pthread_t th;

	arp_table_init(&conc_t);
	conc_stop = 0;
	conc_reads = 0;
	pthread_create(&th, NULL, conc_reader, NULL);
	/* run until the reader has really overlapped with the writer */
	for (int round = 0; round < 20000 || __atomic_load_n(&conc_reads, __ATOMIC_RELAXED) < 100000; round++) {
		uint8_t v = (uint8_t)(round * 7 + 1), mac[6] = { 2, v, v, v, v, v };
		uint32_t ip = (uint32_t)(round % 64 + 1) << 8;

		arp_table_learn(&conc_t, ip, mac, false);
	}
	__atomic_store_n(&conc_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK_EQ(conc_torn, 0);
	CHECK(conc_reads > 0);
}

KBTEST_MAIN(T(concurrent_reader), T(learn_and_lookup), T(static_wins), T(full_table_is_counted),
	    T(hold_bound_and_resolution), T(hold_retry_then_expire), T(hold_hop_limit))
