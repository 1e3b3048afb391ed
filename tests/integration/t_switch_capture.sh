#!/usr/bin/env bash
# kbctl capture on the seed pipeline (conf/forward_script.bess, its vhost
# ports swapped for net_pcap ones): an input gate fed by two gates (out1 in), an output gate
# (l2:1) and a task's output (in1:0, runt and 9000 B frame included) are
# captured at once; each pcap, read back with scapy and tcpdump, matches the
# frames byte for byte.  Then a reader that stops reading: the switch keeps
# forwarding and counts the copies it could not queue as drops.  Two workers
# (two Sources into a Merge) feeding one captured gate.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
KBCTL=$KB_BIN/src/switch/kbctl
CMP=$KB_ROOT/tests/integration/switch_pcap.py
CTL=$KB_TMP/ctl
D=$KB_TMP
$PY -c 'import scapy' 2>/dev/null || { kb_fail "python3-scapy missing"; kb_done; }
command -v tcpdump >/dev/null || { kb_fail "tcpdump missing (scripts/install-deps.sh)"; kb_done; }
$PY "$CMP" gen forward "$D" || { kb_fail "cannot generate frames"; kb_done; }

# Port 1 reads its frames from a FIFO, so they flow only once the captures
# are on: the writer gives the pcap header at once (net_pcap reads it at
# probe) and the frames when $D/go appears.
mkfifo "$D/fifo"
kb_bg "$D/feed.log" $PY -c "
import os, time, sys
data = open('$D/in.pcap', 'rb').read()
f = open('$D/fifo', 'wb')
f.write(data[:24]); f.flush()
t = time.time() + 60
while not os.path.exists('$D/go') and time.time() < t:
    time.sleep(0.05)
f.write(data[24:]); f.close()
"
# The seed script itself, its two vhost ports swapped for net_pcap ones.
$PY - "$KB_ROOT/conf/forward_script.bess" "$D/s.bess" <<EOF
import re, sys
s = open(sys.argv[1]).read()
for vm, dev in (("vm1", "net_pcap0,rx_pcap=$D/fifo,tx_pcap=$D/got_a.pcap"),
                ("vm2", "net_pcap1,rx_pcap=$D/empty.pcap,tx_pcap=$D/got_b.pcap")):
    s, n = re.subn(r"^%s = VhostPort\(.*?\)\n" % vm, "%s = PMDPort(vdev='%s')\n" % (vm, dev), s,
                   flags=re.S | re.M)
    assert n == 1, vm
open(sys.argv[2], "w").write(s)
EOF
export KB_VM1_MAC=02:00:00:00:00:0a KB_VM2_MAC=02:00:00:00:00:0b
kb_switch "$D/sw.log" kbcap "$D/s.bess" "$CTL" || { kb_fail "switch did not start"; kb_done; }

cap() { # NAME COUNT TARGET...
	local n=$1 c=$2; shift 2
	kb_bg "$D/cap_$n.log" timeout 60 "$KBCTL" --ctl "$CTL" capture "$@" -w "$D/cap_$n.pcap" -c "$c"
	eval "CAP_$n=\$KB_LAST_PID"
	kb_wait_log 20 "$D/cap_$n.log" '^kbctl: capturing' || kb_fail "capture $n did not start: $(cat "$D/cap_$n.log")"
}
cap a 4 out1 in
cap b 1 l2 out 1   # bessctl's order: MODULE DIRECTION GATE
cap in 8 in1:0 out
kb_check "a second capture of a captured gate: refused" bash -c "! '$KBCTL' --ctl '$CTL' capture l2:1 -w '$D/x.pcap' -c 1 2>'$D/x.err' && grep -q 'already being captured' '$D/x.err'"
kb_check "capture of an unconnected gate: refused" bash -c "! '$KBCTL' --ctl '$CTL' capture l2:5 -w '$D/x.pcap' 2>/dev/null"
touch "$D/go"
for n in a b in; do
	eval "pid=\$CAP_$n"
	kb_wait_for 30 bash -c "! kill -0 $pid"
	wait "$pid"; rc=$?
	kb_check "capture $n: exit 0 after its count ($(tail -1 "$D/cap_$n.log"))" test $rc -eq 0
	kb_check "capture $n: no copy dropped" grep -q ' 0 dropped by the switch' "$D/cap_$n.log"
done
kb_switch_stop
kb_check "switch exits 0" test $? -eq 0
match() { # CAPTURE WANT LABEL
	if out=$($PY "$CMP" cmp "$2" "$1" 2>&1); then kb_pass "$3"; else kb_fail "$3: $out"; fi
}
match "$D/cap_a.pcap" "$D/want_a.pcap" "out1 in (fed by l2:0 and bcast:0): the 4 frames byte for byte"
match "$D/cap_a.pcap" "$D/got_a.pcap" "out1 in: the same bytes as port vm1 sent"
$PY -c "
from scapy.all import rdpcap, wrpcap
wrpcap('$D/want_b1.pcap', rdpcap('$D/want_b.pcap')[:1], linktype=1)"
match "$D/cap_b.pcap" "$D/want_b1.pcap" "l2:1: the unicast frame byte for byte"
match "$D/cap_in.pcap" "$D/in.pcap" "in1:0: all 8 input frames (runt, 9000 B) byte for byte"
kb_check "tcpdump reads the capture (4 frames, one of 9000 bytes)" bash -c "[[ \$(tcpdump -r '$D/cap_a.pcap' -nn 2>/dev/null | wc -l) == 4 ]] && tcpdump -r '$D/cap_a.pcap' -nn -e 2>/dev/null | grep -q 'length 9000'"

# A reader that stops reading: Source -> Sink keeps running, copies are dropped and counted.
cat >"$D/src.bess" <<EOS
src::Source(pkt_size=60)
src -> Sink()
EOS
kb_switch "$D/sw2.log" kbcaq "$D/src.bess" "$CTL" || { kb_fail "switch did not start"; kb_done; }
kb_bg "$D/slow.log" "$KBCTL" --ctl "$CTL" capture src -w "$D/slow.pcap"
SLOW=$KB_LAST_PID
kb_wait_log 20 "$D/slow.log" '^kbctl: capturing'
kill -STOP $SLOW
pkts() { "$KBCTL" --ctl "$CTL" show pipeline | sed -n 's/^  src:0 -> 0:sink[0-9]* pkts=\([0-9]*\) .*/\1/p'; }
p1=$(pkts); sleep 1; p2=$(pkts); sleep 1; p3=$(pkts)
kb_check "reader stopped: the switch still forwards ($p1 < $p2 < $p3)" bash -c "(( $p1 < $p2 && $p2 < $p3 ))"
kill -CONT $SLOW; sleep 0.5; kill -INT $SLOW
kb_wait_for 20 bash -c "! kill -0 $SLOW"; wait $SLOW; rc=$?
kb_check "the slow reader ends cleanly on Ctrl-C (rc=$rc)" test $rc -eq 0
kb_check "copies it could not take are counted drops ($(tail -1 "$D/slow.log"))" bash -c "grep -Eq '; [1-9][0-9]* dropped by the switch' '$D/slow.log'"
kb_check "its pcap is readable" bash -c "tcpdump -r '$D/slow.pcap' -nn -c 1 2>/dev/null | grep -q ."
kb_switch_stop
kb_check "switch exits 0" test $? -eq 0

# Two workers feeding one captured gate (the ring's multi-producer side).
cat >"$D/mp.bess" <<EOS
bess.add_worker(wid=1, core=1)
a::Source(pkt_size=60)
b::Source(pkt_size=100)
m::Merge()
a -> m
b -> 1:m
m -> Sink()
b.attach_task(wid=1)
EOS
kb_switch "$D/sw3.log" kbcar "$D/mp.bess" "$CTL" 128 0,1 || { kb_fail "switch did not start"; kb_done; }
# both workers run before the capture starts
kb_wait_for 20 bash -c "'$KBCTL' --ctl '$CTL' show pipeline | grep -q '^  b:0 -> 1:m pkts=[1-9]'"
# sizes PCAP: the frame lengths in PCAP (by hand: scapy takes seconds for 50k frames)
sizes() {
	$PY -c "
import struct, sys
d = open(sys.argv[1], 'rb').read()
o, sizes = 24, set()
while o + 16 <= len(d):
    caplen = struct.unpack_from('<I', d, o + 8)[0]
    sizes.add(caplen); o += 16 + caplen
print(' '.join(map(str, sorted(sizes))) if o == len(d) else 'torn record at %d' % o)" "$1"
}
# Which worker's copies win the free slots of a full ring is up to the
# scheduler on a shared machine: up to 3 one-second captures.
for try in 1 2 3; do
	kb_bg "$D/mp.log" "$KBCTL" --ctl "$CTL" capture m -w "$D/mp.pcap"
	MP=$KB_LAST_PID
	kb_wait_log 20 "$D/mp.log" '^kbctl: capturing'
	sleep 1
	kill -INT $MP; kb_wait_for 20 bash -c "! kill -0 $MP"; wait $MP; rc=$?
	[[ $rc == 0 && $(sizes "$D/mp.pcap") == "60 100" ]] && break
done
kb_check "two workers into one capture: exit 0 on Ctrl-C ($(tail -1 "$D/mp.log"))" test $rc -eq 0
kb_check "the pcap holds whole frames of both sources: $(sizes "$D/mp.pcap") bytes (try $try)" test "$(sizes "$D/mp.pcap")" = "60 100"
kb_switch_stop
kb_check "switch exits 0" test $? -eq 0
kb_done
