#!/usr/bin/env bash
# t_apps_install: `meson install` into a temporary DESTDIR puts mtcp_api.h,
# mtcp_epoll.h, libkbnet and kbnet.pc there; an upstream-style mTCP program
# (apps/examples/mtcp_echo.c, unchanged mTCP API usage) then builds with
# `cc app.c $(pkg-config --cflags --libs kbnet)`, links libkbnet.so, and its
# mtcp_init reports a bad config as file:line:col.
# timeout: 180
# asan: no
source "$(dirname "$0")/../lib.sh"

DEST=$KB_TMP/dest
if ! meson install -C "$KB_BUILD" --no-rebuild --destdir "$DEST" >"$KB_TMP/install.log" 2>&1; then
	kb_fail "meson install failed: $(tail -n 5 "$KB_TMP/install.log")"
	kb_done
fi
pc=$(find "$DEST" -name kbnet.pc | head -n 1)
for f in include/mtcp_api.h include/mtcp_epoll.h; do
	kb_check "installed $f" test -f "$DEST/usr/local/$f"
done
kb_check "installed kbnet.pc ($pc)" test -n "$pc"
[[ -n $pc ]] || kb_done
libdir=$(dirname "$(dirname "$pc")")
kb_check "installed libkbnet.so" test -e "$libdir/libkbnet.so"

# A DESTDIR install keeps the configured prefix in kbnet.pc; point it at the
# staged tree, as installing with --prefix would.
mkdir -p "$KB_TMP/pc"
sed "s|^prefix=.*|prefix=$DEST/usr/local|" "$pc" >"$KB_TMP/pc/kbnet.pc"
export PKG_CONFIG_PATH=$KB_TMP/pc
flags=$(pkg-config --cflags --libs kbnet 2>"$KB_TMP/pc.err")
kb_check "pkg-config --cflags --libs kbnet: $flags" test -n "$flags"
# shellcheck disable=SC2086
if cc -Wall -Werror -o "$KB_TMP/mtcp_echo" "$KB_ROOT/apps/examples/mtcp_echo.c" $flags \
	>"$KB_TMP/cc.log" 2>&1; then
	kb_pass "cc mtcp_echo.c \$(pkg-config --cflags --libs kbnet)"
else
	kb_fail "cc failed: $(head -n 10 "$KB_TMP/cc.log")"
	kb_done
fi
kb_check "links the installed libkbnet.so" \
	grep -q "$libdir/libkbnet.so" <(LD_LIBRARY_PATH=$libdir ldd "$KB_TMP/mtcp_echo")

printf 'port = net_tap0\nmode = single\n' >"$KB_TMP/bad.conf"
LD_LIBRARY_PATH=$libdir timeout 30 "$KB_TMP/mtcp_echo" -f "$KB_TMP/bad.conf" >"$KB_TMP/run.log" 2>&1
rc=$?
kb_check "bad config: rc=$rc, $(head -n 1 "$KB_TMP/run.log")" \
	test $rc -ne 0 -a -n "$(grep -E "bad.conf:[0-9]+:[0-9]+: " "$KB_TMP/run.log")"
kb_done
