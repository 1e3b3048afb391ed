#!/usr/bin/env bash
# Prints the config of VM k (of conf/forward_vms.bess's N), made from
# conf/vm1.conf: IP 10.0.0.k, MAC 02:00:00:00:00:0k (k in hex), its socket.
#   scripts/vm-conf.sh K SOCK [KEY=VALUE ...] > vmK.conf
# Each KEY=VALUE replaces that key's line (or is added).
set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
(($# >= 2)) || { echo "vm-conf.sh: usage: vm-conf.sh K SOCK [KEY=VALUE ...]" >&2; exit 2; }
k=$1 sock=$2; shift 2
[[ $k =~ ^[0-9]+$ ]] && ((k >= 1 && k <= 254)) || { echo "vm-conf.sh: K expects 1..254, got '$k'" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
mac=$(printf '02:00:00:00:00:%02x' "$k")
conf=$(sed -e "s|^# VM 1 of the demo.*|# VM $k, written by scripts/vm-conf.sh from conf/vm1.conf|" \
	-e "s|path=[^,]*|path=$sock|" -e "s|^ip = [0-9.]*|ip = 10.0.0.$k|" \
	-e "s|^mac = [0-9a-f:]*|mac = $mac|" "$root/conf/vm1.conf")
for kv in "$@"; do
	key=${kv%%=*} val=${kv#*=}
	[[ $kv == *=* && -n $key ]] || { echo "vm-conf.sh: expected KEY=VALUE, got '$kv'" >&2; exit 2; }
	if grep -q "^$key *=" <<<"$conf"; then
		conf=$(sed "s|^$key *=.*|$key = $val|" <<<"$conf")
	else
		conf+=$'\n'"$key = $val"
	fi
done
echo "$conf"
