# lib_dl.sh: sourced by tests after tests/lib.sh.  Downloads of a 3 MiB
# file through kbswitch (conf/forward_script.bess): epserver in VM 1
# (10.0.0.1), epwget in VM 2 (10.0.0.2), both single-mode virtio-user ports
# that own their vhost-user sockets.
#
# dl_switch TAG: checks the binaries, writes $KB_TMP/www/f.bin (DL_SHA: its
# sha256) and starts kbswitch (control socket $DL_CTL); VM sockets $DL_S1,
# $DL_S2.  Fails the test (kb_done) when something is missing.
# dl_vm_conf FILE PORT-ARGS IP MAC TAG [EXTRA]: a VM config; PORT-ARGS is
# the virtio-user path and any devargs (`$DL_S2,queue_size=64`).
# dl_server CONF: epserver in VM 1 until it serves; DL_SRV its pid.
DL_APPS=$KB_BUILD/apps
DL_KBCTL=$KB_BUILD/src/switch/kbctl

dl_switch() {
	local b sw=$KB_BUILD/src/switch/kbswitch
	for b in "$DL_APPS/epserver" "$DL_APPS/epwget" "$sw" "$DL_KBCTL"; do
		[[ -x $b ]] || { kb_fail "$b not built"; kb_done; }
	done
	mkdir -p "$KB_TMP/www"
	head -c 3145728 /dev/urandom >"$KB_TMP/www/f.bin"
	DL_SHA=$(sha256sum <"$KB_TMP/www/f.bin" | cut -d' ' -f1)
	DL_S1=$KB_TMP/vm1.sock DL_S2=$KB_TMP/vm2.sock DL_CTL=$KB_TMP/sw.ctl
	KB_VM1_SOCK=$DL_S1 KB_VM2_SOCK=$DL_S2 KB_VM1_MAC=02:00:00:00:00:01 \
		KB_VM2_MAC=02:00:00:00:00:02 kb_bg "$KB_TMP/sw.log" timeout 170 "$sw" \
		$(kb_eal_mem vhost 256) --file-prefix="$1${KB_ID}sw" -- \
		-f "$KB_ROOT/conf/forward_script.bess" --ctl "$DL_CTL"
	kb_wait_for 60 test -S "$DL_CTL" ||
		{ kb_fail "kbswitch did not start"; tail -n 15 "$KB_TMP/sw.log"; kb_done; }
}

dl_vm_conf() {
	cat >"$1" <<CONF
# written by $KB_TEST
port = net_virtio_user0,path=$2
ip = $3/24
mac = $4
mode = single
file_prefix = $5${KB_ID}$(basename "$1" .conf)
tcp_timeout = -1
eal_args = --single-file-segments
vhost_server = yes
${6:-}
CONF
}

dl_server() {
	kb_bg "$KB_TMP/eps.log" timeout 160 "$DL_APPS/epserver" -f "$1" -p "$KB_TMP/www" -P 80
	DL_SRV=$KB_LAST_PID
	kb_wait_log 60 "$KB_TMP/eps.log" '^epserver: serving' ||
		{ kb_fail "epserver did not start"; tail -n 15 "$KB_TMP/eps.log"; kb_done; }
}
