# Guest script (boot-guest.sh -r): testpmd sends from the NIC in txonly mode
# for SECONDS (file /kb/secs, default 10) counted from when it forwards (its
# start-up alone can take seconds under TCG), then prints its final counters.
secs=$(cat /kb/secs 2>/dev/null || echo 10)
echo "guest: testpmd txonly on $KB_NIC for ${secs}s"
# lcore 1 forwards, lcore 0 only prints: both on the one vCPU
dpdk-testpmd --lcores 0@0,1@0 --in-memory -m 128 $KB_PMDS -a "$KB_NIC" \
	--no-telemetry -- --forward-mode=txonly --nb-cores=1 \
	--total-num-mbufs=2048 --txd=256 --rxd=256 --stats-period 1 >/tmp/tx.log 2>&1 &
pid=$!
t=0
while [ $t -lt 240 ] && kill -0 $pid 2>/dev/null && ! grep -q 'TX-packets' /tmp/tx.log; do
	sleep 1
	t=$((t + 1))
done
echo "guest: tx started after ${t}s"
sleep "$secs"
kill -INT $pid
wait $pid
rc=$?
sed -n '/Forward statistics/,$p' /tmp/tx.log
[ $rc = 0 ] || tail -n 20 /tmp/tx.log
exit $rc
