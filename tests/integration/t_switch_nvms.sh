#!/usr/bin/env bash
# t_switch_nvms: six VMs on one kbswitch (conf/forward_vms.bess, KB_VMS=6)
# and every pair of them exchanges TCP: five rounds of three disjoint pairs
# (a round-robin schedule covers the 15 pairs once); in each pair one VM
# serves a 1 MB file (epserver), the other downloads it (epwget) and the
# sha256 is compared.  ARP goes through Replicate to all six.  Then the
# switch's counters: every port received and sent, L2Forward had no miss and
# no drop.  The VMs use plain memory (memory = nohuge): seven processes
# starting at once would race for the shared hugepages.
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"

N=6
SW=$KB_BIN/src/switch/kbswitch
KBCTL=$KB_BIN/src/switch/kbctl
APPS=$KB_BIN/apps
for b in "$SW" "$KBCTL" "$APPS/epserver" "$APPS/epwget"; do [[ -x $b ]] || { kb_fail "$b not built"; kb_done; }; done
CTL=$KB_TMP/ctl

export KB_VMS=$N
for ((k = 1; k <= N; k++)); do
	export KB_VM${k}_SOCK=$KB_TMP/vm$k.sock
	"$KB_ROOT/scripts/vm-conf.sh" $k "$KB_TMP/vm$k.sock" file_prefix=kbnv$k$KB_ID mem_mb=128 memory=nohuge \
		>"$KB_TMP/vm$k.conf"
done
kb_bg "$KB_TMP/sw.log" timeout 145 "$SW" $(kb_eal_mem vhost 128) --no-pci -l 0 \
	--file-prefix=kbnvs$KB_ID -- -f "$KB_ROOT/conf/forward_vms.bess" --ctl "$CTL"
kb_wait_for 60 test -S "$CTL" || { kb_fail "kbswitch did not start"; tail -n 20 "$KB_TMP/sw.log"; kb_done; }
kb_pass "kbswitch runs $N VM ports: $("$KBCTL" --ctl "$CTL" show port | grep -c '::VhostPort') ports"

mkdir -p "$KB_TMP/www"
head -c 1048576 /dev/urandom >"$KB_TMP/www/file.bin"
want=$(sha256sum <"$KB_TMP/www/file.bin" | cut -d' ' -f1)

# round-robin (circle method): VM 1 stays, the others rotate
ring=(2 3 4 5 6)
pairs=0
for ((r = 0; r < N - 1; r++)); do
	order=(1 "${ring[@]}")
	srv_pids=() list=""
	for ((i = 0; i < N / 2; i++)); do
		s=${order[i]} c=${order[N - 1 - i]}
		kb_bg "$KB_TMP/srv$r.$s.log" timeout 100 "$APPS/epserver" -f "$KB_TMP/vm$s.conf" \
			-p "$KB_TMP/www" -P 80
		srv_pids+=($KB_LAST_PID)
		list+=" $s:$c"
	done
	for ((i = 0; i < N / 2; i++)); do
		s=${order[i]}
		kb_wait_log 60 "$KB_TMP/srv$r.$s.log" '^epserver: serving' ||
			{ kb_fail "round $r: epserver on VM $s did not start"; tail -n 5 "$KB_TMP/srv$r.$s.log"; }
	done
	cli_pids=()
	for ((i = 0; i < N / 2; i++)); do
		s=${order[i]} c=${order[N - 1 - i]}
		timeout 60 "$APPS/epwget" -f "$KB_TMP/vm$c.conf" "http://10.0.0.$s/file.bin" -n 1 \
			-o "$KB_TMP/got$r.$c" >"$KB_TMP/get$r.$c.log" 2>&1 &
		cli_pids+=($!)
		kb_track_pid $!
	done
	for ((i = 0; i < N / 2; i++)); do
		s=${order[i]} c=${order[N - 1 - i]}
		wait "${cli_pids[i]}"
		rc=$?
		got=$(sha256sum <"$KB_TMP/got$r.$c" 2>/dev/null | cut -d' ' -f1)
		if [[ $rc == 0 && $got == "$want" ]]; then
			pairs=$((pairs + 1))
		else
			kb_fail "round $r: VM $c fetching from VM $s: rc=$rc sha256 '$got'"
			grep -v '^EAL' "$KB_TMP/get$r.$c.log" | tail -n 5
		fi
	done
	for p in "${srv_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${srv_pids[@]}"; do kb_wait_for 20 bash -c "! kill -0 $p"; done
	kb_pass "round $((r + 1)): pairs (server:client)$list"
	ring=("${ring[@]:1}" "${ring[0]}")
done
kb_check "all $((N * (N - 1) / 2)) pairs exchanged 1 MB over TCP, sha256 equal ($pairs)" \
	test $pairs -eq $((N * (N - 1) / 2))

"$KBCTL" --ctl "$CTL" show port | sed 's/ mac=.*rx_pkts=/ rx_pkts=/; s/^/  /'
idle_ports=$("$KBCTL" --ctl "$CTL" show port | grep -cE ' rx_pkts=0 | tx_pkts=0 ')
kb_check "every port received and sent" test "$idle_ports" -eq 0
"$KBCTL" --ctl "$CTL" show module | grep -E '^(l2|bcast)::' | sed 's/^/  /'
kb_check "L2Forward: no misses, no drops" bash -c "'$KBCTL' --ctl '$CTL' show module | grep '^l2::' | grep -q ' drops=0 .* misses=0 '"
kb_done
