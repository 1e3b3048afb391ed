#!/usr/bin/env bash
# t_deps: every external command and Python module that tests/, scripts/,
# bench/ and .ci/ call comes from a Debian package that
# scripts/install-deps.sh installs (tests/tools/kbdeps.py says how it reads
# them).  A fresh machine has nothing else: ethtool, installed here by hand
# once, made 8 tests fail there.
# timeout: 60
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
DEPS=$KB_ROOT/tests/tools/kbdeps.py

if $PY "$DEPS" "$KB_ROOT" >"$KB_TMP/deps.log" 2>&1; then
	kb_pass "$(tail -n 1 "$KB_TMP/deps.log")"
else
	grep -E '^missing: ' "$KB_TMP/deps.log" | while IFS= read -r l; do kb_fail "$l"; done
	grep -qE '^missing: ' "$KB_TMP/deps.log" || { kb_fail "kbdeps failed"; cat "$KB_TMP/deps.log"; }
	KB_FAILED=1
fi

# The checker itself: a tree whose test calls a tool (and imports a module)
# that its install-deps.sh does not list must fail, naming both.
t=$KB_TMP/tree
mkdir -p "$t/tests" "$t/scripts"
cat >"$t/scripts/install-deps.sh" <<'DEPS'
pkgs=(iproute2 python3)
DEPS
cat >"$t/tests/t_x.sh" <<'T'
ip link show lo && timeout 5 ethtool -k lo >/dev/null
/usr/bin/python3 -c 'import scapy.all'
echo "a message over lines
(write it so) and
$(true)"
T
$PY "$DEPS" "$t" >"$KB_TMP/neg.log" 2>&1
rc=$?
kb_check "the checker fails on an unlisted tool (ethtool)" \
	grep -q '^missing: ethtool (apt-get install ethtool' "$KB_TMP/neg.log"
kb_check "the checker fails on an unlisted module (scapy)" \
	grep -q '^missing: python3 module scapy (apt-get install python3-scapy' "$KB_TMP/neg.log"
kb_check "the checker exits non-zero then, and passes ip" \
	bash -c "(( $rc == 1 )) && ! grep -q 'missing: ip ' '$KB_TMP/neg.log'"
kb_check "words inside a string over lines are no commands (write)" \
	bash -c "! grep -q 'missing: write' '$KB_TMP/neg.log'"
kb_done
