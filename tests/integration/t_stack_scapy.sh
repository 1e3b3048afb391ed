#!/usr/bin/env bash
# t_stack_scapy: crafted and malformed segments (python3-scapy,
# tests/tools/kbcraft.py) against kbnet's stack on a net_tap port in a
# network namespace: bad checksums and data offsets, bad IP headers,
# out-of-window data, RFC 5961 RST/SYN checks, garbage.  Each is dropped or
# challenged and counted; the connection survives and delivers exactly its
# own bytes; a kernel client is served afterwards.
# timeout: 240
# asan: yes
source "$(dirname "$0")/../lib.sh"

XFER=$KB_BUILD/tests/unit/stack/kbxfer
PY=/usr/bin/python3
[[ -x $XFER ]] || { kb_fail "kbxfer not built (needs the DPDK layer and libcrypto)"; kb_done; }
$PY -c 'import scapy' || { kb_fail "missing: python3 module scapy (apt-get install python3-scapy)"; kb_done; }

NS=$(kb_name ns)
TAP=$(kb_name tp)
STACK_IP=10.81.0.1 KERN_IP=10.81.0.2 CRAFT_IP=10.81.0.3
STACK_MAC=02:00:00:81:00:01
ip netns add "$NS" || { kb_fail "ip netns add"; kb_done; }
kb_track_netns "$NS"
ip -n "$NS" link set lo up
cat >"$KB_TMP/vm.conf" <<CONF
port = net_tap0,iface=$TAP
ip = $STACK_IP/24
mac = $STACK_MAC
mode = single
file_prefix = kbsc$KB_ID
stat_print = yes
tcp_timeout = -1
# no hugepages: other tests on this shared host may hold them all between
# the layer's check and EAL's allocation (the layer's own tests cover them)
memory = nohuge
# the crafting side: an address no kernel interface owns
arp = $CRAFT_IP 02:00:00:79:00:03
CONF

link_exists() { ip link show "$1" >/dev/null 2>&1; }
SL=$KB_TMP/stack.log
kb_bg "$SL" timeout 200 "$XFER" -f "$KB_TMP/vm.conf" -l 6010 -k 2 -m recv
SPID=$KB_LAST_PID
# move the tap only once the port is fully set up (the tap PMD opens its
# queues by interface name, in our namespace)
kb_wait_log 60 "$SL" '^kbxfer: up' && link_exists "$TAP" || { kb_fail "no tap"; cat "$SL"; kb_done; }
ip link set "$TAP" netns "$NS" &&
ip -n "$NS" addr add "$KERN_IP/24" dev "$TAP" &&
ip -n "$NS" link set "$TAP" up || { kb_fail "moving the tap"; kb_done; }
kb_wait_log 30 "$SL" '^kbxfer: listening' || { kb_fail "no listen"; cat "$SL"; kb_done; }

timeout 120 ip netns exec "$NS" $PY "$KB_ROOT/tests/tools/kbcraft.py" "$KB_TEST" "$TAP" \
	$STACK_IP $STACK_MAC $CRAFT_IP 6010 2>&1 | grep -E '^(PASS|FAIL): '
kernel_client() {
	timeout 60 ip netns exec "$NS" $PY "$KB_ROOT/tests/tools/kbpeer.py" send $STACK_IP 6010 \
		1048576 >"$KB_TMP/peer.log" 2>&1
}
kb_check "kbnet still serves a kernel client after the attacks" kernel_client
wait "$SPID"
src=$?
kb_check "the stack exited cleanly" test "$src" -eq 0

want=$(printf helloworld | sha256sum | cut -d' ' -f1)
kb_check "the crafted connection delivered exactly 'helloworld'" \
	grep -q "^kbxfer: recv 10 $want" "$SL"
peer=$(sed -n 's/^kbpeer: sent \([0-9]* [0-9a-f]*\)/\1/p' "$KB_TMP/peer.log")
kb_check "the kernel client's 1 MB arrived intact" grep -q "^kbxfer: recv $peer" "$SL"

# every drop was counted
counter() { grep -o " $1=[0-9]*" "$SL" | head -n 1 | cut -d= -f2; }
ge() { local v; v=$(counter "$1"); [[ -n $v && $v -ge $2 ]]; }
kb_check "bad TCP checksums counted" ge bad_cksum 1
kb_check "bad data offsets counted" ge bad_doff 2
kb_check "out-of-window segments counted" ge out_of_window 2
kb_check "challenge ACKs counted" ge challenge_ack 2
kb_check "ACKs for unsent data counted" ge ack_too_new 1
mal=$(( $(counter rx_malformed) + $(counter ip_malformed) + $(counter ip_bad_cksum) ))
kb_check "bad IP headers counted (layer or stack)" test "$mal" -ge 2
kb_done
