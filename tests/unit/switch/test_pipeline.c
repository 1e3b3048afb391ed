/* The switch's pure logic, without EAL: the L2 table, and pipelines built and
 * validated through the same builder callbacks the script engine uses (which
 * is also the proof that building calls no DPDK function). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbtest.h"
#include "l2_table.h"
#include "pipeline.h"

static void test_l2_table(void)
{
	struct l2_table *t = l2_table_new(8, 2);
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	uint64_t k = l2_mac_key(mac), same[3];
	int n = 0;

	CHECK(t != NULL);
	CHECK_EQ(l2_lookup(t, k), -1);
	CHECK_EQ(l2_table_add(t, k, 7), 0);
	CHECK_EQ(l2_lookup(t, k), 7);
	CHECK_EQ(l2_table_add(t, k, 3), -2);
	CHECK_EQ(t->count, 1u);
	CHECK_EQ(l2_table_del(t, k), 0);
	CHECK_EQ(l2_table_del(t, k), -1);
	CHECK_EQ(l2_lookup(t, k), -1);
	/* Three keys of one bucket: the third finds it full. */
	for (uint64_t m = 1; n < 3; m++)
		if ((l2_hash(m | L2_VALID) & t->mask) == 0)
			same[n++] = m | L2_VALID;
	CHECK_EQ(l2_table_add(t, same[0], 1), 0);
	CHECK_EQ(l2_table_add(t, same[1], 2), 0);
	CHECK_EQ(l2_table_add(t, same[2], 3), -1);
	CHECK_EQ(l2_lookup(t, same[1]), 2);
	struct l2_table *c = l2_table_clone(t);
	CHECK_EQ(l2_table_del(c, same[0]), 0);
	CHECK_EQ(l2_lookup(t, same[0]), 1);   /* the published copy is untouched */
	CHECK_EQ(l2_lookup(c, same[0]), -1);
	free(c);
	free(t);
}

static const char forward[] =
	"p1 = PMDPort(vdev='net_vhost0,iface=/nonexistent/a.sock')\n"
	"p2 = PMDPort(vdev='net_vhost1,iface=/nonexistent/b.sock', size_out_q=512)\n"
	"in1::QueueInc(port=p1, qid=0)\n"
	"in2::QueueInc(port=p2)\n"
	"out1::QueueOut(port=p1)\n"
	"out2::QueueOut(port=p2)\n"
	"l2::L2Forward(size=64, bucket=4)\n"
	"l2.add(entries=[{'addr': '02:00:00:00:00:01', 'gate': 0},\n"
	"                {'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2}])\n"
	"g = l2.lookup(['ff:ff:ff:ff:ff:ff'])\n"
	"in1 -> l2\n"
	"in2 -> l2\n"
	"l2:0 -> out1\n"
	"l2:1 -> out2\n"
	"reps = [Replicate(gates=[0, 1])]\n"
	"l2:2 -> reps[0] -> out1\n"
	"reps[0]:1 -> out2\n";

static char *ctl(struct pipeline *pl, const char *line, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = pipeline_ctl(pl, line, f);
	fclose(f);
	return buf;
}

/* Builds text into pl (validation only); returns the script's status. */
static int build(struct pipeline *pl, const char *file, const char *text)
{
	struct script_builder b;
	struct kb_err err = {0};
	int rc;

	pipeline_init(pl);
	pipeline_builder(pl, &b);
	rc = script_run_string(file, text, &b, &err);
	if (rc)
		printf("  %s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
	return rc;
}

/* The answer to line must be want (exactly), with status want_rc. */
#define CTL_IS(pl, line, want_rc, want) do {                \
		int rc_;                                    \
		char *o_ = ctl(pl, line, &rc_);             \
		CHECK_EQ(rc_, want_rc);                     \
		CHECK_STR(o_, want);                        \
		free(o_);                                   \
	} while (0)

static void test_build_forward(void)
{
	struct pipeline pl;
	char *out;
	int rc;

	CHECK_EQ(build(&pl, "fwd.bess", forward), 0);
	CHECK_EQ(pl.n_mods, 8);
	CHECK(pipeline_find(&pl, "replicate0") != NULL);
	out = ctl(&pl, "show pipeline", &rc);
	CHECK_EQ(rc, 0);
	CHECK(strstr(out, "  l2:2 -> 0:replicate0 pkts=0") != NULL);
	CHECK(strstr(out, "  replicate0:1 -> 0:out2 pkts=0") != NULL);
	CHECK(strstr(out, "entries=2 default_gate=-1") != NULL);
	free(out);
	/* kbctl's edits go through the same table. */
	out = ctl(&pl, "add l2 l2 02:00:00:00:00:02 1", &rc);
	CHECK_EQ(rc, 0);
	CHECK_STR(out, "ok\n");
	free(out);
	out = ctl(&pl, "add l2 l2 02:00:00:00:00:02 1", &rc);
	CHECK_EQ(rc, -1);
	CHECK_STR(out, "error: 02:00:00:00:00:02: address already in the table (delete it first)\n");
	free(out);
	out = ctl(&pl, "del l2 l2 02:00:00:00:00:01", &rc);
	CHECK_EQ(rc, 0);
	free(out);
	out = ctl(&pl, "del l2 in1 02:00:00:00:00:01", &rc);
	CHECK_EQ(rc, -1);
	CHECK_STR(out, "error: 'in1' is not an L2Forward module\n");
	free(out);
	out = ctl(&pl, "add l2 l2 02:00:00:00:00:zz 1", &rc);
	CHECK_EQ(rc, -1);
	free(out);
	out = ctl(&pl, "frobnicate", &rc);
	CHECK_EQ(rc, -1);
	free(out);
	out = ctl(&pl, "show module", &rc);
	CHECK(strstr(out, "entries=2 ") != NULL);
	CHECK(strstr(out, "PMDPort") == NULL);
	free(out);
	out = ctl(&pl, "show port", &rc);
	CHECK(strstr(out, "p2::PMDPort vdev=net_vhost1,iface=/nonexistent/b.sock (not started)") != NULL);
	free(out);
	pipeline_free(&pl);
}

/* kbctl's words reach a module's ctl_cmds through one dispatcher: word
 * counts are checked before the command runs, unknown ones are named. */
static void test_ctl_commands(void)
{
	struct pipeline pl;
	char *out;
	int rc;

	CHECK_EQ(build(&pl, "c.bess", "l2::L2Forward()\nr::Replicate(gates=[0])\n"
		       "s::Sink()\nl2 -> r\n"), 0);
	CTL_IS(&pl, "command module l2 add 02:00:00:00:00:01 3", 0, "ok\n");
	CTL_IS(&pl, "command module l2 lookup 02:00:00:00:00:01", 0, "3\n");
	CTL_IS(&pl, "command module l2 add 02:00:00:00:00:02 0 extra", -1,
	       "error: l2 add: expected 'add MAC GATE' (2 arguments, got 3)\n");
	CTL_IS(&pl, "add l2 l2 02:00:00:00:00:02 0 extra", -1,
	       "error: expected 'add l2 NAME MAC GATE' (5 words, got 6)\n");
	/* nothing was added by the refused requests */
	CTL_IS(&pl, "command module l2 lookup 02:00:00:00:00:02", -1,
	       "error: 02:00:00:00:00:02: address not in the table\n");
	CTL_IS(&pl, "command module l2 frob", -1, "error: l2 (L2Forward) has no command 'frob' "
	       "(expected one of add, delete, lookup, set_default_gate, save)\n");
	CTL_IS(&pl, "command module s frob", -1, "error: s (Sink) has no command 'frob' (it has no commands)\n");
	CTL_IS(&pl, "command module nope add", -1, "error: no module 'nope'\n");
	CTL_IS(&pl, "command module l2 set_default_gate 64", -1,
	       "error: gate '64' is not an integer -1..63\n");
	CTL_IS(&pl, "command module r set_gates 0 1 1", -1, "error: gate '1' is listed twice\n");
	CTL_IS(&pl, "command module r set_gates 2 0", 0, "ok\n");
	CTL_IS(&pl, "command module r set_gates", -1,
	       "error: r set_gates: expected 'set_gates GATE...' (1..64 arguments, got 0)\n");
	out = ctl(&pl, "show module", &rc);
	CHECK(strstr(out, "r::Replicate drops=0 gates=[2, 0]") != NULL);
	free(out);
	out = ctl(&pl, "command module r", &rc);
	CHECK(strstr(out, "command module r set_gates GATE...\n") != NULL);
	free(out);
	out = ctl(&pl, "stats", &rc);
	CHECK(!strncmp(out, "time ", 5));
	CHECK(strstr(out, "\ngate l2:0->0:r 0 0\n") != NULL);
	CHECK(strstr(out, "\nmodule s 0\n") != NULL);
	free(out);
	pipeline_free(&pl);
}

/* error (file:line:col: msg) of a script, or "" */
static const char *build_err(const char *text, char *buf, size_t len)
{
	struct pipeline pl;
	struct script_builder b;
	struct kb_err err = {0};

	pipeline_init(&pl);
	pipeline_builder(&pl, &b);
	buf[0] = 0;
	if (script_run_string("t.bess", text, &b, &err) < 0 || pipeline_check(&pl, &err) < 0)
		kb_err_str(&err, buf, len);
	pipeline_free(&pl);
	return buf;
}

static void test_build_errors(void)
{
	char e[1024];

	CHECK_STR(build_err("s::Sink()\nm::Merge()\nm:0 -> s\nx::Sink()\nm:0 -> x\n", e, sizeof(e)),
		  "t.bess:5:5: output gate 0 of 'm' is already connected to 's' (an output gate feeds one input gate)");
	CHECK_STR(build_err("s::Sink()\nm::Merge()\nm -> 5:s\n", e, sizeof(e)), "");   /* many igates */
	CHECK_STR(build_err("q::QueueOut(port=s)\n", e, sizeof(e)),
		  "t.bess:1:18: NameError: name 's' is not defined");
	CHECK_STR(build_err("s::Sink()\nq::QueueOut(port=s)\n", e, sizeof(e)),
		  "t.bess:2:18: QueueOut: 's' is a Sink, expected a PMDPort or VhostPort");
	CHECK_STR(build_err("p = PMDPort(vdev='net_null0', num_out_q=2)\n"
			    "a::PortOut(port=p)\nb::QueueOut(port=p, qid=1)\n", e, sizeof(e)),
		  "t.bess:3:18: QueueOut: outgoing queue 1 of port 'p' is already claimed by 'a'");
	CHECK_STR(build_err("p = PMDPort(vdev='net_null0')\nq::QueueOut(port=p, qid=1)\n", e, sizeof(e)),
		  "t.bess:2:18: QueueOut: port 'p' has 1 outgoing queue(s), no queue 1");
	CHECK_STR(build_err("r::Replicate(gates=[1, 1])\n", e, sizeof(e)),
		  "t.bess:1:24: Replicate: gate 1 is listed twice");
	CHECK_STR(build_err("l::L2Forward()\nl.delete(['02:00:00:00:00:01'])\n", e, sizeof(e)),
		  "t.bess:2:11: L2Forward.delete: address 02:00:00:00:00:01 is not in the table");
	CHECK_STR(build_err("l::L2Forward(bucket=8, size=4)\n", e, sizeof(e)),
		  "t.bess:1:21: L2Forward: bucket (8) must not exceed size (4)");
	CHECK_STR(build_err("s::Sink()\ns.attach_task(wid=0)\n", e, sizeof(e)),
		  "t.bess:2:3: 's' (Sink) is not a task module");
	CHECK_STR(build_err("s::Source()\ns.attach_task(wid=3)\n", e, sizeof(e)),
		  "t.bess:2:3: worker 3 does not exist (expected bess.add_worker(wid=3, core=...) first)");
	CHECK_STR(build_err("bess.add_worker(wid=1, core=1)\nbess.add_worker(wid=2, core=1)\n", e, sizeof(e)),
		  "t.bess:2:6: core 1 already runs worker 1 (two pollers on one core collapse)");
	CHECK_STR(build_err("s::Sink()\ns::Sink()\n", e, sizeof(e)), "t.bess:2:1: 's' is already defined");
	/* the modules BESS users test a switch with: their arguments checked */
	static const struct { const char *text, *want; } mods[] = {
		{ "Rewrite(templates=['ab'])\n",
		  "t.bess:1:20: Rewrite: a template is bytes (bytes(pkt) of a scapy packet), got str" },
		{ "Rewrite(templates=[b'x' * 60, b'y' * 2000])\n",
		  "t.bess:1:31: Rewrite: template 1 is 2000 bytes (expected 14..1536)" },
		{ "Rewrite(templates=[b'x' * 60] * 17)\n",
		  "t.bess:1:19: Rewrite: at most 16 templates, got 17" },
		{ "Rewrite(templates=[])\nRewrite()\n",
		  "" },
		{ "RoundRobin(gates=[0, 1], mode='flow')\n",
		  "t.bess:1:31: RoundRobin: mode is 'batch' or 'packet'" },
		{ "RoundRobin(gates=[])\n",
		  "t.bess:1:18: RoundRobin: gates=[] lists no gate (every packet would be dropped; expected at least one)" },
		{ "RoundRobin(mode='packet')\n",
		  "t.bess:1:11: RoundRobin needs gates=[N, ...]" },
		{ "r::RoundRobin([0, 1])\nr.set_mode('packet')\nr.set_gates(gates=[2])\n",
		  "" },
		{ "RandomUpdate(fields=[{'offset': 34, 'size': 5, 'min': 0, 'max': 1}])\n",
		  "t.bess:1:45: 'size' must be in [0, 4], got 5" },
		{ "RandomUpdate(fields=[{'offset': 34, 'size': 1, 'min': 0, 'max': 256}])\n",
		  "t.bess:1:65: RandomUpdate: expected min <= max < 2^(8*size) (got min 0, max 256, size 1)" },
		{ "RandomUpdate(fields=[{'offset': 34, 'size': 2, 'min': 0}])\n",
		  "t.bess:1:22: RandomUpdate: field 0 has no 'max'" },
		{ "VLANPush(tci=65536)\n",
		  "t.bess:1:14: 'tci' must be in [0, 65535], got 65536" },
		{ "VLANPush()\n",
		  "t.bess:1:9: VLANPush needs tci=<int>" },
		{ "v::VLANPush(tci=1)\nv.set_tci(tci=2)\nVLANPop() -> Bypass() -> Sink()\n",
		  "" },
	};
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		CHECK_STR(build_err(mods[i].text, e, sizeof(e)), mods[i].want);
}

/* Modules call each other directly: a cycle would recurse until the stack
 * overflows, so building refuses it at a module on the loop. */
static void test_build_cycles(void)
{
	char e[1024];

	CHECK_STR(build_err("s::Source()\na::Merge()\nb::Merge()\ns -> a\na -> b\nb -> 1:a\n", e, sizeof(e)),
		  "t.bess:3:1: 'b' feeds back into 'a': a -> b -> a is a cycle, where a packet would loop forever");
	CHECK_STR(build_err("s::Source()\nm::Merge()\ns -> m\nm -> 1:m\n", e, sizeof(e)),
		  "t.bess:2:1: 'm' feeds back into 'm': m -> m is a cycle, where a packet would loop forever");
	/* a cycle nothing feeds is refused too, and a long one shows its ends */
	char text[4096] = "";
	size_t n = 0;

	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "m%d::Merge()\n", i);
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "m%d -> 1:m%d\n", i, (i + 1) % 20);
	CHECK_STR(build_err(text, e, sizeof(e)),
		  "t.bess:20:1: 'm19' feeds back into 'm0': m0 -> m1 -> m2 -> ... -> m18 -> m19 -> m0 is a cycle, where a packet would loop forever");
	/* a diamond is no cycle */
	CHECK_STR(build_err("s::Source()\nr::Replicate(gates=[0, 1])\nm::Merge()\nk::Sink()\n"
			    "s -> r\nr:0 -> 0:m\nr:1 -> 1:m\nm -> k\n", e, sizeof(e)), "");
}

/* 40k modules in a chain build and are found through the name index. */
static void test_build_many(void)
{
	enum { N = 40000 };
	struct pipeline pl;
	struct script_builder b;
	struct kb_err err = {0};
	struct script_pos pos = { "t.bess", 1, 1 };
	struct script_args args;
	char name[64], prev[64], out[64];
	int bad = 0;

	memset(&args, 0, sizeof(args));
	pipeline_init(&pl);
	pipeline_builder(&pl, &b);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		bad += b.create(b.ctx, name, "Merge", &args, &pos, out, &err) != 0;
		if (i)
			bad += b.connect(b.ctx, prev, 0, name, 0, &pos, &err) != 0;
		memcpy(prev, name, sizeof(prev));
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(pl.n_mods, N);
	for (int i = 0; i < N; i += 997) {
		snprintf(name, sizeof(name), "m%d", i);
		CHECK(pipeline_find(&pl, name) == pl.mods[i]);
	}
	CHECK(pipeline_find(&pl, "m40000") == NULL);
	CHECK_EQ(pipeline_check(&pl, &err), 0);
	/* closing the chain into a ring makes a 40k-module cycle */
	CHECK_EQ(b.connect(b.ctx, prev, 0, "m0", 1, &pos, &err), 0);
	CHECK_EQ(pipeline_check(&pl, &err), -1);
	pipeline_free(&pl);
}

KBTEST_MAIN(T(test_l2_table), T(test_build_forward), T(test_ctl_commands), T(test_build_errors),
	    T(test_build_cycles), T(test_build_many))
