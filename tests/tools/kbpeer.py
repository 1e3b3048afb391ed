#!/usr/bin/python3
"""kbpeer: the Linux-kernel side of kbnet's stack interop tests.

  kbpeer.py send HOST PORT BYTES   connect, send BYTES random bytes, close
  kbpeer.py recv HOST PORT         connect, read to EOF
  kbpeer.py serve-send PORT BYTES  accept one connection, send, close
  kbpeer.py serve-recv PORT        accept one connection, read to EOF
  kbpeer.py ping HOST COUNT        ICMP echo (raw socket), exit 0 if all answered

Prints 'kbpeer: sent|recv BYTES SHA256' (and 'kbpeer: listening' when
serving) so a test compares it with kbxfer's line.  Exits non-zero on any
socket error."""
import hashlib
import os
import socket
import struct
import sys


# A transfer that makes no progress for this long fails: a broken path shows
# in seconds, not after a long per-transfer timeout.
STALL_S = 30
# the peer it waits for may still be starting (EAL init on a loaded host)
ACCEPT_S = 60


def send_all(s, n):
    h = hashlib.sha256()
    left = n
    while left:
        chunk = os.urandom(min(left, 1 << 16))
        s.sendall(chunk)
        h.update(chunk)
        left -= len(chunk)
    s.shutdown(socket.SHUT_WR)
    # wait for the peer's FIN so nothing is cut off by our close
    s.settimeout(STALL_S)
    while s.recv(65536):
        pass
    print(f"kbpeer: sent {n} {h.hexdigest()}", flush=True)


def recv_all(s):
    h = hashlib.sha256()
    n = 0
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(f"kbpeer: recv {n} {h.hexdigest()}", flush=True)


def icmp_cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ping(host, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(3)
    ident = os.getpid() & 0xffff
    ok = 0
    for seq in range(count):
        payload = os.urandom(32)
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, icmp_cksum(hdr + payload), ident, seq) + payload
        s.sendto(pkt, (host, 0))
        try:
            while True:
                data, addr = s.recvfrom(2048)
                ihl = (data[0] & 15) * 4
                t, _, _, i, q = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if addr[0] == host and t == 0 and i == ident and q == seq:
                    if data[ihl + 8:] == payload and icmp_cksum(data[ihl:]) == 0:
                        ok += 1
                    break
        except socket.timeout:
            pass
    print(f"kbpeer: ping {ok}/{count} answered", flush=True)
    return 0 if ok == count else 1


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    mode = argv[1]
    if mode == "ping":
        return ping(argv[2], int(argv[3]))
    if mode in ("send", "recv"):
        s = socket.create_connection((argv[2], int(argv[3])), timeout=STALL_S)
        s.settimeout(STALL_S)
        if mode == "send":
            send_all(s, int(argv[4]))
        else:
            recv_all(s)
        s.close()
        return 0
    if mode in ("serve-send", "serve-recv"):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("0.0.0.0", int(argv[2])))
        ls.listen(4)
        ls.settimeout(ACCEPT_S)
        print("kbpeer: listening", flush=True)
        s, _ = ls.accept()
        s.settimeout(STALL_S)
        if mode == "serve-send":
            send_all(s, int(argv[3]))
        else:
            recv_all(s)
        s.close()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
