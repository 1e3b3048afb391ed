#!/usr/bin/env bash
# bench/stack_bench.sh: kbnet's stack between two VM processes (vhost-user /
# virtio-user pair) beside Linux TCP between two network namespaces over
# veth + a bridge, measured in the same run with the same program
# (kbxfer over libkbnet, kbxfer_posix over kernel sockets):
#   bulk throughput, 64 B request/response latency p50/p99, short-connection
#   rate (connect, one 64 B round trip, close).
# Prints each figure and kbnet/Linux as a ratio (for latency, above 1 means
# kbnet is slower).  Not a test: no assertions.
# --callgrind instead counts the stack's instructions per byte, which unlike
# wall-clock figures stay put on a shared host: one kbnet bulk transfer of
# --bytes (default there 20m) with the sender under callgrind, counting only
# inside kbxfer's send loop (do_send: mtcp_write and the event loop it runs),
# then one with the receiver under callgrind (do_recv: mtcp_read and its loop).
#
#   bench/stack_bench.sh [--mode single|1kb|2kb] [--bytes 1g] [--rounds 20000]
#                        [--conns 5000] [--callgrind]
# KB_BUILD selects the build (default build/); KB_XFER a kbxfer binary.
set -uo pipefail
MODE=single BYTES= ROUNDS=20000 CONNS=5000 CALLGRIND=0
while (($#)); do
	case $1 in
	--mode) MODE=$2; shift 2 ;;
	--bytes) BYTES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--conns) CONNS=$2; shift 2 ;;
	--callgrind) CALLGRIND=1; shift ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "stack_bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
[[ -n $BYTES ]] || { ((CALLGRIND)) && BYTES=20m || BYTES=1g; }
source "$(dirname "$0")/../tests/lib.sh"
XFER=${KB_XFER:-$KB_BUILD/tests/unit/stack/kbxfer}
PXFER=$KB_BUILD/tests/unit/stack/kbxfer_posix
for b in "$XFER" "$PXFER"; do [[ -x $b ]] || { echo "missing $b" >&2; exit 1; }; done
cores=1; [[ $MODE == 1kb ]] && cores=2; [[ $MODE == 2kb ]] && cores=3

vm_conf() {   # FILE SIDE IP MAC
	local port="net_vhost0,iface=$KB_TMP/vm.sock,tso=1"   # TSO from the virtio side
	[[ $2 == virtio ]] && port="net_virtio_user0,path=$KB_TMP/vm.sock"
	cat >"$1" <<CONF
port = $port
ip = $3/24
mac = $4
mode = $MODE
num_cores = $cores
file_prefix = kbbench${KB_ID}$2
tcp_timeout = -1
rcvbuf = 262144
sndbuf = 262144
CONF
	# valgrind cannot reserve the address space EAL maps hugepages into
	((CALLGRIND)) && echo "memory = nohuge" >>"$1"
}
vm_conf "$KB_TMP/s.conf" vhost 10.86.0.1 02:00:00:86:00:01
vm_conf "$KB_TMP/c.conf" virtio 10.86.0.2 02:00:00:86:00:02

# cg_run sender|receiver: instructions inside that side's transfer loop
cg_run() {
	local cg=$KB_TMP/cg.$1 sl=$KB_TMP/srv.$1.log srv=() cli=()
	local vg=(valgrind --tool=callgrind --callgrind-out-file="$cg")
	rm -f "$KB_TMP/vm.sock" "$cg"
	if [[ $1 == receiver ]]; then srv=("${vg[@]}" --toggle-collect=do_recv)
	else cli=("${vg[@]}" --toggle-collect=do_send); fi
	kb_bg "$sl" timeout 600 "${srv[@]}" "$XFER" -f "$KB_TMP/s.conf" -l 5005 -q -m recv
	kb_wait_log 300 "$sl" '^kbxfer: listening' || { echo "server failed:" >&2; tail -n 5 "$sl" >&2; return 1; }
	timeout 600 "${cli[@]}" "$XFER" -f "$KB_TMP/c.conf" -c 10.86.0.1:5005 -q -m send -n "$BYTES" \
		>"$KB_TMP/cli.$1.log" 2>&1 || { echo "client failed:" >&2; tail -n 5 "$KB_TMP/cli.$1.log" >&2; return 1; }
	wait "$KB_LAST_PID" 2>/dev/null
	awk '/^(summary|totals):/ { print $2; exit }' "$cg"
}
if ((CALLGRIND)); then
	command -v valgrind >/dev/null || { echo "valgrind missing (apt-get install valgrind)" >&2; exit 1; }
	snd=$(cg_run sender) && rcv=$(cg_run receiver) || exit 1
	n=$(sed -n 's/^kbxfer: sent \([0-9]*\) .*/\1/p' "$KB_TMP/cli.sender.log")
	echo "callgrind, $BYTES bulk ($MODE mode, two VM processes over vhost-user/virtio-user):"
	awk -v s="$snd" -v r="$rcv" -v n="$n" 'BEGIN {
		printf "  sender   (do_send: mtcp_write + its event loop): %.2f instructions/byte\n", s / n
		printf "  receiver (do_recv: mtcp_read + its event loop):  %.2f instructions/byte\n", r / n }'
	exit 0
fi

# Linux: two namespaces, each a veth into one bridge
NA=$(kb_name na) NB=$(kb_name nb) BR=$(kb_name br)
ip netns add "$NA" && kb_track_netns "$NA"
ip netns add "$NB" && kb_track_netns "$NB"
ip link add "$BR" type bridge && kb_track_link "$BR"
for x in a b; do
	ns=$NA; [[ $x == b ]] && ns=$NB
	ip link add "kbv${x}0$KB_ID" type veth peer name "kbv${x}1$KB_ID"
	kb_track_link "kbv${x}0$KB_ID"
	ip link set "kbv${x}0$KB_ID" master "$BR" up
	ip link set "kbv${x}1$KB_ID" netns "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "kbv${x}1$KB_ID" up
done
ip link set "$BR" up
ip -n "$NA" addr add 10.87.0.1/24 dev "kbva1$KB_ID"
ip -n "$NB" addr add 10.87.0.2/24 dev "kbvb1$KB_ID"

# run_pair KIND SERVER_ARGS -- CLIENT_ARGS: prints the client's output
run_pair() {
	local kind=$1; shift
	local sargs=() cargs=()
	while [[ $1 != -- ]]; do sargs+=("$1"); shift; done; shift
	cargs=("$@")
	local sl=$KB_TMP/srv.log
	rm -f "$KB_TMP/vm.sock"
	if [[ $kind == kbnet ]]; then
		kb_bg "$sl" timeout 300 "$XFER" -f "$KB_TMP/s.conf" -l 5005 "${sargs[@]}"
		kb_wait_log 60 "$sl" '^kbxfer: listening' || { echo "server failed" >&2; cat "$sl" >&2; return 1; }
		timeout 300 "$XFER" -f "$KB_TMP/c.conf" -c 10.86.0.1:5005 "${cargs[@]}" 2>&1
	else
		kb_bg "$sl" timeout 300 ip netns exec "$NA" "$PXFER" -f /dev/null -l 5005 "${sargs[@]}"
		kb_wait_log 60 "$sl" '^kbxfer: listening' || { echo "server failed" >&2; return 1; }
		timeout 300 ip netns exec "$NB" "$PXFER" -f /dev/null -c 10.87.0.1:5005 "${cargs[@]}" 2>&1
	fi
	wait "$KB_LAST_PID" 2>/dev/null
}

declare -A R
for kind in kbnet linux; do
	out=$(run_pair $kind -q -m recv -- -q -m send -n "$BYTES")
	R[$kind,bulk]=$(sed -n 's/.*(\([0-9.]*\) Mbit\/s).*/\1/p' <<<"$out" | head -n 1)
	out=$(run_pair $kind -m echo -- -m rr -n 64 -r "$ROUNDS")
	R[$kind,p50]=$(sed -n 's/.*p50 \([0-9.]*\) us.*/\1/p' <<<"$out")
	R[$kind,p99]=$(sed -n 's/.*p99 \([0-9.]*\) us.*/\1/p' <<<"$out")
	out=$(run_pair $kind -m echo -k "$CONNS" -- -m crr -n 64 -k "$CONNS")
	R[$kind,crr]=$(sed -n 's/.* \([0-9]*\) conn\/s.*/\1/p' <<<"$out")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
echo "kbnet ($MODE mode, two VM processes over vhost-user/virtio-user) vs Linux (two netns, veth + bridge)"
printf '%-28s %12s %12s %8s\n' metric kbnet linux ratio
printf '%-28s %12s %12s %8s\n' "bulk Mbit/s ($BYTES)" "${R[kbnet,bulk]}" "${R[linux,bulk]}" "$(ratio "${R[kbnet,bulk]}" "${R[linux,bulk]}")"
printf '%-28s %12s %12s %8s\n' "64 B RR p50 us" "${R[kbnet,p50]}" "${R[linux,p50]}" "$(ratio "${R[kbnet,p50]}" "${R[linux,p50]}")"
printf '%-28s %12s %12s %8s\n' "64 B RR p99 us" "${R[kbnet,p99]}" "${R[linux,p99]}" "$(ratio "${R[kbnet,p99]}" "${R[linux,p99]}")"
printf '%-28s %12s %12s %8s\n' "short conns/s ($CONNS)" "${R[kbnet,crr]}" "${R[linux,crr]}" "$(ratio "${R[kbnet,crr]}" "${R[linux,crr]}")"
