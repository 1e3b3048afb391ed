/* Unit tests of the script language against a recording builder: the
 * builder logs each callback as one line, and the tests compare logs and
 * "file:line:col: message" errors exactly. */
#include "kbtest.h"
#include "script_builder.h"
#include "script_sugar.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rec {
	FILE *log;
	char *buf;
	size_t n;
	int anon;
};

static void rec_open(struct rec *r)
{
	r->log = open_memstream(&r->buf, &r->n);
}

/* The log so far (caller frees); the recorder is closed. */
static char *rec_take(struct rec *r)
{
	char *s;
	if (r->log)
		fclose(r->log);
	r->log = NULL;
	s = r->buf;
	r->buf = NULL;
	return s;
}

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->log, fmt, ap);
	va_end(ap);
}

static void log_args(struct rec *r, const struct script_args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		logf_(r, "%s%s=", i ? ", " : "", a->items[i].key);
		script_value_repr(r->log, a->items[i].val);
	}
}

static const char *const test_classes[] = {
	"M", "Src", "Sink", "Mid", "Merge", "X", "P", "Q", "Mod", "L2Forward", "PMDPort",
	"QueueInc", "QueueOut", "Replicate", "Nope", NULL,
};

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
		.ctx = &r, .classes = test_classes, .create = rec_create, .connect = rec_connect,
		.call = rec_call, .add_worker = rec_add_worker,
		.attach_task = rec_attach,
	};
	struct kb_err err = { 0 };
	char *s;

	rec_open(&r);
	if (script_run_string("t.bess", text, &b, &err) < 0) {
		char buf[1024];

		free(rec_take(&r));
		if (asprintf(&s, "ERR %s", kb_err_str(&err, buf, sizeof(buf))) < 0)
			s = NULL;
		return s;
	}
	return rec_take(&r);
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
	/* gates from expressions and subscripts; a chain continued with '\' */
	CHECK_RUN("m = [Src(), Sink()]\ni = 1\nm[0]:(i+1) -> (i*2):m[1]\nm[0] \\\n  -> M() \\\n  -> m[1]\n",
		  "create src0 Src() @1:6 (1:9)\ncreate sink1 Sink() @1:13 (1:17)\n"
		  "connect src0:2 -> 2:sink1 @3:12\ncreate m2 M() @5:6 (5:7)\n"
		  "connect src0:0 -> 0:m2 @5:3\nconnect m2:0 -> 0:sink1 @6:3\n");
	/* a name bound to an object; an undefined gate name */
	CHECK_RUN("s::Sink()\nt = s\nSrc(n=2) -> IGATE:t\n",
		  "ERR t.bess:3:13: NameError: name 'IGATE' is not defined (module classes: M, Src, Sink, Mid, Merge, X, P, Q, Mod, L2Forward, PMDPort, QueueInc, QueueOut, Replicate, Nope)");
	CHECK_RUN("s::Sink()\nt = s\nSrc(n=2):1 -> 0:t\n",
		  "create s Sink() @1:1 (1:8)\ncreate src0 Src(n=2) @3:1 (3:4)\n"
		  "connect src0:1 -> 0:s @3:12\n");
	/* Python around it: loops, functions, comprehensions, block colons */
	CHECK_RUN("def mac(i):\n    return '02:00:00:00:00:%02x' % i\n"
		  "for i in range(2):\n    q = M(mac=mac(i))\n    if i: q -> Sink()\n"
		  "X(all=[mac(i) for i in range(3)][1:], d={'a': 1}['a'])\n",
		  "create q M(mac='02:00:00:00:00:00') @4:9 (4:10)\n"
		  "create m0 M(mac='02:00:00:00:00:01') @4:9 (4:10)\n"
		  "create sink1 Sink() @5:16 (5:20)\nconnect m0:0 -> 0:sink1 @5:13\n"
		  "create x2 X(all=['02:00:00:00:00:01', '02:00:00:00:00:02'], d=1) @6:1 (6:2)\n");
	/* BESS's own form: a.connect(b, ogate, igate); `x = A() -> B()` binds B */
	CHECK_RUN("a::Src()\nb::Sink()\na.connect(b, 1, 2)\nx = M() -> Sink()\nX(x=x)\n",
		  "create a Src() @1:1 (1:7)\ncreate b Sink() @2:1 (2:8)\nconnect a:1 -> 2:b @3:1\n"
		  "create m0 M() @4:5 (4:6)\ncreate sink1 Sink() @4:12 (4:16)\nconnect m0:0 -> 0:sink1 @4:9\n"
		  "create x2 X(x=sink1) @5:1 (5:2)\n");
}

static void test_values_and_layout(void)
{
	/* brackets span lines; comments anywhere; ';' and '\' join lines */
	CHECK_RUN("# header\n\nm::M(a=[1,\n  2,   # two\n  3,],\n  b={'k': True,\n'n': None, 'f': False},\n)\n"
		  "a = 1; b = \\\n 2\nm.set(x=a, y=b)  # trailing\n",
		  "create m M(a=[1, 2, 3], b={'k': True, 'n': None, 'f': False}) @3:1 (3:5)\n"
		  "call m.set(x=1, y=2) @11:3\n");
	/* CRLF line ends */
	CHECK_RUN("a::M()\r\nb::M(x=[1,\r\n\t2])\r\na -> b\r\n",
		  "create a M() @1:1 (1:5)\ncreate b M(x=[1, 2]) @2:1 (2:5)\nconnect a:0 -> 0:b @4:3\n");
	/* a single positional argument goes under the key "" */
	CHECK_RUN("l2::L2Forward()\nl2.add([{'addr': 'aa'}])\n",
		  "create l2 L2Forward() @1:1 (1:14)\ncall l2.add(=[{'addr': 'aa'}]) @2:4\n");
	/* command results are values */
	CHECK_RUN("m::M()\nv = m.get()\nX(v=v, t=(1, 'a'))\nbess.add_worker(1, 2)\nm.attach_task(wid=1)\nbess.attach_task('m', wid=1)\n",
		  "create m M() @1:1 (1:5)\ncall m.get() @2:7\ncreate x0 X(v=42, t=[1, 'a']) @3:1 (3:2)\n"
		  "worker 1 core 2 @4:6\nattach m wid 1 @5:3\nattach m wid 1 @6:6\n");
	/* int() and bool() of the environment; import os */
	setenv("KB_TEST_CORE", "3", 1);
	CHECK_RUN("import os\nbess.add_worker(wid=int('2'), core=int($KB_TEST_CORE!'1'))\n"
		  "X(n=str(5) + str(None), b=bool(int($KB_TEST_UNSET!'0')), e='PATH' in os.environ)\n",
		  "worker 2 core 3 @2:6\ncreate x0 X(n='5None', b=False, e=True) @3:1 (3:2)\n");
	unsetenv("KB_TEST_CORE");
	/* bytes (a packet template), bytearray and nested values */
	CHECK_RUN("X(a=b'\\x01\\xff', b=bytearray(b'ab'), c=['\\x01\\r', \"q'\", {'k': ['v']}])\n",
		  "create x0 X(a=b'\\x01\\xff', b=b'ab', c=['\\x01\\x0d', 'q\\'', {'k': ['v']}]) @1:1 (1:2)\n");
	/* a value's position is where it is written, inside lists and dicts */
	CHECK_RUN("m::M(a=1,\n  bad=[1])\n", "ERR t.bess:2:7: bad value for 'bad'");
	CHECK_RUN("e = [1]\nm::M(bad=e)\n", "ERR t.bess:2:10: bad value for 'bad'");
	/* an empty script does nothing and succeeds */
	CHECK_RUN("", "");
	CHECK_RUN("\n# only a comment\n\n", "");
}

static void test_errors(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "x::M(a=1\n", "t.bess:1:5: SyntaxError: '(' was never closed" },
		{ "x = 'abc\n", "t.bess:1:5: SyntaxError: unterminated string literal (detected at line 1)" },
		{ "x = \n", "t.bess:1:5: SyntaxError: invalid syntax" },
		{ "a -> foo\n", "t.bess:1:1: NameError: name 'a' is not defined" },
		{ "m::M()\nm -> foo\n", "t.bess:2:6: NameError: name 'foo' is not defined" },
		{ "x = $KB_TEST_SURELY_UNSET\n",
		  "t.bess:1:5: environment variable 'KB_TEST_SURELY_UNSET' is not set (write $KB_TEST_SURELY_UNSET!'default' to give a default)" },
		{ "x = 1 + 'a'\n", "t.bess:1:5: TypeError: unsupported operand type(s) for +: 'int' and 'str'" },
		{ "m::M()\nm -> 1\n", "t.bess:2:3: '->' connects modules, got int" },
		{ "m::M()\n1 -> m\n", "t.bess:2:3: '->' connects modules, got int" },
		{ "m::M()\nm -> -> m\n", "t.bess:2:6: '->' has no module on its left" },
		{ "m::M()\nm:'a' -> m\n", "t.bess:2:1: a gate is an int, got str" },
		{ "m::M()\nm:-1 -> m\n", "t.bess:2:1: gate out of range (0..65535)" },
		{ "m::M()\nm:1:2 -> m\n", "t.bess:2:1: output gate of 'm' given twice" },
		{ "x = m::\n", "t.bess:1:6: SyntaxError: invalid syntax" },
		{ "x::Frob()\n",
		  "t.bess:1:1: unknown module class 'Frob' (expected one of M, Src, Sink, Mid, Merge, X, P, Q, Mod, L2Forward, PMDPort, QueueInc, QueueOut, Replicate, Nope)" },
		{ "x::M(name='y')\n", "t.bess:1:1: name::Class(name=...) names the module twice" },
		{ "M(name=3)\n", "t.bess:1:1: M: name= must be a str" },
		{ "M(name='a b')\n", "t.bess:1:1: module name 'a b' is not a name" },
		{ "X(a=1.5)\n", "t.bess:1:5: cannot pass a float to a module (expected int, str, bytes, bool, list, dict or a module)" },
		{ "X(a=2**64)\n", "t.bess:1:5: integer out of range (64 bits)" },
		{ "X(a={1: 2})\n", "t.bess:1:5: dict keys must be str, got int" },
		{ "X(a='a\\x00b')\n", "t.bess:1:5: a string holds a NUL character at index 1 (a name, MAC or device string cannot)" },
		{ "l = []\nl.append(l)\nX(a=l)\n", "t.bess:3:5: values nest deeper than 32 levels" },
		{ "X(1, 2)\n", "t.bess:1:2: takes keyword arguments (and at most one positional), got 2 positional" },
		{ "m::M()\nm.attach_task(0, parent='x')\n",
		  "t.bess:2:3: attach_task: unsupported argument 'parent' (kbswitch has workers, not traffic classes: attach_task(wid=N))" },
		{ "m::M()\nm.attach_task()\n", "t.bess:2:3: attach_task needs wid=N" },
		{ "m::M()\nm.attach_task(wid='0')\n", "t.bess:2:3: attach_task: wid is an int, got str" },
		{ "bess.attach_task(3, wid=0)\n", "t.bess:1:1: attach_task: expected bess.attach_task(MODULE_NAME, wid=N)" },
		{ "bess.add_worker(wid=0)\n", "t.bess:1:1: TypeError: add_worker() missing required argument 'core' (pos 2)" },
		{ "bess.add_worker(0, 1, 'rr')\n",
		  "t.bess:1:6: add_worker: scheduler 'rr' is not supported (kbswitch's workers poll their tasks in turn)" },
		{ "bess.add_worker(0, core=999)\n", "t.bess:1:6: no core 999" },
		{ "bess.frob(1)\n", "t.bess:1:1: AttributeError: module 'bess' has no attribute 'frob'" },
		{ "x = int('12a')\n", "t.bess:1:5: ValueError: invalid literal for int() with base 10: '12a'" },
		{ "import sys\nsys.exit(0)\n", "t.bess:2:1: the script called exit()" },
		{ "raise RuntimeError('mine')\n", "t.bess:1:1: RuntimeError: mine" },
		{ "def f(n):\n    return f(n + 1)\nf(0)\n", "t.bess:2:12: RecursionError: maximum recursion depth exceeded" },
		{ "def f(x) -> int:\n    return x -> 1\n", "" },
		{ "x = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
		  "t.bess:1:205: SyntaxError: too many nested parentheses" },
		/* the builder's own errors: with its position, or the call's */
		{ "\nx::Nope()\n", "t.bess:2:1: unknown module class 'Nope'" },
		{ "m::M()\n\nm.fail(a=1)\n", "t.bess:3:3: failed" },
		{ "m::M()\nm:99 -> m\n", "t.bess:2:6: no gate 99" },
		{ "m::M()\nm.attach_task(wid=7)\n", "t.bess:2:3: failed" },
		/* a builder error caught by the script is the script's business */
		{ "try:\n    Nope()\nexcept Exception as e:\n    X(e=str(e))\n", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = run(cases[i].text), want[900];

		snprintf(want, sizeof(want), "%s%s", cases[i].want[0] ? "ERR " : "", cases[i].want);
		if (!got || (cases[i].want[0] && strcmp(got, want)) ||
		    (!cases[i].want[0] && !strncmp(got, "ERR", 3)))
			printf("case %zu: got \"%s\"\n", i, got ? got : "(null)");
		if (cases[i].want[0])
			CHECK_STR(got, want);
		else
			CHECK(got && strncmp(got, "ERR", 3));
		free(got);
	}
}

/* A failing line stops the script where it is; the lines before it ran
 * (Python's semantics), and a syntax error anywhere runs nothing. */
static void test_stops_at_error(void)
{
	CHECK_RUN("a::M()\nb::M()\nb ->\n", "ERR t.bess:3:5: SyntaxError: invalid syntax");
	struct rec r = { 0 };
	struct script_builder b = {
		.ctx = &r, .classes = test_classes, .create = rec_create, .connect = rec_connect,
	};
	struct kb_err err = { 0 };
	char buf[600], *log;

	rec_open(&r);
	CHECK_EQ(script_run_string("s.bess", "a::M()\nb::M()\nb -> c\nd::M()\n", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "s.bess:3:6: NameError: name 'c' is not defined");
	log = rec_take(&r);
	CHECK_STR(log, "create a M() @1:1 (1:5)\ncreate b M() @2:1 (2:5)\n");
	free(log);
	/* a NULL err is allowed */
	CHECK_EQ(script_run_string("s.bess", "x = \n", &b, NULL), -1);
}

static void test_run_file(void)
{
	char path[] = "/tmp/kb-lang-scriptXXXXXX";
	int fd = mkstemp(path);
	struct rec r = { 0 };
	struct script_builder b = {
		.ctx = &r, .classes = test_classes, .create = rec_create, .connect = rec_connect,
		.call = rec_call, .add_worker = rec_add_worker, .attach_task = rec_attach,
	};
	struct kb_err err = { 0 };
	char buf[600], want[700], *log;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, seed, sizeof(seed) - 1), (long)sizeof(seed) - 1);
	CHECK_EQ(write(fd, "in0 -> \x00", 8), 8);
	close(fd);
	rec_open(&r);
	CHECK_EQ(script_run_file(path, &b, &err), -1);
	snprintf(want, sizeof(want), "%s:15:8: NUL byte in the script (a script is text)", path);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), want);
	log = rec_take(&r);
	CHECK_STR(log, "");
	free(log);
	CHECK_EQ(truncate(path, sizeof(seed) - 1), 0);
	rec_open(&r);
	CHECK_EQ(script_run_file(path, &b, &err), 0);
	log = rec_take(&r);
	CHECK(log && strstr(log, "attach in0 wid 0 @14:5\n"));
	free(log);
	/* a script past SCRIPT_MAX_BYTES is refused, positioned at the limit */
	CHECK_EQ(truncate(path, SCRIPT_MAX_BYTES + 100), 0);   /* a hole: NUL bytes */
	CHECK_EQ(script_run_file(path, &b, &err), -1);
	snprintf(want, sizeof(want), "%s:15:1: NUL byte in the script (a script is text)", path);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), want);
	unlink(path);
	CHECK_EQ(script_run_file(path, &b, &err), -1);
	snprintf(want, sizeof(want), "%s: cannot open the script: No such file or directory", path);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), want);
	CHECK_EQ(script_run_file("/dev/zero", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "/dev/zero:1:1: NUL byte in the script (a script is text)");
	CHECK_EQ(script_run_file("/tmp", &b, &err), -1);
	CHECK_STR(kb_err_str(&err, buf, sizeof(buf)), "/tmp: cannot read the script: Is a directory");
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

	if (!strcmp(cls, "M"))
		return 0;
	if (script_args_check(args, cls, allowed, err) < 0 ||
	    script_arg_obj(args, cls, "port", 1, &port, err) < 0 ||
	    script_arg_int(args, cls, "qid", 0, 0, 15, &qid, err) < 0 ||
	    script_arg_str(args, cls, "vdev", 0, &vdev, err) < 0 ||
	    script_arg_list(args, cls, "gates", 0, &gates, err) < 0)
		return -1;
	for (size_t i = 0; gates && i < gates->list.n; i++)
		if (script_value_int(gates->list.items[i], "gates", 0, 63, &g, err) < 0)
			return -1;
	if (!name)
		snprintf(out_name, 64, "anon");
	logf_(ctx, "%s port=%s qid=%" PRId64 " vdev=%s gates=%zu\n", cls, port, qid, vdev,
	      gates ? gates->list.n : 0);
	return 0;
}

static void test_arg_helpers(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "q::Q(port=p, qid=3, vdev='v', gates=[1, 2])\n", "Q port=p qid=3 vdev=v gates=2\n" },
		{ "q::Q(port=p)\n", "Q port=p qid=0 vdev=none gates=0\n" },
		{ "q::Q(qid=1)\n", "ERR t.bess:2:5: Q needs port=<module>" },
		{ "q::Q(port=p, qid=16)\n", "ERR t.bess:2:18: 'qid' must be in [0, 15], got 16" },
		{ "q::Q(port=p, qid='1')\n", "ERR t.bess:2:18: expected an int for 'qid', got str" },
		{ "q::Q(port='p')\n", "ERR t.bess:2:11: expected a module for 'port', got str" },
		{ "q::Q(port=p,\n     quid=1)\n",
		  "ERR t.bess:3:11: unknown argument 'quid' to Q (expected port, qid, vdev, gates)" },
		{ "q::Q(p)\n", "ERR t.bess:2:6: Q takes keyword arguments only (expected port, qid, vdev, gates)" },
		{ "q::Q(port=p, gates=[0, 64])\n", "ERR t.bess:2:24: 'gates' must be in [0, 63], got 64" },
		{ "q::Q(port=p, gates=3)\n", "ERR t.bess:2:20: expected a list for 'gates', got int" },
	};
	struct rec r = { 0 };
	struct script_builder b = { .ctx = &r, .classes = test_classes, .create = helper_create };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kb_err err = { 0 };
		char buf[600], *got, *text;

		/* p: a module the script made first, on line 1 */
		if (asprintf(&text, "p::M()\n%s", cases[i].text) < 0)
			continue;
		rec_open(&r);
		if (script_run_string("t.bess", text, &b, &err) < 0) {
			free(rec_take(&r));
			snprintf(buf, sizeof(buf), "ERR %s", kb_err_str(&err, (char[512]){ 0 }, 512));
			CHECK_STR(buf, cases[i].want);
		} else {
			got = rec_take(&r);
			CHECK_STR(got, cases[i].want);
			free(got);
		}
		free(text);
	}
}

/* What script_sugar hands to Python, and where positions map back to. */
static void test_sugar(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a -> b -> c\n", "a + b + c\n" },
		{ "a:1 -> 2:b:3 -> c\n", "(a)*(1) + (2)*(b)*(3) + c\n" },
		{ "x::Foo(y=1) -> z::Bar()\n", "__bess_module__('x', 'Foo', y=1) + __bess_module__('z', 'Bar', )\n" },
		{ "p = PMDPort(vdev=$V!'x')\n", "p = __bess_named__('p', PMDPort)(vdev=__bess_env__('V', 'x'))\n" },
		{ "s = '$V -> a::B()' # $W a -> b\n", "s = '$V -> a::B()' # $W a -> b\n" },
		{ "if x: a -> b\n", "if x: a + b\n" },
		{ "d = {'a':b}\nl = x[1:2]\ny = x[::2]\n", "d = {'a':b}\nl = x[1:2]\ny = x[::2]\n" },
		{ "def f(x) -> int:\n  return x\n", "def f(x) -> int:\n  return x\n" },
		{ "f(a -> b, [c:1 -> d])\n", "f(a + b, [(c)*(1) + d])\n" },
		{ "m[i]:(j+1) -> n\n", "(m[i])*((j+1)) + n\n" },
		{ "a \\\n  -> b\n", "a \\\n  + b\n" },
		{ "x = $A\n", "x = __bess_env__('A')\n" },
		{ "x = $\n", "x = $\n" },
		/* a line break inside name::Class( (within brackets) is never
		 * swallowed: lines stay where they were (found by fuzz_script) */
		{ "f(x::Foo\n(1), y\n::Bar())\n", "f(__bess_module__('x', 'Foo')\n(1), y\n::Bar())\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script_src s;
		struct kb_err err = { 0 };

		CHECK_EQ(script_sugar(&s, "t.bess", cases[i].in, strlen(cases[i].in), &err), 0);
		CHECK_STR(s.py, cases[i].out);
		script_src_free(&s);
	}
	/* positions in the rewritten text map back to the original */
	struct script_src s;
	struct kb_err err = { 0 };
	const char *in = "x::Foo(y=$V)\nq:1 -> z\n";
	CHECK_EQ(script_sugar(&s, "t.bess", in, strlen(in), &err), 0);
	CHECK_STR(s.py, "__bess_module__('x', 'Foo', y=__bess_env__('V'))\n(q)*(1) + z\n");
	CHECK_EQ(script_src_from_py(&s, 1, 0), 0);                /* __bess_module__ -> x */
	CHECK_EQ(script_src_from_py(&s, 1, 15), 6);               /* '(' -> '(' */
	CHECK_EQ(script_src_from_py(&s, 1, 28), 7);               /* y */
	CHECK_EQ(script_src_from_py(&s, 2, 1), 13);               /* q */
	CHECK_EQ(script_src_from_py(&s, 2, 10), 20);              /* z */
	CHECK_EQ(script_src_pos(&s, 20).line, 2);
	CHECK_EQ(script_src_pos(&s, 20).col, 8);
	script_src_free(&s);
}

/* A switch-sized script, generated: every line reaches the builder in
 * order.  The time is printed for the record, never asserted. */
static void test_large_script(void)
{
	enum { N = 3000 };
	char *text = NULL, *got;
	size_t tn = 0, lines = 0;
	FILE *f = open_memstream(&text, &tn);
	struct timespec t0, t1;

	for (int i = 0; i < N; i++) {
		fprintf(f, "m%d::Mod(id=%d, tag='mod_{}'.format(%d), tags=['a', 'b'])\n", i, i, i);
		if (i)
			fprintf(f, "m%d:%d -> %d:m%d\n", i - 1, i % 7, i % 5, i);
	}
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got = run(text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(got && strncmp(got, "ERR", 3));
	for (const char *p = got; p && *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, 2 * N - 1);
	CHECK(got && strstr(got, "connect m2998:3 -> 4:m2999 @5999:9"));
	printf("note: %d modules + %d connections (%zu bytes) ran in %.1f ms\n", N, N - 1,
	       tn, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	free(got);
	free(text);
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

	for (size_t n = 0; n <= len; n += 3) {
		char *got;

		memcpy(buf, seed, n);
		buf[n] = '\0';
		got = run(buf);
		if (!got || !strcmp(got, "ERR "))
			weird++;
		else if (!strncmp(got, "ERR t.bess:", 11))
			bad++;
		else
			ok++;
		free(got);
	}
	for (int iter = 0; iter < 1500; iter++) {
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
		if (!got || !strcmp(got, "ERR "))
			weird++;
		else if (!strncmp(got, "ERR t.bess:", 11))
			bad++;
		else
			ok++;
		free(got);
	}
	free(buf);
	printf("note: fuzz: %d ran, %d reported positioned errors\n", ok, bad);
	CHECK_EQ(weird, 0);
	CHECK(ok > 10);    /* the full seed and harmless mutations still run */
	CHECK(bad > 100);  /* and most mutations are reported */
}

KBTEST_MAIN(T(test_seed_script), T(test_chains_and_gates), T(test_values_and_layout),
	    T(test_errors), T(test_stops_at_error), T(test_run_file), T(test_arg_helpers),
	    T(test_sugar), T(test_large_script), T(test_fuzz))
