#!/usr/bin/env bash
# Two real QEMU guests (tests/qemu/boot-guest.sh) whose virtio-net-pci NICs
# are vhost-user ports of a host dpdk-testpmd in io mode (port 0 <-> port 1):
# inside, dpdk-testpmd drives each NIC through uio_pci_generic; guest A sends
# (txonly), guest B counts (rxonly).  Every packet A's NIC sent reaches the
# host, and every packet the host forwarded reaches B.
# timeout: 420
source "$(dirname "$0")/../lib.sh"
source "$KB_ROOT/tests/qemu/lib_qemu.sh"

qemu_require
qemu_initramfs
qemu_accel

s0=$KB_TMP/qemu-p0.sock s1=$KB_TMP/qemu-p1.sock
kb_bg "$KB_TMP/host.log" timeout 400 nice -n 5 dpdk-testpmd --lcores '0@(0-1),1@(0-1)' \
	--file-prefix "qemu$KB_ID" $(kb_eal_mem vhost 256) --no-pci --no-telemetry \
	--vdev "net_vhost0,iface=$s0" --vdev "net_vhost1,iface=$s1" \
	-- --forward-mode=io --nb-cores=1 --stats-period 10
host=$KB_LAST_PID
kb_wait_for 30 test -S "$s1" || { kb_fail "host testpmd made no sockets: $(tail -n 3 "$KB_TMP/host.log")"; exit 1; }

# B first, and A only once B polls its NIC, so that nothing A sends is lost
# for want of a receiver (the host would count it as TX-dropped).
qemu_guest "$KB_TMP/b.log" "$s1" 02:00:00:00:00:02 "$KB_QEMU/guest/testpmd-rx.sh"
gb=$KB_LAST_PID
if ! qemu_wait_log 240 "$KB_TMP/b.log" "^guest: rx ready" "$gb"; then
	kb_fail "guest B never polled its NIC"; tail -n 30 "$KB_TMP/b.log"; exit 1
fi
kb_pass "guest B: testpmd polls its virtio-net-pci NIC ($(grep -o 'nic=[^ ]* driver=[^ ]*' "$KB_TMP/b.log"))"
echo 10 >"$KB_TMP/secs"
qemu_guest "$KB_TMP/a.log" "$s0" 02:00:00:00:00:01 "$KB_QEMU/guest/testpmd-tx.sh" -f "$KB_TMP/secs:secs"
ga=$KB_LAST_PID

qemu_wait_exit 300 "$ga"; ra=$?
if (( ra != 0 )); then
	# A sent nothing B could count: waiting for B would only run out the clock
	kill -TERM "$gb" 2>/dev/null
	qemu_wait_exit 15 "$gb"; rb=$?
else
	qemu_wait_exit 300 "$gb"; rb=$?
fi
kb_check "guest A ran testpmd txonly and powered off (status $ra)" test "$ra" = 0
kb_check "guest B ran testpmd rxonly and powered off (status $rb)" test "$rb" = 0
kill -INT "$host"
qemu_wait_exit 30 "$host" >/dev/null

a_tx=$(fwd_stat "$KB_TMP/a.log" 0 TX-packets)
b_rx=$(fwd_stat "$KB_TMP/b.log" 0 RX-packets)
h_rx0=$(fwd_stat "$KB_TMP/host.log" 0 RX-packets)
h_tx1=$(fwd_stat "$KB_TMP/host.log" 1 TX-packets)
h_drop1=$(fwd_stat "$KB_TMP/host.log" 1 TX-dropped)
echo "guest A sent ${a_tx:-?}; host got ${h_rx0:-?} on port 0, sent ${h_tx1:-?} on port 1 (dropped ${h_drop1:-?}); guest B got ${b_rx:-?}"
kb_check "packets flowed guest A -> host -> guest B (${b_rx:-none} received)" test "${b_rx:-0}" -gt 0
kb_check "the host received every packet guest A's NIC sent (${a_tx:-?} = ${h_rx0:-?})" \
	test -n "$a_tx" -a "$a_tx" = "${h_rx0:-x}"
kb_check "guest B received every packet the host sent it (${h_tx1:-?} = ${b_rx:-?})" \
	test -n "$b_rx" -a "$b_rx" = "${h_tx1:-x}"
if (( KB_FAILED )); then
	for g in a b; do echo "---- guest ${g^^} console (tail)"; tail -n 25 "$KB_TMP/$g.log"; done
	echo "---- host testpmd (tail)"; tail -n 25 "$KB_TMP/host.log"
fi
kb_done
