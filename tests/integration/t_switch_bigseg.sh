#!/usr/bin/env bash
# t_switch_bigseg: big TCP segments cross kbswitch intact.  Two VM processes
# (tests/tools/kbxfer over libkbnet, virtio-user) on conf/forward_script.bess
# (vhost ports with tso=1) send 16 MB each way:
#   tso    the layer negotiates TSO/LRO and checksum offloads: the sender's
#          stack hands the port 64 KB segments, the switch passes them on as
#          such (GSO metadata and partial checksums), the receiver takes them
#          as multi-segment mbufs and keeps them by reference until read;
#   jumbo  offloads = no, mtu = 9000: no TSO, 9000-byte frames instead;
#   mixed  vm2 with offloads = no: its virtio takes neither TSO nor partial
#          checksums, so the switch cuts vm1's 64 KB frames for it (rte_gso)
#          and completes their checksums (kbctl show port: gso_segs), every
#          frame (gso_drops=0);
#   copy   1000-byte round trips: frames of 640 B..2 KB are copied out of
#          the 16 KB receive buffers (rx_copied);
#   hold   vm1 runs its stack 1.5 s before reading, with a 4 MB window and
#          256 big receive buffers beyond its vring's: they run low, and the
#          layer copies frames out of them instead of letting the vNIC's
#          refill run short.
# SHA-256 of what one side sent must equal what the other received, and the
# counters must show the big segments were really used.
# timeout: 300
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_xfer.sh"

SWITCH=$KB_BUILD/src/switch/kbswitch
SCRIPT=$KB_ROOT/conf/forward_script.bess
for b in "$XFER" "$SWITCH"; do
	[[ -x $b ]] || { kb_fail "$b not built"; kb_done; }
done
BYTES=${KB_BIGSEG_BYTES:-16m}

# vm_conf FILE SOCK IP MAC EXTRA
vm_conf() { xfer_vm_conf "$1" "$2" "$3" "$4" kbbs "stat_print = yes
$5"; }

# stat LOG NAME: the first value of a counter in a stat_print dump
stat() { grep -o "\b$2=[0-9]*" "$1" | head -n 1 | cut -d= -f2; }

s1=$KB_TMP/vm1.sock s2=$KB_TMP/vm2.sock
KB_VM1_SOCK=$s1 KB_VM2_SOCK=$s2 KB_VM1_MAC=02:00:00:00:00:01 KB_VM2_MAC=02:00:00:00:00:02 \
	kb_bg "$KB_TMP/sw.log" timeout 280 "$SWITCH" $(kb_eal_mem vhost 256) \
	--file-prefix=kbbs${KB_ID}sw -- -f "$SCRIPT" --ctl "$KB_TMP/sw.ctl"
SW=$KB_LAST_PID
if ! kb_wait_for 60 test -S "$KB_TMP/sw.ctl"; then
	kb_fail "kbswitch did not start"; tail -n 15 "$KB_TMP/sw.log"; kb_done
fi

# one_run NAME DIR EXTRA [VM2_EXTRA]: DIR=up (vm2 sends to vm1) or down (vm1 sends)
one_run() {
	local name=$1 dir=$2 extra=$3 extra2=${4-$3} tx rx
	vm_conf "$KB_TMP/vm1.conf" "$s1" 10.0.0.1 02:00:00:00:00:01 "$extra"
	vm_conf "$KB_TMP/vm2.conf" "$s2" 10.0.0.2 02:00:00:00:00:02 "$extra2"
	xfer_pair "$name" "$KB_TMP/vm1.conf" "$KB_TMP/vm2.conf" 10.0.0.1:5001 "$dir" "$BYTES" || return
	tx=$XFER_TX rx=$XFER_RX
	if [[ $XFER_RC -eq 0 && -n $XFER_SENT && $XFER_SENT == "$XFER_RECV" ]]; then
		kb_pass "$name $dir: $BYTES intact through kbswitch: $XFER_SENT"
	else
		kb_fail "$name $dir: client rc=$XFER_RC sent='$XFER_SENT' received='$XFER_RECV'"
		grep -v '^EAL' "$tx" "$rx" | tail -n 30
		return
	fi
	local segs bytes big
	segs=$(stat "$tx" tx_segs) bytes=$(stat "$tx" tx_bytes)
	if [[ $name == tso ]]; then
		big=$(stat "$tx" tso_segs)
		kb_check "$name $dir: the sender handed the port TSO segments (tso_segs=$big, $bytes bytes in $segs segments)" \
			test "${big:-0}" -gt 0 -a "$((bytes / (segs ? segs : 1)))" -gt 8000
		big=$(stat "$rx" rx_big_segs)
		kb_check "$name $dir: the receiver took them whole, multi-segment (rx_big_segs=$big)" \
			test "${big:-0}" -gt 0
		kb_check "$name $dir: checksums left to the ports (cksum_offloaded=$(stat "$rx" cksum_offloaded), bad_cksum=$(stat "$rx" bad_cksum))" \
			test "$(stat "$rx" cksum_offloaded)" -gt 0 -a "$(stat "$rx" bad_cksum)" -eq 0
		# 16 KB receive buffers with LRO, and no refill ever failed
		kb_check "$name $dir: both took 16 KB receive buffers (rx_buf=$(stat "$rx" rx_buf), $(stat "$tx" rx_buf))" \
			test "$(stat "$rx" rx_buf)" -eq 16384 -a "$(stat "$tx" rx_buf)" -eq 16384
		kb_check "$name $dir: the vNICs never ran out of them (rx_nombuf=$(stat "$tx" rx_nombuf) $(stat "$rx" rx_nombuf))" \
			test "$(stat "$tx" rx_nombuf)" -eq 0 -a "$(stat "$rx" rx_nombuf)" -eq 0
	elif [[ $name == hold ]]; then
		# vm1 let its 4 MB window fill before reading: the big buffers
		# ran low, so frames were copied out of them, and the vNIC's
		# refill never went short
		kb_check "$name $dir: the receiver copied frames out while its big buffers ran low (rx_pool_low=$(stat "$rx" rx_pool_low), rx_nombuf=$(stat "$rx" rx_nombuf))" \
			test "$(stat "$rx" rx_pool_low)" -gt 0 -a "$(stat "$rx" rx_nombuf)" -eq 0
	elif [[ $name == mixed ]]; then
		local port
		port=$(timeout 10 "$KB_BUILD/src/switch/kbctl" --ctl "$KB_TMP/sw.ctl" show port 2>&1 | grep 'vm2::')
		kb_check "$name $dir: the switch cut vm1's TSO frames for vm2 ($(grep -o 'gso_frames=[0-9]* gso_segs=[0-9]* sw_cksum=[0-9]* gso_drops=[0-9]*' <<<"$port"); vm1 tso_segs=$(stat "$tx" tso_segs), vm2 bad_cksum=$(stat "$rx" bad_cksum))" \
			bash -c "grep -qE 'gso_segs=[1-9]' <<<'$port' && grep -q 'gso_drops=0 ' <<<'$port' && test '$(stat "$rx" bad_cksum)' -eq 0"
	else
		kb_check "$name $dir: 9000-byte frames, no TSO ($bytes bytes in $segs segments, tso_segs=$(stat "$tx" tso_segs))" \
			test "$(stat "$tx" tso_segs)" -eq 0 -a "$((bytes / (segs ? segs : 1)))" -gt 4000
		kb_check "$name $dir: without offloads the pool's 2 KB buffers, nothing copied (rx_buf=$(stat "$rx" rx_buf), rx_copied=$(stat "$tx" rx_copied))" \
			test "$(stat "$rx" rx_buf)" -eq 2048 -a "$(stat "$tx" rx_copied)" -eq 0
	fi
}

one_run tso up ""
one_run tso down ""
one_run jumbo up "offloads = no
mtu = 9000"
one_run mixed down "" "offloads = no"

# 1000-byte requests and echoes: frames of 1-2 KB are copied out of the
# 16 KB buffers into 2 KB mbufs at once (rx_copied), one per message
copy_run() {
	local sl=$KB_TMP/copy-srv.log cl=$KB_TMP/copy-cli.log
	vm_conf "$KB_TMP/vm1.conf" "$s1" 10.0.0.1 02:00:00:00:00:01 ""
	vm_conf "$KB_TMP/vm2.conf" "$s2" 10.0.0.2 02:00:00:00:00:02 ""
	kb_bg "$sl" timeout 120 "$XFER" -f "$KB_TMP/vm1.conf" -l 5002 -m echo -n 1000
	local spid=$KB_LAST_PID
	if ! kb_wait_log 60 "$sl" '^kbxfer: listening'; then
		kb_fail "copy: server did not start"; tail -n 20 "$sl"; return
	fi
	timeout 120 "$XFER" -f "$KB_TMP/vm2.conf" -c 10.0.0.1:5002 -m rr -n 1000 -r 200 >"$cl" 2>&1
	local rc=$?
	wait "$spid" 2>/dev/null
	kb_check "copy: 200 round trips of 1000 bytes (rc=$rc)" test "$rc" -eq 0
	kb_check "copy: both copied each message out of its 16 KB buffer (rx_copied=$(stat "$sl" rx_copied) $(stat "$cl" rx_copied), rx_buf=$(stat "$sl" rx_buf))" \
		test "$(stat "$sl" rx_buf)" -eq 16384 -a "$(stat "$sl" rx_copied)" -ge 200 -a "$(stat "$cl" rx_copied)" -ge 200
}
copy_run
XFER_SRV_ARGS="-p 1500" one_run hold up "rcvbuf = 4194304
rx_pool_size = 1280" ""
kb_check "kbswitch still running" kb_alive "$SW"
kb_done
