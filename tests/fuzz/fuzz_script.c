/* fuzz_script: a kbswitch script through script_sugar (BESS's ->, ::, $VAR
 * rewritten into Python; its invariants checked: the same lines, every
 * rewritten byte mapped back inside the original), then through CPython
 * with the pipeline's builder callbacks in validate-only mode: no EAL, no
 * port, every module's init, commands, connections and pipeline_check.
 * Sandboxed (script_sandbox: no import, open, exec, eval), 64 MB, 2 s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "script_sugar.h"

static size_t lines(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct script_src s;
	struct script_builder b;
	struct pipeline pl;
	struct kb_err err;
	char msg[1024], *text;

	if (size > (1u << 16))
		return 0;
	if (script_sugar(&s, "fuzz.bess", (const char *)data, size, &err) < 0) {
		kb_err_str(&err, msg, sizeof(msg));
		script_src_free(&s);
		return 0;       /* a NUL byte: refused before Python */
	}
	if (lines(s.py, s.py_len) != lines((const char *)data, size) || strlen(s.py) != s.py_len)
		abort();
	for (size_t o = 0; o <= s.py_len; o++)
		if (script_src_from_py_off(&s, o) > size)
			abort();
	script_src_free(&s);

	if (!ready) {
		script_limits(64, 2);
		script_sandbox(true);
		ready = 1;
	}
	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	pipeline_init(&pl);
	pipeline_builder(&pl, &b);
	memset(&err, 0, sizeof(err));
	if (script_run_string("fuzz.bess", text, &b, &err) == 0)
		pipeline_check(&pl, &err);
	kb_err_str(&err, msg, sizeof(msg));
	pipeline_free(&pl);
	free(text);
	return 0;
}
