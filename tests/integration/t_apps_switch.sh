#!/usr/bin/env bash
# t_apps_switch: the apps between two VM processes through kbswitch
# (conf/forward_script.bess, its sockets from KB_VM1_SOCK / KB_VM2_SOCK):
# ARP through the switch, epwget downloads a 4 MB file from epserver
# (SHA-256 compared) and 100 keep-alive requests, kbperf rr and crr.
# In single, 1kb and 2kb modes (KB_APPS_MODES to choose).
# timeout: 300
# asan: no
source "$(dirname "$0")/../lib.sh"

APPS=$KB_BUILD/apps
SWITCH=$KB_BUILD/src/switch/kbswitch
SCRIPT=$KB_ROOT/conf/forward_script.bess
for b in "$APPS/epserver" "$APPS/epwget" "$APPS/kbperf" "$SWITCH"; do
	[[ -x $b ]] || { kb_fail "$b not built"; kb_done; }
done
[[ -f $SCRIPT ]] || { kb_fail "$SCRIPT missing"; kb_done; }
MODES=${KB_APPS_MODES:-single 1kb 2kb}

# vm_conf FILE SOCK IP MAC
vm_conf() {
	local cores=1
	case $MODE in 1kb) cores=2 ;; 2kb) cores=3 ;; esac
	cat >"$1" <<CONF
# written by $KB_TEST
port = net_virtio_user0,path=$2
ip = $3/24
mac = $4
mode = $MODE
num_cores = $cores
file_prefix = kbas${KB_ID}$(basename "$1" .conf)
tcp_timeout = -1
eal_args = --single-file-segments
vhost_server = yes
CONF
}

# bg_wait LOG PATTERN CMD...: start CMD tracked, wait for PATTERN in LOG
bg_wait() {
	local log=$1 pat=$2; shift 2
	kb_bg "$log" timeout 200 "$@"
	LASTPID=$KB_LAST_PID
	kb_wait_log 60 "$log" "$pat" || { kb_fail "$MODE: did not start: $(basename "$1")"; tail -n 15 "$log"; return 1; }
}
stop() {
	kill -TERM "$1" 2>/dev/null
	local i; for i in $(seq 100); do kb_alive "$1" || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}

mkdir -p "$KB_TMP/www"
head -c 4194304 /dev/urandom >"$KB_TMP/www/file.bin"
want=$(sha256sum <"$KB_TMP/www/file.bin" | cut -d' ' -f1)

one_mode() {
	MODE=$1
	local s1=$KB_TMP/$MODE-vm1.sock s2=$KB_TMP/$MODE-vm2.sock
	KB_VM1_SOCK=$s1 KB_VM2_SOCK=$s2 kb_bg "$KB_TMP/sw-$MODE.log" timeout 200 "$SWITCH" \
		$(kb_eal_mem vhost 256) --file-prefix=kbas${KB_ID}sw -- -f "$SCRIPT" \
		--ctl "$KB_TMP/sw-$MODE.ctl"
	local sw=$KB_LAST_PID
	if ! kb_wait_for 60 test -S "$KB_TMP/sw-$MODE.ctl"; then
		kb_fail "$MODE: kbswitch did not start"; tail -n 15 "$KB_TMP/sw-$MODE.log"; stop $sw; return
	fi
	vm_conf "$KB_TMP/vm1.conf" "$s1" 10.0.0.1 02:00:00:00:00:01
	vm_conf "$KB_TMP/vm2.conf" "$s2" 10.0.0.2 02:00:00:00:00:02

	if bg_wait "$KB_TMP/eps-$MODE.log" '^epserver: serving' \
		"$APPS/epserver" -f "$KB_TMP/vm1.conf" -p "$KB_TMP/www" -P 80; then
		local srv=$LASTPID rc got
		timeout 90 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.0.0.1/file.bin -n 1 \
			-o "$KB_TMP/got.bin" >"$KB_TMP/w1.log" 2>&1
		rc=$?
		got=$(sha256sum <"$KB_TMP/got.bin" 2>/dev/null | cut -d' ' -f1)
		if [[ $rc -eq 0 && $got == "$want" ]]; then kb_pass "$MODE: 4 MB through kbswitch, sha256 $got"
		else kb_fail "$MODE: download: rc=$rc sha256 '$got' want '$want'"; grep -v '^EAL' "$KB_TMP/w1.log" | tail -n 10; fi
		timeout 90 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.0.0.1/file.bin -n 100 -c 4 -k \
			>"$KB_TMP/w2.log" 2>&1
		rc=$?
		kb_check "$MODE: 100 keep-alive downloads (rc=$rc): $(grep -o '[0-9.]* requests/s' "$KB_TMP/w2.log")" \
			grep -q '200: 100, other status: 0, errors: 0' "$KB_TMP/w2.log"
		stop $srv
	fi
	if bg_wait "$KB_TMP/perf-$MODE.log" '^kbperf: listening' "$APPS/kbperf" -s -f "$KB_TMP/vm1.conf"; then
		local srv=$LASTPID t rc
		for t in rr crr; do
			timeout 60 "$APPS/kbperf" -f "$KB_TMP/vm2.conf" -c 10.0.0.1 -t $t -d 2 --json \
				>"$KB_TMP/$t.json" 2>"$KB_TMP/$t.err"
			rc=$?
			kb_check "$MODE: kbperf $t through kbswitch (rc=$rc): $(cut -c1-200 "$KB_TMP/$t.json")" \
				python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['errors']==0 and r['transactions']>10 and sys.argv[2]=='0' else 1)" "$KB_TMP/$t.json" "$rc"
			(( rc == 0 )) || grep -v '^EAL' "$KB_TMP/$t.err" | tail -n 10
		done
		stop $srv
	fi
	stop $sw
}

for m in $MODES; do one_mode "$m"; done
kb_done
