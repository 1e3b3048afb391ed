# tests/qemu/lib_qemu.sh: what the t_qemu_* tests share (sourced after
# tests/lib.sh): preconditions, the initramfs, starting guests, reading
# testpmd's counters.

KB_QEMU=$KB_ROOT/tests/qemu

# qemu_require: FAIL (never skip) with the reason when the host lacks
# something the guests need, then exit.
qemu_require() {
	local why=()
	command -v qemu-system-x86_64 >/dev/null || why+=("no qemu-system-x86_64 (apt-get install qemu-system-x86)")
	ls /boot/vmlinuz-* >/dev/null 2>&1 || why+=("no /boot/vmlinuz-* (apt-get install linux-image-amd64)")
	[[ -x /bin/busybox ]] || why+=("no /bin/busybox (apt-get install busybox-static)")
	command -v cpio >/dev/null || why+=("no cpio")
	command -v dpdk-testpmd >/dev/null || why+=("no dpdk-testpmd (apt-get install dpdk)")
	local b
	for b in "$@"; do
		[[ -x $KB_BIN/$b ]] || why+=("no $KB_BIN/$b (not built, or not in the tree yet)")
	done
	if (( ${#why[@]} )); then
		local w
		for w in "${why[@]}"; do kb_fail "cannot run guests: $w"; done
		exit 1
	fi
}

# qemu_initramfs: (re)builds $KB_BUILD/qemu/initramfs.cpio.gz with the
# binaries of the build under test; FAIL and exit if that fails.
qemu_initramfs() {
	QEMU_INITRD=$KB_BUILD/qemu/initramfs.cpio.gz
	if ! "$KB_QEMU/mkinitramfs.sh" -b "$KB_BUILD" -o "$QEMU_INITRD" >"$KB_TMP/mkinitramfs.log" 2>&1; then
		kb_fail "mkinitramfs: $(tail -n 1 "$KB_TMP/mkinitramfs.log")"
		exit 1
	fi
	kb_pass "initramfs built ($(tail -n 1 "$KB_TMP/mkinitramfs.log"))"
}

# qemu_guest LOG SOCK MAC SCRIPT [boot-guest options...]: boots a guest in
# the background (tracked; $KB_LAST_PID).  TCG by default, KVM only when
# $QEMU_ACCEL says so (qemu_accel); guest memory per KB_QEMU_MEM
# (hugepages|memfd|auto, the default).
qemu_guest() {
	local log=$1 sock=$2 mac=$3 script=$4; shift 4
	kb_bg "$log" "$KB_QEMU/boot-guest.sh" -i "$QEMU_INITRD" -s "$sock" -M "$mac" \
		-r "$script" -a "${QEMU_ACCEL:-tcg}" -b "${KB_QEMU_MEM:-auto}" -t "${QEMU_GUEST_LIMIT:-300}" "$@"
}

# qemu_accel: KVM if a probe guest boots under it (it hangs on some hosts
# that have /dev/kvm), else TCG; KB_QEMU_ACCEL=tcg|kvm overrides.  The
# verdict is kept per host boot in $KB_BUILD/qemu/kvm-probe: a hung probe
# costs 15 s of a CPU.
qemu_accel() {
	QEMU_ACCEL=${KB_QEMU_ACCEL:-}
	if [[ -z $QEMU_ACCEL ]]; then
		local cache=$KB_BUILD/qemu/kvm-probe key
		key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(qemu-system-x86_64 --version | head -n 1)"
		if [[ -r $cache && $(head -n 1 "$cache") == "$key" ]]; then
			QEMU_ACCEL=$(sed -n 2p "$cache")
		else
			QEMU_ACCEL=tcg
			"$KB_QEMU/boot-guest.sh" --probe-kvm -i "$QEMU_INITRD" >/dev/null 2>&1 && QEMU_ACCEL=kvm
			printf '%s\n%s\n' "$key" "$QEMU_ACCEL" >"$cache"
		fi
	fi
	echo "accelerator: $QEMU_ACCEL"
}

# qemu_wait_exit SECONDS PID: waits for PID to end; its exit status, or 124.
qemu_wait_exit() {
	local deadline=$((SECONDS + $1)) pid=$2
	while kill -0 "$pid" 2>/dev/null; do
		(( SECONDS >= deadline )) && return 124
		sleep 0.5
	done
	wait "$pid"
}

# qemu_wait_progress SECONDS PID LOG CTL PORT: like qemu_wait_exit, but a
# guest whose traffic stalls fails fast (status 125, STALL says why): once
# kbswitch's PORT (a module name) has carried the guest's first frame, 60 s
# without a new console line in LOG and without 50 more frames through PORT
# mean the data path is broken (a TCP connect retrying its SYN moves a few
# frames a minute; a working 1 MB download moves hundreds in seconds).
qemu_wait_progress() {
	local deadline=$((SECONDS + $1)) pid=$2 log=$3 ctl=$4 port=$5
	local mark=$SECONDS base=-1 lines=0 n l
	STALL=""
	while kill -0 "$pid" 2>/dev/null; do
		(( SECONDS >= deadline )) && return 124
		n=$(timeout 5 "$KB_BIN/src/switch/kbctl" --ctl "$ctl" show port | grep -E "^ *$port[: ]" |
			grep -oE '(rx|tx)_pkts=[0-9]+' | awk -F= '{ s += $2 } END { print s + 0 }')
		l=$(wc -l <"$log")
		if (( l != lines )) || (( base >= 0 && n - base >= 50 )) || (( base < 0 && n > 0 )); then
			lines=$l base=$n mark=$SECONDS
		fi
		if (( base > 0 && SECONDS - mark >= 60 )); then
			STALL="no progress for 60 s: $n frames through $port, console quiet"
			return 125
		fi
		sleep 2
	done
	wait "$pid"
}

# fwd_stat LOG PORT FIELD: testpmd's final "Forward statistics for port
# PORT" value of FIELD (RX-packets, TX-packets, TX-dropped...), or empty.
fwd_stat() {
	sed -n "/Forward statistics for port $2 /,/-----------------------------------------------------------/p" "$1" |
		grep -o "$3: *[0-9]*" | tail -n 1 | grep -o '[0-9]*$'
}

# qemu_start_kbswitch LOG DIR: kbswitch with conf/forward_script.bess, its
# vhost-user sockets DIR/vm1.sock and DIR/vm2.sock (KB_VM1_SOCK/KB_VM2_SOCK,
# as the script reads them), in the background ($KB_LAST_PID).
qemu_start_kbswitch() {
	local log=$1 dir=$2 script=$KB_ROOT/conf/forward_script.bess
	if [[ ! -r $script ]]; then
		kb_fail "no $script (not in the tree yet)"
		exit 1
	fi
	KB_VM1_SOCK=$dir/vm1.sock KB_VM2_SOCK=$dir/vm2.sock kb_bg "$log" \
		timeout 560 "$KB_BIN/src/switch/kbswitch" $(kb_eal_mem vhost 256) \
		--file-prefix="qemu${KB_ID}sw" -- -f "$script" --ctl "$dir/kbswitch.ctl"
}

# qemu_wait_log SECONDS LOG PATTERN PID: waits until LOG has PATTERN; gives
# up at once when PID (the guest's boot-guest.sh) has ended.
qemu_wait_log() {
	local deadline=$((SECONDS + $1))
	until grep -qE "$3" "$2" 2>/dev/null; do
		kill -0 "$4" 2>/dev/null || { grep -qE "$3" "$2" 2>/dev/null; return; }
		(( SECONDS >= deadline )) && return 1
		sleep 0.5
	done
}
