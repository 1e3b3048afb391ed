# lib_dpdk.sh: sourced by t_dpdk_*.sh after tests/lib.sh.  Two processes using
# the DPDK layer, connected straight through a vhost-user socket: A's port is
# net_vhost0 (the server side), B's is net_virtio_user0.  A echoes, B sends
# and counts.  No static ARP for each other: B's first packet resolves A.

L2T=$KB_BIN/src/dpdk/kbl2test
SOCK=$KB_TMP/a.sock
PFX_A=kbdlA$KB_ID
PFX_B=kbdlB$KB_ID

# Nothing of ours may remain: runtime dirs (--in-memory leaves none in
# /dev/hugepages), sockets are in $KB_TMP which lib.sh removes.
kb_on_exit "rm -rf /var/run/dpdk/$PFX_A /var/run/dpdk/$PFX_B"

# dl_conf FILE PORT IP MAC MODE NUM_CORES [extra lines...]
dl_conf() {
	local f=$1 port=$2 ip=$3 mac=$4 mode=$5 nc=$6 pfx=$7; shift 7
	{
		echo "# written by $KB_TEST"
		echo "port = $port"
		echo "ip = $ip/24"
		echo "mac = $mac"
		echo "mode = $mode"
		echo "num_cores = $nc"
		echo "file_prefix = $pfx"
		echo "mem_mb = 96"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# dl_field LOG KEY: the value of KEY=... on the RESULT line (first match)
dl_result() { sed -n "s/^RESULT .*[ ]$2=\([0-9.]*\).*/\1/p" "$1" | head -n 1; }
# dl_stat LOG KEY: value of KEY=N on the layer's stats lines (first match)
dl_stat() { grep -oE "(^|[ ])$2=[0-9]+" "$1" | head -n 1 | cut -d= -f2; }

# dl_pair MODE CORES_A CORES_B COUNT [RXTX]: run the exchange, check
# everything; RXTX (threads, inline) sets both sides' conf key rxtx.
dl_pair() {
	local mode=$1 nca=$2 ncb=$3 count=$4 rx=${5:-auto}
	local ca=$KB_TMP/a.conf cb=$KB_TMP/b.conf la=$KB_TMP/a.log lb=$KB_TMP/b.log

	dl_conf "$ca" "net_vhost0,iface=$SOCK,queues=1" 10.0.0.2 02:00:00:00:00:02 "$mode" "$nca" "$PFX_A" \
		"rxtx = $rx"
	# 10.0.0.99 is not A's address but maps to A's MAC: A must filter it
	dl_conf "$cb" "net_virtio_user0,path=$SOCK,queues=1" 10.0.0.1 02:00:00:00:00:01 "$mode" "$ncb" "$PFX_B" \
		"arp = 10.0.0.99 02:00:00:00:00:02" "rxtx = $rx"
	[[ $rx == auto ]] || mode="$mode rxtx=$rx"

	kb_bg "$la" timeout 100 "$L2T" --conf "$ca" --role echo
	local apid=$KB_LAST_PID
	if ! kb_wait_log 30 "$la" 'kbl2test: ready'; then
		kb_fail "$mode: echo side did not start"; tail -20 "$la"; return
	fi
	timeout 90 "$L2T" --conf "$cb" --role send --peer 10.0.0.2 --count "$count" \
		--flows 8 --window 32 --malformed 3 --other 10.0.0.99 --wait 30 >"$lb" 2>&1
	local brc=$?
	kill -TERM "$apid" 2>/dev/null
	kb_wait_for 20 bash -c "! kill -0 $apid"
	wait "$apid" 2>/dev/null
	local arc=$?

	echo "---- sender ($mode) ----"; grep -vE '^(EAL|VHOST_CONFIG|TELEMETRY)' "$lb"
	echo "---- echo ($mode) ----"; grep -vE '^(EAL|VHOST_CONFIG|TELEMETRY)' "$la" | tail -20

	local ncores=$(grep -c '^core [0-9]*:' "$lb")
	local sent=$(dl_result "$lb" sent) recv=$(dl_result "$lb" recv)
	kb_check "$mode: sender exits 0 (nothing lost, right cores)" test "$brc" -eq 0
	kb_check "$mode: sent all ($((count * ncores)) = $sent)" test "${sent:-0}" -eq $((count * ncores))
	kb_check "$mode: every echo came back (recv $recv)" test "${recv:--1}" = "$sent"
	kb_check "$mode: sender: no packet on a wrong core" test "$(dl_result "$lb" wrong_core)" = 0
	kb_check "$mode: echo side exits 0 on SIGTERM" test "$arc" -eq 0
	kb_check "$mode: echo side: no packet on a wrong core" test "$(dl_result "$la" wrong_core)" = 0
	local erecv=$(dl_result "$la" recv)
	# the echo side also saw B's ARP probes: 1 or more
	kb_check "$mode: echo side got them all ($erecv >= $sent)" test "${erecv:-0}" -ge "${sent:-1}"
	# every app core of the echo side has work (8 flows per sender core)
	local idle_cores=$(grep -E '^core [0-9]+: .* recv=0 ' "$la" | wc -l)
	kb_check "$mode: every echo core received packets" test "$idle_cores" -eq 0
	# ARP: B resolved A without static entries; A learned B from the request
	kb_check "$mode: B sent an ARP request and got the reply" \
		test "$(dl_stat "$lb" req_tx)" -ge 1 -a "$(dl_stat "$lb" reply_rx)" -ge 1
	kb_check "$mode: A answered and learned B (no request of its own)" \
		test "$(dl_stat "$la" reply_tx)" -ge 1 -a "$(dl_stat "$la" learned)" -ge 1 -a "$(dl_stat "$la" req_tx)" -eq 0
	# the bad packets: 3 rounds of each kind, counted by kind
	local k ok=1
	for k in bad_version bad_ihl bad_len bad_cksum rx_filtered; do
		[[ $(dl_stat "$la" $k) == 3 ]] || { ok=0; echo "$k=$(dl_stat "$la" $k), expected 3"; }
	done
	kb_check "$mode: malformed and foreign packets dropped and counted by kind" test $ok -eq 1
	local drops=0 f
	for f in rx_ring_full tx_ring_full tx_nobuf tx_noarp tx_dropped nic_tx_dropped hold_dropped; do
		drops=$((drops + $(grep -oE " $f=[0-9]+" "$la" "$lb" | awk -F= '{s+=$2} END {print s+0}')))
	done
	kb_check "$mode: no drop counter moved" test "$drops" -eq 0
	case $rx in
	inline) kb_check "$mode: no Rx/Tx thread ran, the app cores did their work" \
			grep -q 'threads: none, Rx/Tx inline' "$la" "$lb" ;;
	threads) kb_check "$mode: the Rx/Tx threads ran" \
			test "$(grep -cE '^  threads: (rxtx|rx) ' "$la" "$lb" | awk -F: '{s+=$2} END {print s}')" -eq 2 ;;
	esac
	kb_check "$mode: runtime dirs removed" test ! -e "/var/run/dpdk/$PFX_A" -a ! -e "/var/run/dpdk/$PFX_B"
}
