#!/usr/bin/python3
"""A hostile vhost-user frontend for t_switch_vhost_hostile.

  vhost_hostile.py SOCK KBCTL CTL PORT

Attacks kbswitch's VhostPort PORT (server mode, listening on SOCK), one
connection per attack, and after each one reads `kbctl --ctl CTL show port`
to see the switch still answer and the port's counters move.  Protocol
attacks (the switch must close the connection and count proto_errors):
garbage, oversized payloads, memory tables whose regions, sizes and fds
disagree or cannot be mapped, rings outside memory or of a bad size, fd
counts that do not match, a frontend that never reads its replies.  Then a
valid device (memfd memory, both rings, kick and call eventfds) whose
transmit ring lies: a loop, a next out of range, addresses outside memory,
a 4 GB length, a receive descriptor, a header longer than its chain
(rx_bad, each chain returned in the used ring), then an avail index 1000
ahead (the device stops); a new connection works again, and TSO frames
on its buffers sent to itself are cut for it (it took no TSO), until a
read-only receive buffer stops that device (tx_bad).  Last, a
device whose kick and call eventfds it made blocking (the call fd full),
and a message cut off halfway, held open: prints 'stalled' and sleeps
until killed (the VMs must still move data, the switch stop on SIGINT).

Prints 'ok: WHAT' or 'bad: WHAT' lines; exits 1 on any bad one.
"""
import mmap
import os
import re
import socket
import struct
import subprocess
import sys
import time

SOCK, KBCTL, CTL, PORT = sys.argv[1:5]

(GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE, SET_VRING_NUM, SET_VRING_ADDR,
 SET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL) = 1, 2, 3, 5, 8, 9, 10, 12, 13
F_VERSION_1, F_MRG_RXBUF = 1 << 32, 1 << 15
D_NEXT, D_WRITE = 1, 2
QNUM = 256
MEM = 2 << 20
GPA, UVA = 0x100000000, 0x7f0000000000   # the frontend's own numbers: any will do
RING = {0: 0x0, 1: 0x4000}                # desc at +0, avail at +0x1000, used at +0x2000
DATA = 0x10000

failed = False


def report(ok, what):
    global failed
    print(("ok: " if ok else "bad: ") + what, flush=True)
    failed |= not ok


def counters():
    """The port's `show port` fields; {} when kbctl gets no answer."""
    r = subprocess.run([KBCTL, "--ctl", CTL, "show", "port"], capture_output=True, text=True,
                       timeout=10)
    for line in r.stdout.splitlines():
        if line.startswith(PORT + "::"):
            c = dict(re.findall(r"(\w+)=(\S+)", line))
            c["last_error"] = line.partition(" last_error=")[2]   # the rest: words
            return c
    return {}


def num(c, k):
    return int(c.get(k, "-1"), 0)


def wait_counter(key, at_least, secs=10):
    end = time.time() + secs
    while True:
        c = counters()
        if num(c, key) >= at_least or time.time() > end:
            return c
        time.sleep(0.1)


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(SOCK)
    return s


def msg(req, payload=b"", size=None):
    return struct.pack("<III", req, 1, len(payload) if size is None else size) + payload


def send(s, data, fds=()):
    socket.send_fds(s, [data], list(fds)) if fds else s.sendall(data)


def closed_by_peer(s, secs=5):
    """True when the switch hung up on us (what it does to a broken frontend)."""
    s.settimeout(secs)
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def mem_table(regions):
    p = struct.pack("<II", len(regions), 0)
    for gpa, size, uva, off in regions:
        p += struct.pack("<QQQQ", gpa, size, uva, off)
    return msg(SET_MEM_TABLE, p)


def memfd(size=MEM):
    fd = os.memfd_create("guest")
    os.ftruncate(fd, size)
    return fd


def state(req, idx, n):
    return msg(req, struct.pack("<II", idx, n))


def vring_addr(idx, desc, used, avail):
    return msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", idx, 0, desc, used, avail, 0))


def setup(s, fd, num=QNUM, addr_of=None, mem=None):
    """A full device setup; addr_of(q) gives the ring addresses to send."""
    send(s, msg(GET_FEATURES))
    feats = struct.unpack("<IIIQ", s.recv(20))[3]
    send(s, msg(SET_FEATURES, struct.pack("<Q", feats & (F_VERSION_1 | F_MRG_RXBUF))))
    send(s, msg(SET_OWNER))
    send(s, mem or mem_table([(GPA, MEM, UVA, 0)]), [fd])
    evs = []
    for q in (0, 1):
        base = UVA + RING[q]
        desc, avail, used = addr_of(q) if addr_of else (base, base + 0x1000, base + 0x2000)
        send(s, state(SET_VRING_NUM, q, num))
        send(s, state(SET_VRING_BASE, q, 0))
        send(s, vring_addr(q, desc, used, avail))
        call, kick = os.eventfd(0, os.EFD_NONBLOCK), os.eventfd(0, os.EFD_NONBLOCK)
        send(s, msg(SET_VRING_CALL, struct.pack("<Q", q)), [call])
        send(s, msg(SET_VRING_KICK, struct.pack("<Q", q)), [kick])
        evs += [call, kick]
    return evs


def proto_attack(what, send_it, fds_to_close=()):
    """One connection: send_it(s); the switch must hang up and count it."""
    before = num(counters(), "proto_errors")
    s = connect()
    try:
        send_it(s)
        hung_up = closed_by_peer(s)
    except (BrokenPipeError, ConnectionResetError):
        hung_up = True
    except socket.timeout:   # it stopped reading us, and did not hang up
        hung_up = False
    s.close()
    for fd in fds_to_close:
        os.close(fd)
    c = wait_counter("proto_errors", before + 1)
    report(hung_up and num(c, "proto_errors") > before,
           "%s: connection closed, proto_errors %d -> %d (%s)"
           % (what, before, num(c, "proto_errors"), c.get("last_error", "-")))


# ---- protocol attacks ----

proto_attack("garbage header", lambda s: send(s, b"\xde\xad\xbe\xef" * 3))
proto_attack("size past the largest payload",
             lambda s: send(s, msg(SET_FEATURES, b"\0" * 4096)))
fd = memfd()
proto_attack("SET_MEM_TABLE: 2 regions, 1 fd",
             lambda s: send(s, mem_table([(GPA, 4096, UVA, 0), (GPA + 8192, 4096, UVA + 8192, 0)]),
                            [fd]))
proto_attack("SET_MEM_TABLE: 1 region, 2 fds",
             lambda s: send(s, mem_table([(GPA, 4096, UVA, 0)]), [fd, fd]))
rp, wp = os.pipe()
proto_attack("SET_MEM_TABLE: a pipe for memory",
             lambda s: send(s, mem_table([(GPA, 4096, UVA, 0)]), [rp]))
os.close(rp)
os.close(wp)
proto_attack("SET_MEM_TABLE: an empty region",
             lambda s: send(s, mem_table([(GPA, 0, UVA, 0)]), [fd]))
proto_attack("SET_MEM_TABLE: overlapping regions",
             lambda s: send(s, mem_table([(GPA, 8192, UVA, 0), (GPA + 4096, 8192, UVA + 65536, 0)]),
                            [fd, fd]))
proto_attack("SET_MEM_TABLE: a region past the end of its file",
             lambda s: send(s, mem_table([(GPA, 1 << 30, UVA, 0)]), [fd]))
proto_attack("SET_MEM_TABLE: mmap_offset wraps",
             lambda s: send(s, mem_table([(GPA, 4096, UVA, (1 << 64) - 2048)]), [fd]))
proto_attack("rings outside guest memory",
             lambda s: setup(s, fd, addr_of=lambda q: (0x1000, 0x2000, 0x3000)))
proto_attack("a ring running past the end of guest memory",
             lambda s: setup(s, fd, addr_of=lambda q: (UVA + MEM - 64, UVA + 0x1000, UVA + 0x2000)))
proto_attack("ring size 100 (not a power of two)", lambda s: setup(s, fd, num=100))
proto_attack("ring size 65536", lambda s: setup(s, fd, num=65536))
proto_attack("ring index 7 (no multiqueue)", lambda s: send(s, state(SET_VRING_NUM, 7, QNUM)))
proto_attack("SET_VRING_KICK without its fd",
             lambda s: send(s, msg(SET_VRING_KICK, struct.pack("<Q", 0))))
proto_attack("SET_VRING_NUM with 4 bytes", lambda s: send(s, msg(SET_VRING_NUM, b"\0" * 4)))


def flood(s):
    # replies we never read: the switch must give up on us, not block
    s.settimeout(20)
    for _ in range(8):
        send(s, msg(GET_FEATURES) * 10000)


proto_attack("40000 requests, no reply read", flood)

# an unknown request is counted, answered by nothing, and the connection lives
before = num(counters(), "proto_errors")
s = connect()
send(s, msg(99, b"\0" * 8))
send(s, msg(GET_FEATURES))
s.settimeout(10)
rep = s.recv(20)
c = counters()
report(len(rep) == 20 and num(c, "proto_errors") == before + 1,
       "unknown request 99: counted (%d -> %d), the next one answered"
       % (before, num(c, "proto_errors")))
s.close()

# ---- a device whose transmit ring lies ----


class Guest:
    def __init__(self):
        self.fd = memfd()
        self.m = mmap.mmap(self.fd, MEM)
        self.s = connect()
        self.evs = setup(self.s, self.fd)
        self.kickfd = self.evs[3]   # queue 1's

    def desc(self, i, addr, ln, flags=0, nxt=0):
        struct.pack_into("<QIHH", self.m, RING[1] + 16 * i, addr, ln, flags, nxt)

    def post(self, heads, idx=None):
        a = RING[1] + 0x1000
        cur = struct.unpack_from("<H", self.m, a + 2)[0]
        for h in heads:
            struct.pack_into("<H", self.m, a + 4 + 2 * (cur % QNUM), h)
            cur = (cur + 1) & 0xffff
        struct.pack_into("<H", self.m, a + 2, cur if idx is None else idx)

    def post_rx(self, n, size=2048):
        """n receive buffers of size bytes on queue 0."""
        for i in range(n):
            struct.pack_into("<QIHH", self.m, RING[0] + 16 * i,
                             GPA + DATA + 0x20000 + i * size, size, D_WRITE, 0)
            struct.pack_into("<H", self.m, RING[0] + 0x1000 + 4 + 2 * i, i)
        struct.pack_into("<H", self.m, RING[0] + 0x1000 + 2, n)
        os.eventfd_write(self.evs[1], 1)

    def rx_used_idx(self):
        return struct.unpack_from("<H", self.m, RING[0] + 0x2000 + 2)[0]

    def kick(self):
        os.eventfd_write(self.kickfd, 1)

    def used_idx(self):
        return struct.unpack_from("<H", self.m, RING[1] + 0x2000 + 2)[0]

    def close(self):
        self.s.close()
        for e in self.evs:
            os.close(e)
        self.m.close()
        os.close(self.fd)


def frame(g, at, i, dst="020000000099"):
    """A 12-byte virtio header and a 60-byte frame to dst (nobody), at DATA + at."""
    f = bytes(12) + bytes.fromhex(dst) + bytes.fromhex("0200000000aa") + b"\x88\xb5"
    f += bytes([i]) * (72 - len(f))
    g.m[DATA + at:DATA + at + 72] = f
    return GPA + DATA + at


def wait_live(want_connects):
    end = time.time() + 10
    while time.time() < end:
        c = counters()
        if c.get("link") == "up" and num(c, "connects") >= want_connects:
            return c
        time.sleep(0.1)
    return counters()


connects = num(counters(), "connects")
g = Guest()
c = wait_live(connects + 1)
report(c.get("link") == "up", "a valid frontend's device comes up (link=%s)" % c.get("link"))
rx_bad, rx_pkts = num(c, "rx_bad"), num(c, "rx_pkts")
g.desc(0, frame(g, 0, 1), 72)                                # good
g.desc(1, GPA + DATA, 12, D_NEXT, 2)                         # 1 -> 2 -> 1: a loop
g.desc(2, GPA + DATA + 12, 60, D_NEXT, 1)
g.desc(3, GPA + DATA, 12, D_NEXT, 9999)                      # next out of the table
g.desc(4, 0xdead0000, 100)                                   # outside memory
g.desc(5, GPA + MEM - 100, 0xffffffff)                       # 4 GB from near the end
g.desc(6, GPA + DATA, 100, D_WRITE)                          # a receive buffer
g.desc(7, GPA + DATA, 4)                                     # shorter than its header
g.post([0, 1, 3, 4, 5, 6, 7])
g.kick()
c = wait_counter("rx_bad", rx_bad + 6)
report(num(c, "rx_bad") == rx_bad + 6 and num(c, "rx_pkts") == rx_pkts + 1,
       "7 chains, 6 malformed: rx_bad %d -> %d, rx_pkts %d -> %d"
       % (rx_bad, num(c, "rx_bad"), rx_pkts, num(c, "rx_pkts")))
end = time.time() + 10     # the good one comes back once the switch freed it
while g.used_idx() != 7 and time.time() < end:
    g.kick()
    time.sleep(0.1)
report(g.used_idx() == 7, "every chain handed back in the used ring (used idx %d)" % g.used_idx())
c = counters()
rx_bad = num(c, "rx_bad")
avail = struct.unpack_from("<H", g.m, RING[1] + 0x1000 + 2)[0]
g.post([], idx=(avail + 1000) & 0xffff)
g.kick()
c = wait_counter("rx_bad", rx_bad + 1)
report(num(c, "rx_bad") == rx_bad + 1, "avail idx 1000 ahead: the device stops (rx_bad %d -> %d)"
       % (rx_bad, num(c, "rx_bad")))
g.close()

# the guest comes back: a new device works
connects = num(counters(), "connects")
g = Guest()
c = wait_live(connects + 1)
rx_pkts = num(c, "rx_pkts")
g.desc(0, frame(g, 0, 3), 72)
g.post([0])
g.kick()
c = wait_counter("rx_pkts", rx_pkts + 1)
report(c.get("link") == "up" and num(c, "rx_pkts") == rx_pkts + 1,
       "reconnected: a frame goes through again (rx_pkts %d -> %d)" % (rx_pkts, num(c, "rx_pkts")))


def tso_frame(g, at, gso_size, paylen=3000):
    """A TCP/IPv4 TSO frame to this port's own MAC (the switch sends it
    back to us), with its virtio header, at DATA + at; returns its gpa."""
    hdr = struct.pack("<BBHHHHH", 1, 1, 54, gso_size, 34, 16, 0)   # NEEDS_CSUM, GSO_TCPV4
    eth = bytes.fromhex("020000000003") + bytes.fromhex("0200000000aa") + b"\x08\x00"
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + paylen, 1, 0, 64, 6, 0,
                     bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]))
    tcp = struct.pack(">HHIIBBHHH", 1234, 80, 1, 0, 5 << 4, 0x10, 65535, 0, 0)
    f = hdr + eth + ip + tcp + bytes(range(256)) * (paylen // 256) + bytes(paylen % 256)
    g.m[DATA + at:DATA + at + len(f)] = f
    return GPA + DATA + at, len(f)


# Frames the switch must cut for us (we did not take TSO): one that
# rte_gso cuts in 3, one it cannot (an MSS of 1): both on our own buffers.
c = counters()
segs, drops = num(c, "gso_segs"), num(c, "gso_drops")
g.post_rx(16)
addr, ln = tso_frame(g, 0x1000, 1000)
g.desc(1, addr, ln)
addr, ln = tso_frame(g, 0x3000, 1)
g.desc(2, addr, ln)
g.post([1, 2])
g.kick()
c = wait_counter("gso_drops", drops + 1)
end = time.time() + 10
while g.rx_used_idx() < 3 and time.time() < end:
    time.sleep(0.1)
c = counters()
report(num(c, "gso_segs") == segs + 3 and num(c, "gso_drops") == drops + 1
       and g.rx_used_idx() == 3,
       "TSO frames on guest buffers cut for a guest without TSO: gso_segs %d -> %d, "
       "gso_drops %d -> %d (an MSS of 1), 3 receive buffers used (%d)"
       % (segs, num(c, "gso_segs"), drops, num(c, "gso_drops"), g.rx_used_idx()))
# the next receive buffer is one we may not write: that ring is broken
tx_bad = num(c, "tx_bad")
struct.pack_into("<QIHH", g.m, RING[0] + 16 * 3, GPA + DATA + 0x20000, 2048, 0, 0)
g.desc(3, frame(g, 0x200, 5, dst="020000000003"), 72)
g.post([3])
g.kick()
c = wait_counter("tx_bad", tx_bad + 1)
report(num(c, "tx_bad") == tx_bad + 1 and g.rx_used_idx() == 3,
       "a read-only receive buffer: tx_bad %d -> %d, nothing written (used idx %d)"
       % (tx_bad, num(c, "tx_bad"), g.rx_used_idx()))
g.close()

os.close(fd)

# ---- a guest that makes its eventfds block, then stops mid-message ----
# It shares the fds' flags with the switch: its call fd (receive ring) full
# and blocking, its kick fd blocking and empty.  Its frames to itself still
# come back (the call is skipped, the kick fd drained without blocking);
# bash then moves 4 MB between the VMs while it holds a message cut off
# halfway, and stops the switch with SIGINT.
connects = num(counters(), "connects")
g = Guest()
c = wait_live(connects + 1)
tx = num(c, "tx_pkts")
g.post_rx(16)
os.eventfd_write(g.evs[0], 0xfffffffffffffffe)   # a write of 1 more would wait
os.set_blocking(g.evs[0], True)
os.set_blocking(g.evs[3], True)
for i in range(2):
    g.desc(i, frame(g, 0x100 * i, 4 + i, dst="020000000003"), 72)
    g.post([i])
    g.kick()
    c = wait_counter("tx_pkts", tx + i + 1, secs=5)
report(num(c, "tx_pkts") == tx + 2 and g.rx_used_idx() == 2,
       "blocking, full call fd and blocking kick fd: its frames to itself still come back "
       "(tx_pkts %d -> %d, %d receive buffers used)" % (tx, num(c, "tx_pkts"), g.rx_used_idx()))
if failed:
    sys.exit(1)
send(g.s, msg(SET_FEATURES, size=8) + b"\0\0")
print("stalled", flush=True)
time.sleep(120)
