#!/usr/bin/python3
"""Hostile control-socket peers for t_switch_ctl_hostile.

Clients (against a running kbswitch):
  ctl_hostile.py hangup PATH N        N clients send 'show pipeline' and close
                                      without reading (half of them with RST)
  ctl_hostile.py longline PATH        a 1 MB request without a newline; prints
                                      the reply's first line
  ctl_hostile.py request PATH LINE    one raw request; prints the raw reply
  ctl_hostile.py flood PATH N SECS    N silent clients held SECS seconds; prints
                                      how many were refused ('too many') in the
                                      first 2 s, then 'held' and sleeps
Fake servers (for kbctl), serving until killed:
  ctl_hostile.py server MODE PATH     MODE: close (accept, close at once),
      silent (accept, never answer), garbage (64 MB of random bytes),
      short (header says 100 bytes, 10 come), huge (header says 1 GB),
      trailing (a valid reply, then more bytes), badstream (a capture
      header, then a chunk of unknown type)
"""
import os
import socket
import sys
import time


def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def hangup(path, n):
    for i in range(n):
        s = conn(path)
        s.sendall(b"show pipeline\n")
        if i % 2:
            # RST instead of FIN: the server's write meets ECONNRESET/EPIPE.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    print("sent %d" % n)


def recv_all(s, limit=1 << 20):
    out = b""
    while len(out) < limit:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        out += d
    return out


def longline(path):
    s = conn(path)
    s.settimeout(10)
    try:
        s.sendall(b"x" * (1 << 20))
    except (BrokenPipeError, ConnectionResetError):
        pass   # the server answered and closed before taking it all
    print(recv_all(s).decode(errors="replace").splitlines()[1])


def request(path, line):
    s = conn(path)
    s.settimeout(10)
    s.sendall(line.encode() + b"\n")
    sys.stdout.write(recv_all(s).decode(errors="replace"))


def flood(path, n, secs):
    socks = [conn(path) for _ in range(n)]
    for s in socks:
        s.settimeout(0.05)
    refused = 0
    deadline = time.time() + 2
    pending = list(socks)
    while pending and time.time() < deadline:
        for s in list(pending):
            try:
                d = s.recv(4096)
            except socket.timeout:
                continue
            pending.remove(s)
            refused += b"too many control clients" in d
    print("refused %d" % refused, flush=True)
    print("held", flush=True)
    time.sleep(secs)


def server(mode, path):
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(16)
    held = []
    while True:
        s, _ = ls.accept()
        if mode == "close":
            s.close()
            continue
        if mode == "silent":
            held.append(s)
            continue
        try:
            s.settimeout(5)
            req = b""
            while b"\n" not in req and len(req) < 4096:
                d = s.recv(4096)   # a real switch reads the request first
                if not d:
                    break
                req += d
            if mode == "garbage":
                chunk = os.urandom(1 << 20)
                for _ in range(64):
                    s.sendall(chunk)
            elif mode == "short":
                s.sendall(b"KBCTL ok 100\n0123456789")
            elif mode == "huge":
                s.sendall(b"KBCTL ok 1000000000\n" + b"a" * 4096)
            elif mode == "trailing":
                s.sendall(b"KBCTL ok 3\nok\nmore")
            elif mode == "badstream":
                s.sendall(b"KBCTL capture\n" + b"Z\x00\x00\x00\x04\x00\x00\x00abcd")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        s.close()


def main():
    cmd = sys.argv[1]
    if cmd == "hangup":
        hangup(sys.argv[2], int(sys.argv[3]))
    elif cmd == "longline":
        longline(sys.argv[2])
    elif cmd == "request":
        request(sys.argv[2], sys.argv[3])
    elif cmd == "flood":
        flood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "server":
        server(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


main()
