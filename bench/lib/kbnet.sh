# bench/lib/kbnet.sh: the kbnet side of bench/run.  Two VM processes, each
# kbperf (then epserver and epwget) on kbnet's stack over the DPDK layer in
# one mode, their virtio-user
# ports on kbswitch (conf/forward_script.bess, sockets from KB_VM1_SOCK /
# KB_VM2_SOCK) when the build has kbswitch; otherwise (or with
# KB_BENCH_DIRECT=1) wired directly, VM 1 owning the vhost-user side.  The
# results name the topology.  With the switch, per mode also: the idle CPU
# of the switch and two idle VMs, and bulk/rr on conf/forward3_script.bess
# without and with a third, idle VM.  Everything runs with the product's
# defaults (placement included), as a user runs it.  Sourced; uses
# bench/run's globals.

kbnet_pids=()
kbnet_cleanup() {
	local p
	for p in "${kbnet_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${kbnet_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	kbnet_pids=()
	rm -f "$TMP"/*.sock
}

SWITCH=$BUILD/src/switch/kbswitch
VM1_MAC=02:00:00:00:04:01
VM2_MAC=02:00:00:00:04:02
VM3_MAC=02:00:00:00:04:03
SCRIPT=$ROOT/conf/forward_script.bess
SCRIPT3=$ROOT/conf/forward3_script.bess
if [[ -z ${KB_BENCH_DIRECT:-} && -x $SWITCH && -f $SCRIPT ]]; then
	TOPOLOGY=switch
else
	TOPOLOGY=direct
fi

# kbnet_conf FILE SIDE(vhost|virtio) SOCK IP MAC MODE
kbnet_conf() {
	local f=$1 side=$2 sock=$3 ip=$4 mac=$5 mode=$6 cores=1 port
	case $mode in 1kb) cores=2 ;; 2kb) cores=3 ;; esac
	# tso=1: the virtio side may send 64 KB segments (docs/dpdk-layer.md)
	if [[ $side == vhost ]]; then port="net_vhost0,iface=$sock,tso=1"
	else port="net_virtio_user0,path=$sock"; fi
	cat >"$f" <<CONF
# written by bench/run
port = $port
ip = $ip/24
mac = $mac
mode = $mode
num_cores = $cores
file_prefix = kbb$$$(basename "$f" .conf)
tcp_timeout = -1
CONF
	[[ $side == virtio ]] && echo "eal_args = --single-file-segments" >>"$f"
	[[ $side == virtio && $TOPOLOGY == switch ]] && echo "vhost_server = yes" >>"$f"
}

# kbnet_switch TAG: starts kbswitch on $KBNET_SCRIPT (default
# forward_script.bess) with sockets named by TAG (KB_VM1_SOCK..KB_VM3_SOCK;
# the script decides how many it uses), as a user runs it: no -l, so the
# product's default placement applies
kbnet_switch() {
	local tag=$1
	# the script's L2Forward knows the VMs by MAC: tell it ours
	export KB_VM1_SOCK=$TMP/sw-$tag-1.sock KB_VM2_SOCK=$TMP/sw-$tag-2.sock
	export KB_VM3_SOCK=$TMP/sw-$tag-3.sock
	export KB_VM1_MAC=$VM1_MAC KB_VM2_MAC=$VM2_MAC KB_VM3_MAC=$VM3_MAC
	# shellcheck disable=SC2046
	timeout $((SECS * 40 + 180)) "$SWITCH" $("$ROOT/scripts/eal-mem.sh" vhost 256) \
		--file-prefix=kbb$$sw -- -f "${KBNET_SCRIPT:-$SCRIPT}" --ctl "$TMP/sw-$tag.ctl" \
		>"$TMP/switch-$tag.log" 2>&1 &
	kbnet_pids+=($!)
	KBNET_SWITCH_PID=$!
	local i
	# the script's ports are vhost-user clients: the VMs own the sockets
	for i in $(seq 300); do [[ -S $TMP/sw-$tag.ctl ]] && return 0; sleep 0.1; done
	return 1
}

# kbnet_vm1 MODE NAME LOG READY CMD...: the switch (if any), both VMs'
# configs, and VM 1's server CMD (-f CONF appended) until LOG shows READY
# ($KBNET_TAG names the sockets, default MODE); KBNET_VM1_PID: VM 1's pid
kbnet_vm1() {
	local mode=$1 name=$2 log=$3 ready=$4 s1 s2 side1=vhost tag=${KBNET_TAG:-$1}; shift 4
	# one socket per run: a vhost port unlinks its path when its process
	# exits, which must not hit the next run's socket
	KBNET_SWITCH_PID=
	if [[ $TOPOLOGY == switch ]]; then
		if ! kbnet_switch "$tag"; then
			note "kbnet-$mode" "$name n/a: kbswitch did not start: $(tail -n 1 "$TMP/switch-$tag.log")"
			kbnet_cleanup
			return 1
		fi
		s1=$KB_VM1_SOCK s2=$KB_VM2_SOCK side1=virtio
	else
		s1=$TMP/vm-$tag.sock s2=$s1
	fi
	kbnet_conf "$TMP/vm1-$mode.conf" $side1 "$s1" 10.204.0.1 $VM1_MAC "$mode"
	kbnet_conf "$TMP/vm2-$mode.conf" virtio "$s2" 10.204.0.2 $VM2_MAC "$mode"
	[[ $TOPOLOGY == switch ]] &&
		kbnet_conf "$TMP/vm3-$mode.conf" virtio "$KB_VM3_SOCK" 10.204.0.3 $VM3_MAC "$mode"
	timeout $((SECS * 40 + 120)) "$@" -f "$TMP/vm1-$mode.conf" >"$log" 2>&1 &
	kbnet_pids+=($!)
	KBNET_SRV=$!
	local i
	for i in $(seq 300); do
		grep -qs "$ready" "$log" && { KBNET_VM1_PID=$(pgrep -P "$KBNET_SRV" | head -n 1); return 0; }
		sleep 0.1
	done
	note "kbnet-$mode" "$name n/a: server did not start: $(tail -n 1 "$log")"
	kbnet_cleanup
	return 1
}

# kbnet_dl MODE: the 3 MiB download test (epserver in VM 1, epwget in VM 2)
kbnet_dl() {
	local mode=$1
	local log=$TMP/kbnet-eps-$mode.log
	(( KERNEL )) && kern_dl "$mode"
	kbnet_vm1 "$mode" dl3m "$log" '^epserver: serving' "$EPS" -p "$WWW" -P 80 || return
	log "kbnet $mode ($TOPOLOGY) dl3m: $DL_N x 3 MiB, $DL_C at a time"
	timeout 300 "$EPW" -f "$TMP/vm2-$mode.conf" http://10.204.0.1/f.bin -n "$DL_N" -c "$DL_C" --json \
		>"$TMP/kbnet-dl-$mode.json" 2>>"$TMP/kbnet-cli-$mode.err"
	kill -INT "$KBNET_SRV" 2>/dev/null
	local i; for i in $(seq 100); do kill -0 "$KBNET_SRV" 2>/dev/null || break; sleep 0.1; done
	record_dl "kbnet-$mode" "$mode" "$TMP/kbnet-dl-$mode.json" "$log"
	kbnet_cleanup
}

# kbnet_stop PID: SIGTERM, then up to 5 s for it to exit (the rest is
# kbnet_cleanup's)
kbnet_stop() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
}

# kbnet_server CONF LOG: one more idle kbperf server VM; KBNET_LAST its pid
# (not timeout's)
kbnet_server() {
	timeout $((SECS * 40 + 120)) "$PERF" -s -f "$1" >"$2" 2>&1 &
	kbnet_pids+=($!)
	local i
	for i in $(seq 300); do grep -qs '^kbperf: listening' "$2" && break; sleep 0.1; done
	grep -qs '^kbperf: listening' "$2" || return 1
	KBNET_LAST=$(pgrep -P "$!" | head -n 1)
}

# kbnet_tests MODE SUFFIX TEST...: each TEST REPS times from VM 2 against
# VM 1's kbperf server, recorded as TEST$SUFFIX
kbnet_tests() {
	local mode=$1 sfx=$2 t i
	shift 2
	local x0 x1
	for t in "$@"; do
		for i in $(seq "$REPS"); do
			# bulk pairs carry the host's hand-off speed before and after
			# (report.py splits their ratios by the host's spell)
			x0=
			[[ -z $sfx && $t == bulk* ]] && x0=$(xcpu_gbs 0.2)
			# the kernel's run of the same test, right before (see bench/run)
			[[ -z $sfx ]] && (( KERNEL )) && kern_test "$t" "$mode"
			log "kbnet $mode ($TOPOLOGY) $t$sfx ($i/$REPS)"
			# shellcheck disable=SC2046
			timeout $((SECS + 60)) "$PERF" -f "$TMP/vm2-$mode.conf" -c 10.204.0.1 --json \
				$(test_args "$t") 2>>"$TMP/kbnet-cli-$mode.err" >"$TMP/kbnet-run.json"
			x1=
			[[ -n $x0 ]] && x1=$(xcpu_gbs 0.2)
			REC_EXTRA=$([[ -n $x0 && -n $x1 ]] && echo "{\"xcpu_before\":$x0,\"xcpu_after\":$x1}") \
				record "kbnet-$mode" "$mode" "$t$sfx" <"$TMP/kbnet-run.json"
		done
	done
}

# kbnet_idle MODE: the switch and two idle VMs (kbperf servers), CPU over
# IDLE_SECS from /proc (scripts/cpu-pct.sh), recorded as test "idle"
kbnet_idle() {
	local mode=$1 vm2 out
	[[ -n $KBNET_SWITCH_PID ]] || { note "kbnet-$mode" "idle: n/a without kbswitch"; return; }
	if ! kbnet_server "$TMP/vm2-$mode.conf" "$TMP/kbnet-idle2-$mode.log"; then
		note "kbnet-$mode" "idle: n/a, VM 2's server did not start: $(tail -n 1 "$TMP/kbnet-idle2-$mode.log")"
		return
	fi
	vm2=$KBNET_LAST
	sleep 2   # past start-up (the switch connects, ARP, the first poll windows)
	log "kbnet $mode: idle CPU of the switch and 2 VMs over ${IDLE_SECS}s"
	out=$("$ROOT/scripts/cpu-pct.sh" "$IDLE_SECS" "$(pgrep -P "$KBNET_SWITCH_PID" | head -n 1)" \
		"$KBNET_VM1_PID" "$vm2" | awk '{print $2}' | paste -sd' ')
	kbnet_stop "$vm2"
	python3 -c 'import json,sys; s,a,b=(float(x) if x != "gone" else None for x in sys.argv[2].split());
print(json.dumps({"side":"kbnet-"+sys.argv[1],"mode":sys.argv[1],"name":"idle","switch_pct":s,"vm1_pct":a,"vm2_pct":b,
"total_pct":None if None in (s,a,b) else round(s+a+b,2)}))' "$mode" "$out" >>"$RAW"
}

# kbnet_third MODE: bulk 1 flow and rr 64 B on forward3_script.bess,
# without and with a third VM attached and idle (recorded as TEST_2vm,
# TEST_3vm), in pairs: per repetition a run without it, then the third VM
# starts, a run with it, and it stops again, so each pair sees one host
kbnet_third() {
	local mode=$1 t i vm3
	KBNET_SCRIPT=$SCRIPT3 KBNET_TAG=$mode-3vm kbnet_vm1 "$mode" third "$TMP/kbnet-srv3-$mode.log" \
		'^kbperf: listening' "$PERF" -s || return
	for t in bulk1 rr64; do
		for i in $(seq "$REPS"); do
			REPS=1 kbnet_tests "$mode" "_2vm" "$t"
			if ! kbnet_server "$TMP/vm3-$mode.conf" "$TMP/kbnet-idle3-$mode.log"; then
				note "kbnet-$mode" "third VM: n/a, its server did not start: $(tail -n 1 "$TMP/kbnet-idle3-$mode.log")"
				kbnet_cleanup
				return
			fi
			vm3=$KBNET_LAST
			sleep 2   # the switch connects to it, ARP settles
			REPS=1 kbnet_tests "$mode" "_3vm" "$t"
			kbnet_stop "$vm3"
			sleep 0.5   # the switch notices the port going down
		done
	done
	kbnet_cleanup
}

kbnet_mode() {
	local mode=$1
	host_probe "before $mode"
	kbnet_vm1 "$mode" kbperf "$TMP/kbnet-srv-$mode.log" '^kbperf: listening' "$PERF" -s || return
	kbnet_idle "$mode"
	kbnet_tests "$mode" "" "${TESTS[@]}"
	kbnet_cleanup
	[[ $TOPOLOGY == switch && $THIRD == 1 ]] && kbnet_third "$mode"
}

kbnet_run() {
	if [[ ! -x $PERF ]]; then
		note kbnet "n/a: $PERF not built"
		(( KERNEL )) && kern_alone
		return
	fi
	if "$PERF" -c 10.0.0.1 2>&1 | grep -q 'built without libkbnet'; then
		note kbnet "n/a: kbperf was built without libkbnet (the stack or DPDK layer is missing)"
		(( KERNEL )) && kern_alone
		return
	fi
	[[ $TOPOLOGY == direct ]] && note kbnet "topology: direct (vhost-user <-> virtio-user, no switch: $([[ -n ${KB_BENCH_DIRECT:-} ]] && echo KB_BENCH_DIRECT set || echo "kbswitch or conf/forward_script.bess missing"))"
	local m i
	if (( ${#TESTS[@]} )); then
		for m in "${MODES[@]}"; do kbnet_mode "$m"; done
	fi
	# The downloads take a few seconds per mode: the modes take turns,
	# round by round, so the host's spells (docs/design.md) fall on each
	# mode alike and report.py compares round i with single's round i.
	(( DL )) || return 0
	for i in $(seq "$REPS"); do
		for m in "${MODES[@]}"; do
			log "kbnet dl3m round $i/$REPS: $m"
			kbnet_dl "$m"
		done
	done
}
