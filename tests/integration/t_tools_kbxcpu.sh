#!/usr/bin/env bash
# t_tools_kbxcpu: kbxcpu (the host's CPU-to-CPU hand-off speed that
# bench/run prints) measures and reports in GB/s, takes --help, and refuses
# bad arguments with one line and exit 2 (a CPU it cannot use: exit 1).
# timeout: 30
# asan: yes
source "$(dirname "$0")/../lib.sh"

X=$KB_BUILD/tools/kbxcpu
[[ -x $X ]] || { kb_fail "$X not built"; kb_done; }
last=$(( $(nproc) - 1 ))
out=$(timeout 10 "$X" -a 0 -b "$last" -t 0.2)
kb_check "a 0.2 s run reports GB/s ($out)" \
	grep -qE "^kbxcpu: CPU 0 -> CPU $last: [0-9]+\.[0-9] GB/s handed over" <<<"$out"
kb_check "--help prints the usage and exits 0" sh -c "'$X' --help | grep -q '^Usage: kbxcpu'"
timeout 10 "$X" -t 0 >"$KB_TMP/o" 2>"$KB_TMP/e"; rc=$?
kb_check "-t 0 is refused with exit 2 (rc=$rc: $(cat "$KB_TMP/e"))" \
	test "$rc" = 2 -a "$(cat "$KB_TMP/e")" = "kbxcpu: -t: expected seconds in 0.05..60, got '0'"
timeout 10 "$X" -a x >"$KB_TMP/o" 2>"$KB_TMP/e"; rc=$?
kb_check "-a x is refused with exit 2 (rc=$rc)" \
	test "$rc" = 2 -a "$(cat "$KB_TMP/e")" = "kbxcpu: -a: expected a CPU number, got 'x'"
cpus=$(getconf _NPROCESSORS_CONF)
timeout 10 "$X" -b "$cpus" -t 0.05 >"$KB_TMP/o" 2>"$KB_TMP/e"; rc=$?
kb_check "a CPU this host lacks (CPU $cpus) is exit 1 (rc=$rc: $(cat "$KB_TMP/e"))" \
	test "$rc" = 1 -a "$(cat "$KB_TMP/e")" = "kbxcpu: cannot run on CPUs 0 and $cpus"
kb_done
