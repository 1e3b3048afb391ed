#!/usr/bin/env bash
# t_stack_linux: kbnet's stack against the Linux kernel's TCP.  The stack's
# DPDK port is a net_tap device; the test moves the tap into a network
# namespace it creates and runs kernel clients and servers there
# (tests/tools/kbpeer.py).  32 MB each way, stack as server and as client,
# SHA-256 compared; then the same with 1% loss, 5% reordering, 1%
# duplication and 1 ms delay: tc netem in the namespace where the kernel has
# sch_netem, else tests/tools/kbimpair.py, a userspace bridge doing the same
# between the tap (in a second namespace) and a veth to the kernel's
# namespace.  KB_STACK_LINUX_BYTES overrides the size.
# A broken path fails fast: the kernel peer gives up after 30 s without
# progress, the stack gets 30 s more, and once a transfer of a configuration
# moved nothing, the rest of that configuration is skipped as failed.
# timeout: 600
# asan: no
source "$(dirname "$0")/../lib.sh"
kb_need ethtool tc:iproute2

XFER=$KB_BUILD/tests/unit/stack/kbxfer
PEER=$KB_ROOT/tests/tools/kbpeer.py
BYTES=${KB_STACK_LINUX_BYTES:-33554432}
PY=/usr/bin/python3
[[ -x $XFER ]] || { kb_fail "kbxfer not built (needs the DPDK layer and libcrypto)"; kb_done; }

NS=$(kb_name ns)
TAP=$(kb_name tp)
ip netns add "$NS" || { kb_fail "ip netns add"; kb_done; }
kb_track_netns "$NS"
ip -n "$NS" link set lo up
NSB=$(kb_name nb)
VA=$(kb_name va)
VB=$(kb_name vb)
STACK_IP=10.79.0.1
KERN_IP=10.79.0.2
NETEM=""     # netem arguments, when impairing with tc
BRIDGE=""    # kbimpair arguments, when impairing in userspace
IMPAIR=$KB_ROOT/tests/tools/kbimpair.py

cat >"$KB_TMP/vm.conf" <<CONF
port = net_tap0,iface=$TAP
ip = $STACK_IP/24
mac = 02:00:00:79:00:01
mode = single
file_prefix = kbsl$KB_ID
stat_print = yes
tcp_timeout = -1
# no hugepages: other tests on this shared host may hold them all between
# the layer's check and EAL's allocation (the layer's own tests cover them)
memory = nohuge
CONF

link_exists() { ip link show "$1" >/dev/null 2>&1; }

# Start kbxfer (args...), then move its tap into the namespace: straight
# into the kernel's, or behind the impairing bridge.
start_stack() {
	local log=$1; shift
	kb_bg "$log" timeout 300 "$XFER" -f "$KB_TMP/vm.conf" "$@"
	STACK_PID=$KB_LAST_PID
	# move the tap only once the port is fully set up: the tap PMD opens
	# its queues by interface name, in our namespace
	if ! kb_wait_log 60 "$log" '^kbxfer: up' || ! link_exists "$TAP"; then
		kb_fail "the stack's port $TAP did not come up"; tail -n 20 "$log"; kill "$STACK_PID"; return 1
	fi
	if [[ -n $BRIDGE ]]; then
		ip link set "$TAP" netns "$NSB" &&
		ip -n "$NSB" link set "$TAP" up promisc on || { kb_fail "moving $TAP"; kill "$STACK_PID"; return 1; }
		kb_bg "$log.bridge" timeout 300 ip netns exec "$NSB" $PY "$IMPAIR" "$TAP" "$VA" $BRIDGE
		BRIDGE_PID=$KB_LAST_PID
		kb_wait_log 30 "$log.bridge" '^kbimpair: ready' || { kb_fail "kbimpair"; kill "$STACK_PID"; return 1; }
		return 0
	fi
	ip link set "$TAP" netns "$NS" &&
	ip -n "$NS" addr add "$KERN_IP/24" dev "$TAP" &&
	ip -n "$NS" link set "$TAP" up || { kb_fail "moving $TAP into $NS"; kill "$STACK_PID"; return 1; }
	if [[ -n $NETEM ]]; then
		ip netns exec "$NS" tc qdisc add dev "$TAP" root netem $NETEM ||
			{ kb_fail "tc netem"; kill "$STACK_PID"; return 1; }
	fi
}

# stop_bridge LOG: stop kbimpair; FAIL unless it really lost and reordered
stop_bridge() {
	[[ -n $BRIDGE && -n ${BRIDGE_PID:-} ]] || return 0
	kill -TERM "$BRIDGE_PID" 2>/dev/null
	wait "$BRIDGE_PID" 2>/dev/null
	BRIDGE_PID=""
	local line
	line=$(grep '^kbimpair: fwd=' "$1.bridge")
	echo "$line"
	[[ $line =~ lost=[1-9] && $line =~ reordered=[1-9] ]] || kb_fail "the bridge did not impair: '$line'"
}

BROKEN=""   # set when a transfer moved nothing: the path itself is broken

# wait_stack: the peer is done; the stack gets 30 s to finish too.
wait_stack() { kb_wait_pid 30 "$STACK_PID" || [[ $? != 124 ]] || echo "kbxfer still running 30 s after its peer: killed"; }

hash_line() { sed -n "s/^$2: $3 \([0-9]*\) \([0-9a-f]*\).*/\1 \2/p" "$1" | head -n 1; }

compare() {
	local what=$1 a=$2 b=$3
	if [[ -n $a && $a == "$b" && ${a%% *} == "$BYTES" ]]; then
		kb_pass "$what: $a"
	else
		kb_fail "$what: stack '$a' kernel '$b'"
		[[ ${a%% *} == 0 || -z $a || ${b%% *} == 0 || -z $b ]] && BROKEN="$what moved nothing"
		return 1
	fi
}

# kernel client -> stack server
run_kernel_to_stack() {
	local tag=$1 sl=$KB_TMP/$1-ks-stack.log pl=$KB_TMP/$1-ks-peer.log
	start_stack "$sl" -l 6001 -m recv || return
	kb_wait_log 30 "$sl" '^kbxfer: listening' || { kb_fail "$tag: no listen"; return; }
	[[ $tag == clean ]] && kb_check "the stack answers ping (ICMP echo)" \
		ip netns exec "$NS" $PY "$PEER" ping $STACK_IP 3
	timeout 300 ip netns exec "$NS" $PY "$PEER" send $STACK_IP 6001 "$BYTES" >"$pl" 2>&1
	wait_stack
	stop_bridge "$sl"
	compare "$tag kernel client -> stack server" "$(hash_line "$sl" kbxfer recv)" \
		"$(hash_line "$pl" kbpeer sent)" || tail -n 12 "$sl" "$pl"
}

# stack server -> kernel client
run_stack_to_kernel() {
	local tag=$1 sl=$KB_TMP/$1-sk-stack.log pl=$KB_TMP/$1-sk-peer.log
	start_stack "$sl" -l 6002 -m send -n "$BYTES" || return
	kb_wait_log 30 "$sl" '^kbxfer: listening' || { kb_fail "$tag: no listen"; return; }
	timeout 300 ip netns exec "$NS" $PY "$PEER" recv $STACK_IP 6002 >"$pl" 2>&1
	wait_stack
	stop_bridge "$sl"
	compare "$tag stack server -> kernel client" "$(hash_line "$sl" kbxfer sent)" \
		"$(hash_line "$pl" kbpeer recv)" || tail -n 12 "$sl" "$pl"
}

# stack client -> kernel server, and kernel server -> stack client
run_stack_client() {
	local tag=$1 dir=$2 port=$3 sl=$KB_TMP/$1-$2-sc-stack.log pl=$KB_TMP/$1-$2-sc-peer.log
	local pmode=serve-recv xmode=send
	[[ $dir == down ]] && pmode=serve-send xmode=recv
	kb_bg "$pl" timeout 300 ip netns exec "$NS" $PY "$PEER" $pmode $port "$BYTES"
	local ppid=$KB_LAST_PID
	kb_wait_log 30 "$pl" '^kbpeer: listening' || { kb_fail "$tag: kernel server"; return; }
	# the stack's SYN retransmissions cover the moment the tap moves
	start_stack "$sl" -c $KERN_IP:$port -m $xmode -n "$BYTES" || return
	kb_wait_pid 300 "$ppid"
	wait_stack
	stop_bridge "$sl"
	if [[ $dir == up ]]; then
		compare "$tag stack client -> kernel server" "$(hash_line "$sl" kbxfer sent)" \
			"$(hash_line "$pl" kbpeer recv)" || tail -n 12 "$sl" "$pl"
	else
		compare "$tag kernel server -> stack client" "$(hash_line "$sl" kbxfer recv)" \
			"$(hash_line "$pl" kbpeer sent)" || tail -n 12 "$sl" "$pl"
	fi
}

run_all() {
	local step
	BROKEN=""
	for step in "run_kernel_to_stack $1" "run_stack_to_kernel $1" \
		"run_stack_client $1 up 6003" "run_stack_client $1 down 6004"; do
		if [[ -n $BROKEN ]]; then
			kb_fail "$1: skipped '$step': the path is broken ($BROKEN)"
			continue
		fi
		$step
	done
}

run_all clean

IMP="1% loss, 5% reordering, 1% duplication, 1 ms delay"
if ip netns exec "$NS" tc qdisc add dev lo root netem delay 0ms 2>/dev/null; then
	ip netns exec "$NS" tc qdisc del dev lo root
	NETEM="delay 1ms reorder 5% loss 1% duplicate 1%"
	echo "impairing with tc netem: $IMP"
else
	echo "no sch_netem in this kernel: impairing with kbimpair.py: $IMP"
	ip netns add "$NSB" || { kb_fail "ip netns add"; kb_done; }
	kb_track_netns "$NSB"
	ip link add "$VA" type veth peer name "$VB" || { kb_fail "veth"; kb_done; }
	kb_track_link "$VA"
	ip link set "$VA" netns "$NSB" && ip link set "$VB" netns "$NS" || { kb_fail "veth move"; kb_done; }
	# one frame per packet on the bridge: no offloads on its ports (ethtool
	# says "Cannot change" for features veth lacks, and still exits 0)
	ip netns exec "$NSB" ethtool -K "$VA" tso off gso off gro off tx off rx off &&
	ip netns exec "$NS" ethtool -K "$VB" tso off gso off gro off tx off rx off ||
		{ kb_fail "ethtool -K: veth offloads stay on, the bridge would see no frames"; kb_done; }
	ip -n "$NSB" link set "$VA" up promisc on
	ip -n "$NS" addr add "$KERN_IP/24" dev "$VB"
	ip -n "$NS" link set "$VB" up
	BRIDGE="--loss 0.01 --reorder 0.05 --dup 0.01 --delay-ms 1 --seed 7"
fi
run_all impaired
kb_done
