#!/usr/bin/env bash
# kbswitch refuses bad scripts with "file:line:col: what was expected", exit
# code 2, and opens no port (the script's vhost-user socket never appears).
# timeout: 120
source "$(dirname "$0")/../lib.sh"
SW=$KB_BIN/src/switch/kbswitch
kb_on_exit "rm -rf /var/run/dpdk/kbswe$KB_ID"
SOCK=$KB_TMP/x.sock
P="p = PMDPort(vdev='net_vhost0,iface=$SOCK')"

# case NAME SCRIPT LINE:COL MESSAGE
case_() {
	local name=$1 text=$2 where=$3 msg=$4 f=$KB_TMP/$1.bess
	printf '%s\n' "$text" >"$f"
	timeout 30 "$SW" $(kb_eal_mem vhost 64) --no-pci -l 0 --log-level=1 \
		--file-prefix=kbswe$KB_ID -- -f "$f" --ctl "$KB_TMP/ctl" >"$KB_TMP/$name.out" 2>"$KB_TMP/$name.err"
	local rc=$? got
	got=$(grep -v '^EAL\|^TELEMETRY' "$KB_TMP/$name.err")
	if [[ $rc -eq 2 && $got == "$f:$where: $msg" && ! -e $SOCK && ! -e $KB_TMP/ctl ]]; then
		kb_pass "$name"
	else
		kb_fail "$name: rc=$rc, got '$got', want '$f:$where: $msg'$([[ -e $SOCK ]] && echo ', and a port was opened')"
	fi
	rm -f "$SOCK"
}

case_ unknown_class "$P
x::Frobnicate()" 2:1 "unknown module class 'Frobnicate' (expected one of PMDPort, QueueInc, QueueOut, PortInc, PortOut, L2Forward, Replicate, Merge, Sink, Source)"
case_ unknown_argument "$P
q::QueueInc(port=p, qid=0, color=3)" 2:34 "unknown argument 'color' to QueueInc (expected port, qid, prefetch)"
case_ unknown_command "$P
l2::L2Forward()
l2.frob(x=1)" 3:4 "unknown command 'frob' of L2Forward 'l2' (expected one of add, delete, lookup, set_default_gate)"
case_ unknown_gate "$P
q::QueueInc(port=p)
o::QueueOut(port=p)
q:1 -> o" 4:5 "'q' (QueueInc) has no output gate 1 (expected 0..0)"
case_ gate_used_twice "$P
q::QueueInc(port=p)
o::QueueOut(port=p)
s::Sink()
q -> o
q -> s" 6:3 "output gate 0 of 'q' is already connected to 'o' (an output gate feeds one input gate)"
case_ queue_claimed_twice "$P
a::QueueInc(port=p, qid=0)
b::QueueInc(port=p, qid=0)" 3:18 "QueueInc: incoming queue 0 of port 'p' is already claimed by 'a'"
case_ portinc_after_queueinc "$P
a::QueueInc(port=p)
b::PortInc(port=p)" 3:17 "PortInc: incoming queue 0 of port 'p' is already claimed by 'a'"
case_ size_not_pow2 "$P
l2::L2Forward(size=1000)" 2:20 "L2Forward: size must be a power of two (got 1000)"
case_ bucket_not_pow2 "$P
l2::L2Forward(size=1024, bucket=3)" 2:33 "L2Forward: bucket must be a power of two (got 3)"
case_ ring_not_pow2 "$P
p2 = PMDPort(vdev='net_null0', size_inc_q=1000)" 2:43 "PMDPort: size_inc_q must be a power of two (got 1000)"
case_ undefined_module "$P
q::QueueInc(port=p)
q -> nowhere" 3:6 "undefined name 'nowhere'"
case_ undefined_port "$P
q::QueueInc(port=nop)" 2:18 "undefined name 'nop'"
case_ bad_mac "$P
l2::L2Forward()
l2.add(entries=[{'addr': '02:00:00:zz:00:01', 'gate': 0}])" 3:26 "L2Forward: expected a MAC address string like '02:00:00:00:00:01'"
case_ gate_out_of_range "$P
r::Replicate(gates=[0, 99])" 2:24 "'gate' must be in [0, 63], got 99"
case_ core_not_an_lcore "$P
bess.add_worker(wid=1, core=7)" 2:6 "core 7 is not an EAL lcore of this process (expected one given with -l/--lcores)"
case_ no_output_gates "$P
s::Sink()
s -> s" 3:3 "'s' (Sink) has no output gates"
case_ two_port_sources "p = PMDPort(vdev='net_null0', port_id=0)" 1:12 "PMDPort: expected exactly one of vdev=, pci= or port_id= (got 2)"
case_ same_device_twice "$P
p2 = PMDPort(vdev='net_vhost0,iface=$KB_TMP/y.sock')" 2:19 "PMDPort: device 'net_vhost0' is already port 'p'"
# A cycle recursed until the stack overflowed (issue 11): refused at a module
# on the loop, by --check too.
case_ cycle_merge_merge "s::Source()
a::Merge()
b::Merge()
s -> a
a -> b
b -> 1:a" 3:1 "'b' feeds back into 'a': a -> b -> a is a cycle, where a packet would loop forever"
case_ cycle_self "s::Source()
m::Merge()
s -> m
m -> 1:m" 2:1 "'m' feeds back into 'm': m -> m is a cycle, where a packet would loop forever"
case_ cycle_fed_by_queueinc "$P
q::QueueInc(port=p)
m::Merge()
r::Replicate(gates=[0, 1])
q -> m -> r
r:1 -> 1:m
r:0 -> Sink()" 4:1 "'r' feeds back into 'm': m -> r -> m is a cycle, where a packet would loop forever"
printf 's::Source()\nm::Merge()\ns -> m\nm -> 1:m\n' >"$KB_TMP/cyc.bess"
timeout 30 "$SW" --no-huge -m 64 --no-pci -l 0 --log-level=1 --file-prefix=kbswe$KB_ID \
	-- --check -f "$KB_TMP/cyc.bess" >"$KB_TMP/cyc.out" 2>&1
rc=$?
kb_check "--check refuses a cycle (exit 2, positioned)" \
	bash -c "[[ $rc -eq 2 ]] && grep -q '^$KB_TMP/cyc.bess:2:1: .* is a cycle' '$KB_TMP/cyc.out' && ! grep -q OK '$KB_TMP/cyc.out'"

# A port that fails to start: the message names the script line, not only
# EAL's "Bad address"; nothing is left behind.
printf "p = PMDPort(vdev='nonsense0')\nq::QueueInc(port=p)\nq -> Sink()\n" >"$KB_TMP/vdev.bess"
timeout 30 "$SW" --no-huge -m 64 --no-pci -l 0 --log-level=1 --file-prefix=kbswe$KB_ID \
	-- -f "$KB_TMP/vdev.bess" --ctl "$KB_TMP/ctl" >"$KB_TMP/vdev.out" 2>"$KB_TMP/vdev.err"
rc=$?
want="$KB_TMP/vdev.bess:1:5: PMDPort 'p': cannot probe vdev 'nonsense0': Bad address (a vdev is named for its driver plus a number: net_vhost0, net_virtio_user0, net_tap0, net_pcap0, net_null0, ...)"
got=$(grep -v '^EAL\|^TELEMETRY' "$KB_TMP/vdev.err")
kb_check "a vdev without a driver: exit 1, positioned" \
	bash -c "[[ $rc -eq 1 && \"\$1\" == \"\$2\" && ! -e '$KB_TMP/ctl' ]]" _ "$got" "$want"

# And a good script runs until SIGTERM, then exits 0 having removed its socket.
printf '%s\nq::QueueInc(port=p)\nq -> Sink()\n' "$P" >"$KB_TMP/good.bess"
kb_bg "$KB_TMP/good.log" timeout 60 "$SW" $(kb_eal_mem vhost 64) --no-pci -l 0 \
	--file-prefix=kbswe$KB_ID -- -f "$KB_TMP/good.bess" --ctl "$KB_TMP/ctl"
pid=$KB_LAST_PID
kb_check "a good script opens its port" kb_wait_for 30 test -S "$SOCK"
kill -TERM "$pid"; kb_wait_for 20 bash -c "! kill -0 $pid"; wait "$pid"
kb_check "SIGTERM: exit 0" test $? -eq 0
kb_check "SIGTERM: socket and control socket removed" bash -c "! test -e '$SOCK' && ! test -e '$KB_TMP/ctl'"
kb_check "--help" bash -c "'$SW' -- --help | grep -q 'usage: kbswitch'"
kb_done
