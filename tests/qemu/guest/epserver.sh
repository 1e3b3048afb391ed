# Guest script (boot-guest.sh -r): epserver serves /kb/www on the NIC with
# the config /kb/vm.conf (the NIC's PCI address and the PMDs are added
# here) until the host writes "stop" on the console (boot-guest.sh -x).
cp /kb/vm.conf /tmp/vm.conf
echo "port = $KB_NIC" >>/tmp/vm.conf
echo "eal_args = $KB_PMDS" >>/tmp/vm.conf
epserver -f /tmp/vm.conf -p /kb/www -P 80 &
pid=$!
while read -r line; do
	[ "$line" = stop ] && break
done
echo "guest: stopping epserver"
kill -TERM $pid
wait $pid
