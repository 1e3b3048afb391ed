#!/usr/bin/env bash
# Two real processes attached as VMs (kbgen on net_virtio_user) to kbswitch
# running conf/forward_script.bess over vhost-user: unicast and broadcast
# (through Replicate) counted exactly; a VM that is down is a counted drop,
# not a hang; a VM that disconnects and reconnects works again; the switch
# exits 0 on SIGTERM.
# timeout: 240
# asan: yes
source "$(dirname "$0")/../lib.sh"
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
GEN=$KB_BIN/src/switch/kbgen
CTL=$KB_TMP/ctl
export KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock
M1=02:00:00:00:00:01 M2=02:00:00:00:00:02
kb_on_exit "rm -rf /var/run/dpdk/kbsws$KB_ID /var/run/dpdk/kbsw1$KB_ID /var/run/dpdk/kbsw2$KB_ID"

kb_bg "$KB_TMP/sw.log" timeout 200 "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
	--file-prefix=kbsws$KB_ID -- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$CTL"
SWPID=$KB_LAST_PID
kb_wait_for 60 bash -c "test -S '$CTL' || ! kill -0 $SWPID" && test -S "$CTL" || { kb_fail "switch did not start"; tail -20 "$KB_TMP/sw.log"; kb_done; }

# vm N LOG GEN_ARGS...: a VM in the background (VM N's socket and MAC).
vm() {
	local n=$1 log=$2; shift 2
	local sock mac
	if [[ $n == 1 ]]; then sock=$KB_VM1_SOCK mac=$M1; else sock=$KB_VM2_SOCK mac=$M2; fi
	kb_bg "$log" timeout 60 "$GEN" $(kb_eal_mem virtio 64) --single-file-segments --no-pci -l 1 \
		--file-prefix=kbsw$n$KB_ID --vdev "net_virtio_user0,path=$sock,mac=$mac,queues=1,server=1" -- "$@"
}
field() { sed -n "s/^kbgen:.*[ ]$2=\([0-9]*\).*/\1/p" "$1"; }
links_up() { [[ $("$KBCTL" --ctl "$CTL" show port | grep -c 'link=up') == "$1" ]]; }
# wait_pids PID...: wait for the VMs to finish
wait_pids() { for p in "$@"; do kb_wait_for 60 bash -c "! kill -0 $p"; wait "$p" 2>/dev/null; done; }

# exchange ROUND: VM1 sends 100 unicast to VM2, VM2 50 broadcasts.
exchange() {
	local r=$1 go=$KB_TMP/go$1 done=$KB_TMP/done$1
	# virtio has no tx completion: VM1 stays attached until VM2 has all of
	# its frames, or the switch would find VM1's vring gone.
	vm 1 "$KB_TMP/vm1.$r.log" --dst $M2 --count 100 --expect 50 --seconds 40 --start-after "$go" \
		--stop-after "$done"
	local a=$KB_LAST_PID
	vm 2 "$KB_TMP/vm2.$r.log" --dst ff:ff:ff:ff:ff:ff --count 50 --expect 150 --seconds 40 --start-after "$go"
	local b=$KB_LAST_PID
	if ! kb_wait_for 60 links_up 2; then
		kb_fail "$r: both vhost-user links up"; touch "$go"; wait_pids $a $b; return
	fi
	touch "$go"
	wait_pids $b
	touch "$done"
	wait_pids $a
	local l1=$KB_TMP/vm1.$r.log l2=$KB_TMP/vm2.$r.log
	grep '^kbgen: tx' "$l1" "$l2" | sed 's/^/  /'
	kb_check "$r: VM1 sent 100, VM2 received them as unicast" \
		test "$(field "$l1" tx)" = 100 -a "$(field "$l2" rx_unicast)" = 100
	kb_check "$r: VM2's 50 broadcasts reached both VMs (Replicate)" \
		test "$(field "$l1" rx_broadcast)" = 50 -a "$(field "$l2" rx_broadcast)" = 50
	kb_check "$r: nothing else arrived" test "$(field "$l1" rx_other)$(field "$l2" rx_other)$(field "$l1" rx_unicast)" = 000
}

exchange round1
"$KBCTL" --ctl "$CTL" show module | sed 's/^/  /'
kb_check "round1: no drops in the switch" bash -c "! '$KBCTL' --ctl '$CTL' show module | grep -v ' drops=0' | grep -q ."

# VM1 is gone: VM2's frames to it are counted drops at out1, and nothing hangs.
kb_wait_for 30 bash -c "! '$KBCTL' --ctl '$CTL' show port | grep -q 'vm1.*link=up'"
before=$("$KBCTL" --ctl "$CTL" show module | sed -n 's/^out1::QueueOut drops=\([0-9]*\).*/\1/p')
vm 2 "$KB_TMP/vm2.down.log" --dst $M1 --count 20 --seconds 3
wait_pids $KB_LAST_PID
after=$("$KBCTL" --ctl "$CTL" show module | sed -n 's/^out1::QueueOut drops=\([0-9]*\).*/\1/p')
kb_check "VM1 down: 20 frames to it are counted drops at out1 ($before -> $after)" \
	test $((after - before)) -eq 20
kb_check "VM1 down: the switch still runs" kb_alive $SWPID

exchange round2_reconnected
kill -TERM $SWPID; kb_wait_for 20 bash -c "! kill -0 $SWPID"; wait $SWPID
kb_check "switch exits 0 on SIGTERM, statistics printed" \
	bash -c "test $? -eq 0 && grep -q '^kbswitch: stopping; statistics' '$KB_TMP/sw.log'"
kb_done
