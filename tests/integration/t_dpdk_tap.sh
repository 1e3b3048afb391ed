#!/usr/bin/env bash
# The layer against a real Linux neighbour: kbl2test echoes on a net_tap
# port moved into a network namespace.
#  - the kernel resolves us by ARP (we answer) and we learn it from its
#    request; UDP datagrams from a kernel socket come back echoed, intact;
#  - raw frames the kernel would never send (runt, IPv6, VLAN, bad IPv4
#    version/checksum/length, truncated ARP, another IP) are dropped and
#    counted by kind, and the echo keeps working afterwards.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"

PY=/usr/bin/python3
NS=$(kb_name dn)
TAP=$(kb_name dt)
MY_IP=10.83.0.1 MY_MAC=02:00:00:83:00:01 KERN_IP=10.83.0.2
ip netns add "$NS" || { kb_fail "ip netns add"; kb_done; }
kb_track_netns "$NS"
ip -n "$NS" link set lo up
conf=$KB_TMP/tap.conf log=$KB_TMP/tap.log
dl_conf "$conf" "net_tap0,iface=$TAP" $MY_IP $MY_MAC single 1 "$PFX_A"
kb_bg "$log" timeout 100 "$L2T" --conf "$conf" --role echo
pid=$KB_LAST_PID
kb_wait_log 30 "$log" 'kbl2test: ready' || { kb_fail "did not start"; cat "$log"; kb_done; }
ip link set "$TAP" netns "$NS" &&
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" &&
ip -n "$NS" addr add "$KERN_IP/24" dev "$TAP" &&
ip -n "$NS" link set "$TAP" up || { kb_fail "moving the tap into $NS"; kb_done; }

# udp N: N datagrams with kbl2test's payload from a kernel socket, each
# echoed back byte for byte (addresses and ports swapped).
cat >"$KB_TMP/udp.py" <<'PY'
import socket, struct, sys
n, dst = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40000))
s.settimeout(5)
ok = 0
for i in range(n):
    msg = struct.pack("<IHHQ", 0x6b626c32, 0, 0, i) + bytes(range(20))
    s.sendto(msg, (dst, 9000))
    try:
        data, addr = s.recvfrom(2048)
    except socket.timeout:
        print("no echo for", i); continue
    if data == msg and addr == (dst, 9000):
        ok += 1
    else:
        print("bad echo", i, addr, data)
print("udp_ok=%d of %d" % (ok, n))
sys.exit(0 if ok == n else 1)
PY
# raw frames to our MAC from an AF_PACKET socket on the tap
cat >"$KB_TMP/raw.py" <<'PY'
import socket, struct, sys
ifn, my_mac, my_ip, other_ip = sys.argv[1:5]
dmac = bytes(int(x, 16) for x in my_mac.split(":"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifn, 0))
smac = s.getsockname()[4][:6]
def eth(t): return dmac + smac + struct.pack("!H", t)
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff
def ip(dst, ver_ihl=0x45, tot=48, bad_sum=False):
    h = struct.pack("!BBHHHBBH4s4s", ver_ihl, 0, tot, 1, 0, 64, 17, 0,
                    socket.inet_aton("10.83.0.9"), socket.inet_aton(dst))
    c = csum(h) ^ (0x5a5a if bad_sum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:]
udp = struct.pack("!HHHH", 1234, 9000, 28, 0) + bytes(20)
frames = {
  "runt":        eth(0x0800) + bytes(10),
  "ipv6":        eth(0x86dd) + bytes(46),
  "vlan":        eth(0x8100) + struct.pack("!HH", 5, 0x0800) + ip(my_ip) + udp,
  "bad_version": eth(0x0800) + ip(my_ip, ver_ihl=0x65) + udp,
  "bad_ihl":     eth(0x0800) + ip(my_ip, ver_ihl=0x44) + udp,
  "bad_cksum":   eth(0x0800) + ip(my_ip, bad_sum=True) + udp,
  "bad_len":     eth(0x0800) + ip(my_ip, tot=1400) + udp,
  "arp_trunc":   eth(0x0806) + bytes(10),
  "other_ip":    eth(0x0800) + ip(other_ip) + udp,
}
for name, f in frames.items():
    s.send(f)
print("raw frames sent:", " ".join(frames))
PY

kb_check "kernel UDP through our ARP and echo (20 datagrams)" \
	timeout 60 ip netns exec "$NS" $PY "$KB_TMP/udp.py" 20 $MY_IP
kb_check "raw frames sent" timeout 30 ip netns exec "$NS" $PY "$KB_TMP/raw.py" "$TAP" $MY_MAC $MY_IP 10.83.0.77
kb_check "still echoing after the bad frames" \
	timeout 60 ip netns exec "$NS" $PY "$KB_TMP/udp.py" 5 $MY_IP
kill -TERM "$pid"
kb_wait_for 20 bash -c "! kill -0 $pid"
wait "$pid"
kb_check "exits 0 on SIGTERM" test $? -eq 0
grep -E '^ *(layer|malformed|arp):|^RESULT' "$log"
ok=1
for k in runt bad_version bad_ihl bad_len bad_cksum; do
	[[ $(dl_stat "$log" $k) == 1 ]] || { ok=0; echo "$k=$(dl_stat "$log" $k), expected 1"; }
done
kb_check "malformed frames counted by kind, one each" test $ok -eq 1
kb_check "IPv6 and VLAN frames counted as non-IP ($(dl_stat "$log" non_ip_dropped))" \
	test "$(dl_stat "$log" non_ip_dropped)" -ge 2
arp_bad=$(grep '^ *arp:' "$log" | grep -oE ' bad=[0-9]+' | cut -d= -f2)
kb_check "truncated ARP counted (arp bad=$arp_bad)" test "$arp_bad" -eq 1
kb_check "another IP filtered ($(dl_stat "$log" rx_filtered))" test "$(dl_stat "$log" rx_filtered)" -ge 1
kb_check "answered the kernel's ARP and learned it, asked nothing" \
	test "$(dl_stat "$log" reply_tx)" -ge 1 -a "$(dl_stat "$log" learned)" -ge 1 -a "$(dl_stat "$log" req_tx)" -eq 0
kb_check "echo saw 25 datagrams, all on core 0" \
	test "$(dl_result "$log" recv)" -eq 25 -a "$(dl_result "$log" wrong_core)" -eq 0
kb_done
