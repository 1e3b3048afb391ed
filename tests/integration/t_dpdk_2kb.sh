#!/usr/bin/env bash
# The DPDK layer in 2kb mode (seed Case II, Rx and Tx threads): 2 app cores
# on each side (num_cores 4; CPUs wrap onto the host's).
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"
# both ways the layer runs the Rx/Tx work (conf key rxtx): its own
# threads, and inline in the app cores (the default with fewer CPUs than
# threads, as on a 2-CPU host)
dl_pair 2kb 4 4 3000 threads
dl_pair 2kb 4 4 3000 inline
kb_done
