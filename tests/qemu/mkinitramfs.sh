#!/usr/bin/env bash
# tests/qemu/mkinitramfs.sh: builds the kbnet guest's initramfs from this
# host's Debian packages (linux-image-amd64, busybox-static, DPDK 22.11) and
# the project's apps.  See docs/qemu.md.
usage() {
	cat <<EOF
Usage: tests/qemu/mkinitramfs.sh [-b BUILD] [-o OUT] [-k KVER]

Builds a gzip'd cpio initramfs for kbnet QEMU guests:
  - the kernel's uio and uio_pci_generic modules (from /lib/modules/KVER),
    and virtio_pci and virtio_net for guests whose NIC Linux drives
    (boot-guest.sh -K),
  - busybox-static and its applet links, ethtool,
  - dpdk-testpmd, the project's epserver/epwget/kbperf (when built in BUILD),
    the DPDK .so.23 libraries they need and the PMDs the guest loads with -d
    (bus_pci, net_virtio, mempool_ring), the loader and libc,
  - tests/qemu/guest-init.sh as /init.

  -b BUILD   build dir with apps/ (default \$KB_BUILD or ./build)
  -o OUT     output (default BUILD/qemu/initramfs.cpio.gz)
  -k KVER    kernel version (default: the newest /boot/vmlinuz-*)
  -h         this text

Prints the path of the kernel to boot and of the initramfs on success.
EOF
}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${KB_BUILD:-$root/build}
out=""
kver=""
while getopts "b:o:k:h" o; do
	case $o in
	b) build=$OPTARG ;;
	o) out=$OPTARG ;;
	k) kver=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
die() { echo "mkinitramfs: $*" >&2; exit 1; }

if [[ -z $kver ]]; then
	k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1) ||
		true
	[[ -n $k ]] || die "no /boot/vmlinuz-*: apt-get install linux-image-amd64"
	kver=${k#/boot/vmlinuz-}
fi
[[ -f /boot/vmlinuz-$kver ]] || die "no /boot/vmlinuz-$kver"
[[ -d /lib/modules/$kver ]] || die "no /lib/modules/$kver"
[[ -x /bin/busybox ]] && /bin/busybox --list >/dev/null 2>&1 ||
	die "no /bin/busybox: apt-get install busybox-static"
{ ldd /bin/busybox 2>&1 || true; } | grep -q 'not a dynamic' || die "/bin/busybox is not static: apt-get install busybox-static"
command -v cpio >/dev/null || die "no cpio: apt-get install cpio"
testpmd=$(command -v dpdk-testpmd) || die "no dpdk-testpmd: apt-get install dpdk"
pmddir=$(pkg-config --variable=libdir libdpdk 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)
[[ -n $out ]] || out=$build/qemu/initramfs.cpio.gz

stage=$(mktemp -d /tmp/kb-qemu-initramfs.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,lib/modules,proc,sys,dev,tmp,kb,etc,root,var/run}

# Kernel modules, in load order, with what they depend on for this exact
# kernel: one list per way of driving the NIC (guest-init.sh loads one).
# stage_modules LIST MODULE...
stage_modules() {
	local list=$stage/lib/modules/$1 verb path m; shift
	: >"$list"
	while read -r verb path _; do
		[[ $verb == insmod ]] || continue
		m=$(basename "$path")
		case $m in
		*.ko) cp "$path" "$stage/lib/modules/$m" ;;
		*.ko.xz) xz -dc "$path" >"$stage/lib/modules/${m%.xz}"; m=${m%.xz} ;;
		*.ko.zst) zstd -qdc "$path" >"$stage/lib/modules/${m%.zst}"; m=${m%.zst} ;;
		*) die "unexpected module file $path" ;;
		esac
		grep -qx "$m" "$list" || echo "$m" >>"$list"
	done < <(for m in "$@"; do modprobe -S "$kver" --show-depends "$m"; done)
	for m in "$@"; do
		grep -q "^$m.ko" "$list" || die "$m not found for $kver"
	done
}
# uio: DPDK drives the NIC from user space (the default)
stage_modules load-order uio_pci_generic
# kernel: Linux's own virtio-net driver (virtio_pci, or new_id above could
# not bind uio_pci_generic: the uio list must never load it)
stage_modules load-order.kernel virtio_pci virtio_net

# busybox and its applets (its list names busybox itself: skip that one).
cp /bin/busybox "$stage/bin/busybox"
for a in $(/bin/busybox --list-full); do
	[[ $(basename "$a") == busybox ]] && continue
	[[ -e $stage/$a ]] || ln -s /bin/busybox "$stage/$a"
done

# Binaries and, through ldd, every library they need: one file per soname
# (the .so.23 names only: a second name for the same DPDK library would
# register its tailqs twice), all in one directory whatever host directory
# (lib, usr/lib, dpdk/pmds-23.0) ldd found them in, for the same reason.
libdir=/lib/x86_64-linux-gnu
copy_lib() {
	local dst=$stage$libdir/$(basename "$1")
	[[ -e $dst ]] && return 0
	mkdir -p "$stage$libdir"
	cp -L "$1" "$dst"
}
copy_with_deps() {
	local f=$1 l
	while read -r l; do
		copy_lib "$l"
	done < <(ldd "$f" | awk '/=> \// {print $3} /^\s*\/[^ ]+ \(/ {print $1}')
}
ethtool=$(command -v ethtool) || die "no ethtool: apt-get install ethtool"
bins=("$testpmd" "$ethtool")
for app in epserver epwget kbperf; do
	[[ -x $build/apps/$app ]] && bins+=("$build/apps/$app")
done
for b in "${bins[@]}"; do
	cp "$b" "$stage/usr/bin/$(basename "$b")"
	copy_with_deps "$b"
done
pmds=""
for p in bus_pci net_virtio mempool_ring; do
	f=$pmddir/librte_$p.so.23
	[[ -e $f ]] || die "no $f"
	copy_lib "$f"
	copy_with_deps "$f"
	pmds+=" -d $libdir/librte_$p.so.23"
done
# The loader where binaries look for it (ldd names it by its real path).
[[ -e $stage/lib64/ld-linux-x86-64.so.2 ]] || cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
# No .so without a version next to a .so.23: see above.
if find "$stage" -name 'librte_*.so' | grep -q .; then die "unversioned librte_*.so staged"; fi

echo "KB_PMDS='${pmds# }'" >"$stage/etc/kbnet.env"
echo "KB_APPS='$(for b in "${bins[@]}"; do basename "$b"; done | tr '\n' ' ')'" >>"$stage/etc/kbnet.env"
cp "$here/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$out.$$"
mv "$out.$$" "$out"
echo "kernel /boot/vmlinuz-$kver"
echo "initramfs $out ($(du -h "$out" | cut -f1), apps: ${bins[*]##*/})"
