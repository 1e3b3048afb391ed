# Guest script (boot-guest.sh -r): testpmd sends for SECONDS (file /kb/secs,
# default 10) from the NIC in txonly mode, then prints its final counters.
secs=$(cat /kb/secs 2>/dev/null || echo 10)
echo "guest: testpmd txonly on $KB_NIC for ${secs}s"
# lcore 1 forwards, lcore 0 only prints: both on the one vCPU
timeout -s INT "$secs" dpdk-testpmd --lcores 0@0,1@0 --in-memory -m 128 $KB_PMDS \
	-a "$KB_NIC" --no-telemetry -- --forward-mode=txonly --nb-cores=1 \
	--total-num-mbufs=2048 --txd=256 --rxd=256 --stats-period 5
