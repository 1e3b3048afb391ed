# bench/lib/kbnet.sh: the kbnet side of bench/run.  Two VM processes, each
# kbperf on kbnet's stack over the DPDK layer in one mode.  Their ports are
# wired directly (net_vhost0 in VM1 <-> net_virtio_user0 in VM2): kbswitch
# is not in the tree yet, so the results say topology "direct".  Sourced;
# uses bench/run's globals.

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

# kbnet_conf FILE SIDE IP MAC MODE
kbnet_conf() {
	local f=$1 side=$2 ip=$3 mac=$4 mode=$5 cores=1 port
	case $mode in 1kb) cores=2 ;; 2kb) cores=3 ;; esac
	# one socket per mode: a vhost port unlinks its path when its process
	# exits, which must not hit the next mode's socket
	if [[ $side == vhost ]]; then port="net_vhost0,iface=$TMP/vm-$mode.sock"
	else port="net_virtio_user0,path=$TMP/vm-$mode.sock"; fi
	cat >"$f" <<CONF
# written by bench/run
port = $port
ip = $ip/24
mac = $mac
mode = $mode
num_cores = $cores
file_prefix = kbb$$$side
tcp_timeout = -1
CONF
	[[ $side == virtio ]] && echo "eal_args = --single-file-segments" >>"$f"
}

kbnet_mode() {
	local mode=$1
	kbnet_conf "$TMP/vm1-$mode.conf" vhost 10.204.0.1 02:00:00:00:04:01 "$mode"
	kbnet_conf "$TMP/vm2-$mode.conf" virtio 10.204.0.2 02:00:00:00:04:02 "$mode"
	timeout $((SECS * 40 + 120)) "$PERF" -s -f "$TMP/vm1-$mode.conf" >"$TMP/kbnet-srv-$mode.log" 2>&1 &
	kbnet_pids+=($!)
	local i
	for i in $(seq 300); do grep -q '^kbperf: listening' "$TMP/kbnet-srv-$mode.log" && break; sleep 0.1; done
	if ! grep -q '^kbperf: listening' "$TMP/kbnet-srv-$mode.log"; then
		note "kbnet-$mode" "n/a: server did not start: $(tail -n 1 "$TMP/kbnet-srv-$mode.log")"
		kbnet_cleanup
		return
	fi
	local t
	for t in "${TESTS[@]}"; do
		for i in $(seq "$REPS"); do
			log "kbnet $mode $t ($i/$REPS)"
			# shellcheck disable=SC2046
			timeout $((SECS + 60)) "$PERF" -f "$TMP/vm2-$mode.conf" -c 10.204.0.1 --json \
				$(test_args "$t") 2>>"$TMP/kbnet-cli-$mode.err" | record "kbnet-$mode" "$mode" "$t"
		done
	done
	kbnet_cleanup
}

kbnet_run() {
	if [[ ! -x $PERF ]]; then
		note kbnet "n/a: $PERF not built"
		return
	fi
	if "$PERF" -c 10.0.0.1 2>&1 | grep -q 'built without libkbnet'; then
		note kbnet "n/a: kbperf was built without libkbnet (the stack or DPDK layer is missing)"
		return
	fi
	local m
	for m in "${MODES[@]}"; do kbnet_mode "$m"; done
}
