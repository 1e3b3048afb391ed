#!/usr/bin/env bash
# kbswitch through net_pcap ports: L2Forward (unicast, broadcast through
# Replicate, miss, runt, a 9000 B multi-segment frame, an entry to an
# unconnected gate), then delete + set_default_gate; output pcaps compared
# with the expected frames byte for byte, drop counters checked.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
$PY -c 'import scapy' || { kb_fail "missing: python3 module scapy (apt-get install python3-scapy)"; kb_done; }
kb_on_exit "rm -rf /var/run/dpdk/kbswp$KB_ID"

# run_case NAME SCENARIO EXTRA_SCRIPT_LINES [LCORES]
run_case() {
	local name=$1 scen=$2 extra=$3 lcores=${4:-0} d=$KB_TMP/$1
	mkdir -p "$d"
	$PY "$KB_ROOT/tests/integration/switch_pcap.py" gen "$scen" "$d" ||
		{ kb_fail "$name: cannot generate frames"; return; }
	cat >"$d/s.bess" <<EOS
pa = PMDPort(vdev='net_pcap0,rx_pcap=$d/in.pcap,tx_pcap=$d/got_a.pcap')
pb = PMDPort(vdev='net_pcap1,rx_pcap=$d/empty.pcap,tx_pcap=$d/got_b.pcap')
inp::QueueInc(port=pa, qid=0)
oa::QueueOut(port=pa, qid=0)
ob::QueueOut(port=pb, qid=0)
l2::L2Forward(size=64, bucket=4)
l2.add(entries=[{'addr': '02:00:00:00:00:0a', 'gate': 0},
                {'addr': '02:00:00:00:00:0b', 'gate': 1},
                {'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2},
                {'addr': '02:00:00:00:00:0c', 'gate': 5}])
rep::Replicate(gates=[0, 1])
inp -> l2
l2:0 -> oa
l2:1 -> ob
l2:2 -> rep
rep:0 -> oa
rep:1 -> ob
$extra
EOS
	kb_bg "$d/sw.log" timeout 60 "$SW" $(kb_eal_mem vhost 128) --no-pci -l "$lcores" \
		--file-prefix=kbswp$KB_ID -- -f "$d/s.bess" --ctl "$d/ctl"
	local pid=$KB_LAST_PID
	if ! kb_wait_for 30 bash -c "'$KBCTL' --ctl '$d/ctl' show pipeline | grep -q 'inp:0 -> 0:l2 pkts=8 '"; then
		kb_fail "$name: the switch did not take the 8 input frames"
		tail -20 "$d/sw.log"
		return
	fi
	kill -INT "$pid"
	kb_wait_for 20 bash -c "! kill -0 $pid"
	wait "$pid"
	kb_check "$name: clean exit on SIGINT" test $? -eq 0
	for p in a b; do
		if $PY "$KB_ROOT/tests/integration/switch_pcap.py" cmp "$d/want_$p.pcap" "$d/got_$p.pcap" 2>&1; then
			kb_pass "$name: port $p frames byte for byte"
		else
			kb_fail "$name: port $p frames differ"
		fi
	done
	grep -q '^kbswitch: stopping; statistics' "$d/sw.log" && kb_pass "$name: statistics printed" ||
		kb_fail "$name: no statistics at exit"
	L2=$(grep '^l2::L2Forward' "$d/sw.log")
	echo "  $L2"
}

run_case forward forward ""
echo "$L2" | grep -q 'drops=3 .*misses=1 runts=1' &&
	kb_pass "forward: miss, runt and unconnected gate counted (drops=3 misses=1 runts=1)" ||
	kb_fail "forward: drop counters wrong: $L2"

run_case default default "l2.delete(addrs=['02:00:00:00:00:0a'])
l2.set_default_gate(gate=1)"
echo "$L2" | grep -q 'drops=2 .*misses=0 runts=1' &&
	kb_pass "default: deleted entry and miss took the default gate (drops=2 misses=0 runts=1)" ||
	kb_fail "default: drop counters wrong: $L2"
# The same through a second worker on lcore 1 (bess.add_worker + attach_task).
run_case worker forward "bess.add_worker(wid=1, core=1)
inp.attach_task(wid=1)" 0,1
echo "$L2" | grep -q 'drops=3 .*misses=1 runts=1' &&
	kb_pass "worker: same counters from worker 1" || kb_fail "worker: drop counters wrong: $L2"
grep -q '^worker 1 core=1 tasks=1 ' "$KB_TMP/worker/sw.log" &&
	kb_pass "worker: the task ran on worker 1, core 1" || kb_fail "worker: task not on worker 1"
kb_done
