#!/usr/bin/env bash
# kbswitch (sw2) on conf/forward_script.bess with two dpdk-testpmd VMs
# (net_virtio_user, rxonly, frames sent with "start tx_first N"): exact
# counts of broadcast frames (through the Replicate to both VMs, the sender
# included, as BESS's forward script does), unicast frames (to one VM only)
# and frames to an unknown MAC (dropped, counted as L2Forward misses).
# timeout: 200
# asan: yes
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/sw2/kbswitch
CTL=$KB_BIN/src/switch/sw2/kbctl
C=$KB_TMP/ctl
PFX=sw2t$KB_ID
command -v dpdk-testpmd >/dev/null || { kb_fail "dpdk-testpmd missing (apt-get install dpdk)"; kb_done; }
kb_on_exit "rm -rf /var/run/dpdk/$PFX /var/run/dpdk/${PFX}1 /var/run/dpdk/${PFX}2"

KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock \
	kb_bg "$KB_TMP/sw.log" timeout 180 "$SW" --no-pci $(kb_eal_mem vhost 256) --file-prefix "$PFX" \
	-- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$C"
SWPID=$KB_LAST_PID
kb_wait_log 60 "$KB_TMP/sw.log" '^kbswitch: running' || { kb_fail "switch did not start"; cat "$KB_TMP/sw.log"; kb_done; }

# vm N MAC PEER: a testpmd VM reading commands from a FIFO on fd 7+N.
vm() {
	local n=$1 fifo=$KB_TMP/vm$1.in
	mkfifo "$fifo"
	# read-write: the open does not wait for a reader; testpmd reads it
	eval "exec $((7 + n))<>'$fifo'"
	# not kb_bg: a background job's stdin is /dev/null unless redirected on it
	timeout 150 stdbuf -oL dpdk-testpmd --lcores "0@$((n - 1)),1@$((n - 1))" --no-pci \
		$(kb_eal_mem virtio 256 | sed 's/ --single-file-segments//') --single-file-segments \
		--file-prefix "$PFX$n" --vdev "net_virtio_user0,path=$KB_TMP/vm$n.sock,mac=$2,queues=1" \
		-- -i --nb-cores 1 --total-num-mbufs 4096 --forward-mode rxonly --burst 16 \
		--eth-peer "0,$3" <&$((7 + n)) >"$KB_TMP/vm$n.log" 2>&1 &
	kb_track_pid $!
}
cmd() { echo "$2" >&$((7 + $1)); }
# rx N: the VM's RX-packets from a fresh "show port stats 0"
rx() {
	local before
	before=$(grep -c 'RX-packets' "$KB_TMP/vm$1.log")
	cmd "$1" "show port stats 0"
	kb_wait_for 10 bash -c "test \$(grep -c 'RX-packets' '$KB_TMP/vm$1.log') -gt $before" || return 1
	grep 'RX-packets' "$KB_TMP/vm$1.log" | tail -n 1 | awk '{print $2}'
}

vm 1 02:00:00:00:00:01 ff:ff:ff:ff:ff:ff
vm 2 02:00:00:00:00:02 02:00:00:00:00:01
for n in 1 2; do
	kb_wait_log 60 "$KB_TMP/vm$n.log" 'testpmd>' || { kb_fail "VM $n did not start"; tail "$KB_TMP/vm$n.log"; kb_done; }
	cmd $n "start"
done
# both virtio ports connected: the switch sees both links up
kb_wait_for 30 bash -c "'$CTL' --ctl '$C' show port | grep -c 'link up' | grep -qx 2" ||
	{ kb_fail "the switch did not see both VMs"; tail -n 8 "$KB_TMP/vm1.log" "$KB_TMP/vm2.log"; "$CTL" --ctl "$C" show port; }

wait_rx() {   # N COUNT: VM N's RX-packets reaches COUNT (and stays there)
	local n=$1 want=$2 got deadline=$((SECONDS + 30))
	while (( SECONDS < deadline )); do
		got=$(rx "$n")
		[[ $got == "$want" ]] && { sleep 0.5; got=$(rx "$n"); break; }
		sleep 0.3
	done
	echo "$got"
}

# 4 bursts of 16 broadcast frames from VM 1 (stop/start tx_first: rxonly
# then sends exactly N bursts before it only receives).
cmd 1 "stop"; cmd 1 "start tx_first 4"
got=$(wait_rx 2 64); kb_check "broadcast reached VM 2 (64), got $got" test "$got" = 64
got=$(wait_rx 1 64); kb_check "broadcast came back to VM 1 too (64), got $got" test "$got" = 64
# 2 bursts of unicast from VM 2 to VM 1
cmd 2 "stop"; cmd 2 "start tx_first 2"
got=$(wait_rx 1 96); kb_check "unicast reached VM 1 (64 + 32), got $got" test "$got" = 96
got=$(wait_rx 2 64); kb_check "unicast did not reach VM 2 (still 64), got $got" test "$got" = 64
# 1 burst to a MAC no VM has
cmd 2 "stop"; cmd 2 "set eth-peer 0 02:00:00:00:00:77"; cmd 2 "start tx_first 1"
kb_check "unknown MAC: counted as 16 misses" \
	kb_wait_for 30 bash -c "'$CTL' --ctl '$C' show module | grep -q 'miss_drops=16 '"
got=$(wait_rx 1 96); kb_check "unknown MAC: VM 1 got nothing more (96), got $got" test "$got" = 96

for n in 1 2; do cmd $n "stop"; cmd $n "quit"; eval "exec $((7 + n))>&-"; done
kb_wait_for 30 bash -c "! pgrep -f 'file-prefix $PFX[12]' >/dev/null"
kill -TERM "$SWPID"; wait "$SWPID"; rc=$?
kb_check "switch exits 0 on SIGTERM" test $rc -eq 0
kb_check "no tx drops at the switch" bash -c "! grep -qE 'tx_drops=[1-9]' '$KB_TMP/sw.log'"
kb_done
