#!/usr/bin/env bash
# bench/switch.sh: frames per second through kbswitch between two vhost-user
# ports, against dpdk-testpmd io-forwarding between the same kind of ports,
# at 64 B and 1500 B; then instructions per packet of the L2Forward + queue
# path under callgrind, with 3 and with 1000 L2Forward entries.  Not a test:
# it prints figures.
#
#   bench/switch.sh [--help] [--seconds N] [--warmup N] [--sizes "64 1500"]
#                   [--no-callgrind] [--callgrind-only]
#
# Layout (2 CPUs): CPU 1 holds only the switch's polling thread (kbswitch on
# conf/forward_script.bess, or testpmd io-forward on two net_vhost ports).
# CPU 0 holds one dpdk-testpmd acting as both VMs: two net_virtio_user ports
# with fixed MACs, --eth-peer crosswise, fwd io, start tx_first 8, so frames
# circle VM port 0 -> switch -> VM port 1 -> and back.  The figure is the sum
# of the VM ports' Rx-pps over --seconds after --warmup.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KB_BUILD:-$ROOT/build}
SECS=5 WARM=3 SIZES="64 1500" CALLGRIND=1 THROUGHPUT=1
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--seconds) SECS=$2; shift ;;
	--warmup) WARM=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--no-callgrind) CALLGRIND=0 ;;
	--callgrind-only) THROUGHPUT=0 ;;
	*) echo "switch.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
SW=$BUILD/src/switch/kbswitch
[[ -x $SW ]] || { echo "switch.sh: $SW not built" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "switch.sh: dpdk-testpmd missing (apt-get install dpdk)" >&2; exit 1; }
RUN=$(mktemp -d /tmp/kbbench-switch.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	[[ -n ${KB_BENCH_KEEP:-} ]] && echo "kept $RUN" || rm -rf "$RUN"
	rm -rf /var/run/dpdk/kbbsw-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM
M1=02:00:00:00:00:01 M2=02:00:00:00:00:02
S1=$RUN/vm1.sock S2=$RUN/vm2.sock

# vms SIZE LOG: testpmd as both VMs on CPU 0; prints total Rx-pps.
vms() {
	local size=$1 log=$2
	{
		sleep 2
		echo "start tx_first 8"
		sleep "$WARM"
		echo "show port stats all"
		sleep "$SECS"
		echo "show port stats all"
		echo "stop"
		echo "quit"
	} | timeout $((SECS + WARM + 40)) dpdk-testpmd $("$ROOT/scripts/eal-mem.sh" virtio 256) \
		--single-file-segments --no-pci --lcores='0@0,1@0' --file-prefix=kbbsw-vm \
		--vdev "net_virtio_user0,path=$S1,mac=$M1,queues=1,server=1" \
		--vdev "net_virtio_user1,path=$S2,mac=$M2,queues=1,server=1" -- -i \
		--forward-mode=io --eth-peer=0,$M2 --eth-peer=1,$M1 --txpkts="$size" \
		--rxd=1024 --txd=1024 --total-num-mbufs=16384 >"$log" 2>&1
	# The second stats block (Rx-pps over SECS): sum of both ports.
	awk '/Rx-pps:/ { n++; v[n] = $2 } END { if (n >= 4) printf "%d\n", v[n-1] + v[n]; else print "0" }' "$log"
}

stop_pid() { kill -INT "$1" 2>/dev/null; for i in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# one KIND SIZE: KIND kbswitch|testpmd on CPU 1; prints Rx-pps
one() {
	local kind=$1 size=$2 log=$RUN/$1.$2
	rm -f "$S1" "$S2"
	if [[ $kind == kbswitch ]]; then
		KB_VM1_SOCK=$S1 KB_VM2_SOCK=$S2 taskset -c 1 "$SW" $("$ROOT/scripts/eal-mem.sh" vhost 256) \
			--no-pci -l 1 --file-prefix=kbbsw-sw -- -f "$ROOT/conf/forward_script.bess" \
			--ctl "$RUN/ctl" >"$log.sw" 2>&1 &
	else
		{ sleep $((SECS + WARM + 30)); echo quit; } | taskset -c 1 dpdk-testpmd \
			$("$ROOT/scripts/eal-mem.sh" vhost 256) --no-pci --lcores='0@1,1@1' \
			--file-prefix=kbbsw-sw --vdev "net_vhost0,iface=$S1,queues=1,client=1" \
			--vdev "net_vhost1,iface=$S2,queues=1,client=1" -- -i --forward-mode=io \
			--auto-start --rxd=1024 --txd=1024 --total-num-mbufs=16384 >"$log.sw" 2>&1 &
	fi
	local sp=$!
	pids+=($sp)
	# both switches are vhost-user clients (client=1, as forward_script.bess):
	# the VMs' testpmd owns the sockets and waits for them to connect
	sleep 1
	vms "$size" "$log.vm"
	stop_pid $sp
	[[ $kind == kbswitch ]] && grep -E '^(out|l2|bcast)' "$log.sw" | sed 's/^/    /' >&2
}

echo "kbswitch benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-6s %14s %14s %8s\n' size kbswitch_pps testpmd_pps ratio
((THROUGHPUT)) || SIZES=""
for s in $SIZES; do
	k=$(one kbswitch "$s")
	t=$(one testpmd "$s")
	r=$(awk -v a="$k" -v b="$t" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
	printf '%-6s %14s %14s %8s\n' "$s" "$k" "$t" "$r"
done

((CALLGRIND)) || exit 0
command -v valgrind >/dev/null || { echo "callgrind: valgrind missing"; exit 0; }
# Instructions per packet: the QueueInc task (rx burst, L2Forward, QueueOut,
# tx burst) with net_pcap ports: inclusive instructions of L2Forward and of
# QueueOut, each collected in its own run (--toggle-collect), over N frames.
# The table size is the same in every run (8192 slots, buckets of 8); the
# frames' destinations cycle over all E entries (E = 3, then 1000).
N=20000
/usr/bin/python3 - "$RUN" "$N" <<'PY'
import sys
from scapy.all import Ether, Raw, wrpcap, PcapWriter
d, n = sys.argv[1], int(sys.argv[2])
for e in (3, 1000):
    fs = [Ether(dst="02:00:00:%02x:%02x:%02x" % (i >> 16, (i >> 8) & 255, i & 255),
                src="02:00:00:00:00:01", type=0x88b5) / Raw(b"\0" * 46) for i in range(e)]
    wrpcap(d + "/in%d.pcap" % e, [fs[i % e] for i in range(n)], linktype=1)
PcapWriter(d + "/empty.pcap", linktype=1).close()
PY
# ir FUNC ENTRIES: instructions spent inside FUNC (inclusive) over N frames.
ir() {
	cat >"$RUN/cg.bess" <<EOS
a = PMDPort(vdev='net_pcap0,rx_pcap=$RUN/in$2.pcap,tx_pcap=$RUN/oa.pcap')
b = PMDPort(vdev='net_pcap1,rx_pcap=$RUN/empty.pcap,tx_pcap=$RUN/ob.pcap')
i::QueueInc(port=a)
o::QueueOut(port=b)
l2::L2Forward(size=8192, bucket=8)
l2.add([{'addr': '02:00:00:%02x:%02x:%02x' % (k >> 16, (k >> 8) & 255, k & 255), 'gate': 0}
        for k in range($2)])
i -> l2 -> o
EOS
	rm -f "$RUN/callgrind.out"
	# exec: $! is timeout's pid, and timeout passes our SIGINT on to kbswitch.
	( cd "$RUN" && exec timeout 300 valgrind --tool=callgrind --callgrind-out-file="$RUN/callgrind.out" \
		--toggle-collect="$1" "$SW" --no-huge -m 256 --no-shconf --no-pci -l 0 \
		--file-prefix=kbbsw-cg -- -f "$RUN/cg.bess" --ctl "$RUN/cgctl" >"$RUN/cg.log" 2>&1 ) &
	local vp=$!
	pids+=($vp)
	for i in $(seq 600); do
		grep -q "o::QueueOut drops=0 .*sent=$N" <("$BUILD/src/switch/kbctl" --ctl "$RUN/cgctl" show module 2>/dev/null) && break
		sleep 0.5
	done
	kill -INT $vp 2>/dev/null
	wait $vp 2>/dev/null
	awk '/^(summary|totals):/ { print $2; exit }' "$RUN/callgrind.out"
}
echo "callgrind, $N frames of 64 B through QueueInc -> L2Forward -> QueueOut on net_pcap ports:"
for e in 3 1000; do
	l2=$(ir l2_process $e)
	qo=$(ir qout_process $e)
	awk -v l="$l2" -v o="$qo" -v n="$N" -v e="$e" 'BEGIN {
		printf "  %4d entries: L2Forward + QueueOut (incl. the net_pcap tx burst): %.1f instructions/packet\n", e, l / n
		printf "  %4d entries: QueueOut (incl. the net_pcap tx burst):             %.1f instructions/packet\n", e, o / n
		printf "  %4d entries: L2Forward alone (lookup, grouping by gate, emit):   %.1f instructions/packet\n", e, (l - o) / n
	}'
done
