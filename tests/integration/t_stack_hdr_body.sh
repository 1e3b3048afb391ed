#!/usr/bin/env bash
# t_stack_hdr_body: mTCP's send semantics, seen on the wire.  epserver (on
# kbnet's stack, its port a net_pcap vdev live on one end of a veth pair)
# writes each response's HTTP header and then its body with two
# mtcp_write calls; curl in a namespace on the other end downloads a file
# while tcpdump captures there.  Writes only queue, so the first data
# segment must carry the header and the first body bytes together.  The
# same with tx_drain_us = 0 (every call flushes, the old behaviour) puts
# the header in a segment of its own, which shows the check can fail.
# tx_drain_us = 100000 in the first run: a preempted thread on a loaded
# host must not split the two writes (no timing in the verdict).
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

SRV=$KB_BUILD/apps/epserver
[[ -x $SRV ]] || { kb_fail "epserver not built"; kb_done; }
for c in tcpdump curl ethtool; do
	command -v $c >/dev/null || { kb_fail "$c missing (scripts/install-deps.sh)"; kb_done; }
done
NS=$(kb_name ns) VS=$(kb_name vs) VK=$(kb_name vk)
STACK_IP=10.83.0.1 KERN_IP=10.83.0.2
ip netns add "$NS" || { kb_fail "ip netns add"; kb_done; }
kb_track_netns "$NS"
ip link add "$VS" type veth peer name "$VK" || { kb_fail "ip link add veth"; kb_done; }
kb_track_link "$VS"
ip link set "$VK" netns "$NS"
ip link set "$VS" up
ip -n "$NS" link set lo up
ip -n "$NS" addr add "$KERN_IP/24" dev "$VK"
ip -n "$NS" link set "$VK" up
# the stack verifies every checksum: the kernel must fill them in, not
# leave them to an offload the veth pretends to have
ip netns exec "$NS" ethtool -K "$VK" tx off >/dev/null || { kb_fail "ethtool -K tx off"; kb_done; }

mkdir -p "$KB_TMP/www"
head -c 200000 /dev/urandom >"$KB_TMP/www/f.bin"

# run DRAIN_US: one download with that drain deadline; leaves cap-DRAIN.pcap
run() {
	local drain=$1 log=$KB_TMP/srv-$1.log
	cat >"$KB_TMP/vm.conf" <<CONF
port = net_pcap0,iface=$VS
ip = $STACK_IP/24
mac = 02:00:00:83:00:01
mode = single
file_prefix = kbhb$KB_ID
memory = nohuge
tcp_timeout = -1
tx_drain_us = $drain
CONF
	kb_bg "$log" timeout 100 "$SRV" -f "$KB_TMP/vm.conf" -p "$KB_TMP/www"
	local spid=$KB_LAST_PID
	kb_wait_log 60 "$log" '^epserver: serving' || { kb_fail "epserver did not start"; tail -n 5 "$log"; return 1; }
	kb_bg "$KB_TMP/tcpdump-$drain.log" ip netns exec "$NS" tcpdump --immediate-mode -i "$VK" -U -w "$KB_TMP/cap-$drain.pcap" \
		"tcp and src host $STACK_IP"
	local tpid=$KB_LAST_PID
	kb_wait_log 10 "$KB_TMP/tcpdump-$drain.log" 'listening on' || { kb_fail "tcpdump did not start"; return 1; }
	timeout 30 ip netns exec "$NS" curl -s --max-time 20 -o "$KB_TMP/out-$drain.bin" \
		"http://$STACK_IP/f.bin"
	kb_check "drain $drain: the download is intact" cmp -s "$KB_TMP/www/f.bin" "$KB_TMP/out-$drain.bin"
	sleep 0.5
	kill -INT "$tpid" "$spid" 2>/dev/null
	wait "$tpid" "$spid" 2>/dev/null
}

# first_data PCAP: "HEADER_LEN SEGMENT_LEN" of the server's first data segment
first_data() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from scapy.all import rdpcap, TCP
for p in rdpcap(sys.argv[1]):
    d = bytes(p[TCP].payload) if TCP in p else b""
    if d:
        end = d.find(b"\r\n\r\n")
        print(end + 4 if d.startswith(b"HTTP/1.1 200") and end >= 0 else -1, len(d))
        break
PY
}

run 100000
read -r hl sl <<<"$(first_data "$KB_TMP/cap-100000.pcap")"
echo "queued writes: header $hl bytes, first data segment $sl bytes"
kb_check "the header and the first body bytes leave in one segment" \
	test "${hl:-0}" -gt 0 -a "${sl:-0}" -gt "${hl:-0}"
run 0
read -r hl sl <<<"$(first_data "$KB_TMP/cap-0.pcap")"
echo "tx_drain_us = 0: header $hl bytes, first data segment $sl bytes"
kb_check "with tx_drain_us = 0 the header leaves alone (the check can fail)" \
	test "${hl:-0}" -gt 0 -a "${sl:-0}" -eq "${hl:-0}"
kb_done
