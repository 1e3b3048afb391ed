#!/usr/bin/env bash
# scripts/cpu-pct.sh SECONDS PID...: the CPU each process (all its threads)
# used over SECONDS, in % of one core (utime + stime from /proc/PID/stat),
# one "PID PCT" line each, PCT with one decimal.  A process that exits
# meanwhile reads "PID gone".  Shared by tests (idle bounds) and bench/run.
set -u
if [[ ${1:-} == -h || ${1:-} == --help || $# -lt 2 ]]; then
	sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
	[[ $# -lt 2 && ${1:-} != -h && ${1:-} != --help ]] && exit 2
	exit 0
fi
secs=$1; shift
[[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "cpu-pct.sh: SECONDS: expected a number, got '$secs'" >&2; exit 2; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
declare -A t0
for p in "$@"; do t0[$p]=$(ticks "$p"); done
s0=$(date +%s.%N)
sleep "$secs"
s1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
for p in "$@"; do
	t1=$(ticks "$p")
	if [[ -z ${t0[$p]} || -z $t1 ]]; then echo "$p gone"; continue; fi
	awk -v p="$p" -v a="${t0[$p]}" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$hz" \
		'BEGIN {printf "%s %.1f\n", p, 100 * (b - a) / hz / (e - s)}'
done
