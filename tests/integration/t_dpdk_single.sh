#!/usr/bin/env bash
# The DPDK layer in single mode (seed Case I) between two processes over
# vhost-user: no loss, ARP resolution, every flow on its core, bad packets
# counted.
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"
dl_pair single 1 1 5000
kb_done
