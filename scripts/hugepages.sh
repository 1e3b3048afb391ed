#!/usr/bin/env bash
# Prepares 2 MB hugepages for DPDK: reserves them and mounts hugetlbfs.
# As root it makes sure at least KB_HUGEPAGES (default 768 = 1.5 GB) pages
# are reserved and /dev/hugepages is mounted.  Without root it changes
# nothing and says that DPDK will run with --no-huge (see scripts/eal-mem.sh).
set -uo pipefail

want=${KB_HUGEPAGES:-768}
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

if [[ $(id -u) -ne 0 ]]; then
	echo "hugepages: not root, so none reserved; DPDK runs with --no-huge (slower, but works)"
	exit 0
fi
if [[ -w $nr ]]; then
	have=$(cat "$nr")
	if (( have < want )); then
		echo "$want" > "$nr" || echo "hugepages: could not reserve $want pages (have $have)" >&2
		have=$(cat "$nr")
	fi
fi
if ! grep -qs '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages ||
		echo "hugepages: could not mount hugetlbfs on /dev/hugepages" >&2
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if grep -qs ' hugetlbfs ' /proc/mounts && (( free > 0 )); then
	echo "hugepages: $free free 2 MB pages, hugetlbfs mounted"
else
	echo "hugepages: could not reserve or mount; DPDK runs with --no-huge"
fi
