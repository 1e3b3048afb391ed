# bench/lib/kernel.sh: the Linux side of bench/run.  Two network namespaces
# (kbbA, kbbB) whose veths meet on a bridge in a third (kbbR), so kernel TCP
# crosses a veth, a bridge and a veth, like a VM's packet crosses the switch.
# Sourced; uses bench/run's globals (PERF, SECS, REPS, RAW, log, note).

kern_ns=()
kern_cleanup() {
	local n
	for n in "${kern_ns[@]}"; do ip netns del "$n" 2>/dev/null; done
	kern_ns=()
}

kern_setup() {
	local n
	for n in kbbA kbbB kbbR; do
		ip netns del "$n" 2>/dev/null   # a stale one from a killed run
		ip netns add "$n" || return 1
		kern_ns+=("$n")
		ip -n "$n" link set lo up
	done
	ip -n kbbR link add br0 type bridge || return 1
	ip -n kbbR link set br0 up
	local side ip
	for side in A B; do
		[[ $side == A ]] && ip=10.203.0.1 || ip=10.203.0.2
		ip -n kbbR link add "p$side" type veth peer name eth0 netns "kbb$side" || return 1
		ip -n kbbR link set "p$side" master br0 up
		ip -n "kbb$side" addr add "$ip/24" dev eth0
		ip -n "kbb$side" link set eth0 up
	done
	return 0
}

# kern_start: the namespaces and a kbperf server in kbbA, kept for the
# whole bench so that each kbnet run can have a kernel run next to it (the
# host's state drifts over minutes: docs/design.md, "Bulk through the
# switch"); returns 1 (with a note) when they cannot be made
kern_start() {
	if ! kern_setup; then
		note kernel "n/a: cannot create namespaces kbbA/kbbB/kbbR, veths or the bridge"
		kern_cleanup
		return 1
	fi
	(( ${#TESTS[@]} )) || return 0
	ip netns exec kbbA timeout $((SECS * 400 + 600)) "$PERF" --kernel -s >"$TMP/kern-srv.log" 2>&1 &
	kern_srv=$!
	local i
	for i in $(seq 100); do grep -q '^kbperf: listening' "$TMP/kern-srv.log" && break; sleep 0.1; done
	return 0
}

# kern_test TEST PAIR: one run of TEST, recorded with pair=PAIR (the kbnet
# mode it sits next to; empty when run alone)
kern_test() {
	log "kernel $1${2:+ (next to $2)}"
	# shellcheck disable=SC2046
	ip netns exec kbbB timeout $((SECS + 30)) "$PERF" --kernel -c 10.203.0.1 --json \
		$(test_args "$1") 2>>"$TMP/kern-cli.err" | record kernel kernel "$1" "$2"
}

# kern_alone: --kernel-only, or no kbnet side: every test REPS times, then
# the download test
kern_alone() {
	local t i
	for t in "${TESTS[@]}"; do
		for i in $(seq "$REPS"); do kern_test "$t" ""; done
	done
	(( DL )) && kern_dl ""
}

# kern_stop: the server and the namespaces
kern_stop() {
	[[ -n ${kern_srv:-} ]] && kill -TERM "$kern_srv" 2>/dev/null && wait "$kern_srv" 2>/dev/null
	kern_srv=
	kern_cleanup
}

# kern_dl PAIR: the 3 MiB download test, epserver --kernel in kbbA, epwget
# in kbbB
kern_dl() {
	local log=$TMP/kern-eps.log
	ip netns exec kbbA timeout 300 "$EPS" --kernel -p "$WWW" -P 80 >"$log" 2>&1 &
	local spid=$! i
	for i in $(seq 100); do grep -q '^epserver: serving' "$log" && break; sleep 0.1; done
	log "kernel dl3m: $DL_N x 3 MiB, $DL_C at a time${1:+ (next to $1)}"
	ip netns exec kbbB timeout 300 "$EPW" --kernel http://10.203.0.1/f.bin -n "$DL_N" -c "$DL_C" \
		--json >"$TMP/kern-dl.json" 2>>"$TMP/kern-cli.err"
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	record_dl kernel kernel "$TMP/kern-dl.json" "$log" "$1"
}
