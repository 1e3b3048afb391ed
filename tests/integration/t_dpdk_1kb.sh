#!/usr/bin/env bash
# The DPDK layer in 1kb mode (seed Case II, one RxTx thread): 2 app cores
# on the echo side, 3 on the sender; soft RSS must put each flow on the
# core dpdk_rss_core() names, on both sides.
# timeout: 150
# asan: yes
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_dpdk.sh"
# both ways the layer runs the Rx/Tx work (conf key rxtx): its own
# threads, and inline in the app cores (the default with fewer CPUs than
# threads, as on a 2-CPU host)
dl_pair 1kb 3 4 3000 threads
dl_pair 1kb 3 4 3000 inline
kb_done
