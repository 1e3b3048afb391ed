/* kbswitch (sw2): the L2Forward table and the pipeline builder's checks,
 * without DPDK (the builder never calls it; the table is pure logic). */
#include "kbtest.h"
#include "script_builder.h"
#include "sw_l2tab.h"
#include "sw_pipeline.h"

static void table_add_lookup_delete(void)
{
	struct sw_l2tab *t = sw_l2_new(16, 4);
	int dup;
	CHECK(t);
	CHECK_EQ(sw_l2_lookup(t, 0x020000000001ull), -1);
	CHECK_EQ(sw_l2_add(t, 0x020000000001ull, 3, &dup), 0);
	CHECK_EQ(sw_l2_lookup(t, 0x020000000001ull), 3);
	CHECK_EQ(sw_l2_add(t, 0x020000000001ull, 4, &dup), -1);
	CHECK_EQ(dup, 1);
	CHECK_EQ(sw_l2_add(t, 0, 1, &dup), 0);     /* the all-zero MAC is a key too */
	CHECK_EQ(sw_l2_lookup(t, 0), 1);
	CHECK_EQ(sw_l2_del(t, 0x020000000001ull), 0);
	CHECK_EQ(sw_l2_lookup(t, 0x020000000001ull), -1);
	CHECK_EQ(sw_l2_del(t, 0x020000000001ull), -1);
	CHECK_EQ(t->count, 1);
	free(t);
}

static void table_full_bucket_is_an_error(void)
{
	/* One bucket of 4 ways: the fifth MAC has no room, and says so. */
	struct sw_l2tab *t = sw_l2_new(4, 4);
	int dup, added = 0;
	for (uint64_t m = 1; m <= 5; m++)
		added += sw_l2_add(t, m, 0, &dup) == 0;
	CHECK_EQ(added, 4);
	CHECK_EQ(dup, 0);
	struct sw_l2tab *c = sw_l2_clone(t);
	CHECK_EQ(sw_l2_del(c, 2), 0);
	CHECK_EQ(sw_l2_lookup(t, 2), 0);           /* the clone is independent */
	CHECK_EQ(sw_l2_lookup(c, 2), -1);
	free(t);
	free(c);
}

static void table_many_macs(void)
{
	struct sw_l2tab *t = sw_l2_new(4096, 8);
	int dup, fail = 0;
	for (uint64_t i = 0; i < 2048; i++)
		fail += sw_l2_add(t, 0x020000000000ull + i * 7919, (int)(i % 64), &dup) != 0;
	CHECK_EQ(fail, 0);
	for (uint64_t i = 0; i < 2048; i++)
		if (sw_l2_lookup(t, 0x020000000000ull + i * 7919) != (int)(i % 64))
			fail++;
	CHECK_EQ(fail, 0);
	free(t);
}

static int run(const char *text, char *msg, size_t len)
{
	static struct sw_pipeline pl;
	struct kb_err err = { 0 };
	sw_pipeline_init(&pl);
	struct script_builder b = sw_pipeline_builder(&pl);
	int rc = script_run_string("t", text, &b, &err);
	kb_err_str(&err, msg, len);
	if (!rc) {
		/* the graph as written */
		struct sw_module *l2 = sw_module_find(&pl, "l2");
		if (l2 && (l2->n_ogates != 3 || !l2->ogates[2].next ||
			   strcmp(l2->ogates[2].next->name, "r")))
			rc = 99;
	}
	sw_pipeline_free(&pl);
	return rc;
}

static void builder_valid_and_invalid(void)
{
	char m[1024];
	const char *ok =
		"p = PMDPort(vdev='net_null0')\n"
		"q = PMDPort(port_id=3, num_inc_q=2)\n"
		"l2::L2Forward(size=64, bucket=2)\n"
		"l2.add(entries=[{'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2}])\n"
		"g = l2.lookup(addrs=['ff:ff:ff:ff:ff:ff'])\n"
		"QueueInc(port=p, qid=0) -> l2\n"
		"QueueInc(port=q, qid=1) -> l2\n"
		"l2:0 -> QueueOut(port=p, qid=0)\n"
		"l2:2 -> r::Replicate(gates=[0]) -> Sink()\n"
		"r.set_gates(gates=[0, 1])\n"
		"bess.add_worker(wid=1, core=1)\n"
		"Source(pkt_size=64) -> Merge() -> PortOut(port=q)\n";
	CHECK_EQ(run(ok, m, sizeof(m)), 0);
	CHECK_EQ(run("p = PMDPort(vdev='x', pci='y')\n", m, sizeof(m)), -1);
	CHECK_STR(m, "t:1:12: PMDPort: exactly one of vdev=, pci=, port_id= is expected (2 given)");
	CHECK_EQ(run("p = PMDPort(port_id=0)\nPortInc(port=p) -> Sink()\nQueueInc(port=p, qid=0)\n",
		     m, sizeof(m)), -1);
	CHECK_STR(m, "t:3:22: incoming queue 0 of port 'p' is already used by 'portinc0'");
	CHECK_EQ(run("s::Sink()\ns.attach_task(wid=0)\n", m, sizeof(m)), -1);
	CHECK_STR(m, "t:2:3: Sink 's' is not a task module (QueueInc, PortInc, Source)");
	CHECK_EQ(run("s::Source()\ns.attach_task(wid=2)\n", m, sizeof(m)), -1);
	CHECK_STR(m, "t:2:3: worker 2 is not defined (bess.add_worker first)");
	CHECK_EQ(run("r::Replicate(gates=[64])\n", m, sizeof(m)), -1);
	CHECK(strstr(m, "t:1:21: ") == m);
	CHECK_EQ(run("l2::L2Forward(size=2, bucket=4)\n", m, sizeof(m)), -1);
	CHECK_STR(m, "t:1:30: L2Forward: 'bucket' (4) must not exceed 'size' (2)");
}

KBTEST_MAIN(T(table_add_lookup_delete), T(table_full_bucket_is_an_error),
	    T(table_many_macs), T(builder_valid_and_invalid))
