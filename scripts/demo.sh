#!/usr/bin/env bash
# scripts/demo.sh (make demo): two VMs talking TCP through kbswitch.
#
# Starts kbswitch on conf/forward_script.bess, then two VM processes on its
# vhost-user ports (conf/vm1.conf = 10.0.0.1, conf/vm2.conf = 10.0.0.2),
# and shows: ARP resolving through Replicate, a ping, an HTTP download with
# its checksum, HTTP request rate and latency, TCP throughput and
# request/response latency, and a switch restart under a running download.
# With --vms N (2..8, default 2) over 2 the switch runs conf/forward_vms.bess
# for N VMs and VMs 3..N (10.0.0.k, scripts/vm-conf.sh) download from VM 1 too.
# Everything it starts is torn down on exit, also on failure or Ctrl-C.
#
#   scripts/demo.sh [--help] [--mode single|1kb|2kb] [--seconds N] [--vms N]
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KB_BUILD:-$ROOT/build}
MODE=single
SECS=3

VMS=2
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--mode) MODE=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--vms) VMS=${2:-}; shift ;;
	*) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $MODE in single|1kb|2kb) ;; *) echo "demo: --mode must be single, 1kb or 2kb" >&2; exit 2 ;; esac
[[ $VMS =~ ^[2-8]$ ]] || { echo "demo: --vms must be 2..8, got '$VMS'" >&2; exit 2; }
SCRIPT=conf/forward_script.bess
((VMS > 2)) && SCRIPT=conf/forward_vms.bess

SWITCH=$BUILD/src/switch/kbswitch
KBCTL=$BUILD/src/switch/kbctl
for b in "$SWITCH" "$KBCTL" "$BUILD/tools/kbping" "$BUILD/apps/epserver" "$BUILD/apps/epwget" "$BUILD/apps/kbperf"; do
	[[ -x $b ]] || { echo "demo: $b is not built (run: make build)" >&2; exit 1; }
done

RUN=$(mktemp -d /tmp/kbdemo.XXXXXX)
SOCKDIR=$RUN/sock
mkdir -p "$SOCKDIR" "$RUN/www"
pids=()
netns=""

cleanup() {
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	[[ -n $netns ]] && ip netns del "$netns" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
# by_hand CMD: the step as a user would type it from the repository's root,
# with the demo's own config files (conf/vm*.conf, /tmp/kbnet/*.sock).
by_hand() { printf '    \033[2m$ %s\033[0m\n' "$*"; }
ok() { printf '    %s\n' "$*"; }
die() { printf '    FAILED: %s\n' "$*" >&2; exit 1; }
summary=()
# row LABEL VALUE: a summary line; a figure the demo could not read is a failure
row() {
	[[ -n $2 && $2 != *"?"* && $2 =~ [^[:space:]] ]] || die "summary '$1': nothing measured"
	summary+=("$(printf '%-34s %s' "$1" "$2")")
}

wait_for() { # SECONDS CMD...
	local t=$1; shift
	local end=$((SECONDS + t))
	until "$@" 2>/dev/null; do (( SECONDS >= end )) && return 1; sleep 0.1; done
}

# A VM config: the demo's conf with this run's socket and the chosen mode.
vm_conf() { # N OUT
	local cores=1
	case $MODE in 1kb) cores=2 ;; 2kb) cores=3 ;; esac
	sed -e "s|/tmp/kbnet/vm$1.sock|$SOCKDIR/vm$1.sock|" \
	    -e "s|^mode = .*|mode = $MODE|" -e "s|^num_cores = .*|num_cores = $cores|" \
	    "$ROOT/conf/vm$1.conf" >"$2"
	# EAL's own lines go to the VM's log file, not between the demo's steps
	echo "log_file = $RUN/vm$1-eal.log" >>"$2"
}
vm_conf 1 "$RUN/vm1.conf"
vm_conf 2 "$RUN/vm2.conf"
for ((k = 3; k <= VMS; k++)); do
	"$ROOT/scripts/vm-conf.sh" $k "$SOCKDIR/vm$k.sock" mode=$MODE \
		num_cores=$(case $MODE in 1kb) echo 2 ;; 2kb) echo 3 ;; *) echo 1 ;; esac) \
		log_file="$RUN/vm$k-eal.log" >"$RUN/vm$k.conf" || die "vm-conf.sh $k failed"
done

step "Starting kbswitch on $SCRIPT"
by_hand "mkdir -p /tmp/kbnet; $( ((VMS > 2)) && echo "KB_VMS=$VMS ")build/src/switch/kbswitch $("$ROOT/scripts/eal-mem.sh" vhost 256) -- -f $SCRIPT &"
export KB_VM1_SOCK=$SOCKDIR/vm1.sock KB_VM2_SOCK=$SOCKDIR/vm2.sock KB_VMS=$VMS
for ((k = 3; k <= VMS; k++)); do export KB_VM${k}_SOCK=$SOCKDIR/vm$k.sock; done
start_switch() {
	rm -f "$RUN/kbswitch.ctl"
	"$SWITCH" $("$ROOT/scripts/eal-mem.sh" vhost 256) --file-prefix=kbdemo-sw -- \
		-f "$ROOT/$SCRIPT" --ctl "$RUN/kbswitch.ctl" >>"$RUN/switch.log" 2>&1 &
	swpid=$!
	pids+=($swpid)
	wait_for 30 test -S "$RUN/kbswitch.ctl" || { tail -20 "$RUN/switch.log"; die "kbswitch did not start"; }
}
start_switch
ok "kbswitch runs; it connects to the VMs' sockets ($KB_VM1_SOCK, $KB_VM2_SOCK) as a vhost-user client"

by_hand "build/src/switch/kbctl show pipeline"
"$KBCTL" --ctl "$RUN/kbswitch.ctl" show pipeline | sed 's/^/    /'
row "switch" "kbswitch, $VMS VMs ($SCRIPT), VMs in $MODE mode"

step "Starting VM 1 (10.0.0.1): epserver"
by_hand "build/apps/epserver -f conf/vm1.conf -p DIR &"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$RUN/www/blob.bin"
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$RUN/www/big.bin"
echo "<h1>hello from kbnet VM 1</h1>" >"$RUN/www/index.html"
want=$(sha256sum "$RUN/www/blob.bin" | cut -c1-64)
"$BUILD/apps/epserver" -f "$RUN/vm1.conf" -p "$RUN/www" >"$RUN/vm1.log" 2>&1 &
vm1=$!
pids+=($vm1)
wait_for 30 grep -q "^epserver: serving" "$RUN/vm1.log" || { tail "$RUN/vm1.log"; die "epserver did not start"; }
ok "epserver is listening on 10.0.0.1:80"

step "VM 2 (10.0.0.2) pings VM 1: ARP request -> Replicate -> every VM; VM 1's stack answers"
by_hand "build/tools/kbping -f conf/vm2.conf -c 4 -i 100 10.0.0.1"
"$BUILD/tools/kbping" -f "$RUN/vm2.conf" -c 4 -i 100 10.0.0.1 >"$RUN/ping.log" 2>&1 \
	|| { tail "$RUN/ping.log"; die "ping failed"; }
grep -E "bytes from|transmitted" "$RUN/ping.log" | sed 's/^/    /'
row "ping 10.0.0.2 -> 10.0.0.1" "$(grep -oE 'rtt .*' "$RUN/ping.log")"

step "VM 2 downloads /blob.bin over HTTP"
by_hand "build/apps/epwget -f conf/vm2.conf http://10.0.0.1/blob.bin -n 1 -o got.bin"
"$BUILD/apps/epwget" -f "$RUN/vm2.conf" http://10.0.0.1/blob.bin -n 1 -o "$RUN/got.bin" \
	>"$RUN/vm2-get.log" 2>&1 || { tail "$RUN/vm2-get.log"; die "download failed"; }
got=$(sha256sum "$RUN/got.bin" | cut -c1-64)
[[ $got == "$want" ]] || die "checksum mismatch: $got != $want"
ok "sha256 $got (8 MiB) matches"
row "HTTP download 8 MiB" "sha256 ok"
# the gate counters are in `show pipeline`: L2Forward's broadcast gate feeds
# Replicate, whose gates feed every VM's QueueOut
by_hand "build/src/switch/kbctl show pipeline | grep bcast"
"$KBCTL" --ctl "$RUN/kbswitch.ctl" show pipeline >"$RUN/pipeline.txt" || die "kbctl show pipeline failed"
grep -E 'bcast' "$RUN/pipeline.txt" | sed 's/^/    /'
bcast=$(grep -oE 'l2:[0-9]+ -> 0:bcast pkts=[0-9]+' "$RUN/pipeline.txt" | grep -oE '[0-9]+$')
copies=$(awk '$1 ~ /^bcast:[0-9]+$/ { for (i = 1; i <= NF; i++) if ($i ~ /^pkts=/) n += substr($i, 6) } END { print n }' "$RUN/pipeline.txt")
row "ARP broadcasts via Replicate" "$bcast broadcast frame(s), $copies copies to the VMs"

step "VM 2 runs epwget: 2000 requests, 8 connections"
by_hand "build/apps/epwget -f conf/vm2.conf http://10.0.0.1/index.html -n 2000 -c 8"
"$BUILD/apps/epwget" -f "$RUN/vm2.conf" http://10.0.0.1/index.html -n 2000 -c 8 \
	>"$RUN/vm2-load.log" 2>&1 || { tail "$RUN/vm2-load.log"; die "epwget failed"; }
sed 's/^/    /' "$RUN/vm2-load.log" | tail -8
row "HTTP requests/s" "$(grep -oiE '[0-9.]+ (req|requests)/s' "$RUN/vm2-load.log" | head -1)"

if ((VMS > 2)); then
	step "VMs 3..$VMS download /blob.bin from VM 1 at once"
	by_hand "scripts/vm-conf.sh 3 /tmp/kbnet/vm3.sock > vm3.conf; build/apps/epwget -f vm3.conf http://10.0.0.1/blob.bin -o got3.bin"
	wpids=()
	for ((k = 3; k <= VMS; k++)); do
		"$BUILD/apps/epwget" -f "$RUN/vm$k.conf" http://10.0.0.1/blob.bin -n 1 -o "$RUN/got$k.bin" \
			>"$RUN/vm$k-get.log" 2>&1 &
		wpids+=($!)
		pids+=($!)
	done
	for ((k = 3; k <= VMS; k++)); do
		wait "${wpids[k - 3]}" || { tail "$RUN/vm$k-get.log"; die "VM $k: download failed"; }
		[[ $(sha256sum "$RUN/got$k.bin" | cut -c1-64) == "$want" ]] || die "VM $k: checksum mismatch"
		ok "VM $k (10.0.0.$k): 8 MiB, sha256 matches"
	done
	row "$VMS VMs" "VMs 3..$VMS fetched 8 MiB from VM 1 at once, sha256 ok"
fi

step "kbswitch restarts while VM 2 downloads 1 GiB: the VMs own the sockets, the switch reconnects"
by_hand "build/apps/epwget -f conf/vm2.conf http://10.0.0.1/big.bin -n 1 -o big.bin &"
by_hand "kill -TERM \$(pidof kbswitch); build/src/switch/kbswitch ... (the same command)"
"$BUILD/apps/epwget" -f "$RUN/vm2.conf" http://10.0.0.1/big.bin -n 1 -o "$RUN/big.bin" \
	>"$RUN/vm2-big.log" 2>&1 &
wget_pid=$!
pids+=($wget_pid)
to_vm2() { "$KBCTL" --ctl "$RUN/kbswitch.ctl" show port 2>/dev/null | sed -n 's/^vm2::.* tx_bytes=\([0-9]*\).*/\1/p'; }
wait_for 60 bash -c "(( \$(\"$KBCTL\" --ctl '$RUN/kbswitch.ctl' show port 2>/dev/null | sed -n 's/^vm2::.* tx_bytes=\\([0-9]*\\).*/\\1/p' || echo 0) > 1048576 ))" \
	|| die "the download did not start"
moved=$(( $(to_vm2) / 1048576 ))
kill -TERM "$swpid"; wait "$swpid" 2>/dev/null
# at tens of Gbit/s a download can end between two looks at the counters:
# then only the VMs still running come back, and the row says so
want_up=2 note=""
kill -0 "$wget_pid" 2>/dev/null || { want_up=1; note=" (the download had ended before the switch stopped)"; }
ok "kbswitch stopped after $moved MiB; the download waits (TCP retransmits)$note"
sleep 1
t0=$(date +%s%N)
start_switch
wait_for 30 bash -c "[[ \$(\"$KBCTL\" --ctl '$RUN/kbswitch.ctl' show port | grep -c link=up) -ge $want_up ]]" || die "the VMs' ports did not come back"
back_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "kbswitch started again; both ports back by themselves in $back_ms ms"
wait "$wget_pid" || { tail "$RUN/vm2-big.log"; die "the download failed across the restart"; }
[[ $(sha256sum <"$RUN/big.bin" | cut -c1-64) == $(sha256sum <"$RUN/www/big.bin" | cut -c1-64) ]] \
	|| die "big.bin: checksum mismatch after the restart"
grep -E '^epwget' "$RUN/vm2-big.log" | sed 's/^/    /'
ok "download completed across the restart, sha256 matches"
row "switch restart mid-download" "1 GiB, sha256 ok, ports back in $back_ms ms$note"

kill -TERM "$vm1" 2>/dev/null; wait "$vm1" 2>/dev/null

step "kbperf between the VMs: throughput and 64 B request/response latency"
by_hand "build/apps/kbperf -s -f conf/vm1.conf &"
by_hand "build/apps/kbperf -c 10.0.0.1 -f conf/vm2.conf -t bulk -d $SECS"
by_hand "build/apps/kbperf -c 10.0.0.1 -f conf/vm2.conf -t rr -d $SECS"
"$BUILD/apps/kbperf" -s -f "$RUN/vm1.conf" >"$RUN/vm1-perf.log" 2>&1 &
vm1=$!
pids+=($vm1)
wait_for 30 grep -qi "listening" "$RUN/vm1-perf.log" || { tail "$RUN/vm1-perf.log"; die "kbperf server did not start"; }
"$BUILD/apps/kbperf" -c 10.0.0.1 -f "$RUN/vm2.conf" -t bulk -d "$SECS" >"$RUN/bulk.log" 2>&1 \
	|| { tail "$RUN/bulk.log"; die "kbperf bulk failed"; }
sed 's/^/    /' "$RUN/bulk.log" | tail -4
"$BUILD/apps/kbperf" -c 10.0.0.1 -f "$RUN/vm2.conf" -t rr -d "$SECS" >"$RUN/rr.log" 2>&1 \
	|| { tail "$RUN/rr.log"; die "kbperf rr failed"; }
sed 's/^/    /' "$RUN/rr.log" | tail -4
row "TCP throughput" "$(grep -oE '[0-9.]+ Gbit/s' "$RUN/bulk.log" | tail -1)"
row "64 B request/response" "$(grep -oE 'p50 [0-9.]+' "$RUN/rr.log" | head -1) us, $(grep -oE 'p99 [0-9.]+' "$RUN/rr.log" | head -1) us"

step "Summary"
printf '    %s\n' "${summary[@]}"
echo
echo "All processes stopped and files removed on exit."
