#!/usr/bin/env bash
# t_apps_switch_drops: nothing lost, and no retransmission storm, when
# kbswitch's QueueOut drops.  epserver (VM 1) serves a 3 MiB file through
# kbswitch to epwget (VM 2), which downloads it 30 times, 8 at a time with
# 1 MB windows, while the test stops and resumes epwget's process every
# 20 ms: VM 2's ring fills and QueueOut drops frames (the test fails if it
# drops none, so it tests something).  Every download completes, the first
# body's SHA-256 is the file's, and the server moves less than twice the
# bytes fetched: recovery (SACK, RACK-TLP) sends as the network delivers
# (RFC 6937), where before it resent 28 times the data into full rings.
# The server's RTO count is printed, not asserted: a receiver stopped
# longer than the tail-loss probe's timeout takes RTOs with any TCP.
# timeout: 120
# asan: no
source "$(dirname "$0")/../lib.sh"

source "$(dirname "$0")/lib_dl.sh"

# 8 connections of 1 MB windows: more in flight than VM 2's ring holds
# (64 slots: with one copy and 64 KB segments VM 2 drains a 256-slot ring
# between stops, and nothing would be dropped)
win="rcvbuf = 1048576
sndbuf = 1048576"
dl_switch kbsd
dl_vm_conf "$KB_TMP/vm1.conf" "$DL_S1" 10.0.0.1 02:00:00:00:00:01 kbsd "$win"
dl_vm_conf "$KB_TMP/vm2.conf" "$DL_S2,queue_size=64" 10.0.0.2 02:00:00:00:00:02 kbsd "$win"
dl_server "$KB_TMP/vm1.conf"
SRV=$DL_SRV
APPS=$DL_APPS
kb_bg "$KB_TMP/w.log" timeout 120 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.0.0.1/f.bin \
	-n 30 -c 8 -o "$KB_TMP/got.bin"
CLI=$KB_LAST_PID
# a receiver that stalls: its ring fills, the switch's QueueOut drops
kb_wait_log 30 "$KB_TMP/w.log" 'EAL|kbdpdk' || true
# CLI is timeout's pid: stop epwget itself (a stopped timeout stops nothing)
EPW=$(pgrep -P "$CLI" -x epwget || echo "$CLI")
while kb_alive "$CLI"; do
	kill -STOP "$EPW" 2>/dev/null; sleep 0.02
	kill -CONT "$EPW" 2>/dev/null; sleep 0.02
done
wait "$CLI"
rc=$?
drops=$("$DL_KBCTL" --ctl "$DL_CTL" show module 2>/dev/null | sed -n 's/^out2::QueueOut drops=\([0-9]*\).*/\1/p')
kill -INT "$SRV"
kb_wait_for 20 sh -c "! kill -0 $SRV"
echo "QueueOut drops toward epwget: ${drops:-?}"
grep -v '^EAL\|^VHOST' "$KB_TMP/w.log" | tail -n 4
grep '^epserver: retransmission' "$KB_TMP/eps.log"
kb_check "the switch dropped frames toward the stalled receiver (QueueOut drops=${drops:-?})" \
	test "${drops:-0}" -gt 0
kb_check "30 downloads completed (rc=$rc)" grep -q '200: 30, other status: 0, errors: 0' "$KB_TMP/w.log"
got=$(sha256sum <"$KB_TMP/got.bin" 2>/dev/null | cut -d' ' -f1)
kb_check "the first body's sha256 is the file's" test "$got" = "$DL_SHA"
moved=$(sed -n 's/^epserver: retransmission timeouts: [0-9]* in \([0-9]*\) bytes.*/\1/p' "$KB_TMP/eps.log")
fetched=$((30 * 3145728))
kb_check "the server moved ${moved:-?} bytes for $fetched fetched (less than twice)" \
	test -n "$moved" -a "${moved:-0}" -lt $((2 * fetched))
kb_done
