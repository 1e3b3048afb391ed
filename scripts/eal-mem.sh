#!/usr/bin/env bash
# Prints the EAL memory options a kbnet process should use, so that every
# script and test makes the same choice.
#   scripts/eal-mem.sh [vhost|virtio] [MB]
# With enough free hugepages: --in-memory (no files left in /dev/hugepages
# or /var/run/dpdk, even after a crash) and -m MB.
# Without: --no-huge -m MB --no-shconf.  The virtio-user side always adds
# --single-file-segments: it shares its memory with the switch by fd, and
# vhost-user accepts at most 8 memory regions.
side=${1:-vhost}
mb=${2:-256}
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null)
if [[ -z ${KB_NO_HUGE:-} ]] && grep -qs ' hugetlbfs ' /proc/mounts && (( ${free:-0} * 2 >= mb )); then
	mem="--in-memory -m $mb"
else
	mem="--no-huge -m $mb --no-shconf"
fi
# vhost-user takes at most 8 memory regions: one fd per page is too many.
if [[ $side == virtio ]]; then
	echo "$mem --single-file-segments"
else
	echo "$mem"
fi
