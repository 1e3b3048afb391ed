#!/usr/bin/env bash
# t_apps_kbperf_kernel: kbperf --kernel between two network namespaces the
# test creates, joined by a veth pair: bulk (1 and 4 flows, and a fixed
# byte count), rr and crr must produce sane numbers with no errors; bad
# usage must fail before anything starts.  Cleans up namespaces and processes.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

PERF=$KB_BUILD/apps/kbperf
[[ -x $PERF ]] || { kb_fail "kbperf not built"; kb_done; }

# bad usage: exit 2 with a message naming the option
out=$("$PERF" --kernel -c 10.0.0.1 -t nope 2>&1); rc=$?
kb_check "bad -t rejected (rc=$rc)" test $rc -eq 2 -a -n "$(grep -- "-t: expected" <<<"$out")"
out=$("$PERF" --kernel -c 10.0.0.1 -P 0 2>&1); rc=$?
kb_check "bad -P rejected (rc=$rc)" test $rc -eq 2
out=$("$PERF" --kernel -s -c 10.0.0.1 2>&1); rc=$?
kb_check "-s with -c rejected (rc=$rc)" test $rc -eq 2
kb_check "--help" "$PERF" --help

A=$(kb_name a) B=$(kb_name b)
ip netns add "$A" && kb_track_netns "$A"
ip netns add "$B" && kb_track_netns "$B"
ip link add "${A}v" type veth peer name "${B}v" || { kb_fail "cannot create veth"; kb_done; }
kb_track_link "${A}v"
ip link set "${A}v" netns "$A"
ip link set "${B}v" netns "$B"
ip -n "$A" addr add 10.201.0.1/24 dev "${A}v"
ip -n "$B" addr add 10.201.0.2/24 dev "${B}v"
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set "${A}v" up
ip -n "$B" link set "${B}v" up

kb_bg "$KB_TMP/srv.log" timeout 100 ip netns exec "$A" "$PERF" --kernel -s -N 2
kb_wait_log 20 "$KB_TMP/srv.log" '^kbperf: listening' || { kb_fail "server did not start"; cat "$KB_TMP/srv.log"; kb_done; }

# run NAME ARGS...: client in B, JSON result in $KB_TMP/NAME.json
run() {
	local name=$1; shift
	timeout 60 ip netns exec "$B" "$PERF" --kernel -c 10.201.0.1 --json "$@" \
		>"$KB_TMP/$name.json" 2>"$KB_TMP/$name.err"
	local rc=$?
	(( rc == 0 )) || { kb_fail "$name: rc=$rc: $(head -c 300 "$KB_TMP/$name.err")"; return 1; }
}
# check NAME PYTHON-EXPR: evaluated with the JSON object as r
check() {
	local name=$1 expr=$2
	if python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if ($expr) else 1)" \
		"$KB_TMP/$name.json"; then
		kb_pass "$name: $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('gbps=%.2f rate=%.0f p50=%.1fus p99=%.1fus errors=%d' % (r['gbps'], r['rate'], r['p50_us'], r['p99_us'], r['errors']))" "$KB_TMP/$name.json")"
	else
		kb_fail "$name: $expr: $(head -c 400 "$KB_TMP/$name.json")"
	fi
}

run bulk1 -t bulk -d 2 && check bulk1 "r['errors']==0 and r['gbps']>0.05 and r['bytes']>1e6"
run bulk4 -t bulk -P 4 -N 2 -d 2 && check bulk4 "r['errors']==0 and r['gbps']>0.05 and r['flows']==4"
# a fixed byte count arrives exactly
run bulkb -t bulk -b 3m && check bulkb "r['errors']==0 and r['bytes']==3*1024*1024"
run rr -t rr -l 64 -d 2 && check rr "r['errors']==0 and r['transactions']>100 and 0<r['p50_us']<=r['p99_us']<=r['max_us']"
run rr8 -t rr -l 1k -P 8 -d 2 && check rr8 "r['errors']==0 and r['transactions']>100 and r['p50_us']<=r['p999_us']"
run crr -t crr -d 2 && check crr "r['errors']==0 and r['transactions']>50 and r['conns']>=r['transactions'] and r['p50_us']>0"
# -i 1: iperf3-style interval reports that add up to the totals
run bulki -t bulk -d 3 -i 1 && check bulki "len(r['intervals'])>=3 and all(v['bytes']>0 for v in r['intervals'][:3]) and sum(v['bytes'] for v in r['intervals'])==r['bytes'] and all(abs(a['end']-b['start'])<1e-9 for a, b in zip(r['intervals'], r['intervals'][1:]))"
run rri -t rr -d 2 -i 0.5 && check rri "len(r['intervals'])>=4 and sum(v['transactions'] for v in r['intervals'])==r['transactions']"
timeout 30 ip netns exec "$B" "$PERF" --kernel -c 10.201.0.1 -d 2 -i 1 >"$KB_TMP/text_i.log" 2>&1
kb_check "-i 1 text: a header and [SUM] lines in Mbits/sec ($(grep -c '^\[SUM\]' "$KB_TMP/text_i.log") of them)" bash -c "grep -q '^\[ ID\] Interval' '$KB_TMP/text_i.log' && [[ \$(grep -c '^\[SUM\] .* sec .* MBytes .* Mbits/sec\$' '$KB_TMP/text_i.log') -ge 2 ]]"
out=$("$PERF" --kernel -c 10.0.0.1 -i 0 2>&1); rc=$?
kb_check "bad -i rejected (rc=$rc)" test $rc -eq 2 -a -n "$(grep -- "-i: expected" <<<"$out")"
# sum of the histogram equals the transaction count
[[ -s $KB_TMP/rr.json ]] && cp "$KB_TMP/rr.json" "$KB_TMP/rrhist.json" && \
	check rrhist "sum(b[2] for b in r['hist_ns'])==r['transactions']"

# a client with no server: fails (non-zero), does not hang
timeout 30 ip netns exec "$B" "$PERF" --kernel -c 10.201.0.1:5999 -t rr -d 1 >"$KB_TMP/nosrv.log" 2>&1
rc=$?
kb_check "no server: client fails (rc=$rc)" test $rc -eq 1

# a peer that never answers (no host at that address): every flow counted
timeout 30 ip netns exec "$B" "$PERF" --kernel -c 10.201.0.9 -t rr -P 2 -d 2 --json \
	>"$KB_TMP/noans.json" 2>/dev/null
rc=$?
kb_check "unanswered peer: rc=$rc, both flows are errors" python3 -c \
	"import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['errors']==2 and r['transactions']==0 else 1)" \
	"$KB_TMP/noans.json"

kill -TERM "$KB_LAST_PID" 2>/dev/null
kb_wait_for 10 grep -q '^kbperf: server done' "$KB_TMP/srv.log"
kb_check "server reports totals" grep -q '^kbperf: server done: [1-9]' "$KB_TMP/srv.log"
kb_done
