#!/usr/bin/env bash
# Overload: a flood into a 1kb VM whose app cores are slow (they sleep after
# each burst) and whose rx rings are small, with its RxTx thread (rxtx =
# threads: inline, the slow cores would read the vNIC no faster than they
# consume, and the vNIC's own ring would overflow instead).  Full rings and a full vNIC must
# be counted drops, never a hang, and every packet must be accounted for:
#   receiver: nic_rx = delivered + ring-full + filtered + malformed + non-IP + ARP
#   sender:   accepted by addBufferToRing = sent by the vNIC + refused (counted)
#   wire:     the sender's vNIC took = the receiver's vNIC gave (up to a vring)
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"

ca=$KB_TMP/a.conf cb=$KB_TMP/b.conf la=$KB_TMP/a.log lb=$KB_TMP/b.log
dl_conf "$ca" "net_vhost0,iface=$SOCK,queues=1" 10.0.0.2 02:00:00:00:00:02 1kb 3 "$PFX_A" \
	"rx_ring_size = 64" "rxtx = threads"
dl_conf "$cb" "net_virtio_user0,path=$SOCK,queues=1" 10.0.0.1 02:00:00:00:00:01 single 1 "$PFX_B" \
	"arp = 10.0.0.2 02:00:00:00:00:02"

kb_bg "$la" timeout 100 "$L2T" --conf "$ca" --role sink --stall-us 300
apid=$KB_LAST_PID
kb_wait_log 30 "$la" 'kbl2test: ready' || { kb_fail "receiver did not start"; cat "$la"; kb_done; }
timeout 60 "$L2T" --conf "$cb" --role flood --peer 10.0.0.2 --flows 32 --duration 2 >"$lb" 2>&1
kb_check "flood sender exits 0" test $? -eq 0
kill -TERM "$apid"
kb_wait_for 30 bash -c "! kill -0 $apid"
wait "$apid"
kb_check "receiver exits 0 on SIGTERM (no hang)" test $? -eq 0
grep -vE '^(EAL|VHOST_CONFIG|TELEMETRY)' "$lb" "$la"

sum() { grep -oE "(^|[ ])$2=[0-9]+" "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'; }
nic_rx=$(sum "$la" nic_rx)
acc=$(( $(sum "$la" rx_pkts) + $(sum "$la" rx_ring_full) + $(dl_stat "$la" rx_filtered) \
	+ $(dl_stat "$la" rx_malformed) + $(sum "$la" non_ip_dropped) + $(sum "$la" req_rx) \
	+ $(sum "$la" reply_rx) ))
kb_check "receiver accounts for every packet (nic_rx $nic_rx = $acc)" test "$nic_rx" -eq "$acc"
kb_check "the app saw what the layer delivered" test "$(dl_result "$la" recv)" -eq "$(sum "$la" rx_pkts)"
kb_check "full rx rings were counted ($(sum "$la" rx_ring_full) drops)" test "$(sum "$la" rx_ring_full)" -gt 0
tx=$(sum "$lb" tx_pkts)
out=$(( $(dl_stat "$lb" nic_tx) + $(dl_stat "$lb" nic_tx_dropped) ))
kb_check "sender accounts for every packet (tx_pkts $tx = nic_tx + nic_tx_dropped $out)" test "$tx" -eq "$out"
kb_check "receiver got packets ($nic_rx)" test "$nic_rx" -gt 0
# The sender lingers (linger_ms) before closing its port, and the receiver's
# Rx thread keeps reading, so normally all arrive; what can be lost without
# a counter is at most what sat in the vring when the sender closed it
# (virtio cannot report tx completion), i.e. at most nic_tx_desc.
sent_nic=$(dl_stat "$lb" nic_tx)
echo "sender vNIC tx $sent_nic, receiver vNIC rx $nic_rx"
kb_check "what the sender's vNIC took, the receiver's read, up to one vring ($sent_nic vs $nic_rx)" \
	test "$nic_rx" -le "$sent_nic" -a $((sent_nic - nic_rx)) -le 1024
kb_done
