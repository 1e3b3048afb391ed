#!/usr/bin/env bash
# kbswitch (sw2) runs conf/forward_script.bess; two real processes attach as
# VMs through vhost-user/virtio-user (the DPDK layer's kbl2test: VM 1
# 10.0.0.1 sends, VM 2 10.0.0.2 echoes).  VM 1 finds VM 2 by ARP (a
# broadcast, through the Replicate) and exchanges unicast UDP; nothing may
# be lost.  Then VM 1 disconnects and a new VM 1 reconnects (the switch and
# VM 2 keep running); kbctl deletes VM 2's MAC (VM 2 becomes unreachable,
# counted as misses) and adds it back (reachable again).
# timeout: 300
# asan: yes
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/sw2/kbswitch
CTL=$KB_BIN/src/switch/sw2/kbctl
L2T=$KB_BIN/src/dpdk/kbl2test
C=$KB_TMP/ctl
PFX=sw2v$KB_ID
kb_on_exit "rm -rf /var/run/dpdk/$PFX /var/run/dpdk/${PFX}a /var/run/dpdk/${PFX}b"

vm_conf() {   # FILE SOCK IP MAC PREFIX
	printf '%s\n' "port = net_virtio_user0,path=$2,queues=1" "ip = $3/24" "mac = $4" \
		"mode = single" "num_cores = 1" "file_prefix = $5" "mem_mb = 96" >"$1"
}
vm_conf "$KB_TMP/vm1.conf" "$KB_TMP/vm1.sock" 10.0.0.1 02:00:00:00:00:01 "${PFX}a"
vm_conf "$KB_TMP/vm2.conf" "$KB_TMP/vm2.sock" 10.0.0.2 02:00:00:00:00:02 "${PFX}b"

KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock \
	kb_bg "$KB_TMP/sw.log" timeout 250 "$SW" --no-pci $(kb_eal_mem vhost 256) --file-prefix "$PFX" \
	-- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$C"
SWPID=$KB_LAST_PID
if ! kb_wait_log 60 "$KB_TMP/sw.log" '^kbswitch: running'; then
	kb_fail "switch did not start"; cat "$KB_TMP/sw.log"; kb_done
fi
kb_check "both vhost sockets exist" test -S "$KB_TMP/vm1.sock" -a -S "$KB_TMP/vm2.sock"

kb_bg "$KB_TMP/vm2.log" timeout 240 "$L2T" --conf "$KB_TMP/vm2.conf" --role echo
VM2=$KB_LAST_PID
if ! kb_wait_log 60 "$KB_TMP/vm2.log" 'kbl2test: ready'; then
	kb_fail "VM 2 did not start"; tail -20 "$KB_TMP/vm2.log"; kb_done
fi

# send NAME COUNT WAIT: VM 1 sends COUNT packets; sets RC, SENT, RECV
send() {
	local log=$KB_TMP/vm1-$1.log
	timeout 120 "$L2T" --conf "$KB_TMP/vm1.conf" --role send --peer 10.0.0.2 --count "$2" \
		--flows 4 --window 32 --wait "$3" >"$log" 2>&1
	RC=$?
	SENT=$(sed -n 's/^RESULT .*[ ]sent=\([0-9]*\).*/\1/p' "$log" | head -n 1)
	RECV=$(sed -n 's/^RESULT .*[ ]recv=\([0-9]*\).*/\1/p' "$log" | head -n 1)
	echo "---- VM 1 ($1): rc=$RC sent=$SENT recv=$RECV"
	grep -E '^(RESULT|arp|kbl2test:)' "$log" | head -5
}
gate() { "$CTL" --ctl "$C" show module | grep -oE "$1 pkts=[0-9]+" | head -n 1 | sed 's/.*pkts=//'; }

send first 3000 30
kb_check "unicast: VM 1 got every echo (sent ${SENT:-?}, recv ${RECV:-?})" \
	test "$RC" -eq 0 -a "${SENT:-0}" -eq 3000 -a "${RECV:--1}" = "${SENT:-0}"
kb_check "broadcast (ARP request) went through the Replicate to VM 2" \
	test "$(gate 'bcast:1 -> 0:out2')" -ge 1
kb_check "unicast both ways through L2Forward" \
	test "$(gate 'l2:1 -> 0:out2')" -ge 3000 -a "$(gate 'l2:0 -> 0:out1')" -ge 3000

send reconnect 1000 30
kb_check "VM 1 reconnects and exchanges again" test "$RC" -eq 0 -a "${RECV:--1}" = "${SENT:-0}"
kb_check "VM 2 and the switch survived the disconnect" bash -c "kill -0 $SWPID && kill -0 $VM2"

"$CTL" --ctl "$C" show port >"$KB_TMP/ports.txt"; cat "$KB_TMP/ports.txt"
kb_check "kbctl show port lists both ports" test "$(grep -c '^port vm[12] ' "$KB_TMP/ports.txt")" -eq 2
kb_check "kbctl show pipeline" bash -c "'$CTL' --ctl '$C' show pipeline | grep -q 'l2:2 -> 0:bcast'"
kb_check "kbctl del l2" "$CTL" --ctl "$C" del l2 l2 02:00:00:00:00:02
send deleted 100 5
kb_check "with VM 2's MAC deleted, VM 2 is unreachable" test "${RECV:-0}" -eq 0 -a "$RC" -ne 0
kb_check "... and the misses are counted" bash -c \
	"'$CTL' --ctl '$C' show module | grep -qE 'module l2 .* miss_drops=[1-9]'"
"$CTL" --ctl "$C" del l2 l2 02:00:00:00:00:02 >"$KB_TMP/del2.txt"; rc=$?
kb_check "kbctl del of a missing MAC fails with a message" \
	bash -c "test $rc -ne 0 && grep -q 'not in the table' '$KB_TMP/del2.txt'"
kb_check "kbctl add l2" "$CTL" --ctl "$C" add l2 l2 02:00:00:00:00:02 1
send readded 1000 30
kb_check "after kbctl add, VM 2 is reachable again" test "$RC" -eq 0 -a "${RECV:--1}" = "${SENT:-0}"

kill -TERM "$VM2"; wait "$VM2" 2>/dev/null
kill -TERM "$SWPID"; wait "$SWPID"; rc=$?
grep -vE '^(EAL|VHOST_CONFIG|TELEMETRY)' "$KB_TMP/sw.log" | tail -20
kb_check "switch exits 0 on SIGTERM" test $rc -eq 0
kb_check "switch printed its statistics" grep -q '^port vm1 ' "$KB_TMP/sw.log"
kb_check "vhost and control sockets removed" \
	test ! -e "$KB_TMP/vm1.sock" -a ! -e "$KB_TMP/vm2.sock" -a ! -e "$C"
kb_done
