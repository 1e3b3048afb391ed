#!/usr/bin/env bash
# t_apps_bad_input: hostile command lines and config files given to the
# apps stop them at once with one clear message and exit 2, before DPDK
# starts: a config that never ends (/dev/zero), a directory, a binary, a NUL
# byte, a duplicated key, an option without its value; nothing leaks
# (under ASan: LeakSanitizer reports nothing).
# timeout: 60
# asan: yes
source "$(dirname "$0")/../lib.sh"

APPS=$KB_BUILD/apps

# expect NAME WANT CMD...: exit 2 and stderr, all of it, matches the ERE WANT
expect() {
	local name=$1 want=$2; shift 2
	timeout 20 "$@" >"$KB_TMP/$name.out" 2>"$KB_TMP/$name.err"
	local rc=$? got
	got=$(cat "$KB_TMP/$name.err")
	if [[ $rc -eq 2 && $got =~ ^$want$ ]]; then
		kb_pass "$name: $(head -n 1 <<<"$got" | sed "s|$KB_TMP/||")"
	else
		kb_fail "$name: rc=$rc, stderr:"
		head -n 20 "$KB_TMP/$name.err"
	fi
}

base="port = net_tap0,iface=kbbad$KB_ID\nip = 10.88.0.1/24\n"

expect dev_zero "mtcp_init: /dev/zero: more than 1048576 bytes: not a config file" \
	"$APPS/kbperf" -s -f /dev/zero
expect directory "mtcp_init: $KB_TMP: is a directory, expected a config file" \
	"$APPS/kbperf" -s -f "$KB_TMP"
head -c 4096 "$APPS/kbperf" >"$KB_TMP/binary.conf"
expect binary "mtcp_init: $KB_TMP/binary.conf:1:1: control byte 0x7f \(binary data\? .*\)" \
	"$APPS/kbperf" -s -f "$KB_TMP/binary.conf"
printf "${base}mode = single\x00tcp_timeout = 5\n" >"$KB_TMP/nul.conf"
expect nul_byte "mtcp_init: $KB_TMP/nul.conf:3:14: a NUL byte \(a config file is text lines of key = value\)" \
	"$APPS/kbperf" -s -f "$KB_TMP/nul.conf"
printf "${base}rcvbuf = lots\nmode = single\nrcvbuf = 65536\n" >"$KB_TMP/dup.conf"
expect dup_stack_key "mtcp_init: $KB_TMP/dup.conf:5:1: duplicate key 'rcvbuf' \(first at $KB_TMP/dup.conf:3:1\); it takes one value" \
	"$APPS/kbperf" -s -f "$KB_TMP/dup.conf"
printf "${base}mode = single\nmode = 1kb\nnum_cores = 2\n" >"$KB_TMP/dup2.conf"
expect dup_layer_key "mtcp_init: $KB_TMP/dup2.conf:4:1: duplicate key 'mode' \(first at $KB_TMP/dup2.conf:3:1\); it takes one value" \
	"$APPS/kbperf" -s -f "$KB_TMP/dup2.conf"
expect epwget_n_no_value "epwget: -n needs a value
Try 'epwget --help'." "$APPS/epwget" -n
expect kbperf_unknown "kbperf: unknown option '--frobnicate'
Try 'kbperf --help'." "$APPS/kbperf" --frobnicate
# EAL's refusal of eal_args: its one line at the key, not its usage text
printf "${base}eal_args = --frob\n" >"$KB_TMP/eal.conf"
expect eal_args "kbdpdk: memory: [^"$'\n'"]*"$'\n'"mtcp_init: $KB_TMP/eal.conf:3:12: eal_args: EAL refused '--frob': unrecognized option '--frob'" \
	"$APPS/kbperf" -s -f "$KB_TMP/eal.conf"
kb_check "eal_args: no usage text on stdout" test ! -s "$KB_TMP/eal_args.out"
printf "${base}eal_args = --help\n" >"$KB_TMP/help.conf"
expect eal_args_help "mtcp_init: $KB_TMP/help.conf:3:12: eal_args: expected EAL arguments other than --help, got '--help'" \
	"$APPS/kbperf" -s -f "$KB_TMP/help.conf"
mkdir -p "$KB_TMP/www" && echo hello >"$KB_TMP/www/index.html"
expect epserver_missing_conf "mtcp_init: $KB_TMP/none.conf: No such file or directory" \
	"$APPS/epserver" -p "$KB_TMP/www" -f "$KB_TMP/none.conf"
kb_done
