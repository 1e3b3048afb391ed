#!/usr/bin/env bash
# Soft RSS cost per packet: callgrind's instruction counts (stable on a noisy
# host) for the layer's table-driven hash and for DPDK's rte_softrss, over the
# same N random tuples in one run each, plus wall-clock ns/hash (indicative).
#   bench/dpdk_rss.sh [N]        (KB_BUILD: build dir, default build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${KB_BUILD:-$ROOT/build}/src/dpdk/kbrssbench
N=${1:-200000}
[[ ${1:-} == --help ]] && { sed -n '2,5p' "$0"; exit 0; }
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
tmp=$(mktemp -d /tmp/kb-dpdk-rss.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ir() {   # ir FUNCTION WHICH: instructions executed inside FUNCTION
	timeout 600 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" \
		--toggle-collect="$1" "$B" "$N" "$2" >/dev/null 2>"$tmp/vg.$1"
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.$1"
}
ours=$(ir bench_ours ours)
dpdk=$(ir bench_dpdk dpdk)
echo "soft RSS over $N tuples, callgrind instructions per hash:"
awk -v o="$ours" -v d="$dpdk" -v n="$N" 'BEGIN {
	printf "  ours (table-driven): %.1f\n  rte_softrss:         %.1f\n  ratio:               %.1fx\n", o / n, d / n, d / o }'
echo "wall clock (noisy here):"
"$B" 2000000 both | sed 's/^/  /'
