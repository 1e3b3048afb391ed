#!/usr/bin/env bash
# kbswitch (sw2): script errors through the real binary: exit status 2, the
# exact file:line:col message, and no port opened (the vhost socket the
# script names never appears, nor the control socket).  Also --help of
# kbswitch and kbctl.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/sw2/kbswitch
CTL=$KB_BIN/src/switch/sw2/kbctl
S=$KB_TMP/s.bess
SOCK=$KB_TMP/vm.sock

# expect_err NAME 'LINE:COL: MESSAGE' < script: the switch must refuse it.
expect_err() {
	local name=$1 want=$2
	cat >"$S"
	local out rc
	out=$(timeout 30 "$SW" --no-pci --no-huge -m 64 --no-shconf --file-prefix "sw2s$KB_ID" \
		-- -f "$S" --ctl "$KB_TMP/ctl" 2>&1)
	rc=$?
	if [[ $rc -eq 2 && $out == "kbswitch: $S:$want" && ! -e $SOCK && ! -e $KB_TMP/ctl ]]; then
		kb_pass "$name"
	else
		kb_fail "$name: rc=$rc, got '$out', wanted 'kbswitch: $S:$want'"
	fi
}

PORT="p = PMDPort(vdev='net_vhost0,iface=$SOCK')"

expect_err "unknown module" "2:1: unknown module class 'Bogus' (expected PMDPort, QueueInc, QueueOut, PortInc, PortOut, L2Forward, Replicate, Merge, Sink or Source)" <<END
$PORT
x::Bogus()
END
expect_err "unknown argument" "2:26: unknown argument 'qidd' to QueueInc (expected port, qid)" <<END
$PORT
q::QueueInc(port=p, qidd=0)
END
expect_err "queue claimed twice" "3:25: incoming queue 0 of port 'p' is already used by 'a'" <<END
$PORT
a::QueueInc(port=p, qid=0)
b::QueueInc(port=p, qid=0)
END
expect_err "queue out of range" "2:25: 'qid' must be in [0, 0], got 1" <<END
$PORT
o::QueueOut(port=p, qid=1)
END
expect_err "gate used twice" "4:3: output gate a:0 is already connected (to 'sink0')" <<END
$PORT
a::QueueInc(port=p, qid=0)
a -> Sink()
a -> Sink()
END
expect_err "gate of a module without outputs" "4:8: Sink 's' has no output gate; gate 0 is out of range" <<END
$PORT
a::QueueInc(port=p, qid=0)
s::Sink()
a -> s -> Merge()
END
expect_err "input gate of a source" "3:9: QueueInc 'a' has no input gate; gate 0 is out of range" <<END
$PORT
a::QueueInc(port=p, qid=0)
Merge() -> a
END
expect_err "unknown command" "3:4: unknown command 'bogus' of L2Forward 'l2' (expected add, delete, set_default_gate, lookup)" <<END
$PORT
l2::L2Forward()
l2.bogus(x=1)
END
expect_err "size not a power of two" "2:20: L2Forward: 'size' must be a power of two, not 1000" <<END
$PORT
l2::L2Forward(size=1000)
END
expect_err "bucket not a power of two" "2:33: L2Forward: 'bucket' must be a power of two, not 3" <<END
$PORT
l2::L2Forward(size=1024, bucket=3)
END
expect_err "queue size not a power of two" "1:$(( ${#PORT} + 13 )): PMDPort: 'size_out_q' must be a power of two, not 100" <<END
p = PMDPort(vdev='net_vhost0,iface=$SOCK', size_out_q=100)
END
expect_err "undefined name" "2:6: undefined name 'nowhere'" <<END
$PORT
p -> nowhere
END
expect_err "bad MAC in an entry" "3:26: L2Forward.add: a MAC address like '02:00:00:00:00:01' is expected" <<END
$PORT
l2::L2Forward()
l2.add(entries=[{'addr': '02:00:00:00:00', 'gate': 0}])
END
expect_err "delete of a MAC not in the table" "3:18: L2Forward.delete: 02:00:00:00:00:05 is not in the table" <<END
$PORT
l2::L2Forward()
l2.delete(addrs=['02:00:00:00:00:05'])
END
expect_err "Replicate gate listed twice" "2:27: Replicate: gate 1 is listed twice" <<END
$PORT
r::Replicate(gates=[0, 1, 1])
END
expect_err "two ports on one device" "2:5: port 'q' opens the same device as 'p'" <<END
$PORT
q = PMDPort(vdev='net_vhost0,iface=$SOCK.2')
END

out=$("$SW" --help 2>&1); rc=$?
kb_check "kbswitch --help" test $rc -eq 0 -a -n "$(grep -- '--pure-poll' <<<"$out")"
"$SW" -- --ctl x >/dev/null 2>&1; rc=$?
kb_check "kbswitch without -f is an error" test $rc -eq 2
out=$("$CTL" --help 2>&1); rc=$?
kb_check "kbctl --help" test $rc -eq 0 -a -n "$(grep -- 'add l2 NAME MAC GATE' <<<"$out")"
"$CTL" --ctl "$KB_TMP/none" show port >/dev/null 2>&1; rc=$?
kb_check "kbctl without a switch fails" test $rc -ne 0
"$CTL" --ctl "$KB_TMP/none" add l2 l2 02:00:00:00:00 1 >/dev/null 2>&1; rc=$?
kb_check "kbctl rejects a bad MAC" test $rc -eq 2
kb_done
