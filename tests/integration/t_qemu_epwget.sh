#!/usr/bin/env bash
# epwget in one real QEMU guest against epserver in another, through
# kbswitch (conf/forward_script.bess): each guest's virtio-net-pci NIC is a
# vhost-user port of the switch, driven inside the guest by the DPDK layer
# through uio_pci_generic, under the stack.  Guest B downloads a 1 MB file
# (SHA-256 compared) and makes keep-alive requests; guest A's epserver counts
# them; the guests' NICs negotiate TSO/LRO and the file crosses the switch
# in 64 KB segments.  KB_QEMU_SWITCH=testpmd wires the two ports with a host
# dpdk-testpmd in io mode instead (to tell a switch problem from a guest
# one).  Through kbswitch, a broken data path fails 60 s after guest B's
# first frame (qemu_wait_progress), not at the time limit.
# timeout: 600
source "$(dirname "$0")/../lib.sh"
source "$KB_ROOT/tests/qemu/lib_qemu.sh"

SWITCH=${KB_QEMU_SWITCH:-kbswitch}
REQS=40
qemu_require apps/epserver apps/epwget
[[ $SWITCH == testpmd ]] || qemu_require src/switch/kbswitch
qemu_initramfs
qemu_accel

sdir=$KB_TMP/sw
mkdir -p "$sdir"
s1=$sdir/vm1.sock s2=$sdir/vm2.sock
case $SWITCH in
testpmd)
	kb_bg "$KB_TMP/switch.log" timeout 560 nice -n 5 dpdk-testpmd --lcores '0@(0-1),1@(0-1)' \
		--file-prefix "qemu$KB_ID" $(kb_eal_mem vhost 256) --no-pci --no-telemetry \
		--vdev "net_vhost0,iface=$s1,client=1" --vdev "net_vhost1,iface=$s2,client=1" \
		-- --forward-mode=io --nb-cores=1 --stats-period 30 ;;
kbswitch)
	qemu_start_kbswitch "$KB_TMP/switch.log" "$sdir" ;;
*) kb_fail "KB_QEMU_SWITCH: expected kbswitch or testpmd, got '$SWITCH'"; exit 1 ;;
esac
sw=$KB_LAST_PID
# Both switches connect as vhost-user clients (client=1) to the sockets the
# guests' QEMU owns (boot-guest.sh -S), as conf/forward_script.bess does.
if ! kb_wait_log 60 "$KB_TMP/switch.log" '^kbswitch: running|Press enter|Interactive-mode|io packet forwarding'; then
	kb_fail "$SWITCH did not start: $(tail -n 3 "$KB_TMP/switch.log")"; exit 1
fi
kb_pass "$SWITCH runs, as the vhost-user client of vm1.sock and vm2.sock"

# The demo's VM configs, without their virtio-user port: the guest script
# adds the NIC's PCI address.
# stat_print: the guests print their counters (offloads included) at exit.
sed -e '/^port *=/d' -e '/^vhost_server *=/d' -e 's/^stat_print *=.*/stat_print = yes/' \
	"$KB_ROOT/conf/vm1.conf" >"$KB_TMP/vm1.conf"
sed -e '/^port *=/d' -e '/^vhost_server *=/d' -e 's/^stat_print *=.*/stat_print = yes/' \
	"$KB_ROOT/conf/vm2.conf" >"$KB_TMP/vm2.conf"
mac1=$(sed -n 's/^mac *= *\([0-9a-f:]*\).*/\1/p' "$KB_TMP/vm1.conf")
mac2=$(sed -n 's/^mac *= *\([0-9a-f:]*\).*/\1/p' "$KB_TMP/vm2.conf")
ip1=$(sed -n 's|^ip *= *\([0-9.]*\).*|\1|p' "$KB_TMP/vm1.conf")
head -c 1048576 /dev/urandom >"$KB_TMP/file.bin"
echo "kbnet in a guest" >"$KB_TMP/index.html"
want=$(sha256sum <"$KB_TMP/file.bin" | cut -d' ' -f1)
echo "http://$ip1/file.bin" >"$KB_TMP/url"
echo "$REQS" >"$KB_TMP/requests"

# Guest A: epserver until we write "stop" on its console.
mkfifo "$KB_TMP/a.in"
exec 7<>"$KB_TMP/a.in"
qemu_guest "$KB_TMP/a.log" "$s1" "$mac1" "$KB_QEMU/guest/epserver.sh" -S -x "$KB_TMP/a.in" \
	-f "$KB_TMP/vm1.conf:vm.conf" -f "$KB_TMP/file.bin:www/file.bin" -f "$KB_TMP/index.html:www/index.html"
ga=$KB_LAST_PID
if ! qemu_wait_log 300 "$KB_TMP/a.log" "^epserver: serving" "$ga"; then
	kb_fail "guest A: epserver did not start"; tail -n 40 "$KB_TMP/a.log"; exit 1
fi
kb_pass "guest A: $(grep -m1 '^epserver: serving' "$KB_TMP/a.log")"

qemu_guest "$KB_TMP/b.log" "$s2" "$mac2" "$KB_QEMU/guest/epwget.sh" -S \
	-f "$KB_TMP/vm2.conf:vm.conf" -f "$KB_TMP/url:url" -f "$KB_TMP/requests:requests"
gb=$KB_LAST_PID
if [[ $SWITCH == kbswitch ]]; then
	qemu_wait_progress 360 "$gb" "$KB_TMP/b.log" "$sdir/kbswitch.ctl" vm2; rb=$?
	[[ -z $STALL ]] || kb_fail "guest B: $STALL"
else
	qemu_wait_exit 360 "$gb"; rb=$?
fi
if [[ $SWITCH == kbswitch ]]; then
	# the traffic went through the switch's ports, both ways
	timeout 10 "$KB_BIN/src/switch/kbctl" --ctl "$sdir/kbswitch.ctl" show port >"$KB_TMP/ports.txt" 2>&1
	busy=$(grep -cE 'rx_pkts=[1-9][0-9]{2,} .* tx_pkts=[1-9][0-9]{2,}' "$KB_TMP/ports.txt")
	kb_check "kbswitch: both guests' ports received and sent (kbctl show port: $(grep -o 'rx_pkts=[0-9]*\|tx_pkts=[0-9]*' "$KB_TMP/ports.txt" | tr '\n' ' '))" \
		test "$busy" = 2
	# for the log: where the switch dropped what (TCG guests drain slowly)
	timeout 10 "$KB_BIN/src/switch/kbctl" --ctl "$sdir/kbswitch.ctl" show module 2>&1 | sed 's/^/kbswitch: /'
fi
echo stop >&7
qemu_wait_exit 120 "$ga"; ra=$?

got=$(sed -n 's/^guest: sha256 \([0-9a-f]*\) rc=0.*/\1/p' "$KB_TMP/b.log")
json=$(sed -n 's/^guest: json \(.*\) rc=[0-9]*.*/\1/p' "$KB_TMP/b.log")
kb_check "guest B: epwget ran and the guest powered off (status $rb)" test "$rb" = 0
kb_check "guest B: 1 MB download through $SWITCH, sha256 ${got:-none} (want $want)" test "$got" = "$want"
kb_check "guest B: $REQS keep-alive requests, all 200: ${json:-no JSON}" \
	/usr/bin/python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r['ok']==$REQS and r['errors']==0 else 1)" "${json:-null}"
kb_check "guest A: epserver stopped and the guest powered off (status $ra)" test "$ra" = 0
kb_check "guest A: epserver counted $((REQS + 1)) requests: $(grep -m1 '^epserver: done' "$KB_TMP/a.log")" \
	grep -qE "^epserver: done: .*\(200: $((REQS + 1)), " "$KB_TMP/a.log"
# Big segments in a guest too: virtio-net-pci on the switch's tso=1 ports
# negotiates TSO and LRO, guest A sends 64 KB segments, guest B takes them
# whole (multi-segment mbufs, in 16 KB receive buffers) and trusts the
# partial checksums.
if [[ $SWITCH == kbswitch ]]; then
	kb_check "guest A: the NIC took TSO and LRO ($(grep -m1 -o 'offloads: .*' "$KB_TMP/a.log"))" \
		grep -q 'offloads: tso=1 lro=1' "$KB_TMP/a.log"
	kb_check "guest A: sent TSO segments ($(grep -m1 -o 'tso_segs=[0-9]*' "$KB_TMP/a.log"))" \
		grep -qE 'tso_segs=[1-9]' "$KB_TMP/a.log"
	kb_check "guest B: received them whole ($(grep -m1 -o 'rx_big_segs=[0-9]*' "$KB_TMP/b.log"))" \
		grep -qE 'rx_big_segs=[1-9]' "$KB_TMP/b.log"
	kb_check "guest B: in 16 KB receive buffers ($(grep -m1 -o 'rx_buf=[0-9]* rx_copied=[0-9]*' "$KB_TMP/b.log"))" \
		grep -q 'rx_buf=16384' "$KB_TMP/b.log"
fi
if (( KB_FAILED )); then
	for g in a b; do echo "---- guest ${g^^} console (tail)"; tail -n 30 "$KB_TMP/$g.log"; done
	echo "---- $SWITCH (tail)"; tail -n 20 "$KB_TMP/switch.log"
fi
kb_done
