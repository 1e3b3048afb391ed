#!/usr/bin/env bash
# A bad VM config is refused before anything starts: "file:line:col: what was
# expected", a non-zero exit, and no EAL bring-up (no EAL output, no runtime
# dir).
# timeout: 60
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"

# bad CASE EXPECTED LINES...: write LINES to a config, run, compare stderr.
bad() {
	local name=$1 want=$2; shift 2
	local f=$KB_TMP/$name.conf out=$KB_TMP/$name.out
	printf '%s\n' "$@" >"$f"
	timeout 30 "$L2T" --conf "$f" --role echo >"$out" 2>&1
	local rc=$?
	local got=$(grep -v '^kbdpdk' "$out" | head -n 1)
	if [[ $rc -ne 0 && $got == "$f:$want" ]] && ! grep -q '^EAL' "$out" && [[ ! -e /var/run/dpdk/$PFX_A ]]; then
		kb_pass "$name: $got"
	else
		kb_fail "$name: rc=$rc, got '$got', want '$f:$want'"
		cat "$out"
	fi
}
P="port = net_vhost0,iface=$SOCK"
bad mode "4:8: mode: expected single, 1kb or 2kb, got '4kb'" \
	"$P" "ip = 10.0.0.2/24" "file_prefix = $PFX_A" "mode = 4kb"
bad unknown_key "3:1: unknown key 'rx_ring'" \
	"$P" "ip = 10.0.0.2/24" "rx_ring = 64" "file_prefix = $PFX_A"
bad missing_ip "3:1: missing key 'ip' (expected the VM's IPv4 address like 10.0.0.1/24)" \
	"$P" "file_prefix = $PFX_A"
bad cores "4:13: num_cores: expected num_cores >= 3 in mode 2kb, got '2'" \
	"$P" "ip = 10.0.0.2" "mode = 2kb" "num_cores = 2" "file_prefix = $PFX_A"
bad arp "3:7: arp: expected 'IP MAC' like 10.0.0.2 02:00:00:00:00:02, got '10.0.0.3 nomac'" \
	"$P" "ip = 10.0.0.2" "arp = 10.0.0.3 nomac" "file_prefix = $PFX_A"
bad syntax "2:4: expected '=' after key 'ip'" "$P" "ip 10.0.0.2"
kb_done
