# Guest script (boot-guest.sh -r): epwget with the config /kb/vm.conf (the
# NIC's PCI address and the PMDs are added here) against the URL in /kb/url:
# one download saved and checksummed ("guest: sha256 HEX"), then
# /kb/requests (default 50) keep-alive requests over 4 connections
# ("guest: json {...}").  Fails if either fails.
cp /kb/vm.conf /tmp/vm.conf
echo "port = $KB_NIC" >>/tmp/vm.conf
echo "eal_args = $KB_PMDS" >>/tmp/vm.conf
url=$(cat /kb/url)
n=$(cat /kb/requests 2>/dev/null || echo 50)
epwget -f /tmp/vm.conf "$url" -n 1 -o /tmp/got.bin
rc1=$?
echo "guest: sha256 $(sha256sum </tmp/got.bin | cut -d' ' -f1) rc=$rc1"
# A broken path already failed once; a second round would only run the
# test into its time limit.
[ $rc1 = 0 ] || exit 1
epwget -f /tmp/vm.conf "$url" -n "$n" -c 4 -k --json >/tmp/w.json
rc2=$?
echo "guest: json $(cat /tmp/w.json) rc=$rc2"
[ $rc1 = 0 ] && [ $rc2 = 0 ]
