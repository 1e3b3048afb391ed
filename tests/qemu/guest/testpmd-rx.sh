# Guest script (boot-guest.sh -r): testpmd counts what the NIC receives
# (rxonly) until packets have arrived and then none for 5 s (or 240 s in
# all), then prints its final counters.  "guest: rx ready" once it polls.
echo "guest: testpmd rxonly on $KB_NIC"
dpdk-testpmd --lcores 0@0,1@0 --in-memory -m 128 $KB_PMDS -a "$KB_NIC" \
	--no-telemetry -- --forward-mode=rxonly --nb-cores=1 \
	--total-num-mbufs=2048 --txd=256 --rxd=256 --stats-period 1 >/tmp/rx.log 2>&1 &
pid=$!
last=0 still=0 t=0 ready=0
while [ $t -lt 240 ] && kill -0 $pid 2>/dev/null; do
	sleep 1
	t=$((t + 1))
	n=$(grep -o 'RX-packets: *[0-9]*' /tmp/rx.log | tail -n 1 | grep -o '[0-9]*$')
	[ -n "$n" ] && [ $ready = 0 ] && { ready=1; echo "guest: rx ready"; }
	n=${n:-0}
	if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then
		still=$((still + 1))
		[ $still -ge 5 ] && break
	else
		still=0
	fi
	last=$n
done
kill -INT $pid
wait $pid
rc=$?
sed -n '/Forward statistics/,$p' /tmp/rx.log
[ $rc = 0 ] || tail -n 20 /tmp/rx.log
exit $rc
