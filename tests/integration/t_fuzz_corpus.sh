#!/usr/bin/env bash
# Replays every fuzz target's kept corpus (tests/fuzz/corpus/<target>/: the
# seeds and every crash the fuzzers found, fixed since) once, through
# fuzz_<target>_replay, in the plain and the ASan+UBSan build: a fixed
# crash that comes back fails here.  `make fuzz` does the fuzzing itself.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

dir=$KB_BUILD/tests/fuzz
n=0
for bin in "$dir"/fuzz_*_replay; do
	[[ -x $bin ]] || continue
	t=$(basename "$bin" _replay); t=${t#fuzz_}
	corpus=$KB_ROOT/tests/fuzz/corpus/$t
	n=$((n + 1))
	if [[ ! -d $corpus ]] || [[ -z $(ls -A "$corpus") ]]; then
		kb_fail "fuzz corpus $t: tests/fuzz/corpus/$t is empty or missing"
		continue
	fi
	if out=$("$bin" "$corpus" 2>&1); then
		kb_pass "fuzz corpus $t: $(echo "$out" | tail -n 1 | sed 's/.*: //')"
	else
		echo "$out" | tail -n 30
		kb_fail "fuzz corpus $t: an input crashed or tripped a sanitizer"
	fi
done
((n)) || kb_fail "no fuzz_*_replay in $dir"
kb_done
