#!/usr/bin/env bash
# tests/switch/bess/*.bess (and conf/*.bess), scripts written the way BESS's bessctl/conf
# scripts are (loops over $KB_VMS VMs, MAC helpers, scapy-built templates,
# int() of the environment, print): each passes --check (no EAL), and three
# run for real over net_pcap ports, their output compared byte for byte with
# frames switch_bess.py computes independently (Rewrite, VLANPush, VLANPop,
# RoundRobin, RandomUpdate, Bypass, L2Forward, Replicate).
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
BESS=$KB_ROOT/tests/switch/bess
$PY -c 'import scapy' || { kb_fail "missing: python3 module scapy (apt-get install python3-scapy)"; kb_done; }
kb_on_exit "rm -rf /var/run/dpdk/kbsb$KB_ID"

for f in "$BESS"/*.bess "$KB_ROOT"/conf/*.bess; do
	n=$(basename "$f" .bess)
	out=$(KB_VMS=3 timeout 60 "$SW" -- -f "$f" --check 2>&1)
	if [[ $? -eq 0 && $out == *"kbswitch: $f: OK, "*" modules" && $out != *EAL* && $out != *TELEMETRY* ]]; then
		kb_pass "$n: --check (${out##*OK, }; $(head -1 <<<"$out"))"
	else
		kb_fail "$n: --check: $out"
	fi
done

# run NAME NPORTS LAST_MODULE_LINE [sorted]: the script over net_pcap ports
run() {
	local name=$1 nports=$2 sorted=${3:-} d=$KB_TMP/$1 total pid ok=1
	mkdir -p "$d"
	total=$($PY "$KB_ROOT/tests/integration/switch_bess.py" gen "$name" "$d") ||
		{ kb_fail "$name: cannot generate frames"; return; }
	KB_VMS=$nports KB_PCAP_DIR=$d kb_bg "$d/sw.log" timeout 60 "$SW" $(kb_eal_mem vhost 128) \
		--no-pci -l 0 --file-prefix=kbsb$KB_ID -- -f "$BESS/$name.bess" --ctl "$d/ctl"
	pid=$KB_LAST_PID
	# every input frame taken in (the first QueueInc's gate 0 counts them)
	if ! kb_wait_for 40 bash -c "'$KBCTL' --ctl '$d/ctl' show pipeline 2>/dev/null | grep -q '^  queueinc[0-9]*:0 -> .* pkts=$total '"; then
		kb_fail "$name: the switch did not take the $total input frames"
		tail -20 "$d/sw.log"
		kill -INT "$pid" 2>/dev/null
		return
	fi
	[[ -n ${HOOK:-} ]] && $HOOK "$d"
	kill -INT "$pid"
	kb_wait_for 20 bash -c "! kill -0 $pid"
	wait "$pid"
	kb_check "$name: clean exit on SIGINT" test $? -eq 0
	for ((i = 0; i < nports; i++)); do
		if $PY "$KB_ROOT/tests/integration/switch_bess.py" cmp "$d/want$i.pcap" "$d/out$i.pcap" $sorted; then
			kb_pass "$name: port $i: $($PY -c "from scapy.all import rdpcap; print(len(rdpcap('$d/want$i.pcap')))") frames byte for byte"
		else
			kb_fail "$name: port $i frames differ"
			ok=0
		fi
	done
	((ok)) || tail -30 "$d/sw.log"
}

run l2_switch 3 sorted
# the new modules' commands through kbctl, while it runs
rr_cmds() {
	local k="$KBCTL --ctl $1/ctl"
	kb_check "kbctl: RoundRobin set_mode batch" bash -c "[[ \$($k command module rr set_mode batch) == ok ]]"
	kb_check "kbctl: RoundRobin refuses set_mode flow (exit 1, the reason)" bash -c \
		"out=\$($k command module rr set_mode flow 2>&1); [[ \$? -ne 0 && \$out == *\"mode is 'batch' or 'packet'\"* ]]"
	kb_check "kbctl: show module has rr in batch mode over gates 0, 1" bash -c \
		"$k show module | grep -q '^rr::RoundRobin drops=0 mode=batch gates=\[0, 1\]'"
	kb_check "kbctl: Rewrite clear, VLANPush set_tci" bash -c \
		"[[ \$($k command module rewrite1 clear) == ok && \$($k command module vlanpush2 set_tci 7) == ok ]] && $k show module | grep -q '^vlanpush2::VLANPush drops=0 tci=7 ' && $k show module | grep -q '^rewrite1::Rewrite drops=0 templates=0 '"
	kb_check "kbctl: Replicate set_gates needs a gate" bash -c "! $k command module nosuch set_gates 2>/dev/null"
}
HOOK=rr_cmds run rewrite_vlan 2
grep -q '^rewrite_vlan: 4 templates (48/48/48/48 bytes), tci 100' "$KB_TMP/rewrite_vlan/sw.log" &&
	kb_pass "rewrite_vlan: the script's print reached kbswitch's output" ||
	kb_fail "rewrite_vlan: no print output"
grep -q 'VLANPush .*pushed=11 ' "$KB_TMP/rewrite_vlan/sw.log" &&
	kb_pass "rewrite_vlan: VLANPush counted 11 pushed" || kb_fail "rewrite_vlan: VLANPush counters: $(grep VLANPush "$KB_TMP/rewrite_vlan/sw.log")"
run random_update 2
grep -q 'RandomUpdate .*updated=4 short=2 ' "$KB_TMP/random_update/sw.log" &&
	kb_pass "random_update: a 30-byte frame counted short for both fields" ||
	kb_fail "random_update: counters: $(grep RandomUpdate "$KB_TMP/random_update/sw.log")"
kb_done
