#!/usr/bin/env bash
# Prints a kbswitch script for N VMs, the seed's conf/forward_script.bess
# grown to N ports: one PMDPort (vhost-user client, client=1) with a QueueInc
# and a QueueOut per VM, an L2Forward with one entry per VM MAC and the
# broadcast address to a Replicate that feeds every VM.
#   scripts/switch-script.sh --vms N > /tmp/n.bess
# Sockets and MACs as in the seed script: $KB_VMk_SOCK (default
# /tmp/kbnet/vmk.sock) and $KB_VMk_MAC (default 02:00:00:00:00:0k, k in hex).
# The script language has no loops yet: until it does, this shell loop writes
# the script.
set -euo pipefail
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
n=2
while (($#)); do
	case $1 in
	--vms) n=${2:-}; shift 2 || { echo "switch-script.sh: --vms needs N" >&2; exit 2; } ;;
	-h|--help) usage; exit 0 ;;
	*) echo "switch-script.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 64)) || { echo "switch-script.sh: --vms expects 1..64, got '$n'" >&2; exit 2; }

echo "# $n VMs on vhost-user ports, switched by destination MAC."
echo "# Written by scripts/switch-script.sh --vms $n (the seed's forward_script.bess, N ports)."
echo
for ((k = 1; k <= n; k++)); do
	printf "vm%d_sock = \$KB_VM%d_SOCK!'/tmp/kbnet/vm%d.sock'\n" $k $k $k
	printf "vm%d_mac = \$KB_VM%d_MAC!'02:00:00:00:00:%02x'\n" $k $k $k
done
echo
for ((k = 1; k <= n; k++)); do
	printf "vm%d = PMDPort(vdev='net_vhost%d,iface={},queues=1,client=1'.format(vm%d_sock),\n" $k $((k - 1)) $k
	printf "              num_inc_q=1, num_out_q=1)\n"
	printf "in%d::QueueInc(port=vm%d, qid=0)\n" $k $k
	printf "out%d::QueueOut(port=vm%d, qid=0)\n" $k $k
done
echo
echo "l2::L2Forward(size=1024, bucket=4)"
entries=""
for ((k = 1; k <= n; k++)); do
	entries+="{'addr': vm${k}_mac, 'gate': $((k - 1))}, "
done
echo "l2.add(entries=[${entries}{'addr': 'ff:ff:ff:ff:ff:ff', 'gate': $n}])"
gates=$(seq -s ', ' 0 $((n - 1)))
echo "bcast::Replicate(gates=[$gates])"
echo
for ((k = 1; k <= n; k++)); do
	echo "in$k -> l2"
	echo "l2:$((k - 1)) -> out$k"
	echo "bcast:$((k - 1)) -> out$k"
done
echo "l2:$n -> bcast"
