#!/usr/bin/env bash
# The layer through kbswitch (conf/forward_script.bess, L2Forward +
# Replicate): two kbl2test VMs on net_virtio_user, in each mode in turn
# (single, 1kb, 2kb; the switch stays up and the VMs reconnect).  The first
# packet's ARP request is broadcast through Replicate; nothing is lost; every
# flow lands on the core dpdk_rss_core() names on both VMs; no drops anywhere;
# the VMs' idle threads block on net_virtio_user's rx interrupt.
# timeout: 240
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
[[ -x $SW ]] || { kb_fail "kbswitch not built"; kb_done; }
CTL=$KB_TMP/ctl
export KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock
kb_on_exit "rm -rf /var/run/dpdk/kbdls$KB_ID"

kb_bg "$KB_TMP/sw.log" timeout 220 "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
	--file-prefix=kbdls$KB_ID -- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$CTL"
SWPID=$KB_LAST_PID
kb_wait_for 60 test -S "$CTL" || { kb_fail "switch did not start"; tail -20 "$KB_TMP/sw.log"; kb_done; }

no_link_up() { ! "$KBCTL" --ctl "$CTL" show port | grep -q 'link=up'; }

# round MODE CORES COUNT: VM1 (10.0.0.1) echoes, VM2 (10.0.0.2) sends.
round() {
	local mode=$1 nc=$2 count=$3
	# the previous round's VMs must be gone from the switch before new ones
	# connect to the same vhost-user sockets
	kb_wait_for 30 no_link_up || kb_fail "$mode: switch still shows a link up"
	local c1=$KB_TMP/vm1.$mode.conf c2=$KB_TMP/vm2.$mode.conf l1=$KB_TMP/vm1.$mode.log l2=$KB_TMP/vm2.$mode.log
	dl_conf "$c1" "net_virtio_user0,path=$KB_VM1_SOCK,queues=1" 10.0.0.1 02:00:00:00:00:01 "$mode" "$nc" "$PFX_A" "vhost_server = yes"
	dl_conf "$c2" "net_virtio_user0,path=$KB_VM2_SOCK,queues=1" 10.0.0.2 02:00:00:00:00:02 "$mode" "$nc" "$PFX_B" "vhost_server = yes"
	kb_bg "$l1" timeout 100 "$L2T" --conf "$c1" --role echo
	local p1=$KB_LAST_PID
	kb_wait_log 30 "$l1" 'kbl2test: ready' || { kb_fail "$mode: VM1 did not start"; cat "$l1"; return; }
	timeout 90 "$L2T" --conf "$c2" --role send --peer 10.0.0.1 --count "$count" --flows 8 \
		--window 32 --wait 30 >"$l2" 2>&1
	local rc=$?
	kill -TERM "$p1"
	kb_wait_for 20 bash -c "! kill -0 $p1"
	wait "$p1"
	local rc1=$?
	grep -E '^(RESULT|core [0-9]+:)' "$l2" "$l1" | sed 's/^/  /'
	[[ $rc -eq 0 ]] || { echo "---- VM2 ($mode) exited $rc ----"; grep -vE '^(VHOST_CONFIG)' "$l2" | tail -30; }
	local n2=$(grep -c '^core [0-9]*:' "$l2")
	kb_check "$mode: VM2 exits 0 (nothing lost, right cores)" test $rc -eq 0
	kb_check "$mode: all $((count * n2)) echoed back" \
		test "$(dl_result "$l2" recv)" = $((count * n2)) -a "$(dl_result "$l2" sent)" = $((count * n2))
	kb_check "$mode: VM1 exits 0, no packet on a wrong core" \
		test $rc1 -eq 0 -a "$(dl_result "$l1" wrong_core)" = 0
	kb_check "$mode: VM2 resolved VM1 through the switch's Replicate" \
		test "$(dl_stat "$l2" req_tx)" -ge 1 -a "$(dl_stat "$l2" reply_rx)" -ge 1 -a "$(dl_stat "$l1" req_rx)" -ge 1
	local drops=0 f
	for f in rx_ring_full tx_ring_full tx_nobuf tx_noarp tx_dropped nic_tx_dropped hold_dropped rx_malformed; do
		drops=$((drops + $(grep -oE " $f=[0-9]+" "$l1" "$l2" | awk -F= '{s+=$2} END {print s+0}')))
	done
	kb_check "$mode: no drop counter moved in either VM" test "$drops" -eq 0
	kb_check "$mode: both VMs wait on net_virtio_user's rx interrupt (rx_intr=yes)" \
		test "$(grep -c ' rx_intr=yes' "$l1" "$l2" | awk -F: '{s+=$2} END {print s}')" -eq 2
}

round single 1 3000
round 1kb 3 2000
round 2kb 4 2000
"$KBCTL" --ctl "$CTL" show module | sed 's/^/  /'
kb_check "no drops in the switch" bash -c "! '$KBCTL' --ctl '$CTL' show module | grep -v ' drops=0' | grep -q ."
kill -TERM $SWPID; kb_wait_for 20 bash -c "! kill -0 $SWPID"; wait $SWPID
kb_check "switch exits 0 on SIGTERM" test $? -eq 0
kb_done
