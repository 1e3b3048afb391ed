# Guest script (boot-guest.sh -K -r): a Linux peer.  Linux's own virtio_net
# drives the NIC ($KB_IFACE) with the offloads it negotiated (TSO, checksum
# offload: its defaults), and Linux's TCP talks to kbnet's stack across the
# switch.  Files the host puts in:
#   /kb/ip        ADDR/PREFIX for the NIC       /kb/mtu   its MTU (1500)
#   /kb/up.bin    what the listeners send       /kb/ports ports to serve it on
# Every port in /kb/ports gets a busybox nc that sends /kb/up.bin to the
# first peer that connects, then closes: kernel TCP sending 64 KB GSO frames
# with partial checksums.  Then it prints "guest: up" and obeys console
# lines (boot-guest.sh -x):
#   get URL    busybox wget URL -> "guest: get rc=RC bytes=N sha256 HEX"
#   stats      "guest: stats rx_packets=.. rx_bytes=.. tx_packets=.. tx_bytes=.."
#              (the driver's counts: a GSO frame counts once, whole)
#   stop       end (status 0 when every listener sent its file)
if=$KB_IFACE
mtu=$(cat /kb/mtu 2>/dev/null || echo 1500)
ip link set dev "$if" mtu "$mtu" || exit 1
ip addr add "$(cat /kb/ip)" dev "$if" || exit 1
ip link set dev "$if" up || exit 1
# the vhost-user backend is connected before QEMU starts the guest (-S):
# the link comes up at once, unless the switch's port is broken
i=0
until [ "$(cat /sys/class/net/$if/carrier 2>/dev/null)" = 1 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { echo "guest: link $if still down after 10 s"; exit 1; }
	sleep 0.1
done
# At TCG's pace Linux sizes its GSO frames to 1 ms of data, a few
# segments; a fast guest builds them up to 64 KB.  Make them that big here
# too (at least 128 segments, 64 KB at most), or a small-MSS far end would
# never see the frames that need the most cutting.
echo 128 >/proc/sys/net/ipv4/tcp_min_tso_segs || exit 1
echo "guest: link $if up mtu=$(cat /sys/class/net/$if/mtu) addr=$(cat /kb/ip)"
# what virtio_net turned on (ethtool -k), one line: the test asserts on it
echo "guest: offloads $(ethtool -k "$if" | sed -n \
	-e 's/^tcp-segmentation-offload: \([a-z]*\).*/tso=\1/p' \
	-e 's/^generic-segmentation-offload: \([a-z]*\).*/gso=\1/p' \
	-e 's/^tx-checksumming: \([a-z]*\).*/tx-csum=\1/p' \
	-e 's/^rx-checksumming: \([a-z]*\).*/rx-csum=\1/p' \
	-e 's/^generic-receive-offload: \([a-z]*\).*/gro=\1/p' | tr '\n' ' ')"

stats() {
	local d=/sys/class/net/$if/statistics
	echo "guest: stats rx_packets=$(cat $d/rx_packets) rx_bytes=$(cat $d/rx_bytes)" \
		"tx_packets=$(cat $d/tx_packets) tx_bytes=$(cat $d/tx_bytes)"
}

pids=""
for p in $(cat /kb/ports 2>/dev/null); do
	nc -l -p "$p" </kb/up.bin &
	pids="$pids $!"
done
for p in $(cat /kb/ports 2>/dev/null); do
	i=0
	until netstat -ltn | grep -q ":$p "; do
		i=$((i + 1))
		[ $i -le 50 ] || { echo "guest: nothing listens on $p"; exit 1; }
		sleep 0.1
	done
done
echo "guest: up"
while read -r cmd arg; do
	case $cmd in
	get)
		rm -f /tmp/got.bin
		wget -q -O /tmp/got.bin "$arg"
		rc=$?
		echo "guest: get rc=$rc bytes=$(wc -c </tmp/got.bin) sha256 $(sha256sum </tmp/got.bin | cut -d' ' -f1)"
		rm -f /tmp/got.bin ;;
	stats) stats ;;
	stop) break ;;
	esac
done
stats
rc=0
for pid in $pids; do
	if kill -0 "$pid" 2>/dev/null; then
		echo "guest: listener $pid never served its file"
		kill "$pid"
		rc=1
	fi
done
exit $rc
