#!/usr/bin/env bash
# t_switch_vhost_hostile: a hostile vhost-user guest on one VhostPort does
# not take kbswitch or its other ports down.  Three VhostPorts: two VM
# processes (kbxfer over virtio-user, vhost_server = yes; kbswitch connects,
# client=1) move 4 MB through the switch while tests/integration/
# vhost_hostile.py attacks the third (server mode: it connects), one
# connection per attack: garbage, oversized payloads, memory tables that
# cannot be mapped, rings outside memory or of a bad size, a frontend that
# never reads its replies (each: the connection closed, proto_errors
# counted), then a live device whose transmit ring lies (loops, next out of
# range, addresses outside memory, 4 GB lengths, receive descriptors, short
# headers: rx_bad counted, every chain handed back; an avail index 1000
# ahead: the device stops) and that works again after reconnecting, then
# TSO frames it sends to itself (it took no TSO: the switch cuts them with
# rte_gso; one with an MSS of 1 is a counted gso_drop; a read-only receive
# buffer then stops that device, tx_bad).  Last it makes its
# kick and call eventfds blocking (it shares their flags with the switch)
# and holds a message cut off halfway: the VMs move 4 MB again, and
# kbswitch stops on SIGINT (exit 0).  Both transfers arrive intact.
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_xfer.sh"
PY=/usr/bin/python3
KBCTL=$KB_BIN/src/switch/kbctl
for b in "$XFER" "$KB_BIN/src/switch/kbswitch" "$KBCTL"; do
	[[ -x $b ]] || { kb_fail "$b not built"; kb_done; }
done

s1=$KB_TMP/vm1.sock s2=$KB_TMP/vm2.sock se=$KB_TMP/evil.sock CTL=$KB_TMP/sw.ctl
cat >"$KB_TMP/sw.bess" <<EOS
vm1 = VhostPort(path='$s1', client=1)
vm2 = VhostPort(path='$s2', client=1)
evil = VhostPort(path='$se')
in1::QueueInc(port=vm1, qid=0)
in2::QueueInc(port=vm2, qid=0)
in3::QueueInc(port=evil, qid=0)
out1::QueueOut(port=vm1, qid=0)
out2::QueueOut(port=vm2, qid=0)
out3::QueueOut(port=evil, qid=0)
l2::L2Forward(size=1024, bucket=4)
l2.add(entries=[{'addr': '02:00:00:00:00:01', 'gate': 0},
                {'addr': '02:00:00:00:00:02', 'gate': 1},
                {'addr': 'ff:ff:ff:ff:ff:ff', 'gate': 2},
                {'addr': '02:00:00:00:00:03', 'gate': 3}])
bcast::Replicate(gates=[0, 1, 2])
in1 -> l2
in2 -> l2
in3 -> l2
l2:0 -> out1
l2:1 -> out2
l2:2 -> bcast
l2:3 -> out3
bcast:0 -> out1
bcast:1 -> out2
bcast:2 -> out3
EOS
kb_switch "$KB_TMP/sw.log" kbvh "$KB_TMP/sw.bess" "$CTL" 256 || { kb_fail "kbswitch did not start"; kb_done; }
SW=$KB_SW_PID

kb_bg "$KB_TMP/evil.log" timeout 140 $PY "$KB_ROOT/tests/integration/vhost_hostile.py" "$se" "$KBCTL" "$CTL" evil
EVIL=$KB_LAST_PID

xfer_vm_conf "$KB_TMP/vm1.conf" "$s1" 10.0.0.1 02:00:00:00:00:01 kbvh
xfer_vm_conf "$KB_TMP/vm2.conf" "$s2" 10.0.0.2 02:00:00:00:00:02 kbvh
if xfer_pair vms "$KB_TMP/vm1.conf" "$KB_TMP/vm2.conf" 10.0.0.1:5001 up 4m; then
	kb_check "the VMs' 4 MB arrive intact meanwhile (rc=$XFER_RC sent='$XFER_SENT' received='$XFER_RECV')" \
		test "$XFER_RC" -eq 0 -a -n "$XFER_SENT" -a "$XFER_SENT" == "$XFER_RECV"
fi

kb_wait_for 100 bash -c "grep -q '^stalled' '$KB_TMP/evil.log' || ! kill -0 $EVIL" ||
	kb_fail "the hostile frontend did not finish"
kb_report_lines "$KB_TMP/evil.log"
kb_check "the hostile frontend ran to its end" grep -q '^stalled' "$KB_TMP/evil.log" ||
	tail -n 20 "$KB_TMP/evil.log"
kb_check "kbswitch still running" kb_alive "$SW"
if XFER_LIMIT=30 xfer_pair vms2 "$KB_TMP/vm1.conf" "$KB_TMP/vm2.conf" 10.0.0.1:5001 down 4m; then
	kb_check "the VMs' 4 MB arrive intact while it blocks its fds (rc=$XFER_RC sent='$XFER_SENT' received='$XFER_RECV')" \
		test "$XFER_RC" -eq 0 -a -n "$XFER_SENT" -a "$XFER_SENT" == "$XFER_RECV"
fi
ports=$("$KBCTL" --ctl "$CTL" show port 2>&1)
vmbad=$(grep -E '^vm[12]::' <<<"$ports" | grep -oE '(rx_bad|rx_nombuf|tx_bad|tx_toobig|proto_errors)=[1-9][0-9]*')
kb_check "the VMs' ports dropped nothing and broke nothing (${vmbad:-no drop counter moved})" \
	test -z "$vmbad" -a "$(grep -cE '^vm[12]::.* rx_pkts=[1-9]' <<<"$ports")" -eq 2

kb_switch_stop; rc=$?
kb_check "kbswitch stops on SIGINT (rc=$rc) with a peer holding half a message" test "$rc" -eq 0
kb_check "its vhost-user socket is removed" test ! -e "$se"
kill "$EVIL" 2>/dev/null
kb_done
