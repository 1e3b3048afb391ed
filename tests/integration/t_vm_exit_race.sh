#!/usr/bin/env bash
# t_vm_exit_race: kbswitch and the VMs stopped together, in several orders
# and moments, and every VM process exits cleanly: the layer's exit path
# must not race the EAL interrupt thread, which in server mode (vhost_server
# = yes, the default) handles the switch's (dis)connection for the same
# device.  Two VM processes (kbperf server on VM 1, kbperf client on VM 2)
# on kbswitch (conf/forward_script.bess, client=1).  Each round runs a bulk
# transfer, SIGTERMs both VMs, and DELAY later SIGTERMs or SIGKILLs the
# switch (0: all at once): the VMs take some ms to drain before they close
# their ports, and the delays sweep the switch's going across that close
# (before the fix, about one run in two of these rounds had a VM die in
# "PANIC in eal_intr_thread_main(): Error adding fd N epoll_ctl" or an ASan
# heap-use-after-free in the driver's disconnect alarm).  Then:
#   idle       no traffic (VM 1 blocked in its idle wait); switch SIGKILLed,
#              VM 1 SIGTERMed a moment later (its port is down, listening)
#   reconnect  switch SIGKILLed, a new one started, VM 1 SIGTERMed while
#              the new switch connects to it
# KB_EXIT_RACE_ROUNDS="NAME:SIGNAL:DELAY ..." replaces the rounds.
# Clean: the VM exits by itself (status < 128: 0, or 1 for a client cut
# off mid-run), and its log has no panic, no "Segmentation", no sanitizer
# report.
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"

SW=$KB_BIN/src/switch/kbswitch
PERF=$KB_BIN/apps/kbperf
for b in "$SW" "$PERF"; do [[ -x $b ]] || { kb_fail "$b not built"; kb_done; }; done
CTL=$KB_TMP/ctl
export KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock
for n in 1 2; do
	"$KB_ROOT/scripts/vm-conf.sh" $n "$KB_TMP/vm$n.sock" file_prefix=kbxr$n$KB_ID \
		tcp_timeout=-1 >"$KB_TMP/vm$n.conf"
done
kb_on_exit "rm -rf /var/run/dpdk/kbxrs$KB_ID"

# no timeout(1) wrappers: the signals must hit the processes themselves
# (the test's limit and lib.sh's cleanup bound them)
start_switch() {
	rm -f "$CTL"
	kb_bg "$KB_TMP/sw.log" "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
		--file-prefix=kbxrs$KB_ID -- -f "$KB_ROOT/conf/forward_script.bess" --ctl "$CTL"
	SWPID=$KB_LAST_PID
	kb_wait_for 30 bash -c "test -S '$CTL' || ! kill -0 $SWPID" && test -S "$CTL"
}
start_server() {
	kb_bg "$KB_TMP/$1.log" "$PERF" -s -f "$KB_TMP/vm1.conf"
	APID=$KB_LAST_PID
	kb_wait_log 30 "$KB_TMP/$1.log" '^kbperf: listening'
}
# clean NAME PID LOG: PID ended by itself, with a status < 128, and LOG
# shows no crash
clean() {
	local rc bad
	kb_wait_pid 20 "$2"
	rc=$?
	bad=$(grep -m1 -iE 'panic|Segmentation|AddressSanitizer|LeakSanitizer|runtime error|Aborted|core dumped' "$3")
	if (( rc < 128 )) && [[ $rc != 124 && -z $bad ]]; then
		kb_pass "$1: exited cleanly (rc=$rc)"
	else
		kb_fail "$1: rc=$rc ${bad:+($bad)}"
		# the sanitizer's stacks, or the log's end
		{ grep -A3 -E '^ *#[0-9]+ |ERROR|thread T|PANIC|Segmentation' "$3" || tail -n 15 "$3"; } |
			head -n 60 | sed 's/^/  /'
	fi
}
# bulk: VM 2 streams from VM 1 until stopped
bulk() {
	kb_bg "$KB_TMP/$1.log" "$PERF" -c 10.0.0.1 -t bulk -d 60 -f "$KB_TMP/vm2.conf"
	BPID=$KB_LAST_PID
}
moving() { (( $("$KB_BIN/src/switch/kbctl" --ctl "$CTL" show port 2>/dev/null |
	sed -n 's/^vm2::VhostPort.* tx_pkts=\([0-9]*\).*/\1/p' | head -n 1) > 2000 )); }

round() {   # round NAME: the switch and VM 1 (and VM 2 for traffic) up
	start_switch || { kb_fail "$1: kbswitch did not start"; tail -n 15 "$KB_TMP/sw.log"; kb_done; }
	start_server "$1.a" || { kb_fail "$1: VM 1 did not start"; tail -n 15 "$KB_TMP/$1.a.log"; kb_done; }
}
round_bulk() {
	round "$1"
	bulk "$1.b"
	kb_wait_for 30 moving || { kb_fail "$1: no traffic through the switch"; tail -n 15 "$KB_TMP/$1.b.log"; kb_done; }
}
sw_gone() { kb_wait_for 20 bash -c "! kill -0 $SWPID"; wait "$SWPID" 2>/dev/null; }

for r in ${KB_EXIT_RACE_ROUNDS:-t0:TERM:0 k0:KILL:0 t5ms:TERM:0.005 k5ms:KILL:0.005 \
	t10ms:TERM:0.01 k10ms:KILL:0.01 t20ms:TERM:0.02 k20ms:KILL:0.02 t30ms:TERM:0.03 \
	k30ms:KILL:0.03 t50ms:TERM:0.05 k50ms:KILL:0.05}; do
	IFS=: read -r name sig delay <<<"$r"
	round_bulk "$name"
	kill -TERM "$BPID" "$APID"
	[[ $delay == 0 ]] || sleep "$delay"
	kill -"$sig" "$SWPID"
	clean "$name: VM 2" "$BPID" "$KB_TMP/$name.b.log"
	clean "$name: VM 1" "$APID" "$KB_TMP/$name.a.log"
	sw_gone
done

round idle
sleep 1
kill -KILL "$SWPID"; sw_gone; sleep 0.3
kill -TERM "$APID"
clean "idle: VM 1 (switch gone first)" "$APID" "$KB_TMP/idle.a.log"

round reconnect
kill -KILL "$SWPID"; sw_gone
start_switch || { kb_fail "reconnect: kbswitch did not start again"; kb_done; }
kill -TERM "$APID"
clean "reconnect: VM 1 (switch connecting)" "$APID" "$KB_TMP/reconnect.a.log"
kill -TERM "$SWPID"; sw_gone
kb_done
