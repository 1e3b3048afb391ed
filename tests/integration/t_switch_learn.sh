#!/usr/bin/env bash
# t_switch_learn: L2Forward(learn=True) in conf/forward_vms.bess (KB_LEARN=yes,
# age 2 s), three ports on veth pairs (net_pcap, rx_iface_in) driven with
# scapy from a namespace (switch_l2sec.py): an unknown destination is
# flooded, a learned one goes to its port only, an entry ages out, a static
# entry (kbctl add l2) wins over a learned one; and, without PortSecurity, a
# port that sends from another's MAC takes its traffic (t_switch_spoof shows
# PortSecurity stopping that).
# timeout: 90
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_l2sec.sh"
l2sec_run learn KB_LEARN=yes KB_LEARN_AGE=2
"$KBCTL" --ctl "$CTL" show module | grep '^l2::' | sed 's/^/  /'
grep '^l2 after' "$KB_TMP/drv.log" | sed 's/^/  /'
kb_check "after phase 3, L2Forward shows 2 learned entries" grep -q '^l2 after phase 3: .* learn=on learned=2 ' "$KB_TMP/drv.log"
l2sec_stop
kb_done
