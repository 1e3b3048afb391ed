#!/usr/bin/env bash
# t_vm_kill: a VM dies in the middle of a transfer and costs the others
# nothing.  Three VM processes on kbswitch (conf/forward_vms.bess, KB_VMS=3):
# A (10.0.0.1) runs a kbperf server with SO_KEEPALIVE (tcp_keepalive_time 2,
# intvl 1, probes 3), B streams bulk from A, C runs request/response with A.
# C is SIGKILLed: B's transfer goes on (it moves data after the kill; the
# ratio to before is printed, not asserted: timing is noise here), C's port is
# counted down and frames to it are counted drops, A's connection with C ends
# with an error (keep-alive, or the retransmission limit when a response was
# in flight; idle timeout off) instead of hanging, and C
# started again on the same socket reconnects and runs.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
PERF=$KB_BIN/apps/kbperf
for b in "$SW" "$KBCTL" "$PERF"; do [[ -x $b ]] || { kb_fail "$b not built"; kb_done; }; done
CTL=$KB_TMP/ctl
SECS=16       # B's bulk run; C dies at about 5 s

export KB_VMS=3
for k in 1 2 3; do
	export KB_VM${k}_SOCK=$KB_TMP/vm$k.sock
	"$KB_ROOT/scripts/vm-conf.sh" $k "$KB_TMP/vm$k.sock" file_prefix=kbvk$k$KB_ID \
		tcp_timeout=-1 stat_print=yes tcp_keepalive_time=2 tcp_keepalive_intvl=1 \
		tcp_keepalive_probes=3 tcp_retries=4 >"$KB_TMP/vm$k.conf"
done
kb_bg "$KB_TMP/sw.log" timeout 115 "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
	--file-prefix=kbvks$KB_ID -- -f "$KB_ROOT/conf/forward_vms.bess" --ctl "$CTL"
SWPID=$KB_LAST_PID
kb_wait_for 60 test -S "$CTL" || { kb_fail "kbswitch did not start"; tail -n 20 "$KB_TMP/sw.log"; kb_done; }
port() { "$KBCTL" --ctl "$CTL" show port | grep "^vm$1::"; }
out_drops() { "$KBCTL" --ctl "$CTL" show module | sed -n "s/^out$1::QueueOut drops=\([0-9]*\).*/\1/p"; }

kb_bg "$KB_TMP/a.log" timeout 110 "$PERF" -s -k -v -f "$KB_TMP/vm1.conf"
APID=$KB_LAST_PID
kb_wait_log 60 "$KB_TMP/a.log" '^kbperf: listening' || { kb_fail "A did not start"; tail -n 20 "$KB_TMP/a.log"; kb_done; }

# no timeout(1) wrapper: the SIGKILL must hit kbperf itself (the test's own
# limit and lib.sh's cleanup bound it)
kb_bg "$KB_TMP/c.log" "$PERF" -c 10.0.0.1 -t rr -d 90 -f "$KB_TMP/vm3.conf"
CPID=$KB_LAST_PID
c_busy() { (( $(port 3 | sed -n 's/.* rx_pkts=\([0-9]*\).*/\1/p') > 200 )); }
kb_wait_for 60 c_busy || { kb_fail "C's requests do not reach the switch"; tail -n 20 "$KB_TMP/c.log"; kb_done; }

timeout 100 "$PERF" -c 10.0.0.1 -t bulk -d $SECS -i 1 --json -f "$KB_TMP/vm2.conf" \
	>"$KB_TMP/b.json" 2>"$KB_TMP/b.log" &
BPID=$!
kb_track_pid $BPID
t_b=$(date +%s%N)
b_busy() { (( $(port 2 | sed -n 's/.* tx_pkts=\([0-9]*\).*/\1/p') > 1000 )); }
kb_wait_for 60 b_busy || { kb_fail "B's transfer did not start"; kb_done; }
sleep 5
drops0=$(out_drops 3)
kill -KILL "$CPID"
t_kill=$SECONDS
ms=$(( ($(date +%s%N) - t_b) / 1000000 ))
at_kill=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
kb_pass "C SIGKILLed $(grep -o 'kbperf rr.*' "$KB_TMP/c.log" || echo 'mid-run')"

# A learns of it: keep-alive probes go unanswered (2 + 3 x 1 s), or, with a
# response in flight, the retransmissions do (tcp_retries 4)
if kb_wait_for 30 grep -q '^kbperf: connection error' "$KB_TMP/a.log"; then
	kb_pass "A's connection with C ended with an error $((SECONDS - t_kill)) s after the kill: $(grep -m1 '^kbperf: connection error' "$KB_TMP/a.log")"
else
	kb_fail "A's connection with C did not end within 30 s"
fi
kb_check "C's port is down in the switch: $(port 3 | grep -o 'link=[a-z]*')" bash -c "'$KBCTL' --ctl '$CTL' show port | grep '^vm3::' | grep -q link=down"
kb_check "frames to dead C are counted drops at out3 ($drops0 -> $(out_drops 3))" test "$(out_drops 3)" -gt "${drops0:-0}"

# C again, on the same socket (a stale one from the killed process)
timeout 60 "$PERF" -c 10.0.0.1 -t rr -d 2 --json -f "$KB_TMP/vm3.conf" >"$KB_TMP/c2.json" 2>"$KB_TMP/c2.log"
rc=$?
kb_check "C restarted on the same socket reconnects: rr ran (rc=$rc) $(cut -c1-120 "$KB_TMP/c2.json")" \
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['errors']==0 and r['transactions']>10 else 1)" "$KB_TMP/c2.json"

kb_wait_for 80 bash -c "! kill -0 $BPID"
wait "$BPID"
rc=$?
python3 - "$KB_TMP/b.json" "$at_kill" <<'EOF'
import json, sys
iv = json.load(open(sys.argv[1]))["intervals"]
k = float(sys.argv[2])
rate = lambda v: v["bytes"] * 8 / (v["end"] - v["start"]) / 1e9
print("  B's bulk, Gbit/s per 1 s interval (C killed at %.1f s): %s" %
      (k, " ".join("%.2f" % rate(v) for v in iv if v["end"] > v["start"])))
mean = lambda l: sum(l) / len(l) if l else 0
before = [rate(v) for v in iv if v["end"] <= k]
during = [rate(v) for v in iv if v["start"] >= k and v["end"] <= k + 6]
print("  mean before the kill %.2f Gbit/s, in the 6 s after it %.2f (ratio %.2f)" %
      (mean(before), mean(during), mean(during) / mean(before) if mean(before) else 0))
EOF
kb_check "B's bulk from A ran to the end with no error (rc=$rc)" \
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['errors']==0 and r['bytes']>0 else 1)" "$KB_TMP/b.json"
kb_check "B's transfer went on after the kill (data in the intervals after it)" \
	python3 -c "import json,sys; iv=json.load(open(sys.argv[1]))['intervals']; sys.exit(0 if sum(v['bytes'] for v in iv if v['start']>=$at_kill)>0 else 1)" "$KB_TMP/b.json"

kill -TERM "$APID"; kb_wait_for 20 bash -c "! kill -0 $APID"
grep -E '^kbperf: server done|keepalive' "$KB_TMP/a.log" | sed 's/^/  /'
kb_check "A's stack timed the connection out (keep-alive or retransmissions)" \
	test "$(grep -oE ' conn_timeout=[0-9]+' "$KB_TMP/a.log" | head -n 1 | cut -d= -f2)" -ge 1
kb_check "the switch is still up" kb_alive "$SWPID"
kb_done
