#!/usr/bin/env bash
# tests/qemu/boot-guest.sh: boots one kbnet QEMU guest whose virtio-net-pci
# NIC is a vhost-user port (kbswitch's, or any vhost-user server), runs one
# script inside it and returns when the guest powers off.  See docs/qemu.md.
usage() {
	cat <<EOF
Usage: tests/qemu/boot-guest.sh -s SOCK -r SCRIPT [options]
       tests/qemu/boot-guest.sh --probe-kvm

Boots a guest from the kbnet initramfs (tests/qemu/mkinitramfs.sh) with
  guest memory  shared with the vhost-user backend (hugetlbfs or memfd)
  NIC           -chardev socket,path=SOCK -netdev vhost-user
                -device virtio-net-pci,vectors=0 (QEMU is the client)
runs SCRIPT inside (as /kb/run.sh, cwd /kb; \$KB_NIC is the NIC's PCI address,
\$KB_PMDS the -d options for the PMDs) and powers off.  The serial console
goes to stdout; its "kbguest: exit RC" line gives SCRIPT's status, which is
this command's exit status (1 if the line is missing, 124 on timeout).

  -s SOCK         vhost-user socket of the switch port (server side)
  -S              QEMU owns SOCK (-chardev ...,server=on) and waits for the
                  switch to connect as a vhost-user client (client=1): the
                  switch may then restart under the running guest
  -r SCRIPT       script to run in the guest
  -f SRC[:DST]    also put file SRC into the guest at /kb/DST (repeatable)
  -M MAC          the NIC's MAC (default 02:00:00:00:00:01)
  -K              Linux's own virtio_net drives the NIC (eth0, \$KB_IFACE in
                  SCRIPT) with the offloads it negotiates, instead of DPDK;
                  no hugepages unless -H
  -i INITRAMFS    (default \$KB_BUILD/qemu/initramfs.cpio.gz)
  -k KERNEL       (default the newest /boot/vmlinuz-*)
  -m MB           guest memory (default 512)
  -H PAGES        2 MB hugepages the guest reserves for DPDK (default 128,
                  0 with -K)
  -c CPUS         guest CPUs (default 1)
  -a ACCEL        tcg | kvm | auto (default \$KB_QEMU_ACCEL or tcg; auto
                  uses KVM only when a probe guest boots under it)
  -b BACKEND      guest memory: hugepages | memfd | auto (default auto:
                  hugepages when enough are free, else memfd)
  -t SECONDS      kill the guest after this long (default 300)
  -n NICE         nice level for QEMU (default 10)
  -x FIFO         console input from FIFO (keep a writer open on it): what
                  the host writes there, the guest script reads on stdin
  --probe-kvm     exit 0 if a guest boots under KVM within 15 s, else 1
  -h, --help      this text
EOF
}
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${KB_BUILD:-$root/build}

sock="" script="" mac=02:00:00:00:00:01 initrd=$build/qemu/initramfs.cpio.gz
kernel="" mem=512 huge="" cpus=1 accel=${KB_QEMU_ACCEL:-tcg} backend=auto
nicdrv=uio qserver=0 limit=300 nicelvl=10 probe=0 conin=/dev/null qin=/dev/null
files=()
die() { echo "boot-guest: $*" >&2; exit 2; }

args=()
for a in "$@"; do
	case $a in
	--help) usage; exit 0 ;;
	--probe-kvm) probe=1 ;;
	*) args+=("$a") ;;
	esac
done
set -- "${args[@]+"${args[@]}"}"
while getopts "Ss:r:f:M:Ki:k:m:H:c:a:b:t:n:x:h" o; do
	case $o in
	s) sock=$OPTARG ;;
	S) qserver=1 ;;
	r) script=$OPTARG ;;
	f) files+=("$OPTARG") ;;
	M) mac=$OPTARG ;;
	K) nicdrv=kernel ;;
	i) initrd=$OPTARG ;;
	k) kernel=$OPTARG ;;
	m) mem=$OPTARG ;;
	H) huge=$OPTARG ;;
	c) cpus=$OPTARG ;;
	a) accel=$OPTARG ;;
	b) backend=$OPTARG ;;
	t) limit=$OPTARG ;;
	n) nicelvl=$OPTARG ;;
	x) conin=$OPTARG; [[ -p $conin ]] || die "-x $conin: not a FIFO" ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
(( OPTIND > $# )) || die "unexpected argument '${!OPTIND}'"
[[ -n $huge ]] || { [[ $nicdrv == kernel ]] && huge=0 || huge=128; }

qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: apt-get install qemu-system-x86"
[[ -n $kernel ]] || kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[[ -r $kernel ]] || die "no kernel (-k) and no /boot/vmlinuz-*: apt-get install linux-image-amd64"
[[ -r $initrd ]] || die "no initramfs $initrd: run tests/qemu/mkinitramfs.sh"
[[ $mem =~ ^[0-9]+$ && $huge =~ ^[0-9]+$ && $cpus =~ ^[0-9]+$ && $limit =~ ^[0-9]+$ ]] ||
	die "-m, -H, -c and -t take numbers"
[[ $mac =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || die "-M: expected a MAC like 02:00:00:00:00:01, got '$mac'"

tmp=$(mktemp -d /tmp/kb-qemu-guest.XXXXXX)
qpid="" tpid=""
cleanup() {
	[[ -n $qpid ]] && kill -TERM "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[[ -n $tpid ]] && kill "$tpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# run_qemu LOG SECONDS QEMU_ARGS...: QEMU in the background (so a TERM to us
# reaches it through cleanup), bounded by SECONDS, console and errors
# appended to LOG.
run_qemu() {
	local log=$1 secs=$2; shift 2
	nice -n "$nicelvl" timeout -k 5 "$secs" "$qemu" -nodefaults -no-user-config \
		-display none -monitor none -serial stdio -no-reboot \
		-kernel "$kernel" "$@" <"$qin" >>"$log" 2>&1 &
	qpid=$!
	wait "$qpid"
	local rc=$?
	qpid=""
	return $rc
}

# KVM is present on some hosts where guests hang under it: believe it only
# when a guest actually boots to our init's first line.
probe_kvm() {
	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	run_qemu "$tmp/probe.log" 15 -accel kvm -cpu host -m 256 -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 no_timer_check kbhuge=0"
	grep -q '^kbguest: ' "$tmp/probe.log"
}
if (( probe )); then
	probe_kvm && { echo "kvm: works"; exit 0; }
	echo "kvm: not usable (no /dev/kvm, or no guest output within 15 s)"
	exit 1
fi

[[ -n $sock ]] || die "-s SOCK is required (the vhost-user server's socket)"
(( qserver )) || [[ -S $sock ]] || die "-s $sock: no such socket (start the switch first, or -S)"
[[ -n $script && -r $script ]] || die "-r SCRIPT is required and must be readable"
case $accel in
tcg | kvm) ;;
auto) if probe_kvm; then accel=kvm; else accel=tcg; fi ;;
*) die "-a: expected tcg, kvm or auto, got '$accel'" ;;
esac
if [[ $accel == kvm ]]; then cpu=(-accel kvm -cpu host); else cpu=(-accel tcg -cpu max); fi

auto_mem=0
if [[ $backend == auto ]]; then
	auto_mem=1
	backend=memfd
	# keep 128 MB for the switch and the other users of the host's pool
	if grep -qs ' /dev/hugepages hugetlbfs' /proc/mounts &&
		(( $("$here/../../scripts/eal-mem.sh" --free-mb) >= mem + 128 )); then
		backend=hugepages
	fi
fi
mem_object() {
	case $1 in
	hugepages) echo "memory-backend-file,id=mem,size=${mem}M,mem-path=/dev/hugepages,share=on,prealloc=on" ;;
	memfd) echo "memory-backend-memfd,id=mem,size=${mem}M,share=on" ;;
	*) return 1 ;;
	esac
}
mem_object "$backend" >/dev/null || die "-b: expected hugepages, memfd or auto, got '$backend'"

# The guest's own files go in a second cpio appended to the base one: the
# kernel unpacks both, so one initramfs serves every guest.
mkdir -p "$tmp/root/kb"
cp "$script" "$tmp/root/kb/run.sh"
for f in "${files[@]+"${files[@]}"}"; do
	src=${f%%:*}; dst=${f#*:}; [[ $f == *:* ]] || dst=$(basename "$src")
	[[ -r $src ]] || die "-f $src: not readable"
	mkdir -p "$(dirname "$tmp/root/kb/$dst")"
	cp "$src" "$tmp/root/kb/$dst"
done
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$tmp/extra.cpio.gz"
cat "$initrd" "$tmp/extra.cpio.gz" >"$tmp/initrd.cpio.gz"

qin=$conin
# the console streams to our stdout while the guest runs
: >"$tmp/console.log"
tail -n +1 -f "$tmp/console.log" &
tpid=$!
boot() {
	echo "boot-guest: $accel, ${mem} MB ($backend), $cpus cpu, nic $mac on $sock" >>"$tmp/console.log"
	run_qemu "$tmp/console.log" "$limit" "${cpu[@]}" -smp "$cpus" -m "${mem}M" \
		-object "$(mem_object "$backend")" -numa node,memdev=mem \
		-chardev "socket,id=c0,path=$sock$( ((qserver)) && echo ,server=on)" \
		-netdev vhost-user,id=n0,chardev=c0 \
		-device "virtio-net-pci,netdev=n0,mac=$mac,vectors=0" \
		-initrd "$tmp/initrd.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 no_timer_check kbhuge=$huge kbnic=$nicdrv kbrun=/kb/run.sh"
}
boot
qrc=$?
# Others share the host's hugepages: when they took them between our look
# and QEMU's start, fall back to memfd rather than fail (auto only).
if (( qrc != 0 && auto_mem )) && [[ $backend == hugepages ]] &&
	grep -q 'unable to map backing store' "$tmp/console.log"; then
	backend=memfd
	boot
	qrc=$?
fi
sleep 0.3   # let tail print the last lines
kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
(( qrc == 124 || qrc == 137 )) && { echo "boot-guest: guest killed after ${limit}s"; exit 124; }
rc=$(sed -n 's/^kbguest: exit \([0-9]*\).*/\1/p' "$tmp/console.log" | tail -n 1)
[[ -n $rc ]] || { echo "boot-guest: the guest ended without 'kbguest: exit' (qemu status $qrc)"; exit 1; }
exit "$rc"
