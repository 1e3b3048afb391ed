#!/usr/bin/env bash
# Prints the EAL memory options a kbnet process should use, so that every
# script and test makes the same choice.
#   scripts/eal-mem.sh [vhost|virtio] [MB]
#   scripts/eal-mem.sh --free-mb     MB of hugepages a new process can get
# With enough free hugepages: --in-memory (no files left in /dev/hugepages
# or /var/run/dpdk, even after a crash) and -m MB.
# Without (or with KB_NO_HUGE set): --no-huge -m MB --no-shconf.  The
# virtio-user side always adds --single-file-segments: it shares its memory
# with the switch by fd, and vhost-user accepts at most 8 memory regions.
# Free pages are counted as EAL counts them (HugePages_Free less
# HugePages_Rsvd: pages others mapped but have not touched are spoken for);
# the machine's pages are shared, so they may be gone when the process
# starts: kbswitch and kbgen count again at EAL init and take --no-huge
# then (src/common/kb_hugepages.h), as the DPDK layer counts at its own.
free_mb() {
	grep -qs ' hugetlbfs ' /proc/mounts || { echo 0; return; }
	awk '/^HugePages_Free:/ { f = $2 } /^HugePages_Rsvd:/ { r = $2 }
	     /^Hugepagesize:/ { kb = $2 }
	     END { n = f - r; if (n < 0) n = 0; print int(n * (kb ? kb : 2048) / 1024) }' /proc/meminfo
}
if [[ ${1:-} == --free-mb ]]; then
	free_mb
	exit 0
fi
side=${1:-vhost}
mb=${2:-256}
if [[ -z ${KB_NO_HUGE:-} ]] && (( $(free_mb) >= mb )); then
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
