#!/usr/bin/env bash
# Idle costs nothing and the first packet after idle gets through: kbswitch
# (product defaults: no -l, so its worker takes the last CPU) with three
# VMs on conf/forward3_script.bess -- epserver in single mode, epserver in
# 2kb mode with two application cores (Rx and Tx threads, -N 2:
# mtcp_core_affinitize(0) and (1)), and, later, kbping.  Idle, the switch and
# each VM use under 5% of one core over 5 s (/proc/PID/stat; spinning would
# be ~100% each) and the switch's worker has blocked; then kbping, started
# after the 5 s, gets its first echo answered by each sleeping VM through the
# sleeping switch, which woke on the VMs' kicks (ARP, then ICMP).  The VMs
# avoid the switch's CPU: every thread of VM 2, the app threads included
# (mTCP's own mtcp_core_affinitize(1) would put thread 1 on CPU 1).
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
SRV=$KB_BIN/apps/epserver
PING=$KB_BIN/tools/kbping
CTL=$KB_TMP/ctl
export KB_VM1_SOCK=$KB_TMP/vm1.sock KB_VM2_SOCK=$KB_TMP/vm2.sock KB_VM3_SOCK=$KB_TMP/vm3.sock
export KB_VM1_MAC=02:00:00:7a:00:01 KB_VM2_MAC=02:00:00:7a:00:02 KB_VM3_MAC=02:00:00:7a:00:03

# vmconf N MODE: VM N's config
vmconf() {
	local cores=1
	[[ $2 == 2kb ]] && cores=4
	cat >"$KB_TMP/vm$1.conf" <<CONF
port = net_virtio_user0,path=$KB_TMP/vm$1.sock
ip = 10.122.0.$1/24
mac = 02:00:00:7a:00:0$1
mode = $2
num_cores = $cores
file_prefix = kbidle$1$KB_ID
vhost_server = yes
CONF
}
# child PID: the process under timeout(1)
child() { pgrep -P "$1" | head -n 1; }

kb_bg "$KB_TMP/sw.log" timeout 100 "$SW" $(kb_eal_mem vhost 128) --no-pci \
	--file-prefix=kbidles$KB_ID -- -f "$KB_ROOT/conf/forward3_script.bess" --ctl "$CTL"
swpid=$KB_LAST_PID
kb_wait_for 60 bash -c "test -S '$CTL' || ! kill -0 $swpid" && test -S "$CTL" ||
	{ kb_fail "switch did not start"; tail -20 "$KB_TMP/sw.log"; kb_done; }
mkdir -p "$KB_TMP/www" && echo hi >"$KB_TMP/www/index.html"
vmconf 1 single
vmconf 2 2kb
vmconf 3 single
kb_bg "$KB_TMP/vm1.log" timeout 100 "$SRV" -p "$KB_TMP/www" -f "$KB_TMP/vm1.conf" -P 8080
vm1=$KB_LAST_PID
kb_bg "$KB_TMP/vm2.log" timeout 100 "$SRV" -p "$KB_TMP/www" -f "$KB_TMP/vm2.conf" -P 8080 -N 2
vm2=$KB_LAST_PID
for l in vm1 vm2; do
	kb_wait_log 60 "$KB_TMP/$l.log" "^epserver: serving" ||
		{ kb_fail "$l: epserver did not start"; tail -5 "$KB_TMP/$l.log"; kb_done; }
done
sleep 1
pids="$(child "$swpid") $(child "$vm1") $(child "$vm2")"
read -r -a pct < <("$KB_ROOT/scripts/cpu-pct.sh" 5 $pids | awk '{printf "%s ", $2}')
echo "idle, % of one core over 5 s: switch ${pct[0]}, VM1 (single) ${pct[1]}, VM2 (2kb) ${pct[2]}"
under5() { awk -v p="$1" 'BEGIN {exit !(p != "gone" && p < 5)}'; }
kb_check "idle switch uses < 5% of a core (${pct[0]}%)" under5 "${pct[0]}"
kb_check "idle single-mode VM uses < 5% of a core (${pct[1]}%)" under5 "${pct[1]}"
kb_check "idle 2kb VM (Rx, Tx threads) uses < 5% of a core (${pct[2]}%)" under5 "${pct[2]}"
worker=$("$KBCTL" --ctl "$CTL" show pipeline | grep '^worker 0')
echo "  $worker"
blocks=$(sed -n 's/.* blocks=\([0-9]*\).*/\1/p' <<<"$worker")
kb_check "the switch's worker blocked while idle (blocks=$blocks)" test "${blocks:-0}" -gt 0
kb_check "the switch's worker waits on all 3 ports' kicks" grep -q 'wakeups=3' <<<"$worker"
ncpu=$(nproc)
if (( ncpu >= 2 )); then
	last=$((ncpu - 1))
	kb_check "default placement: the switch's main lcore is the last CPU ($last)" \
		grep -q "main lcore $last (default placement" "$KB_TMP/sw.log"
	# cpus LIST: "0-2,5" -> "0 1 2 5"
	cpus() { tr ',' '\n' <<<"$1" | awk -F- '{for (i = $1; i <= ($2 == "" ? $1 : $2); i++) printf "%d ", i}'; }
	vm1cpus=$(cpus "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$(child "$vm1")/status")")
	kb_check "default placement: VM1 avoids CPU $last (runs on: $vm1cpus)" \
		bash -c "[[ ' $vm1cpus' != *' $last '* ]]"
	on_last=""
	for st in /proc/"$(child "$vm2")"/task/*/status; do
		tcpus=$(cpus "$(awk '/^Cpus_allowed_list/ {print $2}' "$st")")
		[[ " $tcpus" == *" $last "* ]] && on_last+=" $(awk '/^Name/ {print $2}' "$st")"
	done
	kb_check "default placement: no thread of VM2 (2kb, 2 app cores) may run on CPU $last${on_last:+ (but:$on_last)}" \
		test -z "$on_last"
fi
for ip in 10.122.0.1 10.122.0.2; do
	for try in 1 2 3; do
		timeout 30 "$PING" -f "$KB_TMP/vm3.conf" -c 1 -W 2000 "$ip" >"$KB_TMP/ping-$ip.log" 2>&1
		rc=$?
		# hugepages taken by others: kbping never started, nothing was sent
		grep -q 'EAL init failed' "$KB_TMP/ping-$ip.log" || break
		sleep 1
	done
	sed 's/^/  /' "$KB_TMP/ping-$ip.log" | grep -v '^  EAL' | tail -3
	kb_check "a sleeping VM ($ip) answers the first ping through the sleeping switch" test $rc -eq 0
done
kill -TERM "$swpid"
kb_wait_for 20 bash -c "! kill -0 $swpid"
wait "$swpid"
kb_check "the switch exits 0 on SIGTERM while its worker blocks" test $? -eq 0
kb_done
