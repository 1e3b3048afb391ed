# tests/lib.sh: sourced by every integration test (tests/integration/t_*.sh).
#
# Gives a test: its binaries ($KB_BIN), a private temp dir ($KB_TMP), EAL
# memory options, unique names, PASS/FAIL reporting, and one cleanup that runs
# on any exit (success, failure, timeout's SIGTERM) and removes every process,
# socket, namespace and tap device the test registered.
set -uo pipefail

KB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KB_BUILD=${KB_BUILD:-$KB_ROOT/build}
KB_BIN=$KB_BUILD
KB_TEST=$(basename "${0%.sh}")
KB_TMP=$(mktemp -d "/tmp/kb-${KB_TEST}.XXXXXX")
KB_ID=$(basename "$KB_TMP" | tr -cd 'a-zA-Z0-9' | tail -c 8)  # unique per run
KB_FAILED=0

_kb_pids=()
_kb_netns=()
_kb_links=()
_kb_cmds=()

kb_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for c in "${_kb_cmds[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	for p in "${_kb_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	local deadline=$((SECONDS + 5))
	for p in "${_kb_pids[@]}"; do
		while kill -0 "$p" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	for l in "${_kb_links[@]}"; do ip link del "$l" 2>/dev/null || true; done
	for n in "${_kb_netns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	kb_keep_files "$rc"
	rm -rf "$KB_TMP"
	exit $rc
}
# kb_keep_files RC: after a failure, the test's own logs (*.log, *.err,
# *.json, *.conf, at most 1 MB each) go to $KB_KEEP_DIR (tests/run sets it
# beside the test's log), so a failure seen once can still be read
kb_keep_files() {
	[[ -n ${KB_KEEP_DIR:-} ]] && (( $1 != 0 || KB_FAILED )) || return 0
	rm -rf "$KB_KEEP_DIR"
	mkdir -p "$KB_KEEP_DIR" || return 0
	find "$KB_TMP" -maxdepth 2 -type f \( -name '*.log' -o -name '*.err' -o -name '*.json' \
		-o -name '*.conf' \) -size -1M -exec cp -t "$KB_KEEP_DIR" {} + 2>/dev/null
	return 0
}
trap kb_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

kb_pass() { echo "PASS: $KB_TEST: $*"; }
kb_fail() { echo "FAIL: $KB_TEST: $*"; KB_FAILED=1; }
# kb_check NAME CMD...: PASS or FAIL by CMD's status.
kb_check() { local n=$1; shift; if "$@"; then kb_pass "$n"; else kb_fail "$n"; fi; }
kb_done() { exit $KB_FAILED; }
# kb_report_lines FILE: a driver's "ok: WHAT" and "bad: WHAT" lines, as
# PASS and FAIL.
kb_report_lines() {
	local line
	while read -r line; do
		case $line in
		ok:*) kb_pass "${line#ok: }" ;;
		bad:*) kb_fail "${line#bad: }" ;;
		esac
	done <"$1"
}

# Register things for cleanup.
kb_track_pid() { _kb_pids+=("$1"); }
kb_track_netns() { _kb_netns+=("$1"); }
kb_track_link() { _kb_links+=("$1"); }
kb_on_exit() { _kb_cmds+=("$1"); }

# kb_bg LOG CMD...: start CMD in the background, output to LOG, tracked.
kb_bg() {
	local log=$1; shift
	# emptied here, not only in the child: a kb_wait_log right after must
	# not find a line an earlier run left in the same log
	: >"$log"
	"$@" >"$log" 2>&1 &
	kb_track_pid $!
	KB_LAST_PID=$!
}

# EAL memory options (see scripts/eal-mem.sh): kb_eal_mem vhost|virtio [MB]
kb_eal_mem() { "$KB_ROOT/scripts/eal-mem.sh" "$@"; }

# kb_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
kb_wait_for() {
	local t=$1; shift
	local deadline=$((SECONDS + t))
	until "$@" 2>/dev/null; do
		(( SECONDS >= deadline )) && return 1
		sleep 0.1
	done
}

# kb_wait_log SECONDS FILE PATTERN: wait until FILE contains PATTERN (grep -E).
kb_wait_log() { kb_wait_for "$1" grep -qE "$3" "$2"; }

# kb_need CMD[:PACKAGE]...: fail the test at once when a tool is missing,
# naming the package, instead of failing later (or silently) without it.
kb_need() {
	local spec cmd pkg miss=0
	for spec in "$@"; do
		cmd=${spec%%:*} pkg=${spec#*:}
		[[ $spec == *:* ]] || pkg=$cmd
		command -v "$cmd" >/dev/null && continue
		kb_fail "missing: $cmd (apt-get install $pkg)"
		miss=1
	done
	(( miss == 0 )) || kb_done
}

# kb_wait_pid SECONDS PID: wait for PID to end; kill it when it is still
# running after SECONDS.  Returns PID's status, or 124 when it was killed.
kb_wait_pid() {
	local deadline=$((SECONDS + $1)) pid=$2
	while kill -0 "$pid" 2>/dev/null; do
		if (( SECONDS >= deadline )); then
			kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
}

# kb_alive PID: the process still runs.
kb_alive() { kill -0 "$1" 2>/dev/null; }

# Short unique names for kernel objects (IFNAMSIZ is 16).
kb_name() { echo "kb${1}${KB_ID:0:6}"; }

# kb_switch LOG PREFIX SCRIPT CTL [MB] [LCORES]: start kbswitch (lcores 0, a 60 s limit,
# --file-prefix PREFIX$KB_ID, removed at exit) with control socket CTL, and
# wait until kbctl gets an answer.  KB_SW_PID is its pid; returns 1 (with the
# log's tail printed) when it died or never answered.
kb_switch() {
	local log=$1 prefix=$2$KB_ID script=$3 ctl=$4 mb=${5:-128} lcores=${6:-0}
	kb_on_exit "rm -rf /var/run/dpdk/$prefix"
	kb_bg "$log" timeout 60 "$KB_BIN/src/switch/kbswitch" $(kb_eal_mem vhost "$mb") --no-pci \
		-l "$lcores" --file-prefix="$prefix" -- -f "$script" --ctl "$ctl"
	KB_SW_PID=$KB_LAST_PID
	if ! kb_wait_for 60 bash -c "'$KB_BIN/src/switch/kbctl' --ctl '$ctl' show port >/dev/null 2>&1 || ! kill -0 $KB_SW_PID" ||
	   ! kb_alive "$KB_SW_PID"; then
		tail -20 "$log"
		return 1
	fi
}

# kb_switch_stop: SIGINT to kbswitch; returns its exit status.
kb_switch_stop() {
	kill -INT "$KB_SW_PID"
	kb_wait_for 20 bash -c "! kill -0 $KB_SW_PID"
	wait "$KB_SW_PID"
}
