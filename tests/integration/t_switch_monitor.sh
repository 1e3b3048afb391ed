#!/usr/bin/env bash
# kbctl monitor port|pipeline -n 2: a net_pcap port replaying one 100-byte
# frame forever (infinite_rx) into PortInc -> PortOut (tx to /dev/null).  Each
# interval's rates times its length add up to no more than the counters moved
# across the whole run (and to more than 0), and Mbit/s is pps x 800 bits.
# timeout: 90
# asan: yes
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
KBCTL=$KB_BIN/src/switch/kbctl
CTL=$KB_TMP/ctl
$PY -c 'import scapy' 2>/dev/null || { kb_fail "python3-scapy missing"; kb_done; }
$PY -c "
from scapy.all import Ether, Raw, wrpcap
wrpcap('$KB_TMP/one.pcap', [Ether(dst='02:00:00:00:00:01', src='02:00:00:00:00:02', type=0x88b5) / Raw(bytes(86))], linktype=1)"
cat >"$KB_TMP/s.bess" <<EOS
p = PMDPort(vdev='net_pcap0,rx_pcap=$KB_TMP/one.pcap,infinite_rx=1,tx_pcap=/dev/null')
inp::PortInc(port=p)
inp -> PortOut(port=p)
EOS
kb_switch "$KB_TMP/sw.log" kbmon "$KB_TMP/s.bess" "$CTL" || { kb_fail "switch did not start"; kb_done; }

# check KIND BEFORE AFTER MONITOR_OUTPUT: python does the arithmetic.
check() {
	$PY - "$@" <<'EOF'
import re, sys
kind, before, after, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
text = open(path).read()
dts = [float(x) for x in re.findall(r"interval ([0-9.]+) s", text)]
if kind == "port":
    rows = [l.split() for l in text.splitlines() if l.startswith("  p ")]
    pps = [float(r[1]) for r in rows]; mbps = [float(r[2]) for r in rows]
else:
    rows = [l.split() for l in text.splitlines() if l.startswith("  inp:0->0:")]
    pps = [float(r[1]) for r in rows]; mbps = [float(r[2]) for r in rows]
ok = len(dts) == 2 and len(pps) == 2
moved = sum(p * d for p, d in zip(pps, dts)) if ok else 0
ok = ok and 0 < moved <= (after - before) + 2 * len(pps)
ok = ok and all(abs(m - p * 800 / 1e6) <= 0.002 + 1e-4 * m for p, m in zip(pps, mbps))
print("%s: intervals %s s, pps %s, Mbps %s; rates x time = %.0f of %d counted" % (
    kind, dts, pps, mbps, moved, after - before))
sys.exit(0 if ok else 1)
EOF
}
rx() { "$KBCTL" --ctl "$CTL" show port | sed -n 's/.* rx_pkts=\([0-9]*\) .*/\1/p'; }
gate() { "$KBCTL" --ctl "$CTL" show pipeline | sed -n 's/^  inp:0 -> 0:.* pkts=\([0-9]*\) .*/\1/p'; }

b=$(rx); "$KBCTL" --ctl "$CTL" monitor port -n 2 >"$KB_TMP/mon_port" 2>&1; rc=$?; a=$(rx)
cat "$KB_TMP/mon_port" | sed 's/^/  /'
kb_check "monitor port -n 2: exit 0" test $rc -eq 0
kb_check "monitor port: rates x time within the counters moved, Mbps = pps x 800 bits" check port "$b" "$a" "$KB_TMP/mon_port"
b=$(gate); "$KBCTL" --ctl "$CTL" monitor pipeline -n 2 >"$KB_TMP/mon_pl" 2>&1; rc=$?; a=$(gate)
cat "$KB_TMP/mon_pl" | sed 's/^/  /'
kb_check "monitor pipeline -n 2: exit 0" test $rc -eq 0
kb_check "monitor pipeline: rates x time within the counters moved, Mbps = pps x 800 bits" check pipeline "$b" "$a" "$KB_TMP/mon_pl"
"$KBCTL" --ctl "$CTL" monitor port >"$KB_TMP/mon_int" 2>&1 &
MON=$!
kb_wait_for 10 grep -q '^  p ' "$KB_TMP/mon_int"
kill -INT $MON; kb_wait_for 10 bash -c "! kill -0 $MON"; wait $MON; rc=$?
kb_check "monitor port until Ctrl-C: exit 0 after $(grep -c '^  p ' "$KB_TMP/mon_int") interval(s)" test $rc -eq 0
kb_check "monitor without port|pipeline: usage, exit 2" bash -c "'$KBCTL' --ctl '$CTL' monitor 2>/dev/null; test \$? -eq 2"
kb_check "monitor --help" bash -c "'$KBCTL' monitor --help | grep -q 'usage: kbctl monitor port|pipeline'"
kb_switch_stop
kb_check "switch exits 0" test $? -eq 0
kb_done
