#!/usr/bin/env bash
# Installs what kbnet needs to build, test and benchmark, from Debian 12's
# packages, when something is missing.  Safe to run again: it does nothing
# when all is there.  Usage: scripts/install-deps.sh [--bench]
set -euo pipefail

pkgs=(build-essential qemu-system-x86 linux-image-amd64 busybox-static cpio meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev
      libpcap-dev iproute2 python3 python3-dev python3-scapy tcpdump valgrind
      curl netcat-openbsd procps util-linux kmod ethtool zstd xz-utils
      clang libclang-rt-dev)
if [[ "${1:-}" == "--bench" ]]; then
	pkgs+=(iperf3 python3-matplotlib)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
