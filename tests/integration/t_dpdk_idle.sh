#!/usr/bin/env bash
# An idle VM's DPDK threads must give the CPU away: a 2kb process (Rx and Tx
# threads plus 2 app cores waiting in dpdk_wait_rx) with nothing to do uses
# under 5% of one CPU over 4 s, and its threads' blocking is counted.
# Spinning would cost about 4 CPUs' worth (or all of this host's 2); load
# from others can only lower our share.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"

conf=$KB_TMP/idle.conf
log=$KB_TMP/idle.log
dl_conf "$conf" "net_vhost0,iface=$SOCK,queues=1" 10.0.0.2 02:00:00:00:00:02 2kb 4 "$PFX_A"
kb_bg "$log" timeout 40 "$L2T" --conf "$conf" --role sink
pid=$KB_LAST_PID
kb_wait_log 30 "$log" 'kbl2test: ready' || { kb_fail "did not start"; cat "$log"; kb_done; }
sleep 1
cpid=$(pgrep -P "$pid" | head -n 1)   # kbl2test under timeout
[[ -n $cpid ]] || { kb_fail "no kbl2test process under $pid"; kb_done; }
ticks() { awk '{print $14 + $15}' "/proc/$cpid/stat"; }
t0=$(ticks); s0=$(date +%s.%N)
sleep 4
t1=$(ticks); s1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
pct=$(awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$hz" 'BEGIN {printf "%d", 100 * (b - a) / hz / (e - s)}')
echo "idle 2kb process: ${pct}% of one CPU"
kb_check "idle 2kb process uses < 5% of one CPU (${pct}%)" test "$pct" -lt 5
kill -TERM "$pid"
kb_wait_for 20 bash -c "! kill -0 $pid"
wait "$pid"
kb_check "exits 0 on SIGTERM" test $? -eq 0
kb_check "net_vhost's rx interrupt is used (rx_intr=yes)" grep -q ' rx_intr=yes' "$log"
kb_check "the threads blocked and it is counted (idle_blocks=$(dl_stat "$log" idle_blocks))" \
	test "$(dl_stat "$log" idle_blocks)" -gt 0
kb_done
