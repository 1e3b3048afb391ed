/* script_py: kbswitch's script engine is CPython, as bessctl's is.
 *
 * The script is rewritten (script_sugar.c), compiled with the script's own
 * file name, and run once in a fresh namespace holding BESS's names: every
 * module class as a callable, `bess`, __bess_env__ and __bess_module__.
 * Module objects connect with `+` and take gates with `*` (what `->` and
 * `:` become), and turn any other attribute into a module command.  Every
 * builder callback gets values converted to script_value (no Python object
 * leaves this file) and the position of the call, read from the running
 * frame (PyCode_Addr2Location) and mapped back to the original text.
 *
 * Hostile scripts are bounded: the interpreter's memory is counted through
 * its raw and arena allocators (a MemoryError past the limit), and a
 * watchdog raises TimeoutError past the time limit, then ends the process
 * if the script still runs (a C loop that never checks for exceptions). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "script_builder.h"
#include "script_sugar.h"

#ifndef KB_PYTHON_HOME
#define KB_PYTHON_HOME "/usr"
#endif

/* CPython, and the extension modules a script imports (scapy pulls in
 * cryptography and OpenSSL), free little of what they allocate at exit:
 * not kbswitch's leaks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpython3\nleak:/usr/lib/python3/\nleak:/usr/lib/python3.11/\n"
	       "leak:libcrypto.so\nleak:libssl.so\nleak:libffi.so\n";
}

const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

struct py_run {
	const struct script_builder *b;
	struct script_src src;
	PyObject *filename;
	struct kb_err err;        /* the last builder error raised as ScriptError */
	bool have_err;
	PyObject *names;          /* every module name created (a set) */
	PyObject *poscache;       /* code object -> capsule of struct code_pos */
};

static struct py_run *g_run;
static PyObject *g_script_error, *g_bess, *g_env_fn, *g_module_fn, *g_named_fn;
static bool g_py_ready, g_sandbox;
static unsigned g_mem_mb = 1024, g_time_s = 60;

/* ---- memory and time bounds ---- */

static PyMemAllocatorEx g_raw;
static PyObjectArenaAllocator g_arena;
static int64_t g_mem_used, g_mem_limit;
static bool g_mem_hit;

static bool mem_room(size_t n)
{
	int64_t lim = __atomic_load_n(&g_mem_limit, __ATOMIC_RELAXED);
	if (lim && __atomic_load_n(&g_mem_used, __ATOMIC_RELAXED) + (int64_t)n > lim) {
		g_mem_hit = true;
		return false;
	}
	return true;
}

static void mem_add(int64_t n)
{
	__atomic_add_fetch(&g_mem_used, n, __ATOMIC_RELAXED);
}

static void *raw_malloc(void *ctx, size_t n)
{
	void *p;
	if (!mem_room(n) || !(p = g_raw.malloc(g_raw.ctx, n)))
		return NULL;
	mem_add((int64_t)malloc_usable_size(p));
	return p;
}

static void *raw_calloc(void *ctx, size_t nel, size_t size)
{
	void *p;
	if ((size && nel > SIZE_MAX / size) || !mem_room(nel * size) ||
	    !(p = g_raw.calloc(g_raw.ctx, nel, size)))
		return NULL;
	mem_add((int64_t)malloc_usable_size(p));
	return p;
}

static void *raw_realloc(void *ctx, void *old, size_t n)
{
	size_t before = old ? malloc_usable_size(old) : 0;
	void *p;
	if ((n > before && !mem_room(n - before)) || !(p = g_raw.realloc(g_raw.ctx, old, n)))
		return NULL;
	mem_add((int64_t)malloc_usable_size(p) - (int64_t)before);
	return p;
}

static void raw_free(void *ctx, void *p)
{
	if (p)
		mem_add(-(int64_t)malloc_usable_size(p));
	g_raw.free(g_raw.ctx, p);
}

static void *arena_alloc(void *ctx, size_t n)
{
	void *p;
	if (!mem_room(n) || !(p = g_arena.alloc(g_arena.ctx, n)))
		return NULL;
	mem_add((int64_t)n);
	return p;
}

static void arena_free(void *ctx, void *p, size_t n)
{
	mem_add(-(int64_t)n);
	g_arena.free(g_arena.ctx, p, n);
}

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;
static bool wd_done, g_timed_out;
static unsigned g_run_gen;
static pthread_t wd_thread, wd_main;
static char wd_file[256];

/* Python's SIGALRM handler: the watchdog sends SIGALRM to the script's
 * thread, whose eval loop then runs this (3.11 recomputes its "eval
 * breaker" in the calling thread, so Py_AddPendingCall or
 * PyErr_SetInterruptEx from the watchdog's own thread never wake it). */
static PyObject *wd_raise(PyObject *self, PyObject *args)
{
	if (!g_run || !__atomic_load_n(&g_timed_out, __ATOMIC_ACQUIRE))
		Py_RETURN_NONE;
	PyErr_SetString(PyExc_TimeoutError, "time limit");
	return NULL;
}

static PyMethodDef wd_def = {"__kb_timeout__", wd_raise, METH_VARARGS, "raises TimeoutError"};

static bool wd_wait(const struct timespec *deadline)
{
	while (!wd_done)
		if (pthread_cond_timedwait(&wd_cv, &wd_mu, deadline) == ETIMEDOUT)
			return !wd_done;
	return false;
}

static void *watchdog(void *arg)
{
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += g_time_s;
	pthread_mutex_lock(&wd_mu);
	if (wd_wait(&dl)) {
		__atomic_store_n(&g_timed_out, true, __ATOMIC_RELEASE);
		pthread_kill(wd_main, SIGALRM);
		dl.tv_sec += 5;
		if (wd_wait(&dl)) {
			/* a C loop that never looks at pending calls */
			dprintf(2, "%s: the script still runs 5 s past its time limit (%u s); giving up\n",
				wd_file, g_time_s);
			_exit(2);
		}
	}
	pthread_mutex_unlock(&wd_mu);
	return NULL;
}

static void wd_start(const char *file)
{
	pthread_condattr_t ca;

	snprintf(wd_file, sizeof(wd_file), "%s", file);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd_cv, &ca);
	pthread_condattr_destroy(&ca);
	wd_done = false;
	g_timed_out = false;
	wd_main = pthread_self();
	pthread_create(&wd_thread, NULL, watchdog, (void *)(uintptr_t)g_run_gen);
}

static void wd_stop(void)
{
	pthread_mutex_lock(&wd_mu);
	wd_done = true;
	pthread_cond_signal(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
	pthread_join(wd_thread, NULL);
	pthread_cond_destroy(&wd_cv);
}

void script_sandbox(bool on)
{
	g_sandbox = on;
}

static PyObject *quiet_print(PyObject *self, PyObject *args, PyObject *kw)
{
	Py_RETURN_NONE;
}

static PyMethodDef quiet_print_def = {"print", (PyCFunction)(void (*)(void))quiet_print,
				      METH_VARARGS | METH_KEYWORDS, "print, discarded (sandbox)"};

/* The builtins a script sees: Python's, or (sandbox) a copy without what
 * reaches files, other code or the terminal. */
static PyObject *script_builtins(void)
{
	static const char *const gone[] = {"__import__", "open", "exec", "eval", "compile",
					   "input", "breakpoint", "exit", "quit", "help", NULL};
	PyObject *b = PyEval_GetBuiltins(), *fn;

	if (!g_sandbox) {
		Py_INCREF(b);
		return b;
	}
	if (!(b = PyDict_Copy(b)))
		return NULL;
	for (const char *const *g = gone; *g; g++)
		if (PyDict_DelItemString(b, *g) < 0)
			PyErr_Clear();
	if (!(fn = PyCFunction_New(&quiet_print_def, NULL)) ||
	    PyDict_SetItemString(b, "print", fn) < 0) {
		Py_XDECREF(fn);
		Py_DECREF(b);
		return NULL;
	}
	Py_DECREF(fn);
	return b;
}

void script_limits(unsigned mem_mb, unsigned time_s)
{
	g_mem_mb = mem_mb;
	g_time_s = time_s;
}

/* ---- positions ---- */

/* "name" clipped for a message, so the reason after it is never cut. */
static const char *clip(const char *s, char buf[80])
{
	size_t n = strlen(s);
	if (n <= 60)
		return s;
	snprintf(buf, 80, "%.48s... (%zu bytes)", s, n);
	return buf;
}

/* PyCode_Addr2Location walks the line table from its start: a script of N
 * statements would cost N^2.  co_positions() is read once per code object
 * instead, into an array indexed by instruction (a cache held by the run). */
struct code_pos {
	Py_ssize_t n;
	int v[][4];           /* co_positions(): line, end line, col, end col */
};

static void code_pos_free(PyObject *cap)
{
	free(PyCapsule_GetPointer(cap, NULL));
}

static bool code_loc(PyCodeObject *co, int lasti, int *l, int *c, int *el, int *ec)
{
	/* keyed by address (a code object's own hash reads all its bytecode);
	 * the value holds the code object, so the address stays its own */
	PyObject *key = PyLong_FromVoidPtr(co), *val, *cap = NULL;
	struct code_pos *cp;
	Py_ssize_t i = lasti / 2;

	if (!key) {
		PyErr_Clear();
		return PyCode_Addr2Location(co, lasti, l, c, el, ec);
	}
	if ((val = PyDict_GetItem(g_run->poscache, key)))
		cap = PyTuple_GET_ITEM(val, 1);

	if (!cap) {
		PyObject *it = PyObject_CallMethod((PyObject *)co, "co_positions", NULL), *t;
		Py_ssize_t n = Py_SIZE(co);      /* code units */
		if (it && (cp = calloc(1, sizeof(*cp) + (size_t)(n + 1) * sizeof(cp->v[0])))) {
			while (cp->n <= n && (t = PyIter_Next(it))) {
				for (int k = 0; k < 4; k++) {
					PyObject *x = PyTuple_Check(t) && PyTuple_GET_SIZE(t) == 4 ?
						      PyTuple_GET_ITEM(t, k) : Py_None;
					cp->v[cp->n][k] = x == Py_None ? -1 : (int)PyLong_AsLong(x);
				}
				Py_DECREF(t);
				cp->n++;
			}
			if ((cap = PyCapsule_New(cp, NULL, code_pos_free))) {
				if ((val = PyTuple_Pack(2, (PyObject *)co, cap)))
					PyDict_SetItem(g_run->poscache, key, val);
				Py_XDECREF(val);
				Py_DECREF(cap);
			} else {
				free(cp);
			}
		}
		Py_XDECREF(it);
		PyErr_Clear();
		val = PyDict_GetItem(g_run->poscache, key);
		cap = val ? PyTuple_GET_ITEM(val, 1) : NULL;
	}
	Py_DECREF(key);
	if (cap && (cp = PyCapsule_GetPointer(cap, NULL)) && i >= 0 && i < cp->n) {
		*l = cp->v[i][0];
		*el = cp->v[i][1];
		*c = cp->v[i][2];
		*ec = cp->v[i][3];
		return true;
	}
	PyErr_Clear();
	return PyCode_Addr2Location(co, lasti, l, c, el, ec);
}

/* The rewritten span of the instruction running in the script's innermost
 * frame; false when no frame of the script is running. */
static bool frame_span(size_t *start, size_t *end)
{
	PyFrameObject *f = PyEval_GetFrame();

	Py_XINCREF(f);
	while (f) {
		PyCodeObject *co = PyFrame_GetCode(f);
		PyFrameObject *back;
		bool mine = g_run && !PyUnicode_Compare(co->co_filename, g_run->filename);

		if (mine) {
			int l = 0, c = 0, el = 0, ec = 0;
			code_loc(co, PyFrame_GetLasti(f), &l, &c, &el, &ec);
			if (l <= 0)
				l = PyFrame_GetLineNumber(f);
			*start = script_py_off(&g_run->src, l, c < 0 ? 0 : c);
			*end = el > 0 && ec >= 0 ? script_py_off(&g_run->src, el, ec) : *start;
			Py_DECREF(co);
			Py_DECREF(f);
			return true;
		}
		back = PyFrame_GetBack(f);
		Py_DECREF(co);
		Py_DECREF(f);
		f = back;
	}
	return false;
}

/* Where the running call starts in the original text. */
static size_t call_src(void)
{
	size_t s = 0, e = 0;
	frame_span(&s, &e);
	return script_src_from_py_off(&g_run->src, s);
}

static struct script_pos src_pos(size_t off)
{
	return script_src_pos(&g_run->src, off);
}

/* Raises ScriptError for a builder's err (given the position `at` when
 * the builder left it out). */
static PyObject *raise_err(struct kb_err *err, const struct script_pos *at)
{
	if (!err->file[0]) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg[0] ? err->msg : "failed");
		kb_err_at(err, at->file, at->line, at->col, "%s", msg);
	}
	g_run->err = *err;
	g_run->have_err = true;
	PyErr_SetString(g_script_error, err->msg);
	return NULL;
}

static PyObject *raise_at(const struct script_pos *at, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static PyObject *raise_at(const struct script_pos *at, const char *fmt, ...)
{
	struct kb_err err = { 0 };
	char msg[sizeof(err.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kb_err_at(&err, at->file, at->line, at->col, "%s", msg);
	return raise_err(&err, at);
}

/* ---- Python objects -> script values ---- */

static PyTypeObject ModuleType, ClassType, MethodType;

struct pymod {
	PyObject_HEAD
	char name[64];
	char cls[48];
	int igate, ogate;     /* -1: not given */
};

struct pyclass {
	PyObject_HEAD
	char name[48];
	char defname[64];     /* `x = Class(...)`: the name when free */
};

enum meth_kind { M_CMD, M_ATTACH, M_CONNECT };

struct pymeth {
	PyObject_HEAD
	enum meth_kind kind;
	char obj[64];
	char cmd[64];
};

#define TOK_NONE SIZE_MAX
#define MAX_NEST 32

static struct script_value *to_value(PyObject *o, size_t tok, struct script_pos at, int depth);

/* The token of each of n items when the literal at tok writes exactly n
 * (caller frees), else NULL: the items then take their container's place. */
static size_t *item_toks(size_t tok, Py_ssize_t n)
{
	size_t *toks;

	if (tok == TOK_NONE || !n || n > INT_MAX || !(toks = malloc((size_t)n * sizeof(*toks))))
		return NULL;
	if (script_src_items(&g_run->src, tok, toks, (int)n) != n) {
		free(toks);
		return NULL;
	}
	return toks;
}

static struct script_value *seq_value(PyObject *o, size_t tok, struct script_pos at, int depth)
{
	PyObject *fast = PySequence_Fast(o, "a sequence");
	Py_ssize_t n;
	size_t *toks = NULL;
	struct script_value *v = NULL;

	if (!fast)
		return NULL;
	n = PySequence_Fast_GET_SIZE(fast);
	toks = item_toks(tok, n);
	if (!(v = script_value_new(SV_LIST, at)) ||
	    (n && !(v->list.items = calloc((size_t)n, sizeof(*v->list.items))))) {
		PyErr_NoMemory();
		goto fail;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		size_t t = toks ? toks[i] : TOK_NONE;
		struct script_pos p = t != TOK_NONE ? src_pos(g_run->src.tok[t].start) : at;
		if (!(v->list.items[i] = to_value(PySequence_Fast_GET_ITEM(fast, i), t, p, depth + 1)))
			goto fail;
		v->list.n++;
	}
	free(toks);
	Py_DECREF(fast);
	return v;
fail:
	free(toks);
	Py_DECREF(fast);
	script_value_free(v);
	return NULL;
}

static struct script_value *dict_value(PyObject *o, size_t tok, struct script_pos at, int depth)
{
	Py_ssize_t n = PyDict_Size(o), i = 0, k = 0;
	size_t *toks = NULL;
	PyObject *key, *val;
	struct script_value *v;

	toks = item_toks(tok, n);
	if (!(v = script_value_new(SV_DICT, at)) ||
	    (n && !(v->dict.items = calloc((size_t)n, sizeof(*v->dict.items))))) {
		free(toks);
		script_value_free(v);
		PyErr_NoMemory();
		return NULL;
	}
	while (PyDict_Next(o, &i, &key, &val)) {
		size_t t = toks ? toks[k] : TOK_NONE;
		struct script_pos p = t != TOK_NONE ? src_pos(g_run->src.tok[t].start) : at;
		const char *ks;

		if (!PyUnicode_Check(key)) {
			raise_at(&at, "dict keys must be str, got %s", Py_TYPE(key)->tp_name);
			goto fail;
		}
		if (!(ks = PyUnicode_AsUTF8(key)) || !(v->dict.items[k].key = strdup(ks)) ||
		    !(v->dict.items[k].val = to_value(val, t, p, depth + 1))) {
			if (!PyErr_Occurred())
				PyErr_NoMemory();
			free(v->dict.items[k].key);
			goto fail;
		}
		v->dict.n = (size_t)++k;
	}
	free(toks);
	return v;
fail:
	free(toks);
	script_value_free(v);
	return NULL;
}

static struct script_value *to_value(PyObject *o, size_t tok, struct script_pos at, int depth)
{
	struct script_value *v = NULL;

	if (depth > MAX_NEST) {
		raise_at(&at, "values nest deeper than %d levels", MAX_NEST);
		return NULL;
	}
	if (o == Py_None) {
		v = script_value_new(SV_NONE, at);
	} else if (PyBool_Check(o)) {
		if ((v = script_value_new(SV_BOOL, at)))
			v->b = o == Py_True;
	} else if (PyLong_Check(o)) {
		int ovf = 0;
		long long x = PyLong_AsLongLongAndOverflow(o, &ovf);
		if (ovf || (x == -1 && PyErr_Occurred())) {
			PyErr_Clear();
			raise_at(&at, "integer out of range (64 bits)");
			return NULL;
		}
		if ((v = script_value_new(SV_INT, at)))
			v->i = x;
	} else if (PyUnicode_Check(o)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize(o, &n);
		if (!s)
			return NULL;
		if (strlen(s) != (size_t)n) {
			raise_at(&at, "a string holds a NUL character at index %zu (a name, MAC or device string cannot)",
				 strlen(s));
			return NULL;
		}
		if ((v = script_value_new(SV_STR, at)) && !(v->s = strdup(s))) {
			free(v);
			v = NULL;
		}
	} else if (PyObject_TypeCheck(o, &ModuleType)) {
		if ((v = script_value_new(SV_OBJ, at)) &&
		    !(v->s = strdup(((struct pymod *)o)->name))) {
			free(v);
			v = NULL;
		}
	} else if (PyBytes_Check(o) || PyByteArray_Check(o) ||
		   (!PyUnicode_Check(o) && PyObject_HasAttrString(o, "__bytes__"))) {
		PyObject *b = PyObject_Bytes(o);   /* a scapy packet: its wire bytes */
		if (!b)
			return NULL;
		if ((v = script_value_new(SV_BYTES, at))) {
			v->bytes.n = (size_t)PyBytes_GET_SIZE(b);
			if (!(v->bytes.p = malloc(v->bytes.n ? v->bytes.n : 1))) {
				free(v);
				v = NULL;
			} else {
				memcpy(v->bytes.p, PyBytes_AS_STRING(b), v->bytes.n);
			}
		}
		Py_DECREF(b);
	} else if (PyList_Check(o) || PyTuple_Check(o)) {
		return seq_value(o, tok, at, depth);
	} else if (PyDict_Check(o)) {
		return dict_value(o, tok, at, depth);
	} else {
		raise_at(&at, "cannot pass a %s to a module (expected int, str, bytes, bool, list, dict or a module)",
			 Py_TYPE(o)->tp_name);
		return NULL;
	}
	if (!v && !PyErr_Occurred())
		PyErr_NoMemory();
	return v;
}

static PyObject *from_value(const struct script_value *v)
{
	PyObject *o;

	switch (v->type) {
	case SV_BOOL: return PyBool_FromLong(v->b);
	case SV_INT:  return PyLong_FromLongLong(v->i);
	case SV_STR:
	case SV_OBJ:  return PyUnicode_FromString(v->s);
	case SV_BYTES: return PyBytes_FromStringAndSize((const char *)v->bytes.p, (Py_ssize_t)v->bytes.n);
	case SV_LIST:
		if (!(o = PyList_New((Py_ssize_t)v->list.n)))
			return NULL;
		for (size_t i = 0; i < v->list.n; i++) {
			PyObject *x = from_value(v->list.items[i]);
			if (!x) {
				Py_DECREF(o);
				return NULL;
			}
			PyList_SET_ITEM(o, (Py_ssize_t)i, x);
		}
		return o;
	case SV_DICT:
		if (!(o = PyDict_New()))
			return NULL;
		for (size_t i = 0; i < v->dict.n; i++) {
			PyObject *x = from_value(v->dict.items[i].val);
			if (!x || PyDict_SetItemString(o, v->dict.items[i].key, x) < 0) {
				Py_XDECREF(x);
				Py_DECREF(o);
				return NULL;
			}
			Py_DECREF(x);
		}
		return o;
	case SV_NONE:
		break;
	}
	Py_RETURN_NONE;
}

/* The call's arguments as script_args, each value positioned where the
 * call's text writes it.  skip_name drops a 'name' keyword (constructors). */
static int build_args(PyObject *args, PyObject *kw, size_t call, bool skip_name,
		      struct script_args *a, size_t *name_off)
{
	struct sugar_arg sa[64];
	size_t open = call, name = call;
	int ns = script_src_call_args(&g_run->src, call, &open, &name, sa, 64);
	Py_ssize_t npos = args ? PyTuple_GET_SIZE(args) : 0, nkw = kw ? PyDict_Size(kw) : 0;
	Py_ssize_t i = 0;
	PyObject *k, *v;

	memset(a, 0, sizeof(*a));
	a->pos = src_pos(open);
	if (name_off)
		*name_off = name;
	if (npos > 1) {
		raise_at(&a->pos, "takes keyword arguments (and at most one positional), got %zd positional",
			 npos);
		return -1;
	}
	if (npos + nkw && !(a->items = calloc((size_t)(npos + nkw), sizeof(*a->items)))) {
		PyErr_NoMemory();
		return -1;
	}
	if (npos) {
		size_t t = ns > 0 && !sa[0].key ? sa[0].val : TOK_NONE;
		struct script_pos p = t != TOK_NONE ? src_pos(g_run->src.tok[t].start) : a->pos;
		if (!(a->items[0].key = strdup("")) ||
		    !(a->items[0].val = to_value(PyTuple_GET_ITEM(args, 0), t, p, 0)))
			goto fail;
		a->n = 1;
	}
	while (kw && PyDict_Next(kw, &i, &k, &v)) {
		const char *ks = PyUnicode_AsUTF8(k);
		size_t t = TOK_NONE;
		struct script_pos p = a->pos;

		if (!ks)
			goto fail;
		if (skip_name && !strcmp(ks, "name"))
			continue;
		for (int j = 0; j < ns; j++)
			if (sa[j].key && sa[j].keylen == strlen(ks) && !memcmp(sa[j].key, ks, sa[j].keylen)) {
				t = sa[j].val;
				p = src_pos(g_run->src.tok[t].start);
				break;
			}
		if (!(a->items[a->n].key = strdup(ks)))
			goto fail;
		if (!(a->items[a->n].val = to_value(v, t, p, 0))) {
			free(a->items[a->n].key);
			goto fail;
		}
		a->n++;
	}
	return 0;
fail:
	if (!PyErr_Occurred())
		PyErr_NoMemory();
	script_args_free(a);
	return -1;
}

/* ---- module classes, modules, methods ---- */

static PyObject *new_module(const char *name, const char *cls)
{
	struct pymod *m = PyObject_New(struct pymod, &ModuleType);
	if (!m)
		return NULL;
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->cls, sizeof(m->cls), "%s", cls);
	m->igate = m->ogate = -1;
	return (PyObject *)m;
}

static PyObject *class_call(PyObject *self, PyObject *args, PyObject *kw)
{
	struct pyclass *c = (struct pyclass *)self;
	size_t call = call_src();
	struct script_pos pos = src_pos(call);
	PyObject *nameo = kw ? PyDict_GetItemString(kw, "name") : NULL;
	const char *name = NULL;
	char out[64] = "", cb[80];
	struct script_args a;
	struct kb_err err = { 0 };
	int rc;

	if (nameo) {
		if (!PyUnicode_Check(nameo) || !(name = PyUnicode_AsUTF8(nameo)))
			return raise_at(&pos, "%s: name= must be a str", c->name);
		if (strlen(name) >= 64)
			return raise_at(&pos, "module name is %zu bytes long (at most 63): '%s'",
					strlen(name), clip(name, cb));
		if (!name[0] || strpbrk(name, " \t\n:"))
			return raise_at(&pos, "module name '%s' is not a name", clip(name, cb));
	} else if (c->defname[0]) {
		PyObject *d = PyUnicode_FromString(c->defname);
		int taken = d ? PySet_Contains(g_run->names, d) : -1;
		Py_XDECREF(d);
		if (taken < 0)
			return NULL;
		if (!taken)
			name = c->defname;
	}
	if (build_args(args, kw, call, true, &a, NULL) < 0)
		return NULL;
	rc = g_run->b->create(g_run->b->ctx, name, c->name, &a, &pos, out, &err);
	script_args_free(&a);
	if (rc < 0)
		return raise_err(&err, &pos);
	PyObject *m = new_module(name ? name : out, c->name), *mn = NULL;
	if (m && (!(mn = PyUnicode_FromString(((struct pymod *)m)->name)) ||
		  PySet_Add(g_run->names, mn) < 0)) {
		Py_XDECREF(mn);
		Py_DECREF(m);
		return NULL;
	}
	Py_XDECREF(mn);
	return m;
}

static PyObject *class_repr(PyObject *self)
{
	return PyUnicode_FromFormat("<module class %s>", ((struct pyclass *)self)->name);
}

static PyTypeObject ClassType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kbswitch.ModuleClass",
	.tp_basicsize = sizeof(struct pyclass),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_call = class_call,
	.tp_repr = class_repr,
	.tp_doc = "A module class: calling it creates a module (BESS's Module subclasses).",
};

static PyObject *copy_module(const struct pymod *m)
{
	struct pymod *c = (struct pymod *)new_module(m->name, m->cls);
	if (c) {
		c->igate = m->igate;
		c->ogate = m->ogate;
	}
	return (PyObject *)c;
}

static PyObject *connect(const struct pymod *a, const struct pymod *b, int og, int ig,
			 struct script_pos pos)
{
	struct kb_err err = { 0 };
	if (g_run->b->connect(g_run->b->ctx, a->name, og, b->name, ig, &pos, &err) < 0)
		return raise_err(&err, &pos);
	struct pymod *r = (struct pymod *)copy_module(b);
	if (r)
		r->igate = -1;   /* used; its output gate stays for the next '->' */
	return (PyObject *)r;
}

/* The '->' being run: the outermost, last arrow in the running '+'. */
static struct script_pos arrow_pos(void)
{
	size_t s = 0, e = 0, src;

	if (!frame_span(&s, &e))
		return src_pos(0);
	src = script_src_arrow(&g_run->src, s, e);
	return src_pos(src != SIZE_MAX ? src : script_src_from_py_off(&g_run->src, s));
}

static PyObject *mod_add(PyObject *x, PyObject *y)
{
	if (!PyObject_TypeCheck(x, &ModuleType) || !PyObject_TypeCheck(y, &ModuleType)) {
		struct script_pos pos = arrow_pos();
		PyObject *other = PyObject_TypeCheck(x, &ModuleType) ? y : x;
		return raise_at(&pos, "'->' connects modules, got %s", Py_TYPE(other)->tp_name);
	}
	const struct pymod *a = (const struct pymod *)x, *b = (const struct pymod *)y;
	return connect(a, b, a->ogate < 0 ? 0 : a->ogate, b->igate < 0 ? 0 : b->igate, arrow_pos());
}

static PyObject *mod_mul(PyObject *x, PyObject *y)
{
	bool out = PyObject_TypeCheck(x, &ModuleType);
	PyObject *g = out ? y : x;
	struct pymod *m = (struct pymod *)(out ? x : y), *r;
	struct script_pos pos = src_pos(call_src());
	long v;

	if (!PyLong_Check(g) || PyBool_Check(g))
		return raise_at(&pos, "a gate is an int, got %s", Py_TYPE(g)->tp_name);
	v = PyLong_AsLong(g);
	if ((v == -1 && PyErr_Occurred()) || v < 0 || v > 0xffff) {
		PyErr_Clear();
		return raise_at(&pos, "gate out of range (0..65535)");
	}
	if ((out ? m->ogate : m->igate) >= 0)
		return raise_at(&pos, "%s gate of '%s' given twice", out ? "output" : "input", m->name);
	if (!(r = (struct pymod *)copy_module(m)))
		return NULL;
	*(out ? &r->ogate : &r->igate) = (int)v;
	return (PyObject *)r;
}

static PyObject *new_method(enum meth_kind k, const char *obj, const char *cmd)
{
	struct pymeth *m = PyObject_New(struct pymeth, &MethodType);
	if (!m)
		return NULL;
	m->kind = k;
	snprintf(m->obj, sizeof(m->obj), "%s", obj);
	snprintf(m->cmd, sizeof(m->cmd), "%s", cmd);
	return (PyObject *)m;
}

static PyObject *mod_getattr(PyObject *self, PyObject *nameo)
{
	struct pymod *m = (struct pymod *)self;
	const char *n = PyUnicode_AsUTF8(nameo);

	if (!n)
		return NULL;
	if (!strncmp(n, "__", 2) || strlen(n) >= 64)
		return PyObject_GenericGetAttr(self, nameo);
	if (!strcmp(n, "name"))
		return PyUnicode_FromString(m->name);
	if (!strcmp(n, "mclass"))
		return PyUnicode_FromString(m->cls);
	if (!strcmp(n, "attach_task"))
		return new_method(M_ATTACH, m->name, n);
	if (!strcmp(n, "connect"))
		return new_method(M_CONNECT, m->name, n);
	return new_method(M_CMD, m->name, n);   /* the builder knows the commands */
}

static PyObject *mod_str(PyObject *self)
{
	struct pymod *m = (struct pymod *)self;
	return PyUnicode_FromFormat("%s::%s", m->name, m->cls);
}

static PyObject *mod_richcmp(PyObject *x, PyObject *y, int op)
{
	if (!PyObject_TypeCheck(y, &ModuleType) || (op != Py_EQ && op != Py_NE))
		Py_RETURN_NOTIMPLEMENTED;
	bool eq = !strcmp(((struct pymod *)x)->name, ((struct pymod *)y)->name);
	return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t mod_hash(PyObject *self)
{
	PyObject *s = PyUnicode_FromString(((struct pymod *)self)->name);
	Py_hash_t h = s ? PyObject_Hash(s) : -1;
	Py_XDECREF(s);
	return h;
}

/* `a -> -> b` is `a + + b` once rewritten: a unary plus on a module */
static PyObject *mod_pos(PyObject *x)
{
	struct script_pos pos = arrow_pos();
	return raise_at(&pos, "'->' has no module on its left");
}

static PyNumberMethods mod_number = {
	.nb_positive = mod_pos,
	.nb_add = mod_add,
	.nb_multiply = mod_mul,
};

static PyTypeObject ModuleType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kbswitch.Module",
	.tp_basicsize = sizeof(struct pymod),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_as_number = &mod_number,
	.tp_getattro = mod_getattr,
	.tp_str = mod_str,
	.tp_repr = mod_str,
	.tp_richcompare = mod_richcmp,
	.tp_hash = mod_hash,
	.tp_doc = "A module or port: a -> b connects (a + b), a:1 is a*1, any other attribute is a module command.",
};

/* wid from attach_task's arguments: (wid=N) or (N); BESS's traffic-class
 * arguments are refused rather than ignored. */
static int attach_args(PyObject *args, PyObject *kw, Py_ssize_t skip,
		       const struct script_pos *pos, int *wid)
{
	PyObject *w = NULL, *k, *v;
	Py_ssize_t i = 0;

	if (PyTuple_GET_SIZE(args) > skip + 1)
		return raise_at(pos, "attach_task: expected attach_task(wid=N)"), -1;
	if (PyTuple_GET_SIZE(args) == skip + 1)
		w = PyTuple_GET_ITEM(args, skip);
	while (kw && PyDict_Next(kw, &i, &k, &v)) {
		const char *ks = PyUnicode_AsUTF8(k);
		if (!ks)
			return -1;
		if (!strcmp(ks, "wid") && !w) {
			w = v;
			continue;
		}
		if (!strcmp(ks, "module_taskid") && PyLong_Check(v) && PyLong_AsLong(v) == 0)
			continue;
		return raise_at(pos, "attach_task: unsupported argument '%s' (kbswitch has workers, not traffic classes: attach_task(wid=N))",
				ks), -1;
	}
	if (!w)
		return raise_at(pos, "attach_task needs wid=N"), -1;
	if (!PyLong_Check(w) || PyBool_Check(w))
		return raise_at(pos, "attach_task: wid is an int, got %s", Py_TYPE(w)->tp_name), -1;
	long x = PyLong_AsLong(w);
	if ((x == -1 && PyErr_Occurred()) || x < INT_MIN || x > INT_MAX) {
		PyErr_Clear();
		return raise_at(pos, "attach_task: wid out of range"), -1;
	}
	*wid = (int)x;
	return 0;
}

static PyObject *do_attach(const char *module, PyObject *args, PyObject *kw, Py_ssize_t skip)
{
	size_t call = call_src(), open, name;
	struct sugar_arg sa[1];
	struct script_pos pos;
	struct kb_err err = { 0 };
	int wid;

	if (script_src_call_args(&g_run->src, call, &open, &name, sa, 1) < 0)
		name = call;
	pos = src_pos(name);
	if (attach_args(args, kw, skip, &pos, &wid) < 0)
		return NULL;
	if (g_run->b->attach_task(g_run->b->ctx, module, wid, &pos, &err) < 0)
		return raise_err(&err, &pos);
	Py_RETURN_NONE;
}

static PyObject *meth_call(PyObject *self, PyObject *args, PyObject *kw)
{
	struct pymeth *m = (struct pymeth *)self;
	size_t call = call_src(), name = call;
	struct script_args a;
	struct script_value *res = NULL;
	struct kb_err err = { 0 };
	struct script_pos pos;
	PyObject *r;

	if (m->kind == M_ATTACH)
		return do_attach(m->obj, args, kw, 0);
	if (m->kind == M_CONNECT) {
		static char *kwl[] = {"next_mod", "ogate", "igate", NULL};
		PyObject *next;
		int og = 0, ig = 0;
		struct pymod self_mod = { .igate = -1, .ogate = -1 };
		if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|ii:connect", kwl, &ModuleType, &next,
						 &og, &ig))
			return NULL;
		snprintf(self_mod.name, sizeof(self_mod.name), "%s", m->obj);
		return connect(&self_mod, (struct pymod *)next, og, ig, src_pos(call));
	}
	if (build_args(args, kw, call, false, &a, &name) < 0)
		return NULL;
	pos = src_pos(name);
	if (g_run->b->call(g_run->b->ctx, m->obj, m->cmd, &a, &pos, &res, &err) < 0) {
		script_args_free(&a);
		script_value_free(res);
		return raise_err(&err, &pos);
	}
	script_args_free(&a);
	r = res ? from_value(res) : (Py_INCREF(Py_None), Py_None);
	script_value_free(res);
	return r;
}

static PyTypeObject MethodType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kbswitch.Command",
	.tp_basicsize = sizeof(struct pymeth),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_call = meth_call,
	.tp_doc = "A module command (BESS's run_module_command).",
};

/* ---- bess.*, __bess_env__, __bess_module__ ---- */

static PyObject *bess_add_worker(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwl[] = {"wid", "core", "scheduler", NULL};
	size_t call = call_src(), open, name;
	struct sugar_arg sa[1];
	const char *sched = NULL;
	struct script_pos pos;
	struct kb_err err = { 0 };
	int wid, core;

	if (script_src_call_args(&g_run->src, call, &open, &name, sa, 1) < 0)
		name = call;
	pos = src_pos(name);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "ii|z:add_worker", kwl, &wid, &core, &sched))
		return NULL;
	if (sched && strcmp(sched, "") && strcmp(sched, "default"))
		return raise_at(&pos, "add_worker: scheduler '%s' is not supported (kbswitch's workers poll their tasks in turn)",
				sched);
	if (g_run->b->add_worker(g_run->b->ctx, wid, core, &pos, &err) < 0)
		return raise_err(&err, &pos);
	Py_RETURN_NONE;
}

static PyObject *bess_attach_task(PyObject *self, PyObject *args, PyObject *kw)
{
	PyObject *m = PyTuple_GET_SIZE(args) ? PyTuple_GET_ITEM(args, 0) : NULL;
	const char *name;

	if (m && PyObject_TypeCheck(m, &ModuleType))
		name = ((struct pymod *)m)->name;
	else if (m && PyUnicode_Check(m) && (name = PyUnicode_AsUTF8(m)))
		;
	else {
		struct script_pos pos = src_pos(call_src());
		return raise_at(&pos, "attach_task: expected bess.attach_task(MODULE_NAME, wid=N)");
	}
	return do_attach(name, args, kw, 1);
}

static PyMethodDef bess_methods[] = {
	{"add_worker", (PyCFunction)(void (*)(void))bess_add_worker, METH_VARARGS | METH_KEYWORDS,
	 "add_worker(wid, core): a worker polling its tasks on EAL lcore core"},
	{"attach_task", (PyCFunction)(void (*)(void))bess_attach_task, METH_VARARGS | METH_KEYWORDS,
	 "attach_task(module_name, wid=N): the module's task runs on worker N"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef bess_def = {
	PyModuleDef_HEAD_INIT, "bess", "kbswitch's part of BESS's bess object", -1, bess_methods,
	NULL, NULL, NULL, NULL,
};

static PyObject *bess_env(PyObject *self, PyObject *args)
{
	const char *name, *v;
	PyObject *def = NULL;

	if (!PyArg_ParseTuple(args, "s|O:__bess_env__", &name, &def))
		return NULL;
	if ((v = getenv(name)))
		return PyUnicode_DecodeFSDefault(v);
	if (def) {
		Py_INCREF(def);
		return def;
	}
	struct script_pos pos = src_pos(call_src());
	return raise_at(&pos, "environment variable '%s' is not set (write $%s!'default' to give a default)",
			name, name);
}

static void class_list(char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (const char *const *c = g_run->b->classes; c && *c && o < len; c++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", *c);
}

static PyObject *bess_module(PyObject *self, PyObject *args, PyObject *kw)
{
	Py_ssize_t n = PyTuple_GET_SIZE(args);
	PyObject *names, *clsname, *cls, *globals = PyEval_GetGlobals(), *rest, *kw2, *res = NULL;
	struct script_pos pos = src_pos(call_src());
	char cb[80], known[400];

	if (n < 2 || !PyUnicode_Check(names = PyTuple_GET_ITEM(args, 0)) ||
	    !PyUnicode_Check(clsname = PyTuple_GET_ITEM(args, 1)))
		return raise_at(&pos, "expected name::Class(...)");
	cls = globals ? PyDict_GetItemWithError(globals, clsname) : NULL;
	if (!cls && !PyErr_Occurred())
		cls = PyDict_GetItemWithError(PyEval_GetBuiltins(), clsname);
	if (!cls) {
		if (PyErr_Occurred())
			return NULL;
		class_list(known, sizeof(known));
		return raise_at(&pos, "unknown module class '%s' (expected one of %s)",
				clip(PyUnicode_AsUTF8(clsname), cb), known);
	}
	if (kw && PyDict_GetItemString(kw, "name"))
		return raise_at(&pos, "name::Class(name=...) names the module twice");
	if (!(rest = PyTuple_GetSlice(args, 2, n)))
		return NULL;
	if (!(kw2 = kw ? PyDict_Copy(kw) : PyDict_New()) ||
	    PyDict_SetItemString(kw2, "name", names) < 0)
		goto out;
	if ((res = PyObject_Call(cls, rest, kw2)) && globals &&
	    PyDict_SetItem(globals, names, res) < 0)
		Py_CLEAR(res);
out:
	Py_XDECREF(kw2);
	Py_DECREF(rest);
	return res;
}

static PyObject *bess_named(PyObject *self, PyObject *args)
{
	const char *name;
	PyObject *obj;
	struct pyclass *c;

	if (!PyArg_ParseTuple(args, "sO:__bess_named__", &name, &obj))
		return NULL;
	if (!PyObject_TypeCheck(obj, &ClassType) || strlen(name) >= 64) {
		Py_INCREF(obj);
		return obj;
	}
	if (!(c = PyObject_New(struct pyclass, &ClassType)))
		return NULL;
	memcpy(c->name, ((struct pyclass *)obj)->name, sizeof(c->name));
	snprintf(c->defname, sizeof(c->defname), "%s", name);
	return (PyObject *)c;
}

static PyMethodDef named_def = {"__bess_named__", bess_named, METH_VARARGS,
				"x = Class(...): the module is named x when that name is free"};
static PyMethodDef env_def = {"__bess_env__", bess_env, METH_VARARGS,
			      "$VAR!'default': the environment variable, else the default"};
static PyMethodDef module_def = {"__bess_module__", (PyCFunction)(void (*)(void))bess_module,
				 METH_VARARGS | METH_KEYWORDS,
				 "name::Class(...): creates the module and binds name"};

/* ---- the interpreter ---- */

static int py_init(struct kb_err *err)
{
	PyPreConfig pre;
	PyConfig c;
	PyStatus st;
	PyMemAllocatorEx hook = { NULL, raw_malloc, raw_calloc, raw_realloc, raw_free };
	PyObjectArenaAllocator ahook = { NULL, arena_alloc, arena_free };

	PyPreConfig_InitIsolatedConfig(&pre);
	pre.utf8_mode = 1;
	st = Py_PreInitialize(&pre);
	if (PyStatus_Exception(st))
		return kb_err_set(err, "cannot start Python: %s", st.err_msg ? st.err_msg : "?");
	PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &g_raw);
	PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &hook);
	PyObject_GetArenaAllocator(&g_arena);
	PyObject_SetArenaAllocator(&ahook);

	PyConfig_InitIsolatedConfig(&c);
	c.site_import = 1;               /* Debian's dist-packages: scapy */
	c.install_signal_handlers = 0;   /* kbswitch owns SIGINT/SIGTERM */
	c.write_bytecode = 0;
	c.parse_argv = 0;
	st = PyConfig_SetBytesString(&c, &c.home, KB_PYTHON_HOME);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetBytesString(&c, &c.program_name, "kbswitch");
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&c);
	PyConfig_Clear(&c);
	if (PyStatus_Exception(st))
		return kb_err_set(err, "cannot start Python: %s", st.err_msg ? st.err_msg : "?");
	if (PyType_Ready(&ModuleType) < 0 || PyType_Ready(&ClassType) < 0 ||
	    PyType_Ready(&MethodType) < 0 ||
	    !(g_script_error = PyErr_NewException("kbswitch.ScriptError", NULL, NULL)) ||
	    !(g_bess = PyModule_Create(&bess_def)) ||
	    !(g_env_fn = PyCFunction_New(&env_def, NULL)) ||
	    !(g_module_fn = PyCFunction_New(&module_def, NULL)) ||
	    !(g_named_fn = PyCFunction_New(&named_def, NULL))) {
		PyErr_Clear();
		return kb_err_set(err, "cannot start Python: out of memory");
	}
	/* the watchdog's way in: a Python-level SIGALRM handler */
	PyObject *sig = PyImport_ImportModule("signal"), *fn = PyCFunction_New(&wd_def, NULL), *r = NULL;
	if (sig && fn)
		r = PyObject_CallMethod(sig, "signal", "iO", SIGALRM, fn);
	Py_XDECREF(sig);
	Py_XDECREF(fn);
	if (!r) {
		PyErr_Clear();
		return kb_err_set(err, "cannot start Python: no SIGALRM handler");
	}
	Py_DECREF(r);
	g_py_ready = true;
	return 0;
}

void script_engine_shutdown(void)
{
	if (!g_py_ready)
		return;
	Py_CLEAR(g_script_error);
	Py_CLEAR(g_bess);
	Py_CLEAR(g_env_fn);
	Py_CLEAR(g_module_fn);
	Py_CLEAR(g_named_fn);
	Py_FinalizeEx();
	g_py_ready = false;
}

/* Byte column of a 1-based character offset in line `line` of the
 * rewritten text (SyntaxError.offset counts characters). */
static int char_to_byte(const struct script_src *s, int line, long chars)
{
	size_t o = script_py_off(s, line, 0), start = o;
	while (chars > 1 && o < s->py_len && s->py[o] != '\n') {
		o++;
		while (o < s->py_len && ((unsigned char)s->py[o] & 0xc0) == 0x80)
			o++;
		chars--;
	}
	return (int)(o - start);
}

static bool is_script_code(PyCodeObject *co)
{
	return !PyUnicode_Compare(co->co_filename, g_run->filename);
}

/* The script's innermost frame in tb: its rewritten position. */
static bool tb_pos(PyObject *tb, size_t *off)
{
	bool found = false;

	for (PyTracebackObject *t = (PyTracebackObject *)tb; t && (PyObject *)t != Py_None;
	     t = t->tb_next) {
		PyCodeObject *co = PyFrame_GetCode(t->tb_frame);
		if (is_script_code(co)) {
			int l = 0, c = 0, el, ec;
			PyCode_Addr2Location(co, t->tb_lasti, &l, &c, &el, &ec);
			if (l <= 0)
				l = t->tb_lineno;
			*off = script_py_off(&g_run->src, l, c < 0 ? 0 : c);
			found = true;
		}
		Py_DECREF(co);
	}
	return found;
}

/* Keeps the head and the tail of a long message: the reason is at either
 * end, a huge name in the middle. */
static void clip_middle(char *m, size_t cap)
{
	size_t n = strlen(m);
	if (n < 400 || cap < 400)
		return;
	memmove(m + 200, "[...]", 5);
	memmove(m + 205, m + n - 150, 151);
}

static void py_error(struct py_run *r, struct kb_err *err)
{
	PyObject *type, *val, *tb, *s = NULL;
	size_t off = 0;
	struct script_pos pos;
	char msg[1024];
	const char *tname;

	PyErr_Fetch(&type, &val, &tb);
	PyErr_NormalizeException(&type, &val, &tb);
	if (!type) {
		kb_err_at(err, r->src.file, 1, 1, "the script failed");
		return;
	}
	tname = ((PyTypeObject *)type)->tp_name;
	if (r->have_err && PyErr_GivenExceptionMatches(type, g_script_error)) {
		*err = r->err;
		goto out;
	}
	if (PyErr_GivenExceptionMatches(type, PyExc_SyntaxError) && val) {
		PyObject *fn = PyObject_GetAttrString(val, "filename");
		PyObject *ln = PyObject_GetAttrString(val, "lineno");
		PyObject *of = PyObject_GetAttrString(val, "offset");
		PyObject *ms = PyObject_GetAttrString(val, "msg");
		bool here = fn && PyUnicode_Check(fn) && !PyUnicode_Compare(fn, r->filename);
		PyErr_Clear();
		if (here && ln && PyLong_Check(ln)) {
			int line = (int)PyLong_AsLong(ln);
			long chars = of && PyLong_Check(of) ? PyLong_AsLong(of) : 1;
			off = script_src_from_py(&r->src, line, char_to_byte(&r->src, line, chars));
			pos = src_pos(off);
			snprintf(msg, sizeof(msg), "%s: %s", tname,
				 ms && PyUnicode_Check(ms) ? PyUnicode_AsUTF8(ms) : "invalid syntax");
			Py_XDECREF(fn); Py_XDECREF(ln); Py_XDECREF(of); Py_XDECREF(ms);
			goto positioned;
		}
		Py_XDECREF(fn); Py_XDECREF(ln); Py_XDECREF(of); Py_XDECREF(ms);
	}
	if (tb_pos(tb, &off))
		off = script_src_from_py_off(&r->src, off);
	pos = src_pos(off);
	if (PyErr_GivenExceptionMatches(type, PyExc_MemoryError) && g_mem_hit) {
		snprintf(msg, sizeof(msg), "the script reached its memory limit (%u MB; kbswitch --script-mem)",
			 g_mem_mb);
	} else if (PyErr_GivenExceptionMatches(type, PyExc_TimeoutError) && g_timed_out) {
		snprintf(msg, sizeof(msg), "the script ran past its time limit (%u s; kbswitch --script-time)",
			 g_time_s);
	} else if (PyErr_GivenExceptionMatches(type, PyExc_SystemExit)) {
		snprintf(msg, sizeof(msg), "the script called exit()");
	} else {
		const char *t = (val && (s = PyObject_Str(val))) ? PyUnicode_AsUTF8(s) : NULL;
		snprintf(msg, sizeof(msg), "%s%s%s", tname, t && *t ? ": " : "", t ? t : "");
		PyErr_Clear();
		if (PyErr_GivenExceptionMatches(type, PyExc_NameError) && t &&
		    !strncmp(t, "name '", 6) && t[6] >= 'A' && t[6] <= 'Z') {
			char known[400];
			class_list(known, sizeof(known));
			clip_middle(msg, sizeof(msg));
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 " (module classes: %s)", known);
		}
	}
positioned:
	clip_middle(msg, sizeof(msg));
	kb_err_at(err, pos.file, pos.line, pos.col, "%s", msg);
out:
	Py_XDECREF(s);
	Py_XDECREF(type);
	Py_XDECREF(val);
	Py_XDECREF(tb);
	PyErr_Clear();
}

static void flush_std(void)
{
	PyObject *f;
	for (int i = 0; i < 2; i++)
		if ((f = PySys_GetObject(i ? "stderr" : "stdout")) && f != Py_None) {
			PyObject *r = PyObject_CallMethod(f, "flush", NULL);
			Py_XDECREF(r);
		}
	PyErr_Clear();
}

static int dict_set_str(PyObject *d, const char *k, const char *v)
{
	PyObject *o = PyUnicode_FromString(v);
	int rc = o ? PyDict_SetItemString(d, k, o) : -1;
	Py_XDECREF(o);
	return rc;
}

static int run_text(const char *file, const char *text, size_t len,
		    const struct script_builder *b, struct kb_err *err)
{
	struct py_run r = { .b = b };
	PyObject *code = NULL, *globals = NULL, *res = NULL, *builtins = NULL;
	int rc = -1;

	if (script_sugar(&r.src, file, text, len, err) < 0)
		goto out;
	if (!g_py_ready && py_init(err) < 0)
		goto out;
	fflush(stdout);
	g_run = &r;
	g_run_gen++;
	g_mem_hit = false;
	__atomic_store_n(&g_mem_limit, (int64_t)g_mem_mb << 20, __ATOMIC_RELAXED);
	wd_start(file);
	if (!(r.filename = PyUnicode_DecodeFSDefault(file)) ||
	    !(globals = PyDict_New()) ||
	    !(builtins = script_builtins()) ||
	    PyDict_SetItemString(globals, "__builtins__", builtins) < 0 ||
	    dict_set_str(globals, "__name__", "__main__") < 0 ||
	    PyDict_SetItemString(globals, "__file__", r.filename) < 0 ||
	    PyDict_SetItemString(globals, "bess", g_bess) < 0 ||
	    PyDict_SetItemString(globals, "__bess_env__", g_env_fn) < 0 ||
	    PyDict_SetItemString(globals, "__bess_module__", g_module_fn) < 0 ||
	    PyDict_SetItemString(globals, "__bess_named__", g_named_fn) < 0 ||
	    !(r.names = PySet_New(NULL)) || !(r.poscache = PyDict_New()))
		goto pyfail;
	for (const char *const *c = b->classes; c && *c; c++) {
		struct pyclass *k = PyObject_New(struct pyclass, &ClassType);
		if (!k)
			goto pyfail;
		snprintf(k->name, sizeof(k->name), "%s", *c);
		k->defname[0] = 0;
		int e = PyDict_SetItemString(globals, *c, (PyObject *)k);
		Py_DECREF(k);
		if (e < 0)
			goto pyfail;
	}
	if (!(code = Py_CompileStringObject(r.src.py, r.filename, Py_file_input, NULL, -1)) ||
	    !(res = PyEval_EvalCode(code, globals, globals)))
		goto pyfail;
	rc = 0;
	goto done;
pyfail:
	py_error(&r, err);
done:
	flush_std();
	wd_stop();
	__atomic_store_n(&g_mem_limit, 0, __ATOMIC_RELAXED);
	Py_XDECREF(res);
	Py_XDECREF(code);
	Py_XDECREF(builtins);
	if (globals)
		PyDict_Clear(globals);
	Py_XDECREF(globals);
	Py_XDECREF(r.filename);
	Py_XDECREF(r.names);
	Py_XDECREF(r.poscache);
	PyGC_Collect();
	PyErr_Clear();
	g_run = NULL;
out:
	script_src_free(&r.src);
	return rc;
}

int script_run_string(const char *name, const char *text,
		      const struct script_builder *b, struct kb_err *err)
{
	return run_text(name, text, strlen(text), b, err);
}

int script_run_file(const char *path, const struct script_builder *b, struct kb_err *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return kb_err_set(err, "%s: cannot open the script: %s", path, strerror(errno));
	/* read at most one byte past the limit: /dev/zero or a huge file is
	 * refused, not slurped */
	for (;;) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *nb;
			if (nc > SCRIPT_MAX_BYTES + 1)
				nc = SCRIPT_MAX_BYTES + 1;
			if (nc == cap)
				break;
			if (!(nb = realloc(buf, nc))) {
				free(buf);
				close(fd);
				return kb_err_set(err, "%s: out of memory reading the script", path);
			}
			buf = nb;
			cap = nc;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kb_err_set(err, "%s: cannot read the script: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return rc;
		}
		if (!n)
			break;
		len += (size_t)n;
		/* a NUL early (binary, /dev/zero) is reported without reading on */
		if (memchr(buf + len - (size_t)n, 0, (size_t)n))
			break;
	}
	close(fd);
	rc = run_text(path, buf ? buf : "", len, b, err);
	free(buf);
	return rc;
}
