#!/usr/bin/env bash
# t_stack_direct: two VM processes running kbnet's stack (tests/tools/kbxfer
# over libkbnet), their ports wired directly (net_vhost0 <-> net_virtio_user0),
# exchange data both ways in each DPDK-layer mode; SHA-256 of what one side
# sent must equal what the other received.
# timeout: 400
# asan: yes
source "$(dirname "$0")/../lib.sh"

XFER=$KB_BUILD/tests/unit/stack/kbxfer
[[ -x $XFER ]] || { kb_fail "kbxfer not built (needs the DPDK layer and libcrypto)"; kb_done; }
BYTES=${KB_STACK_BYTES:-20m}

# vm_conf FILE SIDE IP MAC MODE
vm_conf() {
	local f=$1 side=$2 ip=$3 mac=$4 mode=$5 cores=1 port
	case $mode in 1kb) cores=2 ;; 2kb) cores=3 ;; esac
	if [[ $side == vhost ]]; then
		port="net_vhost0,iface=$KB_TMP/vm.sock"
	else
		port="net_virtio_user0,path=$KB_TMP/vm.sock"
	fi
	cat >"$f" <<CONF
# written by $KB_TEST
port = $port
ip = $ip/24
mac = $mac
mode = $mode
num_cores = $cores
file_prefix = kbst${KB_ID}${side}
stat_print = yes
tcp_timeout = -1
# no hugepages: other tests on this shared host may hold them all between
# the layer's check and EAL's allocation (the layer's own tests cover them)
memory = nohuge
CONF
}

hash_of() { sed -n "s/^kbxfer: $2 \([0-9]*\) \([0-9a-f]*\).*/\1 \2/p" "$1" | head -n 1; }

# one_run MODE DIR: DIR=up (virtio client sends) or down (server sends)
one_run() {
	local mode=$1 dir=$2 smode cmode
	local sl=$KB_TMP/$mode-$dir-srv.log cl=$KB_TMP/$mode-$dir-cli.log
	rm -f "$KB_TMP/vm.sock"
	vm_conf "$KB_TMP/srv.conf" vhost 10.77.0.1 02:00:00:77:00:01 "$mode"
	vm_conf "$KB_TMP/cli.conf" virtio 10.77.0.2 02:00:00:77:00:02 "$mode"
	if [[ $dir == up ]]; then smode=recv cmode=send; else smode=send cmode=recv; fi
	kb_bg "$sl" timeout 120 "$XFER" -f "$KB_TMP/srv.conf" -l 5001 -m $smode -n "$BYTES"
	local spid=$KB_LAST_PID
	if ! kb_wait_log 60 "$sl" '^kbxfer: listening'; then
		kb_fail "$mode $dir: server did not start"; tail -n 20 "$sl"; return
	fi
	timeout 120 "$XFER" -f "$KB_TMP/cli.conf" -c 10.77.0.1:5001 -m $cmode -n "$BYTES" >"$cl" 2>&1
	local crc=$?
	wait "$spid" 2>/dev/null
	local srv cli want
	if [[ $dir == up ]]; then srv=$(hash_of "$sl" recv); cli=$(hash_of "$cl" sent)
	else srv=$(hash_of "$sl" sent); cli=$(hash_of "$cl" recv); fi
	if [[ $crc -eq 0 && -n $srv && $srv == "$cli" ]]; then
		kb_pass "$mode $dir: $cli"
	else
		kb_fail "$mode $dir: client rc=$crc server='$srv' client='$cli'"
		tail -n 15 "$sl" "$cl"
	fi
}

for mode in single 1kb 2kb; do
	one_run "$mode" up
	one_run "$mode" down
done
kb_done
