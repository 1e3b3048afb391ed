#!/usr/bin/env bash
# t_switch_spoof: PortSecurity (conf/forward_vms.bess, KB_PORT_SECURITY=yes)
# before a learning L2Forward: port 3 sends from port 2's MAC (dropped, and
# port 2 keeps its traffic), IPv4 and ARP as port 2's address (dropped), then
# from its own address (forwarded); the drops are counted on port 3's
# PortSecurity, by reason.  Ports are veth pairs driven with scapy
# (switch_l2sec.py).
# timeout: 90
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_l2sec.sh"
l2sec_run spoof KB_LEARN=yes KB_PORT_SECURITY=yes
"$KBCTL" --ctl "$CTL" show module | grep '^sec' | sed 's/^/  /'
sec() { "$KBCTL" --ctl "$CTL" show module | grep "^sec$1::"; }
kb_check "port 3: 5 frames from another MAC, 5 IPv4 and 5 ARP from another address counted" \
	bash -c "'$KBCTL' --ctl '$CTL' show module | grep '^sec3::' | grep -q 'drops=15 .* bad_mac=5 bad_ip=5 bad_arp=5'"
kb_check "ports 1 and 2: nothing dropped" bash -c "'$KBCTL' --ctl '$CTL' show module | grep -E '^sec[12]::' | grep -c ' drops=0 ' | grep -qx 2"
l2sec_stop
kb_done
