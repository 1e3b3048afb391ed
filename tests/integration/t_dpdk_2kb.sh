#!/usr/bin/env bash
# The DPDK layer in 2kb mode (seed Case II, Rx and Tx threads): 2 app cores
# on each side (num_cores 4; CPUs wrap onto the host's).
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"
dl_pair 2kb 4 4 3000
kb_done
