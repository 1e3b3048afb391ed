#!/usr/bin/env bash
# kbswitch (sw2): L2Forward, Replicate, default gate and delete semantics
# through net_pcap ports, compared frame by frame, byte for byte.  The input
# also holds a runt (3 B), a 9000 B frame (an mbuf chain), a miss and a
# multicast miss; the counters must account for every dropped frame.
# pcap ports share no memory with another process: --no-huge keeps the
# hugepages for the tests that need them.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/sw2/kbswitch
CTL=$KB_BIN/src/switch/sw2/kbctl
PY=$KB_ROOT/tests/integration/lib_switch_sw2_pcap.py
PFX=sw2p$KB_ID
kb_on_exit "rm -rf /var/run/dpdk/$PFX"
python3 "$PY" gen "$KB_TMP" || { kb_fail "cannot write the input pcap"; kb_done; }

# run_case CASE 'EXTRA SCRIPT LINES'
run_case() {
	local c=$1 extra=$2 d=$KB_TMP/$1
	mkdir -p "$d"
	cat >"$d/s.bess" <<END
p0 = PMDPort(vdev='net_pcap0,rx_pcap=$KB_TMP/in.pcap,tx_pcap=$d/out0.pcap')
p1 = PMDPort(vdev='net_pcap1,rx_pcap=$KB_TMP/empty.pcap,tx_pcap=$d/out1.pcap')
in0::QueueInc(port=p0, qid=0)
in1::QueueInc(port=p1, qid=0)
out0::QueueOut(port=p0, qid=0)
out1::QueueOut(port=p1, qid=0)
l2::L2Forward(size=1024, bucket=4)
l2.add(entries=[{'addr': '02:00:00:00:00:01', 'gate': 0},
                {'addr': '02:00:00:00:00:02', 'gate': 1},
                {'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2}])
bcast::Replicate(gates=[0, 1])
in0 -> l2
in1 -> l2
l2:0 -> out0
l2:1 -> out1
l2:2 -> bcast
bcast:0 -> out0
bcast:1 -> out1
$extra
END
	kb_bg "$d/sw.log" timeout 60 "$SW" --no-pci --no-huge -m 128 --no-shconf --file-prefix "$PFX" -l 0 \
		-- -f "$d/s.bess" --ctl "$d/ctl"
	local pid=$KB_LAST_PID
	# The pcap port replays its file once; wait until all 8 frames were read.
	if ! kb_wait_for 40 bash -c "'$CTL' --ctl '$d/ctl' show module | grep -q 'module in0 (QueueInc).* pkts=8 '"; then
		kb_fail "$c: the switch did not read 8 frames"; cat "$d/sw.log"; return
	fi
	"$CTL" --ctl "$d/ctl" show module >"$d/show.txt" 2>&1
	kill -INT "$pid"
	wait "$pid"
	local rc=$?
	kb_check "$c: switch exits 0 on SIGINT" test $rc -eq 0
	kb_check "$c: statistics printed at exit" grep -q '^module l2 (L2Forward)' "$d/sw.log"
	kb_check "$c: control socket removed" test ! -e "$d/ctl"
	kb_check "$c: port 0 frames byte for byte" python3 "$PY" cmp "$d/out0.pcap" "$c" 0
	kb_check "$c: port 1 frames byte for byte" python3 "$PY" cmp "$d/out1.pcap" "$c" 1
	SHOW=$d/show.txt
}

counter() { grep -oE "$1=[0-9]+" "$SHOW" | head -n 1 | cut -d= -f2; }

run_case forward ""
kb_check "forward: runt counted (1)" test "$(counter runts)" = 1
kb_check "forward: misses counted (2)" test "$(counter miss_drops)" = 2
kb_check "forward: gate counters (l2:2 -> bcast 1 pkt)" grep -q 'l2:2 -> 0:bcast pkts=1 bytes=60' "$SHOW"

run_case default "l2.set_default_gate(gate=1)"
kb_check "default: nothing dropped as a miss" test "$(counter miss_drops)" = 0

run_case delete "l2.delete(addrs=['02:00:00:00:00:02'])"
kb_check "delete: the deleted MAC's frames are misses (2+2)" test "$(counter miss_drops)" = 4

# A gate nobody listens to: frames are dropped and counted on the module.
run_case unconnected "l2.add(entries=[{'addr': '02:00:00:00:00:07', 'gate': 5}])"
kb_check "unconnected gate: the frame is counted as dropped" \
	grep -q 'module l2 (L2Forward): drop_unconnected=1 ' "$SHOW"
kb_done
