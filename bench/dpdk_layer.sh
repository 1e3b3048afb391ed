#!/usr/bin/env bash
# Packets per second through the DPDK layer in each mode, between two
# kbl2test processes over vhost-user on this host (no switch):
#   flood: a single-mode sender floods 64-byte UDP packets; the receiver, in
#          mode M, counts them (sink); rate = received / (last - first arrival)
#   echo:  both sides in mode M, each sender core keeps 32 packets in flight
#          (window), the other side echoes; rate = echoes per second
#   switch: the echo run with both VMs attached to kbswitch (when built)
#          running conf/forward_script.bess
# On a 2-CPU host shared with others these are what was measured, not what
# the layer could do with its own cores.
#   bench/dpdk_layer.sh [SECONDS]    (KB_BUILD: build dir, default build)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ ${1:-} == --help ]] && { sed -n '2,13p' "$0"; exit 0; }
L2T=${KB_BUILD:-$ROOT/build}/src/dpdk/kbl2test
SECS=${1:-5}
tmp=$(mktemp -d /tmp/kb-dpdk-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp" /var/run/dpdk/kbbA$$ /var/run/dpdk/kbbB$$ /var/run/dpdk/kbbS$$
}
trap cleanup EXIT

conf() {   # conf FILE PORT IP MAC MODE CORES PREFIX
	printf 'port = %s\nip = %s/24\nmac = %s\nmode = %s\nnum_cores = %s\nfile_prefix = %s\nmem_mb = 128\n' \
		"$2" "$3" "$4" "$5" "$6" "$7" >"$1"
	# the peer's MAC is static so the flood needs no ARP round first
	[[ $3 == 10.0.0.1 ]] && echo "arp = 10.0.0.2 02:00:00:00:00:02" >>"$1"
	return 0
}
stat1() { grep -oE "(^|[ ])$2=[0-9]+" "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'; }
result() { sed -n "s/^RESULT .*[ ]$2=\([0-9.]*\).*/\1/p" "$1"; }
cores() { case $1 in single) echo 1;; 1kb) echo 2;; 2kb) echo 3;; esac; }

run() {   # run KIND MODE
	local kind=$1 mode=$2 sock=$tmp/s.sock
	local ca=$tmp/a.conf cb=$tmp/b.conf la=$tmp/a.log lb=$tmp/b.log
	rm -f "$sock"
	conf "$ca" "net_vhost0,iface=$sock,queues=1" 10.0.0.2 02:00:00:00:00:02 "$mode" "$(cores "$mode")" kbbA$$
	if [[ $kind == flood ]]; then
		conf "$cb" "net_virtio_user0,path=$sock,queues=1" 10.0.0.1 02:00:00:00:00:01 single 1 kbbB$$
		timeout $((SECS + 30)) "$L2T" --conf "$ca" --role sink >"$la" 2>&1 &
	else
		conf "$cb" "net_virtio_user0,path=$sock,queues=1" 10.0.0.1 02:00:00:00:00:01 "$mode" "$(cores "$mode")" kbbB$$
		timeout $((SECS + 30)) "$L2T" --conf "$ca" --role echo >"$la" 2>&1 &
	fi
	local ap=$!
	pids+=("$ap")
	for _ in $(seq 100); do grep -q 'kbl2test: ready' "$la" && break; sleep 0.1; done
	if [[ $kind == flood ]]; then
		timeout $((SECS + 30)) "$L2T" --conf "$cb" --role flood --peer 10.0.0.2 --flows 64 \
			--duration "$SECS" >"$lb" 2>&1
		sleep 1
	else
		# about SECS seconds' worth at the rate a short probe run shows
		timeout $((SECS + 60)) "$L2T" --conf "$cb" --role send --peer 10.0.0.2 --flows 16 \
			--window 32 --count $((SECS * 100000)) --wait 30 >"$lb" 2>&1
	fi
	kill -TERM "$ap" 2>/dev/null
	wait "$ap" 2>/dev/null
	if [[ $kind == flood ]]; then
		local took=$(stat1 "$lb" nic_tx) refused=$(stat1 "$lb" nic_tx_dropped)
		local recv=$(result "$la" recv) rpps=$(result "$la" pps) full=$(stat1 "$la" rx_ring_full)
		printf '%-6s %-6s vNIC took %9s (refused %9s)   receiver got %9s at %8.0f pps, ring-full drops %s\n' \
			"$kind" "$mode" "$took" "$refused" "$recv" "$rpps" "$full"
	else
		printf '%-6s %-6s %9s echoes at %8.0f pps, lost %s\n' "$kind" "$mode" \
			"$(result "$lb" recv)" "$(result "$lb" pps)" "$(result "$lb" lost)"
	fi
}

# switched MODE: echo as above, both VMs on net_virtio_user through kbswitch
# running conf/forward_script.bess.
switched() {
	local mode=$1 sw=${KB_BUILD:-$ROOT/build}/src/switch/kbswitch
	local ca=$tmp/a.conf cb=$tmp/b.conf la=$tmp/a.log lb=$tmp/b.log
	export KB_VM1_SOCK=$tmp/vm1.sock KB_VM2_SOCK=$tmp/vm2.sock
	if [[ -z ${SWPID:-} ]]; then
		timeout 600 "$sw" $("$ROOT/scripts/eal-mem.sh" vhost 128) --no-pci -l 0 --file-prefix=kbbS$$ \
			-- -f "$ROOT/conf/forward_script.bess" >"$tmp/sw.log" 2>&1 &
		SWPID=$!
		pids+=("$SWPID")
		for _ in $(seq 100); do [[ -S $KB_VM2_SOCK ]] && break; sleep 0.1; done
	fi
	# VM1 (MAC :01 on vm1.sock, as the script has it) echoes; VM2 sends and
	# resolves VM1 by ARP through Replicate
	conf "$ca" "net_virtio_user0,path=$KB_VM1_SOCK,queues=1" 10.0.0.1 02:00:00:00:00:01 "$mode" "$(cores "$mode")" kbbA$$
	conf "$cb" "net_virtio_user0,path=$KB_VM2_SOCK,queues=1" 10.0.0.2 02:00:00:00:00:02 "$mode" "$(cores "$mode")" kbbB$$
	timeout $((SECS + 30)) "$L2T" --conf "$ca" --role echo >"$la" 2>&1 &
	local ap=$!
	pids+=("$ap")
	for _ in $(seq 100); do grep -q 'kbl2test: ready' "$la" && break; sleep 0.1; done
	timeout $((SECS + 60)) "$L2T" --conf "$cb" --role send --peer 10.0.0.1 --flows 16 \
		--window 32 --count $((SECS * 50000)) --wait 30 >"$lb" 2>&1
	kill -TERM "$ap" 2>/dev/null
	wait "$ap" 2>/dev/null
	printf '%-6s %-6s %9s echoes at %8.0f pps, lost %s (through kbswitch)\n' switch "$mode" \
		"$(result "$lb" recv)" "$(result "$lb" pps)" "$(result "$lb" lost)"
}

echo "kbnet DPDK layer, $(date -u +%F) on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), ${SECS}s each"
for m in single 1kb 2kb; do run flood $m; done
for m in single 1kb 2kb; do run echo $m; done
if [[ -x ${KB_BUILD:-$ROOT/build}/src/switch/kbswitch ]]; then
	for m in single 1kb 2kb; do switched $m; done
fi
