#!/usr/bin/env bash
# bench/switch_sw2.sh: frames per second through kbswitch (sw2) between two
# vhost-user ports, and dpdk-testpmd io-forwarding between the same kind of
# ports in the same run, at 64 B and 1500 B; then callgrind instructions
# per packet of the QueueInc -> L2Forward -> QueueOut path.  Not a test.
#
#   bench/switch_sw2.sh [--help] [--seconds N] [--warmup N] [--sizes "64 1500"]
#                       [--no-callgrind] [--adaptive]
#
# CPU 1 holds only the switch's polling thread (kbswitch -l 1 on
# conf/forward_script.bess, --pure-poll unless --adaptive; or testpmd
# io-forward on two net_vhost ports, its forwarding lcore on CPU 1).
# CPU 0 holds one dpdk-testpmd acting as both VMs: two net_virtio_user ports
# with MACs 02:00:00:00:00:01/02, --eth-peer crosswise, fwd io, start
# tx_first 8.  The figure: the VM side's summed Rx-pps, read from testpmd's
# "show port stats" after --warmup seconds and again --seconds later.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KB_BUILD:-$ROOT/build}
SECS=5 WARM=3 SIZES="64 1500" CALLGRIND=1 POLL=--pure-poll
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--seconds) SECS=$2; shift ;;
	--warmup) WARM=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--no-callgrind) CALLGRIND=0 ;;
	--adaptive) POLL= ;;
	*) echo "switch_sw2.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
SW=$BUILD/src/switch/sw2/kbswitch
[[ -x $SW ]] || { echo "switch_sw2.sh: $SW is not built (ninja -C $BUILD)" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "switch_sw2.sh: dpdk-testpmd missing (apt-get install dpdk)" >&2; exit 1; }
RUN=$(mktemp -d /tmp/kbbench-sw2.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	[[ -n ${KEEP:-} ]] && echo "logs in $RUN" || rm -rf "$RUN"; rm -rf /var/run/dpdk/kbsw2b-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM
M1=02:00:00:00:00:01 M2=02:00:00:00:00:02
S1=$RUN/vm1.sock S2=$RUN/vm2.sock

# vms SIZE LOG: testpmd as both VMs on CPU 0; prints the summed Rx-pps.
vms() {
	{
		sleep 2; echo "start tx_first 8"
		sleep "$WARM"; echo "show port stats all"
		sleep "$SECS"; echo "show port stats all"
		echo "stop"; echo "quit"
	} | timeout $((SECS + WARM + 40)) dpdk-testpmd --lcores 0@0,1@0 --no-pci \
		$("$ROOT/scripts/eal-mem.sh" virtio 512 | sed "s/ --single-file-segments//") --single-file-segments --file-prefix kbsw2b-vm \
		--vdev "net_virtio_user0,path=$S1,mac=$M1,queues=1" \
		--vdev "net_virtio_user1,path=$S2,mac=$M2,queues=1" \
		-- -i --nb-cores 1 --total-num-mbufs 16384 --forward-mode io --eth-peer 0,$M2 --eth-peer 1,$M1 \
		--txpkts "$1" --burst 32 >"$2" 2>&1
	# The last two Rx-pps lines (one per port) are the measured interval.
	grep -E 'Rx-pps:' "$2" | tail -n 2 | awk '{s += $2} END {print s + 0}'
}

# switch_up KIND LOG: start the switch side on CPU 1; waits for both sockets.
switch_up() {
	rm -f "$S1" "$S2"
	if [[ $1 == kbswitch ]]; then
		KB_VM1_SOCK=$S1 KB_VM2_SOCK=$S2 timeout 120 "$SW" -l 1 --no-pci \
			$("$ROOT/scripts/eal-mem.sh" vhost 512) --file-prefix kbsw2b-sw \
			-- -f "$ROOT/conf/forward_script.bess" $POLL --ctl "$RUN/ctl" >"$2" 2>&1 &
	else
		# testpmd reads its commands from a FIFO we hold open; "quit" ends it.
		rm -f "$RUN/tp.in"; mkfifo "$RUN/tp.in"
		timeout 120 dpdk-testpmd --lcores 0@1,1@1 --no-pci \
			$("$ROOT/scripts/eal-mem.sh" vhost 512) --file-prefix kbsw2b-tp \
			--vdev "net_vhost0,iface=$S1,queues=1" --vdev "net_vhost1,iface=$S2,queues=1" \
			-- -i --nb-cores 1 --total-num-mbufs 16384 --forward-mode io --auto-start <"$RUN/tp.in" >"$2" 2>&1 &
		exec 7>"$RUN/tp.in"
	fi
	SWPID=$!
	pids+=("$SWPID")
	for _ in $(seq 100); do [[ -S $S1 && -S $S2 ]] && return 0; sleep 0.1; done
	echo "switch_sw2.sh: $1 did not create its sockets:" >&2; tail -5 "$2" >&2
	return 1
}
switch_down() {
	if [[ -e $RUN/tp.in ]]; then echo quit >&7; exec 7>&-; rm -f "$RUN/tp.in"; else kill -TERM "$SWPID"; fi
	wait "$SWPID" 2>/dev/null
}

echo "# kbswitch (sw2) vs testpmd io-forward, $(date -u '+%F %H:%M UTC'), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-6s %14s %14s %8s\n' size kbswitch_Mpps testpmd_Mpps ratio
for size in $SIZES; do
	declare -A r=()
	for kind in kbswitch testpmd; do
		switch_up "$kind" "$RUN/$kind-$size.log" || exit 1
		r[$kind]=$(vms "$size" "$RUN/vms-$kind-$size.log")
		switch_down
	done
	awk -v s="$size" -v a="${r[kbswitch]}" -v b="${r[testpmd]}" 'BEGIN {
		printf "%-6s %14.3f %14.3f %8.2f\n", s, a / 1e6, b / 1e6, (b > 0 ? a / b : 0) }'
done

((CALLGRIND)) || exit 0
command -v valgrind >/dev/null || { echo "# valgrind missing: no instruction count"; exit 0; }
# Instructions per packet: net_null ports (no I/O cost of their own beyond
# mbuf alloc/free), a fixed run, the worker's inclusive instructions over
# the packets the L2Forward passed.
cat >"$RUN/cg.bess" <<END
a = PMDPort(vdev='net_null0,size=64,copy=0')
b = PMDPort(vdev='net_null1,size=64,copy=0')
l2::L2Forward()
l2.add(entries=[{'addr': '00:00:00:00:00:00', 'gate': 0}])
QueueInc(port=a, qid=0) -> l2
l2:0 -> QueueOut(port=b, qid=0)
END
( cd "$RUN" && timeout -s INT 20 valgrind --tool=callgrind --callgrind-out-file="$RUN/cg.out" \
	"$SW" -l 0 --no-pci --no-huge -m 256 --no-shconf --file-prefix kbsw2b-cg \
	-- -f "$RUN/cg.bess" --pure-poll --ctl "$RUN/cg.ctl" >"$RUN/cg.log" 2>&1 )
pkts=$(grep -oE 'l2:0 -> 0:queueout[0-9]+ pkts=[0-9]+' "$RUN/cg.log" | tail -n 1 | sed 's/.*pkts=//')
callgrind_annotate --inclusive=yes "$RUN/cg.out" 2>/dev/null >"$RUN/cg.txt"
ir_of() { grep -E "$1" "$RUN/cg.txt" | head -n 1 | awk '{gsub(",", "", $1); print $1}'; }
w=$(ir_of 'sw_worker_main') l=$(ir_of 'sw_mod_l2forward.c:process')
awk -v p="${pkts:-0}" -v w="${w:-0}" -v l="${l:-0}" 'BEGIN {
	if (p == 0) { print "# callgrind: no packets counted"; exit }
	printf "# callgrind, %d packets of 64 B: worker loop %.1f instructions/packet " \
	       "(QueueInc rx + L2Forward + QueueOut tx, incl. null PMD), L2Forward+QueueOut %.1f\n",
	       p, w / p, l / p }'
