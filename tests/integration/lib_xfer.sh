# lib_xfer.sh: sourced by tests after tests/lib.sh.  One bulk transfer with
# kbxfer (tests/tools/kbxfer.c over libkbnet) between two VM configs.
#
# xfer_pair TAG SRV_CONF CLI_CONF ADDR:PORT DIR BYTES
#   DIR=up: the client sends, the server receives; down: the reverse.
#   Sets XFER_RC (client's exit status), XFER_SENT / XFER_RECV ("bytes
#   sha256" each side printed, empty when missing), XFER_TX / XFER_RX (the
#   sending and receiving side's logs).  Returns 1 when the server did not
#   start (reported as a FAIL).  XFER_LIMIT: the client's limit in seconds
#   (default 120).
XFER=$KB_BUILD/tests/unit/stack/kbxfer

# xfer_vm_conf FILE SOCK IP MAC TAG [EXTRA]: a VM on a virtio-user port
# serving the vhost-user socket SOCK (kbswitch connects to it, as
# conf/forward_script.bess does), no hugepages (other tests on a shared host
# may hold them), EXTRA lines appended; single mode unless EXTRA sets one.
xfer_vm_conf() {
	cat >"$1" <<CONF
# written by ${KB_TEST:-$0}
port = net_virtio_user0,path=$2
vhost_server = yes
ip = $3/24
mac = $4
$([[ ${6:-} == *"mode ="* ]] || echo "mode = single")
file_prefix = $5${KB_ID}$(basename "$1" .conf)
tcp_timeout = -1
memory = nohuge
${6:-}
CONF
}

xfer_hash_of() { sed -n "s/^kbxfer: $2 \([0-9]*\) \([0-9a-f]*\).*/\1 \2/p" "$1" | head -n 1; }

xfer_pair() {
	local tag=$1 sconf=$2 cconf=$3 addr=$4 dir=$5 bytes=$6 smode cmode
	local sl=$KB_TMP/$tag-$dir-srv.log cl=$KB_TMP/$tag-$dir-cli.log
	if [[ $dir == up ]]; then smode=recv cmode=send; else smode=send cmode=recv; fi
	XFER_RC=1 XFER_SENT="" XFER_RECV=""
	# shellcheck disable=SC2086  # XFER_SRV_ARGS: extra words for the server
	kb_bg "$sl" timeout 120 "$XFER" -f "$sconf" -l "${addr##*:}" -m $smode -n "$bytes" ${XFER_SRV_ARGS:-}
	local spid=$KB_LAST_PID
	if ! kb_wait_log 60 "$sl" '^kbxfer: listening'; then
		kb_fail "$tag $dir: server did not start"; tail -n 20 "$sl"; return 1
	fi
	timeout "${XFER_LIMIT:-120}" "$XFER" -f "$cconf" -c "$addr" -m $cmode -n "$bytes" >"$cl" 2>&1
	XFER_RC=$?
	wait "$spid" 2>/dev/null
	if [[ $dir == up ]]; then XFER_TX=$cl XFER_RX=$sl; else XFER_TX=$sl XFER_RX=$cl; fi
	XFER_SENT=$(xfer_hash_of "$XFER_TX" sent)
	XFER_RECV=$(xfer_hash_of "$XFER_RX" recv)
	return 0
}
