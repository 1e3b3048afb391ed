#!/usr/bin/python3
"""kbsynflood: a SYN flood from random sources, as fast as one interface
takes it, for t_stack_synflood.

  kbsynflood.py IFACE DST_IP DST_MAC DST_PORT COUNT [RATE]

Builds COUNT Ethernet frames once (TCP SYN from a random address in
172.16.0.0/12 and a random port; every other one offers MSS, SACK,
timestamps and window scale like Linux, the rest only MSS), then sends them
through an AF_PACKET socket bound to IFACE, at most RATE a second (default
30000: a tap drops what its reader has not taken, so faster loses more than
it floods).  Prints 'kbsynflood: sent N'
every 10000 frames and 'kbsynflood: done N in S s' at the end."""
import random
import socket
import struct
import sys
import time


def csum_fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def words(b):
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def frames(src_mac, dst_mac, dst_ip, dport, count):
    rnd = random.Random(4987)
    dip = socket.inet_aton(dst_ip)
    eth = dst_mac + src_mac + b"\x08\x00"
    opts_full = (b"\x02\x04\x05\xb4" b"\x04\x02" b"\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00"
                 b"\x01\x03\x03\x07")
    opts_mss = b"\x02\x04\x05\xb4"
    out = []
    for i in range(count):
        sip = struct.pack("!I", 0xac100000 | rnd.getrandbits(20))
        opts = opts_full if i % 2 else opts_mss
        tl = 20 + len(opts)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tl, i & 0xffff, 0x4000, 64, 6, 0, sip, dip)
        ip = ip[:10] + struct.pack("!H", csum_fold(words(ip))) + ip[12:]
        tcp = struct.pack("!HHIIBBHHH", rnd.randrange(1024, 65536), dport, rnd.getrandbits(32), 0,
                          (tl // 4) << 4, 0x02, 64240, 0, 0) + opts
        pseudo = sip + dip + struct.pack("!BBH", 0, 6, tl)
        ck = csum_fold(words(pseudo) + words(tcp))
        tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
        out.append(eth + ip + tcp)
    return out


def main():
    if len(sys.argv) not in (6, 7) or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 2)
    iface, dst_ip, dst_mac, dport, count = sys.argv[1:6]
    rate = float(sys.argv[6]) if len(sys.argv) == 7 else 30000.0
    src_mac = bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))
    fr = frames(src_mac, bytes.fromhex(dst_mac.replace(":", "")), dst_ip, int(dport), int(count))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    t0 = time.monotonic()
    sent = 0
    for f in fr:
        while True:
            try:
                s.send(f)
                break
            except BlockingIOError:
                time.sleep(0.0005)
            except OSError as e:   # ENOBUFS: the queue is full, let it drain
                if e.errno != 105:
                    raise
                time.sleep(0.0005)
        sent += 1
        if sent % 500 == 0:
            ahead = t0 + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        if sent % 10000 == 0:
            print("kbsynflood: sent %d" % sent, flush=True)
    print("kbsynflood: done %d in %.1f s" % (sent, time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    main()
