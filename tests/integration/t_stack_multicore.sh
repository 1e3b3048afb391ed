#!/usr/bin/env bash
# t_stack_multicore: per-core stacks.  Two VM processes with two application
# cores each (1kb: num_cores 3; 2kb: num_cores 4) run kbxfer with one thread
# and mTCP context per core.  Client threads connect from ports that soft RSS
# maps back to their own core; the server listens on both cores.  Every
# connection must complete (a flow landing on the wrong core would not) and
# the multiset of SHA-256s sent must equal the one received.
# timeout: 300
# asan: yes
source "$(dirname "$0")/../lib.sh"

XFER=$KB_BUILD/tests/unit/stack/kbxfer
[[ -x $XFER ]] || { kb_fail "kbxfer not built (needs the DPDK layer and libcrypto)"; kb_done; }
CONNS=4   # per client thread

vm_conf() {   # FILE SIDE IP MAC MODE CORES
	local port="net_vhost0,iface=$KB_TMP/vm.sock"
	[[ $2 == virtio ]] && port="net_virtio_user0,path=$KB_TMP/vm.sock"
	cat >"$1" <<CONF
port = $port
ip = $3/24
mac = $4
mode = $5
num_cores = $6
file_prefix = kbmc${KB_ID}$2
stat_print = yes
tcp_timeout = -1
# no hugepages: other tests on this shared host may hold them all between
# the layer's check and EAL's allocation (the layer's own tests cover them)
memory = nohuge
CONF
}

listening_on_both() { [[ $(grep -c '^kbxfer: listening' "$1") -eq 2 ]]; }
hashes() { grep -o "^kbxfer: $2 [0-9]* [0-9a-f]*" "$1" | cut -d' ' -f3- | sort; }

for spec in 1kb:3 2kb:4; do
	mode=${spec%:*} cores=${spec#*:}
	sl=$KB_TMP/$mode-srv.log cl=$KB_TMP/$mode-cli.log
	rm -f "$KB_TMP/vm.sock"
	vm_conf "$KB_TMP/s.conf" vhost 10.83.0.1 02:00:00:83:00:01 $mode $cores
	vm_conf "$KB_TMP/c.conf" virtio 10.83.0.2 02:00:00:83:00:02 $mode $cores
	kb_bg "$sl" timeout 200 "$XFER" -f "$KB_TMP/s.conf" -l 5003 -t 2 -k $((2 * CONNS))
	spid=$KB_LAST_PID
	kb_wait_for 60 listening_on_both "$sl" ||
		{ kb_fail "$mode: server did not listen on both cores"; tail "$sl"; continue; }
	timeout 150 "$XFER" -f "$KB_TMP/c.conf" -c 10.83.0.1:5003 -t 2 -k $CONNS -n 4m >"$cl" 2>&1
	crc=$?
	wait "$spid"
	src=$?
	sent=$(hashes "$cl" sent) recv=$(hashes "$sl" recv)
	n=$(echo "$sent" | grep -c .)
	if [[ $crc -eq 0 && $src -eq 0 && $n -eq $((2 * CONNS)) && $sent == "$recv" ]]; then
		kb_pass "$mode: $n connections over 2 cores each side, all hashes match"
	else
		kb_fail "$mode: client rc=$crc server rc=$src, $n sent; sent/recv hashes differ or missing"
		tail -n 15 "$sl" "$cl"
	fi
	# each server core served some of them: the RSS really spread the flows
	acc=$(grep -o 'conns_accepted=[0-9]*' "$sl" | cut -d= -f2 | tr '\n' ' ')
	kb_check "$mode: server cores accepted [$acc]" bash -c "for a in $acc; do (( a > 0 )) || exit 1; done"
done
kb_done
