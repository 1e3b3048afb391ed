#!/usr/bin/env bash
# t_stack_direct: two VM processes running kbnet's stack (tests/tools/kbxfer
# over libkbnet), their ports wired directly (net_vhost0 <-> net_virtio_user0),
# exchange data both ways in each DPDK-layer mode; SHA-256 of what one side
# sent must equal what the other received.
# timeout: 400
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_xfer.sh"

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

# one_run MODE DIR: DIR=up (virtio client sends) or down (server sends)
one_run() {
	local mode=$1 dir=$2
	rm -f "$KB_TMP/vm.sock"
	vm_conf "$KB_TMP/srv.conf" vhost 10.77.0.1 02:00:00:77:00:01 "$mode"
	vm_conf "$KB_TMP/cli.conf" virtio 10.77.0.2 02:00:00:77:00:02 "$mode"
	xfer_pair "$mode" "$KB_TMP/srv.conf" "$KB_TMP/cli.conf" 10.77.0.1:5001 "$dir" "$BYTES" || return
	if [[ $XFER_RC -eq 0 && -n $XFER_SENT && $XFER_SENT == "$XFER_RECV" ]]; then
		kb_pass "$mode $dir: $XFER_SENT"
	else
		kb_fail "$mode $dir: client rc=$XFER_RC sent='$XFER_SENT' received='$XFER_RECV'"
		tail -n 15 "$XFER_TX" "$XFER_RX"
	fi
}

for mode in single 1kb 2kb; do
	one_run "$mode" up
	one_run "$mode" down
done
kb_done
