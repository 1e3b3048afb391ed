#!/usr/bin/env bash
# Prints the EAL memory options a kbnet process should use, so that every
# script and test makes the same choice.
#   scripts/eal-mem.sh [vhost|virtio] [MB]
# With enough free hugepages: --in-memory (no files left in /dev/hugepages
# or /var/run/dpdk, even after a crash) and -m MB.
# Without: --no-huge -m MB --no-shconf, plus --single-file-segments on the
# virtio-user side, which shares its memory with the switch by fd.
side=${1:-vhost}
mb=${2:-256}
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null)
if [[ -z ${KB_NO_HUGE:-} ]] && grep -qs ' hugetlbfs ' /proc/mounts && (( ${free:-0} * 2 >= mb )); then
	echo "--in-memory -m $mb"
else
	extra=""
	[[ $side == virtio ]] && extra=" --single-file-segments"
	echo "--no-huge -m $mb --no-shconf$extra"
fi
