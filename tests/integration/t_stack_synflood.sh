#!/usr/bin/env bash
# t_stack_synflood: 100k SYNs from random sources (tests/tools/kbsynflood.py,
# an AF_PACKET sender in a network namespace) against epserver on kbnet's
# stack (net_tap), while Linux clients (epwget --kernel) keep fetching from
# it.  The backlog fills at once; SYN cookies answer the rest: every client
# request succeeds (0 errors), the cookie path made connections, and the
# server's resident memory stays flat from early in the flood to its end.
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

APPS=$KB_BUILD/apps
PY=/usr/bin/python3
for b in epserver epwget; do
	[[ -x $APPS/$b ]] || { kb_fail "$b not built"; kb_done; }
done

NS=$(kb_name ns)
TAP=$(kb_name tp)
STACK_IP=10.82.0.1 KERN_IP=10.82.0.2
STACK_MAC=02:00:00:82:00:01
COUNT=100000
ip netns add "$NS" || { kb_fail "ip netns add"; kb_done; }
kb_track_netns "$NS"
ip -n "$NS" link set lo up
cat >"$KB_TMP/vm.conf" <<CONF
port = net_tap0,iface=$TAP
ip = $STACK_IP/24
mac = $STACK_MAC
# the flood's random sources are answered through the namespace's kernel,
# which drops what is not its own (no forwarding)
gateway = $KERN_IP
mode = single
file_prefix = kbsf$KB_ID
stat_print = yes
# a small backlog (the listen backlog is capped at max_concurrency): the
# flood fills it in a moment and the cookies do the rest
max_concurrency = 256
rcvbuf = 16384
sndbuf = 16384
memory = nohuge
mem_mb = 256
pool_size = 16383
CONF
mkdir -p "$KB_TMP/www"
head -c 20000 /dev/urandom >"$KB_TMP/www/f.bin"

SL=$KB_TMP/server.log
# ASan keeps freed memory in quarantine (256 MB): without it the resident
# size says what the stack holds, in that build too (bounds checks stay)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
kb_bg "$SL" timeout 110 "$APPS/epserver" -p "$KB_TMP/www" -f "$KB_TMP/vm.conf" -P 80
SPID=$KB_LAST_PID
kb_wait_log 60 "$SL" '^epserver: serving' && ip link show "$TAP" >/dev/null 2>&1 ||
	{ kb_fail "epserver did not start"; cat "$SL"; kb_done; }
ip link set "$TAP" netns "$NS" &&
ip -n "$NS" addr add "$KERN_IP/24" dev "$TAP" &&
ip -n "$NS" link set "$TAP" up || { kb_fail "moving the tap"; kb_done; }

fetch() {   # LOG N: N requests, one connection each
	timeout 20 ip netns exec "$NS" "$APPS/epwget" --kernel "http://$STACK_IP/f.bin" -n "$2" -c 4 >"$1" 2>&1
}
fetch "$KB_TMP/warm.log" 20
kb_check "served before the flood: $(grep -o 'errors: [0-9]*' "$KB_TMP/warm.log")" \
	grep -q '200: 20, other status: 0, errors: 0' "$KB_TMP/warm.log"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$(pgrep -P "$SPID" -x epserver || echo "$SPID")/status" 2>/dev/null; }
FL=$KB_TMP/flood.log
timeout 90 ip netns exec "$NS" $PY "$KB_ROOT/tests/tools/kbsynflood.py" "$TAP" $STACK_IP $STACK_MAC 80 $COUNT >"$FL" 2>&1 &
FPID=$!
kb_track_pid "$FPID"
# clients all through the flood: each round is 40 new connections
round=0
rss_early=
while kill -0 "$FPID" 2>/dev/null; do
	round=$((round + 1))
	fetch "$KB_TMP/during$round.log" 40
	[[ -z $rss_early ]] && grep -q 'sent 20000' "$FL" && rss_early=$(rss)
done
wait "$FPID"
frc=$?
rss_end=$(rss)
fetch "$KB_TMP/after.log" 40
cat "$FL" | tail -n 1
kb_check "the flood ran: $(tail -n 1 "$FL")" bash -c "[[ $frc -eq 0 ]] && grep -q '^kbsynflood: done $COUNT' '$FL'"
bad=0
for ((i = 1; i <= round; i++)); do
	grep -q '200: 40, other status: 0, errors: 0' "$KB_TMP/during$i.log" || { bad=$((bad + 1)); cat "$KB_TMP/during$i.log"; }
done
kb_check "clients during the flood: $round rounds of 40 requests, $bad with errors" test "$round" -ge 1 -a "$bad" -eq 0
kb_check "clients after the flood" grep -q '200: 40, other status: 0, errors: 0' "$KB_TMP/after.log"
kb_check "resident memory flat: ${rss_early:-?} kB at 20k SYNs, ${rss_end:-?} kB at the end" \
	bash -c "[[ -n '$rss_early' && -n '$rss_end' ]] && (( $rss_end - $rss_early < 4096 ))"

kill -INT "$SPID"
wait "$SPID"
kb_check "epserver exited cleanly" test $? -eq 0
counter() { grep -o " $1=[0-9]*" "$SL" | head -n 1 | cut -d= -f2; }
sent=$(counter syncookies_sent) recv=$(counter syncookies_recv)
echo "server counters: $(grep -o ' syn[a-z_]*=[0-9]*\| conns_accepted=[0-9]*\| tx_nobuf=[0-9]*' "$SL" | tr -d '\n')"
kb_check "SYN cookies answered the flood ($sent sent)" test "${sent:-0}" -ge 10000
kb_check "clients got in through cookies ($recv)" test "${recv:-0}" -ge 1
kb_done
