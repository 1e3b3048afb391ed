#!/usr/bin/env bash
# bench/stack_callgrind.sh: the stack's cost per byte, in instructions
# (callgrind), which unlike wall-clock figures stays put on a shared host.
#
#   bench/stack_callgrind.sh [--bytes 20m] [--mode single|1kb|2kb]
#
# Two VM processes (kbxfer over libkbnet) wired directly, vhost-user <->
# virtio-user.  One bulk transfer with the sender under callgrind, counting
# only inside kbxfer's send loop (do_send: mtcp_write and the event loop it
# runs: segment building, checksums, ACK processing, the DPDK layer); then
# one with the receiver under callgrind (do_recv: mtcp_read and its loop).
# Prints instructions per payload byte for each side.  Not a test.
# KB_BUILD selects the build (default build/); KB_XFER a kbxfer binary.
set -uo pipefail
BYTES=20m MODE=single
while (($#)); do
	case $1 in
	--bytes) BYTES=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "stack_callgrind.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
source "$(dirname "$0")/../tests/lib.sh"
XFER=${KB_XFER:-$KB_BUILD/tests/unit/stack/kbxfer}
[[ -x $XFER ]] || { echo "missing $XFER" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind missing (apt-get install valgrind)" >&2; exit 1; }
cores=1; [[ $MODE == 1kb ]] && cores=2; [[ $MODE == 2kb ]] && cores=3

vm_conf() {   # FILE SIDE IP MAC
	local port="net_vhost0,iface=$KB_TMP/vm.sock"
	[[ $2 == virtio ]] && port="net_virtio_user0,path=$KB_TMP/vm.sock"
	cat >"$1" <<CONF
port = $port
ip = $3/24
mac = $4
mode = $MODE
num_cores = $cores
file_prefix = kbcg${KB_ID}$2
tcp_timeout = -1
CONF
}
vm_conf "$KB_TMP/s.conf" vhost 10.88.0.1 02:00:00:88:00:01
vm_conf "$KB_TMP/c.conf" virtio 10.88.0.2 02:00:00:88:00:02
nbytes=$(python3 -c "import sys; s=sys.argv[1].lower(); m={'k':1<<10,'m':1<<20,'g':1<<30}; print(int(s[:-1])*m[s[-1]] if s[-1] in m else int(s))" "$BYTES")

# run SIDE(sender|receiver): instructions inside the measured loop
run() {
	local cg=$KB_TMP/cg.$1 sl=$KB_TMP/srv.$1.log srv=() cli=()
	rm -f "$KB_TMP/vm.sock" "$cg"
	if [[ $1 == receiver ]]; then
		srv=(valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=do_recv)
	else
		cli=(valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=do_send)
	fi
	kb_bg "$sl" timeout 600 "${srv[@]}" "$XFER" -f "$KB_TMP/s.conf" -l 5005 -q -m recv
	kb_wait_log 300 "$sl" '^kbxfer: listening' || { echo "server failed:" >&2; tail -n 5 "$sl" >&2; return 1; }
	timeout 600 "${cli[@]}" "$XFER" -f "$KB_TMP/c.conf" -c 10.88.0.1:5005 -q -m send -n "$BYTES" \
		>"$KB_TMP/cli.$1.log" 2>&1 || { echo "client failed:" >&2; tail -n 5 "$KB_TMP/cli.$1.log" >&2; return 1; }
	wait "$KB_LAST_PID" 2>/dev/null
	awk '/^(summary|totals):/ { print $2; exit }' "$cg"
}
snd=$(run sender) || exit 1
rcv=$(run receiver) || exit 1
echo "callgrind, $BYTES bulk ($MODE mode, direct vhost-user <-> virtio-user):"
awk -v s="$snd" -v r="$rcv" -v n="$nbytes" 'BEGIN {
	printf "  sender   (do_send: mtcp_write + its event loop): %.2f instructions/byte\n", s / n
	printf "  receiver (do_recv: mtcp_read + its event loop):  %.2f instructions/byte\n", r / n }'
