#!/usr/bin/env bash
# t_stack_config: a bad mtcp.conf (the stack's keys or the layer's, or a
# misspelt key) stops mtcp_init with "file:line:col: what was expected" and
# a non-zero exit before DPDK starts: no EAL output, no port created.
# timeout: 60
# asan: yes
source "$(dirname "$0")/../lib.sh"

XFER=$KB_BUILD/tests/unit/stack/kbxfer
[[ -x $XFER ]] || { kb_fail "kbxfer not built (needs the DPDK layer and libcrypto)"; kb_done; }
TAP=$(kb_name cf)

# case_bad NAME LINE:COL PATTERN BODY (appended after port/ip lines and a
# comment; mode defaults to single)
case_bad() {
	local name=$1 pos=$2 pat=$3 body=$4 f=$KB_TMP/$1.conf
	printf 'port = net_tap0,iface=%s\nip = 10.89.0.1/24\n# mode = single\n%b' "$TAP" "$body" >"$f"
	timeout 30 "$XFER" -f "$f" -l 5000 >"$KB_TMP/$name.log" 2>&1
	local rc=$?
	if (( rc != 0 )) && grep -q "$f:$pos: .*$pat" "$KB_TMP/$name.log" &&
	   ! grep -q '^EAL:' "$KB_TMP/$name.log" && ! ip link show "$TAP" >/dev/null 2>&1; then
		kb_pass "$name: $(grep -o "$f:$pos: .*" "$KB_TMP/$name.log" | head -n 1 | sed "s|$KB_TMP/||")"
	else
		kb_fail "$name: rc=$rc"; cat "$KB_TMP/$name.log"
	fi
}

case_bad misspelt 4:1 "unknown key 'tcp_timout'" 'tcp_timout = 5\n'
case_bad rcvbuf 4:10 "rcvbuf: expected an integer" 'rcvbuf = lots\n'
case_bad cc 4:22 "expected cubic or reno" 'congestion_control = bbr\n'
case_bad bool 4:8 "sack" 'sack = maybe\n'
case_bad timeout 5:15 "tcp_timeout" 'rcvbuf = 65536\ntcp_timeout = -7\n'
case_bad layer_mode 4:8 "single, 1kb or 2kb" "mode = triple\\n"
kb_done
