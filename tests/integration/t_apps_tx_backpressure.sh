#!/usr/bin/env bash
# t_apps_tx_backpressure: a full transmit ring is backpressure, not loss.
# epserver (VM 1) serves a 3 MiB file through kbswitch to epwget (VM 2),
# 24 downloads 8 at a time, with VM 1's virtio-user rings cut to 32 slots:
# one 64 KB segment in 16 KB send buffers takes 5-6 of them, so tx_burst refuses
# most bursts until the switch drains the ring.  The DPDK layer keeps what
# the port refused in its backlog (nic_tx_backlog counts the times the ring
# was full; the test fails if it never was, so it tests something) and the
# stack stops building segments while dpdk_tx_room() says 0 (tx_blocked):
# nothing is dropped on transmit (nic_tx_dropped = tx_dropped = 0), so no
# retransmission timeout is needed (rto_fired = 0), and every download
# completes with the file's sha256.  queue_size cuts VM 1's rx ring to 32
# slots too, so both VMs keep 128 KB windows (not the 512 KB default): 8
# connections' ACK bursts would otherwise overflow that ring in the switch
# (QueueOut drops towards vm1), a loss this test is not about.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

source "$(dirname "$0")/lib_dl.sh"

dl_switch kbtb
WIN="rcvbuf = 131072
sndbuf = 131072"
dl_vm_conf "$KB_TMP/vm1.conf" "$DL_S1,queue_size=32" 10.0.0.1 02:00:00:00:00:01 kbtb "stat_print = yes
$WIN"
dl_vm_conf "$KB_TMP/vm2.conf" "$DL_S2" 10.0.0.2 02:00:00:00:00:02 kbtb "$WIN"
dl_server "$KB_TMP/vm1.conf"
SRV=$DL_SRV
timeout 80 "$DL_APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.0.0.1/f.bin -n 24 -c 8 \
	-o "$KB_TMP/got.bin" >"$KB_TMP/w.log" 2>&1
rc=$?
"$DL_KBCTL" --ctl "$DL_CTL" show pipeline | grep -E 'drops=[1-9]|QueueOut'
kill -INT "$SRV"
kb_wait_for 20 sh -c "! kill -0 $SRV"
stat() { grep -oE "(^| )$2=[0-9]+" "$1" | tail -n 1 | cut -d= -f2; }
grep -E '^epserver: (done|retrans)|tcp events|layer:|core 0:' "$KB_TMP/eps.log"
kb_check "24 downloads completed (rc=$rc)" grep -q '200: 24, other status: 0, errors: 0' "$KB_TMP/w.log"
got=$(sha256sum <"$KB_TMP/got.bin" 2>/dev/null | cut -d' ' -f1)
kb_check "the first body's sha256 is the file's" test "$got" = "$DL_SHA"
bl=$(stat "$KB_TMP/eps.log" nic_tx_backlog) blocked=$(stat "$KB_TMP/eps.log" tx_blocked)
kb_check "VM 1's transmit ring was full (nic_tx_backlog=${bl:-?}, tx_blocked=${blocked:-?})" \
	test "${bl:-0}" -gt 0 -a "${blocked:-0}" -gt 0
kb_check "nothing was dropped on transmit (nic_tx_dropped=$(stat "$KB_TMP/eps.log" nic_tx_dropped), tx_dropped=$(stat "$KB_TMP/eps.log" tx_dropped))" \
	test "$(stat "$KB_TMP/eps.log" nic_tx_dropped)" = 0 -a "$(stat "$KB_TMP/eps.log" tx_dropped)" = 0
kb_check "no retransmission timeout (rto_fired=$(stat "$KB_TMP/eps.log" rto_fired))" \
	test "$(stat "$KB_TMP/eps.log" rto_fired)" = 0
kb_done
