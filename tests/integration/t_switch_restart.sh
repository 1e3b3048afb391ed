#!/usr/bin/env bash
# t_switch_restart: kbswitch is restarted twice under a running download and
# nothing is lost.  Two VM processes (epserver, epwget) on conf/vm1.conf and
# conf/vm2.conf (vhost_server = yes: the VMs own the sockets) and kbswitch on
# conf/forward_script.bess (client=1).  The switch is stopped (SIGTERM) once
# an eighth of the file has gone through it, started again, and the same once
# more; the ports come back by themselves, the download completes with the
# same sha256, no reset is sent or received, and both VMs counted the links
# going down and up twice.  An L2 entry added with kbctl and saved with
# `kbctl save` comes back with each restarted switch (KB_L2_SAVED).  256 MB (128 MB in the ASan build) rather than the
# issue's 1 GB, to stay within the test budget on 2 shared CPUs; what matters
# is that both restarts fall inside the transfer, which the test checks.
# retry: 1 (open: restart 2 sometimes finds VM 2's port still down after 30 s, issue 10/9 follow-up)
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
APPS=$KB_BIN/apps
for b in "$SW" "$KBCTL" "$APPS/epserver" "$APPS/epwget"; do
	[[ -x $b ]] || { kb_fail "$b not built"; kb_done; }
done
MB=256
[[ $KB_BUILD == *asan* ]] && MB=128
STEP=$((MB / 8 * 1048576))      # bytes through a switch before it is restarted
CTL=$KB_TMP/ctl
export KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock

# The shipped VM configs, on this test's sockets, with counters at exit.
for n in 1 2; do
	sed -e "s|/tmp/kbnet/vm$n.sock|$KB_TMP/vm$n.sock|" -e 's/^stat_print.*/stat_print = yes/' \
		-e 's/^tcp_timeout.*/tcp_timeout = -1/' "$KB_ROOT/conf/vm$n.conf" >"$KB_TMP/vm$n.conf"
	echo "file_prefix = kbrs$n$KB_ID" >>"$KB_TMP/vm$n.conf"
done
grep -q '^vhost_server = yes' "$KB_TMP/vm1.conf" || { kb_fail "conf/vm1.conf: vhost_server = yes is not the default"; kb_done; }

SWPID=
start_switch() {
	rm -f "$CTL"
	kb_bg "$KB_TMP/sw$1.log" timeout 140 "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
		--file-prefix=kbrss$KB_ID -- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$CTL"
	SWPID=$KB_LAST_PID
	kb_wait_for 60 test -S "$CTL"
}
stop_switch() {
	kill -TERM "$SWPID"
	kb_wait_for 20 bash -c "! kill -0 $SWPID"
}
links_up() { [[ $("$KBCTL" --ctl "$CTL" show port 2>/dev/null | grep -c 'link=up') == 2 ]]; }
# bytes the switch has sent to VM 2 (the download's direction)
to_vm2() { "$KBCTL" --ctl "$CTL" show port 2>/dev/null | sed -n 's/^vm2::PMDPort.* tx_bytes=\([0-9]*\).*/\1/p'; }
past_step() { (( $(to_vm2 || echo 0) >= STEP )); }

mkdir -p "$KB_TMP/www"
head -c $((MB * 1048576)) /dev/urandom >"$KB_TMP/www/file.bin"
want=$(sha256sum <"$KB_TMP/www/file.bin" | cut -d' ' -f1)

start_switch 1 || { kb_fail "kbswitch did not start"; tail -n 20 "$KB_TMP/sw1.log"; kb_done; }
kb_bg "$KB_TMP/srv.log" timeout 140 "$APPS/epserver" -f "$KB_TMP/vm1.conf" -p "$KB_TMP/www" -P 80
SRV=$KB_LAST_PID
kb_wait_log 60 "$KB_TMP/srv.log" '^epserver: serving' || { kb_fail "epserver did not start"; tail -n 20 "$KB_TMP/srv.log"; kb_done; }
kb_bg "$KB_TMP/wget.log" timeout 130 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.0.0.1/file.bin \
	-n 1 -o "$KB_TMP/got.bin"
WGET=$KB_LAST_PID

for r in 1 2; do
	if ! kb_wait_for 60 past_step; then
		kb_fail "restart $r: the download did not reach $STEP bytes through switch $r"
		break
	fi
	kb_check "restart $r: the download is still running when the switch stops" kb_alive "$WGET"
	if ((r == 1)); then
		# a run-time edit, saved, comes back with the restarted switch
		"$KBCTL" --ctl "$CTL" add l2 l2 02:00:00:00:00:99 1 >/dev/null
		kb_check "kbctl save writes the run-time table: $("$KBCTL" --ctl "$CTL" save "$KB_TMP/l2.saved")" \
			grep -q "'addr': '02:00:00:00:00:99', 'gate': 1" "$KB_TMP/l2.saved"
		export KB_L2_SAVED=$KB_TMP/l2.saved
	fi
	stop_switch
	sleep 0.5      # the VMs see the switch gone; their segments are lost meanwhile
	t0=$(date +%s%N)
	start_switch $((r + 1)) || { kb_fail "restart $r: kbswitch did not start again"; tail -n 20 "$KB_TMP/sw$((r + 1)).log"; break; }
	if kb_wait_for 30 links_up; then
		kb_check "restart $r: the saved entry is back (kbctl save, KB_L2_SAVED)" \
			bash -c "[[ \$('$KBCTL' --ctl '$CTL' command module l2 lookup 02:00:00:00:00:99) == 1 ]]"
		kb_pass "restart $r: both ports came back by themselves ($(( ($(date +%s%N) - t0) / 1000000 )) ms after the start)"
	else
		kb_fail "restart $r: ports did not come back"; "$KBCTL" --ctl "$CTL" show port
	fi
done

kb_wait_for 120 bash -c "! kill -0 $WGET"
wait "$WGET"
rc=$?
got=$(sha256sum <"$KB_TMP/got.bin" 2>/dev/null | cut -d' ' -f1)
grep -E '^(epwget|  200)' "$KB_TMP/wget.log"
kb_check "the download completed (rc=$rc), $MB MB, sha256 equal" test "$rc" = 0 -a "$got" = "$want"
kill -TERM "$SRV"; kb_wait_for 20 bash -c "! kill -0 $SRV"
stop_switch

# stat_print: the stack's and the layer's counters at exit
stat() { grep -oE "(^| )$2=[0-9]+" "$1" | head -n 1 | cut -d= -f2; }
for v in srv wget; do
	l=$KB_TMP/$v.log
	grep -E '^tcp( events)?:|^  port:' "$l" | sed 's/^/  /'
	kb_check "$v: no reset sent or received, no connection reset" \
		test "$(stat "$l" rst_tx)/$(stat "$l" rst_rx)/$(stat "$l" conn_reset)" = 0/0/0
	kb_check "$v: the layer saw the link go down and up twice" \
		test "$(stat "$l" link_down)" -ge 2 -a "$(stat "$l" link_up)" -ge 2
done
kb_done
