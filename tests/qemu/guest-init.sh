#!/bin/sh
# /init of the kbnet guest initramfs (tests/qemu/mkinitramfs.sh).
#
# Mounts the pseudo file systems, reserves hugepages, gives the virtio-net
# NIC to uio_pci_generic (DPDK drives it from user space) or, with
# kbnic=kernel, to Linux's virtio_net (eth0, $KB_IFACE), then runs the
# script named by kbrun= on the kernel command line (boot-guest.sh puts it
# into the initramfs) and powers off.  Everything goes to the serial console,
# which the host reads; the lines starting "kbguest:" are the protocol:
#   kbguest: ready nic=PCI      before the script starts
#   kbguest: exit RC            the script's exit status
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /dev/hugepages
mount -t hugetlbfs none /dev/hugepages

off() {
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 5
}

arg() {
	for w in $(cat /proc/cmdline); do
		case $w in "$1"=*) echo "${w#*=}"; return ;; esac
	done
}

. /etc/kbnet.env
export KB_PMDS KB_APPS

pages=$(arg kbhuge)
echo "${pages:-128}" >/proc/sys/vm/nr_hugepages

# kbnic=kernel: Linux's virtio_net drives the NIC (boot-guest.sh -K), with
# the offloads it negotiates by default; else uio_pci_generic hands it to
# DPDK.
nicdrv=$(arg kbnic)
case ${nicdrv:=uio} in
kernel) mods=/lib/modules/load-order.kernel ;;
*) mods=/lib/modules/load-order ;;
esac
for m in $(cat $mods); do
	insmod "/lib/modules/$m" || echo "kbguest: insmod $m failed"
done
[ "$nicdrv" = kernel ] || echo "1af4 1000" >/sys/bus/pci/drivers/uio_pci_generic/new_id

# The first virtio-net device (legacy 1000 or modern 1041 id); new_id binds
# it at once, as virtio_pci is not loaded in uio mode.
KB_NIC=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] || continue
	case $(cat "$d/device") in 0x1000|0x1041) ;; *) continue ;; esac
	KB_NIC=${d##*/}
	break
done
# kernel mode: the NIC's interface (eth0), for the script to configure
KB_IFACE=""
if [ -n "$KB_NIC" ] && [ "$nicdrv" = kernel ]; then
	for n in /sys/bus/pci/devices/$KB_NIC/virtio*/net/*; do
		[ -e "$n" ] && KB_IFACE=${n##*/}
	done
	[ -n "$KB_IFACE" ] || KB_NIC=""
fi
export KB_NIC KB_IFACE
if [ -z "$KB_NIC" ]; then
	echo "kbguest: no virtio-net PCI device${nicdrv:+ (driver $nicdrv)}"
	echo "kbguest: exit 1"
	off
fi
drv=$(readlink "/sys/bus/pci/devices/$KB_NIC/driver")
echo "kbguest: ready nic=$KB_NIC driver=${drv##*/}${KB_IFACE:+ iface=$KB_IFACE} hugepages=$(cat /proc/sys/vm/nr_hugepages) cpus=$(nproc)"

run=$(arg kbrun)
rc=1
if [ -z "$run" ] || [ ! -f "$run" ]; then
	echo "kbguest: no script kbrun=$run"
else
	cd /kb && sh "$run"
	rc=$?
fi
echo "kbguest: exit $rc"
off
