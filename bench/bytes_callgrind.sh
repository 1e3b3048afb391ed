#!/usr/bin/env bash
# bench/bytes_callgrind.sh: instructions per byte of a bulk transfer between
# two VM processes through kbswitch (conf/forward_script.bess), counted by
# callgrind -- stable on a shared host, unlike wall-clock figures.  Three
# runs, each with one process under callgrind:
#   switch    kbswitch's worker task (QueueInc: vhost dequeue, L2Forward,
#             QueueOut: vhost enqueue), toggled on qinc_run;
#   sender    kbxfer -m send, inside mtcp_write (copy into the send queue,
#             segments, the layer's transmit, ACK processing);
#   receiver  kbxfer -m recv, inside mtcp_read (the layer's receive, TCP
#             input, the copy to the application).
# kbxfer runs with -q (no SHA-256), so the figures are the transport's.
# Not a test: it prints figures.
#
#   bench/bytes_callgrind.sh [--bytes 32m] [--vm-conf 'key = value'...] [--keep DIR]
# KB_BUILD selects the build (default build/); --vm-conf lines are added to
# both VMs' configs (e.g. 'offloads = no' for 1500-byte frames); --keep
# copies the callgrind files there (callgrind_annotate DIR/switch.out).
set -uo pipefail
BYTES=32m EXTRA="" KEEP=""
while (($#)); do
	case $1 in
	--bytes) BYTES=$2; shift 2 ;;
	--vm-conf) EXTRA+="$2"$'\n'; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bytes_callgrind.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/integration/lib_xfer.sh"
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
SW=$KB_BUILD/src/switch/kbswitch
for b in "$XFER" "$SW"; do [[ -x $b ]] || { echo "missing $b" >&2; exit 1; }; done
CG="valgrind --tool=callgrind --collect-atstart=no"

vm_conf() { xfer_vm_conf "$1" "$2" "$3" "$4" kbcg "$EXTRA"; }   # FILE SOCK IP MAC

# run WHO: one transfer with WHO (switch|sender|receiver) under callgrind;
# prints its instructions per byte.  The switch's line splits its worker's
# figure: "forwarding" is the dequeue (VhostPort's vhost_dev_dequeue, or
# net_vhost's rte_vhost_dequeue_burst with its copy; also their calls on
# empty rings) plus L2Forward -> QueueOut -> enqueue (l2_process,
# inclusive); the rest is polling of queues that had nothing (the ACK
# direction's, mostly) before the worker blocks, which depends on how fast
# the VMs run under callgrind (0.2-0.3 per byte).  As for the VMs, the
# figure outside memcpy is the stable one: glibc copies runs of a few KB
# and more with "rep movsb", which callgrind counts a byte at a time.
run() {
	local who=$1 d=$KB_TMP/$1
	# run is called in $(...): a subshell, whose processes tests/lib.sh's
	# EXIT trap (in the parent) does not know; a run that fails half-way
	# must not leave its switch or VM running (a valgrind'd switch spins)
	trap 'kill -TERM "${_kb_pids[@]}" 2>/dev/null' EXIT
	mkdir -p "$d"
	vm_conf "$d/vm1.conf" "$d/vm1.sock" 10.0.0.1 02:00:00:00:00:01
	vm_conf "$d/vm2.conf" "$d/vm2.sock" 10.0.0.2 02:00:00:00:00:02
	local swpre="" spre="" cpre=""
	case $who in
	switch) swpre="$CG --toggle-collect=qinc_run --callgrind-out-file=$d/cg.out" ;;
	receiver) spre="$CG --toggle-collect=mtcp_read --callgrind-out-file=$d/cg.out" ;;
	sender) cpre="$CG --toggle-collect=mtcp_write --callgrind-out-file=$d/cg.out" ;;
	esac
	# callgrind runs EAL with --no-huge: the switch's memory must be shareable
	KB_VM1_SOCK=$d/vm1.sock KB_VM2_SOCK=$d/vm2.sock kb_bg "$d/sw.log" timeout 900 \
		$swpre "$SW" --no-huge -m 512 --no-shconf --no-pci -l 0 --file-prefix=kbcg${KB_ID}sw \
		-- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$d/sw.ctl"
	local swpid=$KB_LAST_PID
	kb_wait_for 300 test -S "$d/sw.ctl" || { echo "$who: switch did not start" >&2; tail "$d/sw.log" >&2; return 1; }
	kb_bg "$d/srv.log" timeout 900 $spre "$XFER" -q -f "$d/vm1.conf" -l 5009 -m recv -n "$BYTES"
	local spid=$KB_LAST_PID
	kb_wait_log 300 "$d/srv.log" '^kbxfer: listening' || { echo "$who: server did not start" >&2; tail "$d/srv.log" >&2; return 1; }
	timeout 900 $cpre "$XFER" -q -f "$d/vm2.conf" -c 10.0.0.1:5009 -m send -n "$BYTES" >"$d/cli.log" 2>&1
	wait "$spid" 2>/dev/null
	kill -INT "$swpid" 2>/dev/null
	wait "$swpid" 2>/dev/null
	local n
	n=$(sed -n 's/^kbxfer: recv \([0-9]*\) .*/\1/p' "$d/srv.log")
	[[ -n $n && -s $d/cg.out ]] || { echo "$who: no result" >&2; tail "$d/srv.log" "$d/cli.log" >&2; return 1; }
	[[ -z $KEEP ]] || { mkdir -p "$KEEP" && cp "$d/cg.out" "$KEEP/$who.out"; }
	local total
	total=$(awk '/^(summary|totals):/ { print $2; exit }' "$d/cg.out")
	# callgrind counts each byte of a "rep movsb" (glibc's memcpy for
	# big copies) as an instruction: the figure without memcpy is the
	# stable one
	local m
	m=$(callgrind_annotate --auto=no "$d/cg.out" 2>/dev/null | tr -d , |
		awk '/:__mem(cpy|move)/ { m += $1 } END { print m + 0 }')
	if [[ $who != switch ]]; then
		awk -v t="$total" -v m="$m" -v n="$n" \
			'BEGIN { printf "%.2f (outside memcpy %.2f)\n", t / n, (t - m) / n }'
		return
	fi
	callgrind_annotate --auto=no --inclusive=yes "$d/cg.out" 2>/dev/null | tr -d , |
		awk -v t="$total" -v m="$m" -v n="$n" '
			# a function is listed once per source file it has code
			# from (inlined headers): its own line is the largest
			/:(rte_vhost_dequeue_burst|vhost_dev_dequeue) / { if ($1 > d) d = $1 }
			/:l2_process( |$)/ { if ($1 > l) l = $1 }
			END { f = d + l
			      printf "%.2f (outside memcpy %.2f; forwarding %.2f, empty polls %.2f)\n",
				     t / n, (t - m) / n, f / n, (t - f) / n }'
}

echo "instructions per byte, $BYTES bulk, kbswitch between two VM processes (callgrind)"
echo "VM config extra: ${EXTRA:-none}" | tr '\n' ' '; echo
for who in switch sender receiver; do
	printf '  %-9s %s\n' "$who" "$(run $who)"
done
