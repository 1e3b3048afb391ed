#!/usr/bin/env bash
# kbctl against a running kbswitch (conf/forward_script.bess, two kbgen VMs):
# show port/module/pipeline; deleting VM2's L2 entry turns VM1's frames into
# counted misses; adding it back delivers them; bad requests fail clearly.
# timeout: 200
# asan: yes
source "$(dirname "$0")/../lib.sh"
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
GEN=$KB_BIN/src/switch/kbgen
CTL=$KB_TMP/ctl
export KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock
M1=02:00:00:00:00:01 M2=02:00:00:00:00:02
kb_on_exit "rm -rf /var/run/dpdk/kbscs$KB_ID /var/run/dpdk/kbsc1$KB_ID /var/run/dpdk/kbsc2$KB_ID"
k() { "$KBCTL" --ctl "$CTL" "$@"; }

kb_bg "$KB_TMP/sw.log" timeout 180 "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
	--file-prefix=kbscs$KB_ID -- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$CTL"
SWPID=$KB_LAST_PID
kb_wait_for 60 bash -c "test -S '$CTL' || ! kill -0 $SWPID" && test -S "$CTL" || { kb_fail "switch did not start"; tail -20 "$KB_TMP/sw.log"; kb_done; }

kb_check "show port lists both vhost ports" bash -c "[[ \$('$KBCTL' --ctl '$CTL' show port | grep -c '::VhostPort port_id=.*path=') == 2 ]]"
kb_check "show module lists L2Forward with 3 entries" bash -c "'$KBCTL' --ctl '$CTL' show module | grep -q '^l2::L2Forward drops=0 .*entries=3 '"
kb_check "show pipeline lists gates with counters" bash -c "'$KBCTL' --ctl '$CTL' show pipeline | grep -q '^  l2:2 -> 0:bcast pkts=0 bytes=0'"
kb_check "del l2: ok" bash -c "[[ \$('$KBCTL' --ctl '$CTL' del l2 l2 $M2) == ok ]]"
kb_check "del l2 again: exit 1, error" bash -c "! '$KBCTL' --ctl '$CTL' del l2 l2 $M2 2>&1 | grep -qv 'error: $M2: address not in the table'; ! '$KBCTL' --ctl '$CTL' del l2 l2 $M2 2>/dev/null"
kb_check "add l2 to a non-L2Forward: exit 1" bash -c "! '$KBCTL' --ctl '$CTL' add l2 in1 $M2 1 2>/dev/null"
kb_check "unknown request: exit 1" bash -c "! '$KBCTL' --ctl '$CTL' show everything 2>/dev/null"
kb_check "no switch there: exit 1 with a hint" bash -c "'$KBCTL' --ctl '$KB_TMP/none' show port 2>&1 | grep -q 'is kbswitch running'; ! '$KBCTL' --ctl '$KB_TMP/none' show port 2>/dev/null"
kb_check "--help" bash -c "'$KBCTL' --help | grep -q 'add l2 NAME MAC GATE' && '$KBCTL' add --help | grep -q 'usage: kbctl add l2'"

vm() { # N LOG ARGS...
	local n=$1 log=$2; shift 2
	local sock mac
	if [[ $n == 1 ]]; then sock=$KB_VM1_SOCK mac=$M1; else sock=$KB_VM2_SOCK mac=$M2; fi
	kb_bg "$log" timeout 80 "$GEN" $(kb_eal_mem virtio 64) --single-file-segments --no-pci -l 1 \
		--file-prefix=kbsc$n$KB_ID --vdev "net_virtio_user0,path=$sock,mac=$mac,queues=1,server=1" -- "$@"
}
links_up() { [[ $(k show port | grep -c 'link=up') == 2 ]]; }
misses() { k show module | sed -n 's/^l2::L2Forward .* misses=\([0-9]*\).*/\1/p'; }

vm 2 "$KB_TMP/vm2.log" --count 0 --expect 30 --seconds 70
VM2=$KB_LAST_PID
vm 1 "$KB_TMP/vm1a.log" --dst $M2 --count 30 --expect 0 --seconds 60 --start-after "$KB_TMP/go" --stop-after "$KB_TMP/next"
VM1=$KB_LAST_PID
kb_wait_for 60 links_up || kb_fail "links up"
touch "$KB_TMP/go"
kb_check "entry deleted: VM1's 30 frames are counted misses" kb_wait_for 30 bash -c "[[ \$('$KBCTL' --ctl '$CTL' show module | sed -n 's/^l2::L2Forward .* misses=\([0-9]*\).*/\1/p') == 30 ]]"
kb_check "add l2 while running: ok" bash -c "[[ \$('$KBCTL' --ctl '$CTL' add l2 l2 $M2 1) == ok ]]"
touch "$KB_TMP/next"
kb_wait_for 30 bash -c "! kill -0 $VM1"
vm 1 "$KB_TMP/vm1b.log" --dst $M2 --count 30 --expect 0 --seconds 60 --start-after "$KB_TMP/go" --stop-after "$KB_TMP/done"
VM1=$KB_LAST_PID
kb_wait_for 60 bash -c "! kill -0 $VM2"
touch "$KB_TMP/done"
kb_wait_for 30 bash -c "! kill -0 $VM1"
grep '^kbgen: tx' "$KB_TMP/vm2.log" | sed 's/^/  /'
kb_check "entry added back: VM2 got the next 30 as unicast" grep -q 'rx_unicast=30 ' "$KB_TMP/vm2.log"
kb_check "misses stayed at 30" test "$(misses)" = 30
kill -TERM $SWPID; kb_wait_for 20 bash -c "! kill -0 $SWPID"; wait $SWPID
kb_check "switch exits 0" test $? -eq 0
kb_done
