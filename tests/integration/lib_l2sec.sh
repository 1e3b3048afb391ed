# lib_l2sec.sh: sourced by t_switch_learn and t_switch_spoof after lib.sh.
# Three veth pairs: the near ends are kbswitch's net_pcap ports (VMs 1..3 of
# conf/forward_vms.bess), the far ends sit in a namespace of the test where
# switch_l2sec.py sends and sniffs with scapy.  IPv6 is off on all six, so
# the kernel adds no frames of its own.
KBCTL=$KB_BIN/src/switch/kbctl
CTL=$KB_TMP/ctl
PY=/usr/bin/python3
NS=kbl2$KB_ID
$PY -c 'import scapy' 2>/dev/null || { kb_fail "python3-scapy missing"; kb_done; }

# l2sec_run MODE VAR=VALUE...: wire, start the switch, run the phases
l2sec_run() {
	local mode=$1 k a b; shift
	ip netns add "$NS" || { kb_fail "cannot create netns $NS"; kb_done; }
	kb_track_netns "$NS"
	local far=()
	for k in 1 2 3; do
		a=kl${k}a${KB_ID:0:6} b=kl${k}b${KB_ID:0:6}
		ip link add "$a" type veth peer name "$b" || { kb_fail "cannot create veth $a"; kb_done; }
		kb_track_link "$a"
		ip link set "$b" netns "$NS"
		sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1"
		ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1"
		ip link set "$a" up
		ip netns exec "$NS" ip link set "$b" up
		export KB_VM${k}_VDEV="net_pcap$((k - 1)),rx_iface_in=$a,tx_iface=$a"
		far+=("$b")
	done
	export KB_VMS=3 "$@"
	kb_switch "$KB_TMP/sw.log" kbl2s "$KB_ROOT/conf/forward_vms.bess" "$CTL" ||
		{ kb_fail "switch did not start"; kb_done; }
	ip netns exec "$NS" $PY "$KB_ROOT/tests/integration/switch_l2sec.py" "$mode" "$KBCTL" "$CTL" \
		"${far[@]}" >"$KB_TMP/drv.log" 2>&1
	kb_report_lines "$KB_TMP/drv.log"
	grep -q '^ok:' "$KB_TMP/drv.log" || { kb_fail "the scapy driver ran no phase"; tail -n 20 "$KB_TMP/drv.log"; }
}

l2sec_stop() {
	kb_switch_stop
	kb_check "switch exits 0" test $? -eq 0
}
