#!/usr/bin/env bash
# t_apps_http_kernel: epserver's HTTP handling, checked byte by byte with a
# raw-socket client, over Linux sockets (epserver --kernel) on loopback:
# status codes (200/400/404/405), HEAD without a body, Connection: close,
# HTTP/1.0, path traversal, an oversize header, 1000 pipelined requests for a
# 256 KB file (more than the server's input buffer while responses block),
# and epwget's counts and -o against it.  The data path is the same code the
# stack runs (kb_netops).
# timeout: 120
# asan: yes
source "$(dirname "$0")/../lib.sh"

APPS=$KB_BUILD/apps
for b in epserver epwget; do
	[[ -x $APPS/$b ]] || { kb_fail "$b not built"; kb_done; }
done
mkdir -p "$KB_TMP/www/sub"
head -c 262144 /dev/urandom >"$KB_TMP/www/sub/f.bin"
echo "index" >"$KB_TMP/www/index.html"
PORT=$((20000 + RANDOM % 20000))

kb_check "no -p: usage error" test "$("$APPS/epserver" --kernel >/dev/null 2>&1; echo $?)" -eq 2
kb_check "missing dir: error" test "$("$APPS/epserver" --kernel -p "$KB_TMP/nope" >/dev/null 2>&1; echo $?)" -eq 2
kb_check "bad URL: usage error" test "$("$APPS/epwget" --kernel ftp://x >/dev/null 2>&1; echo $?)" -eq 2

kb_bg "$KB_TMP/srv.log" timeout 100 "$APPS/epserver" --kernel -p "$KB_TMP/www" -B 127.0.0.1 -P $PORT -N 2
SRV=$KB_LAST_PID
kb_wait_log 20 "$KB_TMP/srv.log" '^epserver: serving 2 files' || { kb_fail "server did not start"; cat "$KB_TMP/srv.log"; kb_done; }

python3 - "$PORT" "$KB_TMP/www" <<'PY'
import socket, sys
port, www = int(sys.argv[1]), sys.argv[2]
f = open(www + "/sub/f.bin", "rb").read()
idx = open(www + "/index.html", "rb").read()

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    return s

def read_resp(s, buf, head=False):
    """one response from s (buf: bytes already read); returns (status, headers, body, rest)"""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOF
        buf += d
    h, rest = buf.split(b"\r\n\r\n", 1)
    lines = h.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hd = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    n = 0 if head else int(hd["content-length"])
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            raise EOF
        rest += d
    return status, hd, rest[:n], rest[n:]

class EOF(Exception):
    pass

def closed(s, rest):
    if rest:
        return False
    try:
        return s.recv(1) == b""
    except OSError:
        return True

def check(name, ok):
    print(("PASS: " if ok else "FAIL: ") + "t_apps_http_kernel: " + name, flush=True)

def one(req, head=False):
    s = conn()
    s.sendall(req)
    st, hd, body, rest = read_resp(s, b"", head)
    return s, st, hd, body, rest

s, st, hd, body, rest = one(b"GET /sub/f.bin HTTP/1.1\r\nHost: x\r\n\r\n")
check("GET 200 with the file's bytes", st == 200 and body == f and hd.get("connection") == "keep-alive")
s.sendall(b"GET / HTTP/1.1\r\n\r\n")
st, hd, body, rest = read_resp(s, rest)
check("keep-alive: second request, / is index.html", st == 200 and body == idx)
s.sendall(b"GET /index.html HTTP/1.1\r\nConnection: close\r\n\r\n")
st, hd, body, rest = read_resp(s, rest)
check("Connection: close is honoured", st == 200 and hd.get("connection") == "close" and closed(s, rest))

s, st, hd, body, rest = one(b"HEAD /sub/f.bin HTTP/1.1\r\n\r\n", head=True)
check("HEAD: length, no body", st == 200 and hd["content-length"] == str(len(f)) and rest == b"")
s, st, hd, body, rest = one(b"GET /missing HTTP/1.1\r\n\r\n")
check("404", st == 404)
s, st, hd, body, rest = one(b"DELETE /index.html HTTP/1.1\r\n\r\n")
check("405 with Allow", st == 405 and "GET" in hd.get("allow", ""))
s, st, hd, body, rest = one(b"GET /../../etc/passwd HTTP/1.1\r\n\r\n")
check("path traversal: 400 and close", st == 400 and closed(s, rest))
s, st, hd, body, rest = one(b"GARBAGE\r\n\r\n")
check("garbage: 400 and close", st == 400 and closed(s, rest))
s, st, hd, body, rest = one(b"GET /index.html HTTP/1.0\r\n\r\n")
check("HTTP/1.0 closes by default", st == 200 and body == idx and closed(s, rest))
s = conn()
s.sendall(b"GET / HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n")
st, hd, body, rest = read_resp(s, b"")
check("oversize header: 400", st == 400)

# pipelining: 1000 requests sent at once while we read slowly
s = conn()
reqs = b"".join(b"GET /sub/f.bin HTTP/1.1\r\nHost: x\r\n\r\n" for _ in range(1000))
import threading
t = threading.Thread(target=s.sendall, args=(reqs,))
t.start()
buf, good = b"", 0
for i in range(1000):
    st, hd, body, buf = read_resp(s, buf)
    good += st == 200 and body == f
t.join()
check("1000 pipelined requests answered in order (%d good)" % good, good == 1000)
s.close()
PY

timeout 60 "$APPS/epwget" --kernel "http://127.0.0.1:$PORT/sub/f.bin" -n 300 -c 10 -N 2 -k -o "$KB_TMP/got.bin" >"$KB_TMP/w.log" 2>&1
rc=$?
kb_check "epwget 300 keep-alive: rc=$rc $(head -n 1 "$KB_TMP/w.log")" grep -q '200: 300, other status: 0, errors: 0, connections: 10' "$KB_TMP/w.log"
kb_check "epwget -o saved the body" cmp -s "$KB_TMP/got.bin" "$KB_TMP/www/sub/f.bin"
timeout 60 "$APPS/epwget" --kernel "http://127.0.0.1:$PORT/index.html" -n 50 -c 5 >"$KB_TMP/w2.log" 2>&1
kb_check "epwget 50 without keep-alive: 50 connections" grep -q '200: 50, other status: 0, errors: 0, connections: 50' "$KB_TMP/w2.log"
timeout 60 "$APPS/epwget" --kernel "http://127.0.0.1:$((PORT + 1))/" -n 3 >"$KB_TMP/w3.log" 2>&1
rc=$?
kb_check "epwget, no server: fails (rc=$rc) with errors counted" grep -q 'errors: 3' "$KB_TMP/w3.log"

kill -TERM "$SRV"
kb_wait_for 10 grep -q '^epserver: done' "$KB_TMP/srv.log"
kb_check "server counters: $(grep '^epserver: done' "$KB_TMP/srv.log")" \
	grep -qE '^epserver: done: .*404: 1, 405: 1' "$KB_TMP/srv.log"
kb_done
