#!/usr/bin/env bash
# Hostile control clients and servers (issue 11, items 2, 3, 5, 7, 10, 12):
# kbswitch survives clients that hang up before their reply, send endless
# lines or flood it with connections, and serves others meanwhile; --ctl
# removes only a stale socket; kbctl refuses extra words, times out against
# a silent server, and exits 1 with a message on a hang-up or any malformed
# reply (64 MB of garbage included) instead of printing it.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
H=$KB_ROOT/tests/integration/ctl_hostile.py
CTL=$KB_TMP/ctl
M=02:00:00:00:00:01
kb_on_exit "rm -rf /var/run/dpdk/kbch$KB_ID /var/run/dpdk/kbci$KB_ID"
$PY -c 'import scapy' 2>/dev/null || { kb_fail "python3-scapy missing"; kb_done; }
$PY -c "from scapy.all import PcapWriter; PcapWriter('$KB_TMP/empty.pcap', linktype=1).close()"

# switch NAME CTL PREFIX: a quiet pipeline (an empty net_pcap input).
switch() {
	cat >"$KB_TMP/$1.bess" <<EOS
p = PMDPort(vdev='net_pcap0,rx_pcap=$KB_TMP/empty.pcap,tx_pcap=$KB_TMP/$1.out.pcap')
inp::QueueInc(port=p, qid=0)
l2::L2Forward(size=64, bucket=4)
inp -> l2 -> QueueOut(port=p, qid=0)
EOS
	kb_bg "$KB_TMP/$1.log" timeout 100 "$SW" $(kb_eal_mem vhost 64) --no-pci -l 0 \
		--file-prefix=$3$KB_ID -- -f "$KB_TMP/$1.bess" --ctl "$2"
}
k() { "$KBCTL" --ctl "$CTL" "$@"; }

# --ctl on a regular file: refused, the file kept (before: unlinked).
echo "precious" >"$KB_TMP/file"
switch file "$KB_TMP/file" kbch
kb_wait_for 30 bash -c "! kill -0 $KB_LAST_PID"
wait $KB_LAST_PID; rc=$?
kb_check "--ctl on a regular file: exit 1 at once (rc=$rc)" test $rc -eq 1
kb_check "--ctl on a regular file: the file is untouched" grep -qx precious "$KB_TMP/file"
kb_check "--ctl on a regular file: says why" grep -q 'exists and is not a socket' "$KB_TMP/file.log"

# A stale socket (bound, nobody listening) is replaced.
$PY -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$CTL')"
switch main "$CTL" kbch
SWPID=$KB_LAST_PID
kb_wait_for 60 bash -c "'$KBCTL' --ctl '$CTL' show port >/dev/null 2>&1 || ! kill -0 $SWPID"
kb_check "stale socket replaced: the switch answers" bash -c "'$KBCTL' --ctl '$CTL' show module | grep -q '^l2::L2Forward'" || {
	tail -20 "$KB_TMP/main.log"; kb_done; }

# A second switch on a live socket: refused; the first keeps answering.
switch second "$CTL" kbci
kb_wait_for 30 bash -c "! kill -0 $KB_LAST_PID"
wait $KB_LAST_PID; rc=$?
kb_check "live socket: a second switch exits 1 (rc=$rc)" test $rc -eq 1
kb_check "live socket: the second says why" grep -q 'another kbswitch answers on it' "$KB_TMP/second.log"
kb_check "live socket: the first still answers" bash -c "'$KBCTL' --ctl '$CTL' show port | grep -q '::PMDPort'"

# Item 2: clients that hang up before their reply (FIN and RST).
$PY "$H" hangup "$CTL" 40 >/dev/null
kb_check "40 clients hung up before their reply: the switch lives" kb_alive $SWPID
kb_check "... and answers" bash -c "'$KBCTL' --ctl '$CTL' show pipeline | grep -q 'inp:0 -> 0:l2'"

# Server bounds: an endless line, a connection flood, silent clients.
kb_check "1 MB request line: refused with a message" bash -c "$PY '$H' longline '$CTL' | grep -q 'error: request longer than 4095 bytes'"
kb_bg "$KB_TMP/flood.log" $PY "$H" flood "$CTL" 20 4
FLOOD=$KB_LAST_PID
kb_wait_log 10 "$KB_TMP/flood.log" '^held'
kb_check "20 silent clients: 4 over the limit of 16 refused" grep -qx 'refused 4' "$KB_TMP/flood.log"
kb_check "while 16 are held: a 17th gets 'too many', exit 1" bash -c "'$KBCTL' --ctl '$CTL' -t 2 show port 2>&1 | grep -q 'too many control clients'; ! '$KBCTL' --ctl '$CTL' -t 2 show port >/dev/null 2>&1"
kill $FLOOD; wait $FLOOD 2>/dev/null
kb_bg "$KB_TMP/flood2.log" $PY "$H" flood "$CTL" 3 10
FLOOD=$KB_LAST_PID
kb_wait_log 10 "$KB_TMP/flood2.log" '^held'
kb_check "3 silent clients do not delay a 4th (-t 1)" bash -c "'$KBCTL' --ctl '$CTL' -t 1 show port >/dev/null"
kill $FLOOD; wait $FLOOD 2>/dev/null

# Item 10: extra words are refused, by kbctl and by the switch.
kb_check "add l2 with an extra word: exit 2" bash -c "'$KBCTL' --ctl '$CTL' add l2 l2 $M 0 extra 2>&1 | grep -q 'expected 4 words'; test \${PIPESTATUS[0]} -eq 2"
kb_check "the switch refuses it too" bash -c "$PY '$H' request '$CTL' 'add l2 l2 $M 0 extra' | grep -q '^KBCTL error'"
kb_check "command module with an extra word: exit 1" bash -c "! '$KBCTL' --ctl '$CTL' command module l2 add $M 0 extra 2>/dev/null"
kb_check "a NUL inside a request: refused" bash -c "$PY -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('$CTL'); s.sendall(b'show port\\x00junk\\n'); print(s.recv(4096).decode())\" | grep -q 'error: a NUL byte in the request'"
kb_check "capture requests with a bad direction or gate: refused" bash -c "$PY '$H' request '$CTL' 'capture l2 sideways 0' | grep -q \"expected 'capture MODULE in|out GATE'\" && $PY '$H' request '$CTL' 'capture l2 out 99' | grep -q 'gate 99 out of range' && $PY '$H' request '$CTL' 'capture nope out 0' | grep -q \"no module 'nope'\""
kb_check "kbctl capture l2:99: usage, exit 2" bash -c "'$KBCTL' --ctl '$CTL' capture l2:99 -w '$KB_TMP/c.pcap' 2>/dev/null; test \$? -eq 2"
kb_check "nothing was added" bash -c "'$KBCTL' --ctl '$CTL' show module | grep -q 'entries=0 '"
kb_check "command module l2 add, lookup, delete" bash -c "[[ \$('$KBCTL' --ctl '$CTL' command module l2 add $M 3) == ok && \$('$KBCTL' --ctl '$CTL' command module l2 lookup $M) == 3 && \$('$KBCTL' --ctl '$CTL' command module l2 delete $M) == ok ]]"
kb_check "command module NAME lists its commands" bash -c "'$KBCTL' --ctl '$CTL' command module l2 | grep -q 'command module l2 set_default_gate GATE'"

# Items 3, 5, 12: kbctl against fake servers.
fake() { # MODE: start a fake server on $KB_TMP/fake.MODE
	kb_bg "$KB_TMP/fake.$1.log" $PY "$H" server "$1" "$KB_TMP/fake.$1"
	kb_wait_for 10 test -S "$KB_TMP/fake.$1"
}
# kbctl_vs MODE PATTERN [kbctl options]: exit 1 (not 0, not a signal), PATTERN on stderr, empty stdout.
kbctl_vs() {
	local mode=$1 pat=$2; shift 2
	fake "$mode"
	timeout 30 "$KBCTL" --ctl "$KB_TMP/fake.$mode" "$@" show port >"$KB_TMP/out.$mode" 2>"$KB_TMP/err.$mode"
	local rc=$?
	if [[ $rc == 1 ]] && grep -q "$pat" "$KB_TMP/err.$mode" && [[ ! -s $KB_TMP/out.$mode ]]; then
		kb_pass "fake server '$mode': exit 1, '$(head -1 "$KB_TMP/err.$mode")'"
	else
		kb_fail "fake server '$mode': rc=$rc (want 1), stderr '$(head -c 200 "$KB_TMP/err.$mode")', stdout $(wc -c <"$KB_TMP/out.$mode") bytes"
	fi
}
kbctl_vs close 'kbctl: .*\(closed\|malformed\)'
kbctl_vs silent 'no reply from .* within 1 s' -t 1
kbctl_vs garbage 'malformed reply'
kbctl_vs short 'malformed reply'
kbctl_vs huge 'malformed reply.*limit is'
kbctl_vs trailing 'bytes after the reply'
timeout 30 "$KBCTL" --ctl "$KB_TMP/fake.silent" show port 2>"$KB_TMP/err.default"; rc=$?
kb_check "silent server, default timeout: exit 1 after 5 s with a message" bash -c "[[ $rc == 1 ]] && grep -q 'within 5 s' '$KB_TMP/err.default'"
fake badstream
timeout 30 "$KBCTL" --ctl "$KB_TMP/fake.badstream" capture l2 -w "$KB_TMP/bad.pcap" 2>"$KB_TMP/err.bs"; rc=$?
kb_check "capture stream with an unknown chunk: exit 1, malformed" bash -c "[[ $rc == 1 ]] && grep -q 'malformed' '$KB_TMP/err.bs'"

kill -INT $SWPID; kb_wait_for 20 bash -c "! kill -0 $SWPID"; wait $SWPID; rc=$?
kb_check "the switch exits 0 on SIGINT after all that (rc=$rc)" test $rc -eq 0
kb_check "statistics printed" grep -q '^kbswitch: stopping; statistics' "$KB_TMP/main.log"
kb_check "its socket is removed" test ! -e "$CTL"
kb_done
