#!/usr/bin/env bash
# kbswitch refuses bad scripts with "file:line:col: what was expected", exit
# code 2, and opens no port (the script's vhost-user socket never appears).
# The script is Python (CPython): Python's own errors keep their names, at
# the position in the user's file.  Hostile scripts (endless input, memory,
# loops, NUL bytes, huge names) fail the same way, within bounds.
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
x::Frobnicate()" 2:1 "unknown module class 'Frobnicate' (expected one of PMDPort, VhostPort, QueueInc, QueueOut, PortInc, PortOut, L2Forward, Replicate, Merge, Sink, Source, Bypass, Rewrite, RoundRobin, RandomUpdate, VLANPush, VLANPop, PortSecurity)"
case_ unknown_argument "$P
q::QueueInc(port=p, qid=0, color=3)" 2:34 "unknown argument 'color' to QueueInc (expected port, qid, prefetch)"
case_ unknown_command "$P
l2::L2Forward()
l2.frob(x=1)" 3:4 "unknown command 'frob' of L2Forward 'l2' (expected one of add, delete, lookup, set_default_gate, clear)"
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
q -> nowhere" 3:6 "NameError: name 'nowhere' is not defined"
case_ undefined_port "$P
q::QueueInc(port=nop)" 2:18 "NameError: name 'nop' is not defined"
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
if [[ $rc -eq 2 ]] && grep -q "^$KB_TMP/cyc.bess:2:1: .* is a cycle" "$KB_TMP/cyc.out" &&
	! grep -q OK "$KB_TMP/cyc.out"; then
	kb_pass "--check refuses a cycle (exit 2, positioned)"
else
	kb_fail "--check refuses a cycle (exit 2, positioned): exit $rc, said:"
	tail -n 8 "$KB_TMP/cyc.out" | sed 's/^/    /'
fi

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
case_ replicate_no_gates "$P
r::Replicate(gates=[])" 2:20 "Replicate: gates=[] lists no gate (every packet would be dropped; expected at least one)"
case_ arrow_twice "$P
q::QueueInc(port=p) -> -> Sink()" 2:24 "'->' has no module on its left"
case_ syntax_error "$P
q::QueueInc(port=p) -> Sink() Sink()" 2:31 "SyntaxError: invalid syntax"
case_ unclosed_paren "$P
l2::L2Forward(size=1024" 2:14 "SyntaxError: '(' was never closed"
case_ nul_in_string "$P
q::QueueInc(port=p)
l2::L2Forward()
l2.add(entries=[{'addr': '02:00:00:00:00:01\x00junk', 'gate': 0}])" 4:26 "a string holds a NUL character at index 17 (a name, MAC or device string cannot)"
case_ unset_env "$P
s = \$KB_SURELY_UNSET_VAR" 2:5 "environment variable 'KB_SURELY_UNSET_VAR' is not set (write \$KB_SURELY_UNSET_VAR!'default' to give a default)"
case_ python_type_error "$P
n = int(\$KB_SURELY_UNSET_VAR!'x1')" 2:5 "ValueError: invalid literal for int() with base 10: 'x1'"
case_ memory_bomb "x = 'ab'
$(for i in $(seq 32); do echo 'x = x + x'; done)" 30:5 "the script reached its memory limit (1024 MB; kbswitch --script-mem)"
big=$(head -c 1000000 /dev/zero | tr '\0' a)
case_ huge_module_name "$big::Sink()" 1:1 "module name is 1000000 bytes long (at most 63): '$(head -c 48 <<<"$big")... (1000000 bytes)'"
printf 's::Sink()\ns -> %s\n' "$big" >"$KB_TMP/hugename.bess"
kb_check "a 1 MB undefined name: the message keeps its reason (Python clips the name)" bash -c \
	"[[ \$('$SW' -- -f '$KB_TMP/hugename.bess' --check 2>&1) == \"$KB_TMP/hugename.bess:2:6: NameError: name '$(head -c 200 <<<"$big")' is not defined\" ]]"

# A NUL byte in the file, and a file without end, are refused at once.
printf "$P\nq::QueueInc(port=p)\x00\nq -> Sink()\n" >"$KB_TMP/nul.bess"
kb_check "a NUL byte in the script: positioned error" bash -c \
	"[[ \$('$SW' -- -f '$KB_TMP/nul.bess' --check 2>&1) == '$KB_TMP/nul.bess:2:20: NUL byte in the script (a script is text)' ]]"
kb_check "-f /dev/zero: refused at its first byte, memory bounded" bash -c \
	"out=\$(ulimit -v 2000000; timeout 20 '$SW' -- -f /dev/zero --check 2>&1); echo \"\$out\" >&2; [[ \$out == '/dev/zero:1:1: NUL byte in the script (a script is text)' ]]"
yes 'x = 1' | head -c 5000000 >"$KB_TMP/huge.bess"
kb_check "a 5 MB script is refused with its position" bash -c \
	"'$SW' -- -f '$KB_TMP/huge.bess' --check 2>&1 | grep -qx '$KB_TMP/huge.bess:699051:5: script is larger than 4194304 bytes (a pipeline script is a few KB)'"
printf 'while True:\n    pass\n' >"$KB_TMP/loop.bess"
kb_check "an endless loop stops at --script-time with its position" bash -c \
	"timeout 30 '$SW' -- -f '$KB_TMP/loop.bess' --script-time 2 2>&1 | grep -qx '$KB_TMP/loop.bess:[12]:[0-9]*: the script ran past its time limit (2 s; kbswitch --script-time)'"
printf 'x = sum(range(10**15))\n' >"$KB_TMP/cloop.bess"
kb_check "a loop inside C code ends 5 s past the limit, with a message" bash -c \
	"timeout 30 '$SW' -- -f '$KB_TMP/cloop.bess' --script-time 1 2>&1 | grep -q 'the script still runs 5 s past its time limit (1 s); giving up'"
# --check runs the script and starts no EAL (no EAL or TELEMETRY line)
printf '%s\nq::QueueInc(port=p)\nq -> Sink()\nprint("built", q)\n' "$P" >"$KB_TMP/check.bess"
kb_check "--check: script output and OK, nothing from EAL" bash -c \
	"[[ \$('$SW' -- -f '$KB_TMP/check.bess' --check 2>&1) == \$'built q::QueueInc\nkbswitch: $KB_TMP/check.bess: OK, 3 modules' ]]"

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
