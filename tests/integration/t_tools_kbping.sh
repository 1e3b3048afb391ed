#!/usr/bin/env bash
# t_tools_kbping: kbping, from one VM process, pings another whose stack
# answers ICMP echo (epserver), over a direct vhost-user/virtio-user pair;
# the first request resolves the peer by ARP.  A silent address gets no
# reply and exit 1; bad usage exits 2 before DPDK starts.
# timeout: 90
# asan: yes
source "$(dirname "$0")/../lib.sh"

PING=$KB_BUILD/tools/kbping
SRV=$KB_BUILD/apps/epserver
[[ -x $PING && -x $SRV ]] || { kb_fail "kbping or epserver not built"; kb_done; }

mkdir -p "$KB_TMP/www" && echo hi >"$KB_TMP/www/index.html"
cat >"$KB_TMP/a.conf" <<CONF
port = net_vhost0,iface=$KB_TMP/s.sock
ip = 10.79.0.1/24
mac = 02:00:00:79:00:01
CONF
cat >"$KB_TMP/b.conf" <<CONF
port = net_virtio_user0,path=$KB_TMP/s.sock
ip = 10.79.0.2/24
mac = 02:00:00:79:00:02
CONF

"$PING" -f "$KB_TMP/b.conf" >"$KB_TMP/usage.log" 2>&1
kb_check "no DEST is a usage error (exit 2)" test $? -eq 2
"$PING" -f "$KB_TMP/b.conf" -c x 10.79.0.1 >"$KB_TMP/usage.log" 2>&1
kb_check "bad count is a usage error (exit 2)" test $? -eq 2

kb_bg "$KB_TMP/srv.log" timeout 60 "$SRV" -p "$KB_TMP/www" -f "$KB_TMP/a.conf" -P 8080
kb_wait_log 30 "$KB_TMP/srv.log" "^epserver: serving" || { kb_fail "epserver did not start"; kb_done; }

timeout 30 "$PING" -f "$KB_TMP/b.conf" -c 5 -i 50 10.79.0.1 >"$KB_TMP/ping.log" 2>&1
rc=$?
cat "$KB_TMP/ping.log"
kb_check "5 requests, 5 replies, exit 0" test $rc -eq 0
kb_check "the first reply waited for ARP" grep -q "icmp_seq=1 .*ARP" "$KB_TMP/ping.log"
kb_check "statistics line" grep -q "5 transmitted, 5 received, 0% loss" "$KB_TMP/ping.log"

timeout 30 "$PING" -f "$KB_TMP/b.conf" -c 2 -W 300 10.79.0.99 >"$KB_TMP/silent.log" 2>&1
kb_check "an address nobody holds: no reply, exit 1" test $? -eq 1
kb_check "the server survived" kb_alive "$(pgrep -f "$KB_TMP/a.conf" | head -1)"
kb_done
