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

static void dump(const char *text)
{
	char *got = run(text);
	printf("----\n%s\n=> %s\n", text, got);
	free(got);
}

static void test_dump(void)
{
	static const char *const t[] = {
		"a::Src()\nb::Sink()\nc::Sink()\na -> b -> c\n",
		"a::Src()\nc::Sink()\na:1 -> 2:Merge() -> c\n",
		"g = 3\nx::Src():g -> 4:y::Mid():5 -> g:z::Sink(n=1)\n",
		"s::Sink()\nt = s\nSrc(n=2) -> IGATE:t\n",
		"s::Sink()\nt = s\nSrc(n=2):1 -> 0:t\n",
		"m::M(a=[1,\n  2,   # two\n  3,],\n  b={'k': True,\n'n': None, 'f': False},\n)\na = 1; b = \\\n 2\nm.set(x=a, y=b)  # trailing\n",
		"a::M()\r\n\tb::M(x=[1,\r\n\t2])\r\na -> b\r\n",
		"l2::L2Forward()\nl2.add([{'addr': 'aa'}])\n",
		"m::M()\nv = m.get()\nX(v=v, t=(1, 'a'))\nbess.add_worker(1, 2)\nm.attach_task(wid=1)\n",
		"x = 1 @ 2\n",
		"a -> foo\n",
		"m::M()\nm -> foo\n",
		"x::M(a=1\n",
		"x = 'abc\n",
		"m::M()\nm -> 1\n",
		"m::M()\nm:'a' -> m\n",
		"m::M(a=1,\n  bad=[1])\n",
		"\n  x::Nope()\n",
		"m::M()\n\nm.fail(a=1)\n",
		"m::M()\nm:99 -> m\n",
		"x::Frob()\n",
		"Frob()\n",
		"x = $KB_TEST_SURELY_UNSET\n",
		"X(a='a\\x00b')\n",
		"X(a=1.5)\n",
		"X(1, 2)\n",
		"for i in range(3):\n    m = M(i=i)\n    m -> Sink()\nprint('hi', m)\n",
		"def mac(i):\n    return '02:00:00:00:00:%02x' % i\nX(macs=[mac(i) for i in range(2)])\n",
		"import os\nX(a=os.getenv('KB_TEST_SURELY_UNSET', 'd'), b=int($KB_TEST_SURELY_UNSET!'4'), c=bool(0))\n",
		"a::M()\nb::M()\na \\\n  -> b \\\n  -> M()\n",
		"m::M()\nm.attach_task(wid=7)\n",
		"m::M()\nm.attach_task(0, parent='x')\n",
		"bess.add_worker(0, core=999)\n",
		"bess.frob(1)\n",
		"def f(x) -> int:\n    return x\nX(a=f(1))\n",
		"d = {'a': 1}\nif d: M() -> Sink()\nx = d['a']\nl = [1,2,3][0:2]\nX(l=l)\n",
		"x = [M() -> Sink(), 1]\n",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		dump(t[i]);
	CHECK(1);
}

KBTEST_MAIN(T(test_dump))
