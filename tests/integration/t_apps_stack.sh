#!/usr/bin/env bash
# t_apps_stack: the apps over kbnet's stack between two VM processes.
# The VMs' ports are wired directly (net_vhost0 <-> net_virtio_user0), as in
# t_stack_direct (t_apps_switch runs the apps through kbswitch).  In each DPDK-layer
# mode (KB_APPS_MODES, default "single 1kb 2kb"):
#  - epserver in VM1 serves a directory; epwget in VM2 downloads a 4 MB
#    file (SHA-256 compared), then 200 keep-alive requests, then a 404;
#  - kbperf server in VM1, client in VM2: bulk, rr, crr with sane numbers;
# then with two application cores per VM (-N 2 on both sides).
# timeout: 300
# asan: yes
source "$(dirname "$0")/../lib.sh"

APPS=$KB_BUILD/apps
for b in epserver epwget kbperf; do
	[[ -x $APPS/$b ]] || { kb_fail "$b not built"; kb_done; }
done
MODES=${KB_APPS_MODES:-single 1kb 2kb}

# vm_conf FILE SIDE IP MAC
vm_conf() {
	local f=$1 side=$2 ip=$3 mac=$4 port cores=1
	case $MODE in 1kb) cores=2 ;; 2kb) cores=3 ;; multi) cores=3 ;; esac
	if [[ $side == vhost ]]; then port="net_vhost0,iface=$KB_TMP/$MODE.sock"
	else port="net_virtio_user0,path=$KB_TMP/$MODE.sock"; fi
	cat >"$f" <<CONF
# written by $KB_TEST
port = $port
ip = $ip/24
mac = $mac
mode = ${MODE/multi/1kb}
num_cores = $cores
file_prefix = kbap${KB_ID}${side}
tcp_timeout = -1
CONF
	[[ $side == virtio ]] && echo "eal_args = --single-file-segments" >>"$f"
}

# start_server LOG PATTERN CMD...: VM1's server; waits until it is ready
start_server() {
	local log=$1 pat=$2; shift 2
	# a vhost port unlinks its socket path when its process exits: a fresh
	# path per server, so a slow exit of the last one cannot remove it
	SOCKN=$(( ${SOCKN:-0} + 1 ))
	sed -i "s|$KB_TMP/[^,]*\.sock|$KB_TMP/s$SOCKN.sock|" "$KB_TMP/vm1.conf" "$KB_TMP/vm2.conf"
	kb_bg "$log" timeout 200 "$@"
	SRV=$KB_LAST_PID
	kb_wait_log 60 "$log" "$pat" || { kb_fail "server did not start: $*"; tail -n 20 "$log"; return 1; }
}
stop_server() {
	kill -TERM "$SRV" 2>/dev/null
	local i; for i in $(seq 200); do kb_alive "$SRV" || break; sleep 0.1; done
	kill -KILL "$SRV" 2>/dev/null
}

# files served in every mode
mkdir -p "$KB_TMP/www/d"
head -c 4194304 /dev/urandom >"$KB_TMP/www/d/file.bin"
echo "kbnet" >"$KB_TMP/www/index.html"
want=$(sha256sum <"$KB_TMP/www/d/file.bin" | cut -d' ' -f1)

one_mode() {
	MODE=$1
	vm_conf "$KB_TMP/vm1.conf" vhost 10.78.0.1 02:00:00:78:00:01
	vm_conf "$KB_TMP/vm2.conf" virtio 10.78.0.2 02:00:00:78:00:02
	# --- HTTP ---
	if start_server "$KB_TMP/eps.log" '^epserver: serving' \
		"$APPS/epserver" -f "$KB_TMP/vm1.conf" -p "$KB_TMP/www" -P 80; then
		timeout 90 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.78.0.1/d/file.bin -n 1 \
			-o "$KB_TMP/got.bin" >"$KB_TMP/w1.log" 2>&1
		rc=$?
		got=$(sha256sum <"$KB_TMP/got.bin" 2>/dev/null | cut -d' ' -f1)
		if [[ $rc -eq 0 && $got == "$want" ]]; then kb_pass "$MODE: 4 MB download, sha256 $got"
		else kb_fail "$MODE: download: rc=$rc sha256 '$got' want '$want'"; tail -n 20 "$KB_TMP/w1.log"; fi

		timeout 90 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.78.0.1/ -n 200 -c 8 -k --json \
			>"$KB_TMP/w2.json" 2>"$KB_TMP/w2.err"
		rc=$?
		kb_check "$MODE: 200 keep-alive requests: rc=$rc $(cat "$KB_TMP/w2.json")" \
			python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['ok']==200 and r['errors']==0 and r['connections']<=8 else 1)" "$KB_TMP/w2.json"

		timeout 90 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.78.0.1/missing -n 2 >"$KB_TMP/w3.log" 2>&1
		rc=$?
		kb_check "$MODE: 404 answered and reported (rc=$rc)" grep -q 'other status: 2, errors: 0' "$KB_TMP/w3.log"
		stop_server
		kb_check "$MODE: epserver counted the requests" grep -qE '^epserver: done: .*\(200: 201, .*404: 2' "$KB_TMP/eps.log"
	fi

	# --- kbperf ---
	if start_server "$KB_TMP/perf.log" '^kbperf: listening' \
		"$APPS/kbperf" -s -f "$KB_TMP/vm1.conf"; then
		for t in bulk rr crr; do
			timeout 60 "$APPS/kbperf" -f "$KB_TMP/vm2.conf" -c 10.78.0.1 -t $t -d 2 --json \
				>"$KB_TMP/$t.json" 2>"$KB_TMP/$t.err"
			rc=$?
			kb_check "$MODE: kbperf $t over the stack: rc=$rc $(cut -c1-260 "$KB_TMP/$t.json")" \
				python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['errors']==0 and r['stack']=='mtcp' and (r['bytes']>1e5 if r['test']=='bulk' else r['transactions']>10 and r['p50_us']>0) else 1)" "$KB_TMP/$t.json"
			(( rc == 0 )) || grep -v '^EAL\|^VHOST' "$KB_TMP/$t.err" | tail -n 8
		done
		stop_server
	fi
}

# Two application cores per VM (1kb: 2 app cores + RxTx): each worker has
# its own context; soft RSS must bring every flow to the core that owns it.
multi_core() {
	MODE=multi
	vm_conf "$KB_TMP/vm1.conf" vhost 10.78.0.1 02:00:00:78:00:01
	vm_conf "$KB_TMP/vm2.conf" virtio 10.78.0.2 02:00:00:78:00:02
	if start_server "$KB_TMP/epsm.log" '^epserver: serving' \
		"$APPS/epserver" -f "$KB_TMP/vm1.conf" -p "$KB_TMP/www" -P 80 -N 2; then
		timeout 90 "$APPS/epwget" -f "$KB_TMP/vm2.conf" http://10.78.0.1/d/file.bin -n 16 \
			-c 8 -N 2 -k --json >"$KB_TMP/wm.json" 2>"$KB_TMP/wm.err"
		rc=$?
		kb_check "2 cores: 16 x 4 MB over 8 connections: rc=$rc $(cat "$KB_TMP/wm.json")" \
			python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['ok']==16 and r['errors']==0 and r['bytes']>=16*4194304 else 1)" "$KB_TMP/wm.json"
		(( rc == 0 )) || grep -v '^EAL\|^VHOST' "$KB_TMP/wm.err" | tail -n 8
		stop_server
		kb_check "2 cores: epserver served 16" grep -qE '^epserver: done: .*\(200: 16,' "$KB_TMP/epsm.log"
		# soft RSS spread the 8 connections: both server cores served some
		kb_check "2 cores: both server cores served: $(grep -c 'core [01]: [1-9]' "$KB_TMP/epsm.log")" \
			test "$(grep -cE '^epserver: core [01]: [1-9][0-9]* connections, [1-9]' "$KB_TMP/epsm.log")" -eq 2
	fi
	if start_server "$KB_TMP/perfm.log" '^kbperf: listening' \
		"$APPS/kbperf" -s -f "$KB_TMP/vm1.conf" -N 2; then
		timeout 60 "$APPS/kbperf" -f "$KB_TMP/vm2.conf" -c 10.78.0.1 -t rr -P 4 -N 2 -d 2 --json \
			>"$KB_TMP/rrm.json" 2>"$KB_TMP/rrm.err"
		rc=$?
		kb_check "2 cores: kbperf rr, 4 flows: rc=$rc $(cut -c1-200 "$KB_TMP/rrm.json")" \
			python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['errors']==0 and r['transactions']>10 and r['cores']==2 else 1)" "$KB_TMP/rrm.json"
		(( rc == 0 )) || grep -v '^EAL\|^VHOST' "$KB_TMP/rrm.err" | tail -n 8
		stop_server
	fi
}

for m in $MODES; do one_mode "$m"; done
multi_core
kb_done
