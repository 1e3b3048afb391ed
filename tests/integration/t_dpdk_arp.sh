#!/usr/bin/env bash
# ARP in the layer, end to end over vhost-user:
#  1. an unresolvable next hop: requests are broadcast, repeated at most
#     arp_tries times per hold, the held packets dropped and counted; the
#     other VM sees the requests, does not answer and learns nothing.
#  2. a gateway: a packet off our prefix goes to the gateway's MAC (one ARP
#     request, for the gateway), and the gateway VM filters it (not its IP).
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"

ca=$KB_TMP/a.conf cb=$KB_TMP/b.conf la=$KB_TMP/a.log lb=$KB_TMP/b.log

start_a() {
	rm -f "$SOCK"
	dl_conf "$ca" "net_vhost0,iface=$SOCK,queues=1" 10.0.0.2 02:00:00:00:00:02 single 1 "$PFX_A"
	kb_bg "$la" timeout 60 "$L2T" --conf "$ca" --role echo
	APID=$KB_LAST_PID
	kb_wait_log 30 "$la" 'kbl2test: ready' || { kb_fail "A did not start"; cat "$la"; kb_done; }
}
stop_a() {
	kill -TERM "$APID"
	kb_wait_for 20 bash -c "! kill -0 $APID"
	wait "$APID"
	kb_check "$1: A exits 0" test $? -eq 0
}

# 1. nobody has 10.0.0.77
start_a
dl_conf "$cb" "net_virtio_user0,path=$SOCK,queues=1" 10.0.0.1 02:00:00:00:00:01 single 1 "$PFX_B" \
	"arp_retry_ms = 100" "arp_tries = 3"
timeout 30 "$L2T" --conf "$cb" --role send --peer 10.0.0.77 --count 10 --wait 3 >"$lb" 2>&1
rc=$?
stop_a unresolvable
grep -E '^ *arp:|probe' "$lb" "$la"
kb_check "unresolvable: sender fails (no echo)" test $rc -ne 0
kb_check "unresolvable: requests sent and repeated ($(dl_stat "$lb" req_tx))" test "$(dl_stat "$lb" req_tx)" -ge 3
kb_check "unresolvable: held packets dropped and counted ($(dl_stat "$lb" hold_dropped))" \
	test "$(dl_stat "$lb" hold_dropped)" -ge 1
kb_check "unresolvable: A saw the broadcasts ($(dl_stat "$la" req_rx))" test "$(dl_stat "$la" req_rx)" -ge 3
kb_check "unresolvable: A did not answer or learn" \
	test "$(dl_stat "$la" reply_tx)" -eq 0 -a "$(dl_stat "$la" learned)" -eq 0

# 2. A is B's gateway
start_a
dl_conf "$cb" "net_virtio_user0,path=$SOCK,queues=1" 10.0.0.1 02:00:00:00:00:01 single 1 "$PFX_B" \
	"gateway = 10.0.0.2"
timeout 60 "$L2T" --conf "$cb" --role send --peer 10.0.0.2 --count 100 --malformed 1 \
	--other 192.168.7.7 --wait 20 >"$lb" 2>&1
rc=$?
stop_a gateway
grep -E '^ *(arp|layer):|^RESULT' "$lb" "$la"
kb_check "gateway: exchange with A works" test $rc -eq 0
kb_check "gateway: one ARP request (for the gateway only)" test "$(dl_stat "$lb" req_tx)" -eq 1
kb_check "gateway: the off-prefix packet reached A and was filtered" test "$(dl_stat "$la" rx_filtered)" -eq 1
kb_done
