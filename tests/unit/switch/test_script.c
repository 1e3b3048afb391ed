/* Unit tests of the script language against a recording builder: the
 * builder logs each callback as one line, and the tests compare logs and
 * "file:line:col: message" errors exactly. */
#include "kbtest.h"
#include "script_builder.h"
#include "script_str.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rec {
	struct sbuf log;
	char names[64][64];
	int nnames, anon;
};

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct rec *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sbuf_puts(&r->log, buf);
}

static void log_args(struct rec *r, const struct script_args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		logf_(r, "%s%s=", i ? ", " : "", a->items[i].key);
		script_value_text(&r->log, a->items[i].val, 1);
	}
}

static int rec_exists(void *ctx, const char *name)
{
	struct rec *r = ctx;

	for (int i = 0; i < r->nnames; i++)
		if (!strcmp(r->names[i], name))
			return 1;
	return 0;
}

static int rec_create(void *ctx, const char *name, const char *cls,
		      const struct script_args *args, const struct script_pos *pos,
		      char out_name[64], struct kb_err *err)
{
	struct rec *r = ctx;
	const struct script_value *bad = script_args_get(args, "bad");

	/* a builder blaming an argument, and one leaving the position out */
	if (bad)
		return script_err_at(err, &bad->pos, "bad value for 'bad'");
	if (!strcmp(cls, "Nope"))
		return kb_err_set(err, "unknown module class 'Nope'");
	if (!name)
		snprintf(out_name, 64, "%c%s%d", cls[0] | 0x20, cls + 1, r->anon++);
	if (r->nnames < 64)
		snprintf(r->names[r->nnames++], 64, "%s", name ? name : out_name);
	logf_(r, "create %s %s(", name ? name : out_name, cls);
	log_args(r, args);
	logf_(r, ") @%d:%d (%d:%d)\n", pos->line, pos->col, args->pos.line, args->pos.col);
	return 0;
}

static int rec_connect(void *ctx, const char *from, int ogate, const char *to,
		       int igate, const struct script_pos *pos, struct kb_err *err)
{
	if (ogate == 99)
		return kb_err_set(err, "no gate 99");
	logf_(ctx, "connect %s:%d -> %d:%s @%d:%d\n", from, ogate, igate, to,
	      pos->line, pos->col);
	return 0;
}

static int rec_call(void *ctx, const char *obj, const char *cmd,
		    const struct script_args *args, const struct script_pos *pos,
		    struct script_value **result, struct kb_err *err)
{
	struct rec *r = ctx;

	if (!strcmp(cmd, "fail"))
		return -1;   /* neither message nor position */
	logf_(r, "call %s.%s(", obj, cmd);
	log_args(r, args);
	logf_(r, ") @%d:%d\n", pos->line, pos->col);
	if (!strcmp(cmd, "get")) {
		*result = script_value_new(SV_INT, *pos);
		(*result)->i = 42;
	}
	return 0;
}

static int rec_add_worker(void *ctx, int wid, int core, const struct script_pos *pos,
			  struct kb_err *err)
{
	if (core == 999)
		return kb_err_set(err, "no core 999");
	logf_(ctx, "worker %d core %d @%d:%d\n", wid, core, pos->line, pos->col);
	return 0;
}

static int rec_attach(void *ctx, const char *module, int wid,
		      const struct script_pos *pos, struct kb_err *err)
{
	if (wid == 7)
		return -1;
	logf_(ctx, "attach %s wid %d @%d:%d\n", module, wid, pos->line, pos->col);
	return 0;
}

/* Runs text as "t.bess"; returns the log or "ERR <error>" (caller frees). */
static char *run(const char *text)
{
	struct rec r = { 0 };
	struct script_builder b = {
		.ctx = &r, .create = rec_create, .connect = rec_connect,
		.call = rec_call, .add_worker = rec_add_worker,
		.attach_task = rec_attach, .exists = rec_exists,
	};
	struct kb_err err = { 0 };

	if (script_run_string("t.bess", text, &b, &err) < 0) {
		char buf[1024];

		free(r.log.s);
		r.log = (struct sbuf){ 0 };
		sbuf_puts(&r.log, "ERR ");
		sbuf_puts(&r.log, kb_err_str(&err, buf, sizeof(buf)));
	}
	return sbuf_take(&r.log);
}

#define CHECK_RUN(text, want) do { \
	char *_got = run(text); \
	CHECK_STR(_got, want); \
	free(_got); \
} while (0)

static const char seed[] =
	"vm0_sock = $KB_TEST_UNSET_VM0!'/tmp/kbnet/vm0.sock'\n"
	"p0 = PMDPort(vdev='net_vhost0,iface={},queues=1'.format(vm0_sock), num_inc_q=1, num_out_q=1)\n"
	"in0::QueueInc(port=p0, qid=0)\n"
	"out0::QueueOut(port=p0, qid=0)\n"
	"l2::L2Forward()\n"
	"l2.add(entries=[{'addr': '02:00:00:00:00:01', 'gate': 0},\n"
	"                {'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2}])\n"
	"rep::Replicate(gates=[0, 1])\n"
	"in0 -> l2\n"
	"l2:0 -> out0\n"
	"l2:2 -> rep\n"
	"rep:0 -> out0\n"
	"bess.add_worker(wid=0, core=1)\n"
	"in0.attach_task(wid=0)\n";

static void test_seed_script(void)
{
	unsetenv("KB_TEST_UNSET_VM0");
	CHECK_RUN(seed,
		"create p0 PMDPort(vdev='net_vhost0,iface=/tmp/kbnet/vm0.sock,queues=1', num_inc_q=1, num_out_q=1) @2:6 (2:13)\n"
		"create in0 QueueInc(port=p0, qid=0) @3:1 (3:14)\n"
		"create out0 QueueOut(port=p0, qid=0) @4:1 (4:15)\n"
		"create l2 L2Forward() @5:1 (5:14)\n"
		"call l2.add(entries=[{'addr': '02:00:00:00:00:01', 'gate': 0}, {'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2}]) @6:4\n"
		"create rep Replicate(gates=[0, 1]) @8:1 (8:15)\n"
		"connect in0:0 -> 0:l2 @9:5\n"
		"connect l2:0 -> 0:out0 @10:6\n"
		"connect l2:2 -> 0:rep @11:6\n"
		"connect rep:0 -> 0:out0 @12:7\n"
		"worker 0 core 1 @13:6\n"
		"attach in0 wid 0 @14:5\n");
	/* the environment wins over the default */
	setenv("KB_TEST_VM0", "/run/x.sock", 1);
	CHECK_RUN("s = $KB_TEST_VM0!'/tmp/d'\np = PMDPort(vdev=s)\n",
		  "create p PMDPort(vdev='/run/x.sock') @2:5 (2:12)\n");
	CHECK_RUN("p = PMDPort(vdev=$KB_TEST_VM0)\n",
		  "create p PMDPort(vdev='/run/x.sock') @1:5 (1:12)\n");
	unsetenv("KB_TEST_VM0");
}

static void test_chains_and_gates(void)
{
	CHECK_RUN("a::Src()\nb::Sink()\nc::Sink()\na -> b -> c\n",
		  "create a Src() @1:1 (1:7)\ncreate b Sink() @2:1 (2:8)\ncreate c Sink() @3:1 (3:8)\n"
		  "connect a:0 -> 0:b @4:3\nconnect b:0 -> 0:c @4:8\n");
	/* anonymous module with an input gate in the middle of a chain */
	CHECK_RUN("a::Src()\nc::Sink()\na:1 -> 2:Merge() -> c\n",
		  "create a Src() @1:1 (1:7)\ncreate c Sink() @2:1 (2:8)\n"
		  "create merge0 Merge() @3:10 (3:15)\n"
		  "connect a:1 -> 2:merge0 @3:5\nconnect merge0:0 -> 0:c @3:18\n");
	/* igate:module:ogate, named creates inside a chain, gates from names */
	CHECK_RUN("g = 3\nx::Src():g -> 4:y::Mid():5 -> g:z::Sink(n=1)\n",
		  "create x Src() @2:1 (2:7)\ncreate y Mid() @2:17 (2:23)\n"
		  "connect x:3 -> 4:y @2:12\ncreate z Sink(n=1) @2:33 (2:40)\n"
		  "connect y:5 -> 3:z @2:28\n");
	/* an anonymous module at the head; a name bound to an object */
	CHECK_RUN("s::Sink()\nt = s\nSrc(n=2) -> IGATE:t\n",
		  "ERR t.bess:3:13: undefined name 'IGATE'");
	CHECK_RUN("s::Sink()\nt = s\nSrc(n=2):1 -> 0:t\n",
		  "create s Sink() @1:1 (1:8)\ncreate src0 Src(n=2) @3:1 (3:4)\n"
		  "connect src0:1 -> 0:s @3:12\n");
}

static void test_strings(void)
{
	CHECK_RUN("i = 2\nn = 'vm%d_%s' % (i, 'in')\nm = 'q%02x' % 10\nk = 'a' + n + '_' + m\nX(s=k, t='{a}-{0}-{0}'.format(7, a='b'))\n",
		  "create x0 X(s='avm2_in_q0a', t='b-7-7') @5:1 (5:2)\n");
	CHECK_RUN("X(a='{}{}'.format('x', 1), b='{:>}'.format(1))\n",
		  "ERR t.bess:1:30: bad format spec '>' (expected [0|-][width][s|d|x|X])");
	CHECK_RUN("X(a='{:04d}|{:x}|{:-3}|'.format(-5, 255, 1), b='%5s|%-3d|%X|%%|%r' % ('ab', 7, 255, 'q'))\n",
		  "create x0 X(a='-005|ff|1  |', b=\"   ab|7  |FF|%|'q'\") @1:1 (1:2)\n");
	CHECK_RUN("X(a='t\\tn\\n\\\\ \\' \\\" \\q', b=\"it's\")\n",
		  "create x0 X(a='t\\tn\\n\\\\ \\' \" \\\\q', b=\"it's\") @1:1 (1:2)\n");
	CHECK_RUN("p::P()\nX(a=p.name + '_x', b='%s' % p, c='{{}}'.format())\n",
		  "create p P() @1:1 (1:5)\ncreate x0 X(a='p_x', b='p', c='{}') @2:1 (2:2)\n");
	CHECK_RUN("X(a='%s' % [1, 'b'], b=1 + 2 - -3, c=7 % 3, d=-7 % 3, e=0x1F)\n",
		  "create x0 X(a=\"[1, 'b']\", b=6, c=1, d=2, e=31) @1:1 (1:2)\n");
}

static void test_values_and_layout(void)
{
	/* brackets span lines; comments anywhere; ';' and '\' join lines */
	CHECK_RUN("# header\n\nm::M(a=[1,\n  2,   # two\n  3,],\n  b={'k': True,\n'n': None, 'f': False},\n)\n"
		  "a = 1; b = \\\n 2\nm.set(x=a, y=b)  # trailing\n",
		  "create m M(a=[1, 2, 3], b={'k': True, 'n': None, 'f': False}) @3:1 (3:5)\n"
		  "call m.set(x=1, y=2) @11:3\n");
	/* CRLF line ends and tabs (a tab is one column) */
	CHECK_RUN("a::M()\r\n\tb::M(x=[1,\r\n\t2])\r\na -> b\r\n",
		  "create a M() @1:1 (1:5)\ncreate b M(x=[1, 2]) @2:2 (2:6)\nconnect a:0 -> 0:b @4:3\n");
	/* a single positional argument goes under the key "" */
	CHECK_RUN("l2::L2Forward()\nl2.add([{'addr': 'aa'}])\n",
		  "create l2 L2Forward() @1:1 (1:14)\ncall l2.add(=[{'addr': 'aa'}]) @2:4\n");
	/* command results are values; unknown bess commands reach the builder */
	CHECK_RUN("m::M()\nv = m.get()\nX(v=v, t=(1, 'a'))\nbess.resume_all()\nbess.add_worker(1, 2)\nm.attach_task(wid=1)\n",
		  "create m M() @1:1 (1:5)\ncall m.get() @2:7\ncreate x0 X(v=42, t=[1, 'a']) @3:1 (3:2)\n"
		  "call bess.resume_all() @4:6\nworker 1 core 2 @5:6\nattach m wid 1 @6:3\n");
	/* int() and str() turn environment strings into numbers and back */
	setenv("KB_TEST_CORE", "0x3", 1);
	CHECK_RUN("bess.add_worker(wid=int('2'), core=int($KB_TEST_CORE!'1'))\nX(n=str(5) + str(None) + str(True), i=int(True))\n",
		  "worker 2 core 3 @1:6\ncreate x0 X(n='5NoneTrue', i=1) @2:1 (2:2)\n");
	unsetenv("KB_TEST_CORE");
	/* lists and dicts bound to names are copied into each use; names rebind */
	CHECK_RUN("e = [{'addr': 'aa', 'gate': 0}, None, False]\nl2::L2Forward()\nl2.add(entries=e)\n"
		  "e = 'x'\nl2.add(entries=e)\n",
		  "create l2 L2Forward() @2:1 (2:14)\n"
		  "call l2.add(entries=[{'addr': 'aa', 'gate': 0}, None, False]) @3:4\n"
		  "call l2.add(entries='x') @5:4\n");
	/* an escaped quote of the other kind, control bytes, repr of nested values */
	CHECK_RUN("X(a=['\\x01\\r', \"q'\\\"\", {'k': ['v']}])\n",
		  "create x0 X(a=['\\\\x01\\r', 'q\\'\"', {'k': ['v']}]) @1:1 (1:2)\n");
	/* an empty script does nothing and succeeds */
	CHECK_RUN("", "");
	CHECK_RUN("\n# only a comment\n\n", "");
}

static void test_errors(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "x::M(a=1\n", "t.bess:2:1: expected ')'" },
		{ "x = 'abc\n", "t.bess:1:5: unterminated string" },
		{ "x = \n", "t.bess:1:5: expected an expression" },
		{ "a -> foo\n", "t.bess:1:1: undefined name 'a'" },
		{ "m::M()\nm -> foo\n", "t.bess:2:6: undefined name 'foo'" },
		{ "x = '{} {}'.format(1)\n", "t.bess:1:5: format field 1 has no argument (1 given)" },
		{ "x = '%d' % 'a'\n", "t.bess:1:12: 'd' format needs an int, got str" },
		{ "x = '%s %s' % (1,)\n", "t.bess:1:13: not enough arguments for format string (1 given)" },
		{ "x = '%s' % (1, 2)\n", "t.bess:1:10: not all arguments converted during string formatting (1 of 2 used)" },
		{ "x = $KB_TEST_SURELY_UNSET\n",
		  "t.bess:1:5: environment variable 'KB_TEST_SURELY_UNSET' is not set (give a default: $KB_TEST_SURELY_UNSET!'value')" },
		{ "x = 1 + 'a'\n", "t.bess:1:7: cannot apply '+' to int and str" },
		{ "m::M()\nm:0\n", "t.bess:2:4: expected '->' after the output gate" },
		{ "m::M()\nm -> 1\n", "t.bess:2:6: expected a module, got int" },
		{ "m::M()\nm:'a' -> m\n", "t.bess:2:3: expected a gate number, got str" },
		{ "m::M()\nm -> m:1\n", "t.bess:2:8: expected '->' after the output gate" },
		{ "x = m::\n", "t.bess:1:8: expected a module class after '::'" },
		{ "x = m::M\n", "t.bess:1:9: expected '(' after the module class" },
		{ "a b\n", "t.bess:1:3: expected end of line" },
		{ "x = [1, 2\ny = 3\n", "t.bess:2:1: expected ']'" },
		{ "x = {'a' 1}\n", "t.bess:1:10: expected ':' after a dict key" },
		{ "x = {1: 2}\n", "t.bess:1:6: expected a string as dict key, got int" },
		{ "x = {'a': 1, 'a': 2}\n", "t.bess:1:14: duplicate dict key 'a'" },
		{ "X(a=1, a=2)\n", "t.bess:1:8: duplicate argument 'a'" },
		{ "X(a=1, 2)\n", "t.bess:1:8: expected a keyword argument (name=value) after keyword arguments" },
		{ "X(1, 2)\n", "t.bess:1:6: expected keyword arguments (name=value); only one positional argument is allowed" },
		{ "x = foo(1)\n", "t.bess:1:5: unknown function 'foo' (module classes start with an uppercase letter)" },
		{ "x = 'a'.upper()\n", "t.bess:1:9: str has no method 'upper'" },
		{ "x = 1\ny = x.name\n", "t.bess:2:7: int has no attribute 'name'" },
		{ "x = 1 @ 2\n", "t.bess:1:7: unexpected character '@'" },
		{ "x = $ 1\n", "t.bess:1:5: expected an environment variable name after '$'" },
		{ "x = 99999999999999999999\n", "t.bess:1:5: integer too large" },
		{ "x = 0x\n", "t.bess:1:7: expected hex digits after '0x'" },
		{ "x = 12ab\n", "t.bess:1:7: expected a digit in the number" },
		{ "x = 5 % 0\n", "t.bess:1:7: integer modulo by zero" },
		{ "x = -'a'\n", "t.bess:1:5: cannot negate str" },
		{ "x = 'a' % 1\n", "t.bess:1:9: not all arguments converted during string formatting (0 of 1 used)" },
		{ "x = '%q' % 1\n", "t.bess:1:5: bad '%' conversion (expected %s, %d, %x or %%)" },
		{ "x = '{'.format()\n", "t.bess:1:5: expected '}' in format string" },
		{ "x = '}'.format()\n", "t.bess:1:5: single '}' in format string (write '}}')" },
		{ "x = '{} {0}'.format(1)\n", "t.bess:1:5: cannot mix '{}' and '{0}' in one format string" },
		{ "x = '{n}'.format(m=1)\n", "t.bess:1:5: format field 'n' has no argument" },
		{ "bess.add_worker(wid=0)\n", "t.bess:1:6: bess.add_worker needs core=<int>" },
		{ "bess.add_worker(wid=0, core=-1)\n", "t.bess:1:29: expected a non-negative int for 'core', got int" },
		{ "bess.add_worker(wid=0, cores=1)\n", "t.bess:1:30: unexpected argument 'cores' to bess.add_worker" },
		{ "m::M()\nm.attach_task(0)\n", "t.bess:2:15: expected wid=<int> (keyword argument)" },
		{ "m::M()\nm.attach_task(wid='0')\n", "t.bess:2:19: expected a non-negative int for 'wid', got str" },
		{ "x = (1 2)\n", "t.bess:1:8: expected ')'" },
		{ "x = a.\n", "t.bess:1:7: expected a name after '.'" },
		{ "None = 1\n", "t.bess:1:1: cannot assign to None" },
		{ "x = int('12a')\n", "t.bess:1:9: invalid literal for int(): '12a'" },
		{ "x = int([1])\n", "t.bess:1:9: int() needs a str or an int, got list" },
		{ "x = str(1, 2)\n", "t.bess:1:8: str() takes exactly one positional argument" },
		{ "x = 9223372036854775807 + 1\n", "t.bess:1:25: integer overflow" },
		{ "m::M()\nm:2147483648 -> m\n", "t.bess:2:3: gate 2147483648 out of range" },
		{ "bess.add_worker(0, 1, 2)\n", "t.bess:1:23: bess.add_worker takes at most 2 arguments" },
		{ "bess.add_worker(0, wid=1)\n", "t.bess:1:24: argument 'wid' given twice" },
		{ "bess.add_worker(0, core=999)\n", "t.bess:1:6: no core 999" },
		{ "m::M()\nm.attach_task(wid=7)\n", "t.bess:2:3: attach_task failed" },
		{ "x = 1(2)\n", "t.bess:1:6: expected a module class or a method before '('" },
		{ "x = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
		  "t.bess:1:69: expression nested too deeply" },
		/* the builder's own errors: with its position, or the call's */
		{ "m::M(a=1,\n  bad=[1])\n", "t.bess:2:7: bad value for 'bad'" },
		{ "\n  x::Nope()\n", "t.bess:2:3: unknown module class 'Nope'" },
		{ "m::M()\n\nm.fail(a=1)\n", "t.bess:3:3: fail failed" },
		{ "m::M()\nm:99 -> m\n", "t.bess:2:6: no gate 99" },
	};

	setenv("KB_TEST_VM0", "x", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = run(cases[i].text), want[600];

		snprintf(want, sizeof(want), "ERR %s", cases[i].want);
		if (!got || strcmp(got, want))   /* name every failing case */
			printf("case %zu: got \"%s\"\n", i, got ? got : "(null)");
		CHECK_STR(got, want);
		free(got);
	}
	unsetenv("KB_TEST_VM0");
}

/* Nothing runs when a later line has a syntax error. */
static void test_syntax_error_runs_nothing(void)
{
	struct rec r = { 0 };
	struct script_builder b = { .ctx = &r, .create = rec_create, .exists = rec_exists };
	struct kb_err err = { 0 };
	char buf[600];

	CHECK_EQ(script_run_string("s.bess", "a::M()\nb::M()\nb ->\n", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "s.bess:3:5: expected an expression");
	CHECK_EQ(r.log.n, 0);
	/* a builder without a callback is told so, with a position */
	CHECK_EQ(script_run_string("s.bess", "a::M()\na -> a\n", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "s.bess:2:3: connecting modules: not supported by this builder");
	CHECK_EQ(script_run_string("s.bess", "a::M()\na.x()\n", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "s.bess:2:3: module commands: not supported by this builder");
	CHECK_EQ(script_run_string("s.bess", "bess.add_worker(0, 0)\n", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "s.bess:1:6: bess.add_worker: not supported by this builder");
	b.create = NULL;
	CHECK_EQ(script_run_string("s.bess", "M()\n", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "s.bess:1:1: creating modules: not supported by this builder");
	/* a NULL err is allowed */
	CHECK_EQ(script_run_string("s.bess", "x = \n", &b, NULL), -1);
	free(r.log.s);
}

static void test_run_file(void)
{
	char path[] = "/tmp/kb-lang-scriptXXXXXX";
	int fd = mkstemp(path);
	struct rec r = { 0 };
	struct script_builder b = {
		.ctx = &r, .create = rec_create, .connect = rec_connect,
		.call = rec_call, .add_worker = rec_add_worker,
		.attach_task = rec_attach, .exists = rec_exists,
	};
	struct kb_err err = { 0 };
	char buf[600], want[700];

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, seed, sizeof(seed) - 1), (long)sizeof(seed) - 1);
	CHECK_EQ(write(fd, "in0 -> \x01", 8), 8);
	close(fd);
	CHECK_EQ(script_run_file(path, &b, &err), -1);
	snprintf(want, sizeof(want), "%s:15:8: unexpected byte 0x01", path);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), want);
	CHECK_EQ(r.log.n, 0);
	CHECK_EQ(truncate(path, sizeof(seed) - 1), 0);
	CHECK_EQ(script_run_file(path, &b, &err), 0);
	CHECK(r.log.s && strstr(r.log.s, "attach in0 wid 0 @14:5\n"));
	unlink(path);
	CHECK_EQ(script_run_file(path, &b, &err), -1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), want);
	free(r.log.s);
}

/* A create callback written with the argument helpers, as a module's Init. */
static int helper_create(void *ctx, const char *name, const char *cls,
			 const struct script_args *args, const struct script_pos *pos,
			 char out_name[64], struct kb_err *err)
{
	static const char *const allowed[] = { "port", "qid", "vdev", "gates", NULL };
	const char *port = NULL, *vdev = "none";
	const struct script_value *gates = NULL;
	int64_t qid = 0, g;

	if (script_args_check(args, cls, allowed, err) < 0 ||
	    script_arg_obj(args, cls, "port", 1, &port, err) < 0 ||
	    script_arg_int(args, cls, "qid", 0, 0, 15, &qid, err) < 0 ||
	    script_arg_str(args, cls, "vdev", 0, &vdev, err) < 0 ||
	    script_arg_list(args, cls, "gates", 0, &gates, err) < 0)
		return -1;
	for (size_t i = 0; gates && i < gates->list.n; i++)
		if (script_value_int(gates->list.items[i], "gates", 0, 63, &g, err) < 0)
			return -1;
	logf_(ctx, "%s port=%s qid=%" PRId64 " vdev=%s gates=%zu\n", cls, port, qid, vdev,
	      gates ? gates->list.n : 0);
	return 0;
}

static void test_arg_helpers(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "q::Q(port=p, qid=3, vdev='v', gates=[1, 2])\n", "Q port=p qid=3 vdev=v gates=2\n" },
		{ "q::Q(port=p)\n", "Q port=p qid=0 vdev=none gates=0\n" },
		{ "q::Q(qid=1)\n", "ERR t.bess:1:5: Q needs port=<module>" },
		{ "q::Q(port=p, qid=16)\n", "ERR t.bess:1:18: 'qid' must be in [0, 15], got 16" },
		{ "q::Q(port=p, qid='1')\n", "ERR t.bess:1:18: expected an int for 'qid', got str" },
		{ "q::Q(port='p')\n", "ERR t.bess:1:11: expected a module for 'port', got str" },
		{ "q::Q(port=p,\n     quid=1)\n",
		  "ERR t.bess:2:11: unknown argument 'quid' to Q (expected port, qid, vdev, gates)" },
		{ "q::Q(p)\n", "ERR t.bess:1:6: Q takes keyword arguments only (expected port, qid, vdev, gates)" },
		{ "q::Q(port=p, gates=[0, 64])\n", "ERR t.bess:1:24: 'gates' must be in [0, 63], got 64" },
		{ "q::Q(port=p, gates=3)\n", "ERR t.bess:1:20: expected a list for 'gates', got int" },
	};
	struct rec r = { 0 };
	struct script_builder b = { .ctx = &r, .create = helper_create, .exists = rec_exists };

	r.nnames = 1;
	strcpy(r.names[0], "p");   /* a module the builder already knows */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kb_err err = { 0 };
		char buf[600], *got;

		if (script_run_string("t.bess", cases[i].text, &b, &err) < 0) {
			snprintf(buf, sizeof(buf), "ERR %s", kb_err_str(&err, (char[512]){ 0 }, 512));
			CHECK_STR(buf, cases[i].want);
		} else {
			got = sbuf_take(&r.log);
			CHECK_STR(got, cases[i].want);
			free(got);
		}
	}
	free(r.log.s);
}

/* Long operator and method chains recurse in the evaluator: bounded. */
static void test_long_chains(void)
{
	struct sbuf text = { 0 };
	char *got;

	sbuf_puts(&text, "x = 1");
	for (int i = 0; i < 100000; i++)
		sbuf_puts(&text, " + 1");
	got = run(text.s);
	CHECK_STR(got, "ERR t.bess:1:398403: expression nested too deeply");
	free(got);
	free(text.s);
	text = (struct sbuf){ 0 };
	sbuf_puts(&text, "x = ''");
	for (int i = 0; i < 50000; i++)
		sbuf_puts(&text, ".format()");
	got = run(text.s);
	CHECK(got && !strncmp(got, "ERR t.bess:1:", 13) && strstr(got, "nested too deeply"));
	free(got);
	free(text.s);
	/* within the bound, chains work */
	CHECK_RUN("X(n=1 + 1 + 1 + 1 + 1, s=''.format().format() + 'z')\n",
		  "create x0 X(n=5, s='z') @1:1 (1:2)\n");
}

/* A switch-sized script, generated: every line reaches the builder in
 * order.  The time is printed for the record, never asserted. */
static void test_large_script(void)
{
	enum { N = 3000 };
	struct sbuf text = { 0 };
	struct timespec t0, t1;
	char line[160], *got;
	size_t lines = 0;

	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line),
			 "m%d::Mod(id=%d, name='mod_{}'.format(%d), tags=['a', 'b'])\n", i, i, i);
		sbuf_puts(&text, line);
		if (i) {
			snprintf(line, sizeof(line), "m%d:%d -> %d:m%d\n", i - 1, i % 7, i % 5, i);
			sbuf_puts(&text, line);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got = run(text.s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(got && strncmp(got, "ERR", 3));
	for (const char *p = got; p && *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, 2 * N - 1);
	CHECK(got && strstr(got, "connect m2998:3 -> 4:m2999 @5999:"));
	printf("note: %d modules + %d connections (%zu bytes) ran in %.1f ms\n", N, N - 1,
	       text.n, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	free(got);
	free(text.s);
}

/* Every prefix of the seed script and thousands of random mutations: the
 * result is 0 or -1 with a message, never a crash or a leak (ASan). */
static void test_fuzz(void)
{
	size_t len = sizeof(seed) - 1;
	char *buf = malloc(len + 1);
	uint32_t rng = 12345;
	int ok = 0, bad = 0, weird = 0;
	static const char alphabet[] = "()[]{}:,=-> .%+!$'\"\\\n#0xAz_";

	for (size_t n = 0; n <= len; n++) {
		char *got;

		memcpy(buf, seed, n);
		buf[n] = '\0';
		got = run(buf);
		if (!got)
			weird++;
		else if (!strncmp(got, "ERR ", 4))
			bad += strlen(got) > 4 ? 1 : (weird++, 0);
		else
			ok++;
		free(got);
	}
	for (int iter = 0; iter < 3000; iter++) {
		char *got;

		memcpy(buf, seed, len + 1);
		for (int k = 0; k < 1 + iter % 4; k++) {
			rng = rng * 1103515245u + 12345u;
			size_t at = (rng >> 8) % len;

			rng = rng * 1103515245u + 12345u;
			buf[at] = (rng >> 16) & 1 ? alphabet[(rng >> 8) % (sizeof(alphabet) - 1)]
						  : (char)(1 + (rng >> 8) % 255);
		}
		got = run(buf);
		if (!got)
			weird++;
		else if (!strncmp(got, "ERR ", 4))
			bad++;
		else
			ok++;
		free(got);
	}
	free(buf);
	/* token soup: statements that get past the parser reach the evaluator's
	 * and the builder's error paths */
	static const char *const words[] = {
		"a", "b", "M", "::", "(", ")", "->", ":", "1", "0x2", "'s'", "'{}'",
		".format(", ".name", ".add(", ".fail(", ".attach_task(wid=0)",
		"bess.add_worker(", "%", "+", "-", "$KB_TEST_SOUP", "$HOME!", "\n",
		"[", "]", "{", "}", ",", "=", "x", "Merge()", "bad=", "True", "'%d'",
		"(1, 2)", "int(", "str(", "None",
	};
	struct sbuf soup = { 0 };

	for (int iter = 0; iter < 3000; iter++) {
		char *got;

		soup.n = 0;
		sbuf_puts(&soup, "a::M()\nb::M()\n");
		for (int k = 0; k < 1 + iter % 24; k++) {
			rng = rng * 1103515245u + 12345u;
			sbuf_puts(&soup, words[(rng >> 8) % (sizeof(words) / sizeof(words[0]))]);
			sbuf_puts(&soup, (rng >> 20) & 1 ? " " : "");
		}
		got = run(soup.s);
		if (!got)
			weird++;
		else if (!strncmp(got, "ERR ", 4))
			bad += strlen(got) > 4 ? 1 : (weird++, 0);
		else
			ok++;
		free(got);
	}
	free(soup.s);
	printf("note: fuzz: %d ran, %d reported errors\n", ok, bad);
	CHECK_EQ(weird, 0);
	CHECK(ok > 10);    /* the full seed and harmless mutations still run */
	CHECK(bad > 100);  /* and most mutations are reported */
}

KBTEST_MAIN(T(test_seed_script), T(test_chains_and_gates), T(test_strings),
	    T(test_values_and_layout), T(test_errors), T(test_syntax_error_runs_nothing),
	    T(test_run_file), T(test_arg_helpers), T(test_long_chains), T(test_large_script), T(test_fuzz))
