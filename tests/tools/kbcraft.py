#!/usr/bin/python3
"""kbcraft: hand-made TCP segments (scapy) against kbnet's stack.

  kbcraft.py TEST_NAME IFACE STACK_IP STACK_MAC MY_IP PORT

Runs from a namespace holding the stack's tap IFACE.  MY_IP is an address
no kernel interface owns (the stack has a static ARP entry for it), so the
kernel neither answers for it nor resets the handshake scapy makes.
Bad checksums, bad data offsets and bad IP headers must get no answer;
out-of-window data, in-window RSTs and SYNs must get (challenge) ACKs and
leave the connection alive; then 'helloworld' is sent and closed
properly, so the server reports it.  Prints PASS:/FAIL: lines."""
import os
import random
import socket
import sys
import time

from scapy.all import Ether, IP, TCP, Raw  # noqa: E402

ETH_P_ALL = 3
name, iface, sip, smac, mip, port = sys.argv[1:7]
port = int(port)
MYMAC = "02:00:00:79:00:03"
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
sock.bind((iface, 0))
sock.settimeout(0.05)
failed = 0


def result(ok, what):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: {name}: {what}", flush=True)
    if not ok:
        failed += 1


def send(pkt):
    sock.send(bytes(Ether(dst=smac, src=MYMAC) / pkt))


def send_raw(b):
    sock.send(bytes(Ether(dst=smac, src=MYMAC, type=0x0800)) + b)


def expect(pred, timeout=1.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            f = sock.recv(65536)
        except socket.timeout:
            continue
        e = Ether(f)
        if IP in e and e[IP].src == sip and e[IP].dst == mip and TCP in e:
            if pred(e[TCP]):
                return e[TCP]
    return None


def any_reply(sport, timeout=0.7):
    return expect(lambda t: t.dport == sport, timeout)


ip = IP(src=mip, dst=sip)

# 1. malformed SYNs get no answer
t = TCP(sport=40001, dport=port, flags="S", seq=1000, chksum=0x1234)
send(ip / t)
result(any_reply(40001) is None, "SYN with a bad TCP checksum ignored")
raw = bytearray(bytes(ip / TCP(sport=40002, dport=port, flags="S", seq=1000)))
raw[20 + 12] = 15 << 4   # data offset past the segment
send_raw(bytes(raw))
result(any_reply(40002) is None, "data offset 15 ignored")
raw[20 + 12] = 2 << 4    # data offset below the header
send_raw(bytes(raw))
result(any_reply(40002) is None, "data offset 2 ignored")
bad = bytearray(bytes(ip / TCP(sport=40003, dport=port, flags="S", seq=1000)))
bad[10] ^= 0xff          # IP header checksum
send_raw(bytes(bad))
result(any_reply(40003) is None, "bad IP header checksum ignored")
bad = bytearray(bytes(IP(src=mip, dst=sip, ihl=15) / TCP(sport=40004, dport=port, flags="S")))
send_raw(bytes(bad[:40]))
result(any_reply(40004) is None, "IP header length past the packet ignored")

# 2. a real handshake
sp = 40010
isn = 5000
send(ip / TCP(sport=sp, dport=port, flags="S", seq=isn, window=65535, options=[("MSS", 1460)]))
sa = expect(lambda t: t.dport == sp and t.flags == "SA")
result(sa is not None and sa.ack == isn + 1, "SYN-ACK for a good SYN")
if sa is None:
    sys.exit(1)
srv = sa.seq + 1
nxt = isn + 1
send(ip / TCP(sport=sp, dport=port, flags="A", seq=nxt, ack=srv, window=65535))
send(ip / TCP(sport=sp, dport=port, flags="PA", seq=nxt, ack=srv, window=65535) / Raw(b"hello"))
a = expect(lambda t: t.dport == sp and t.ack == nxt + 5)
result(a is not None, "in-order data acknowledged")
nxt += 5

# 3. out of window data: a duplicate ACK, nothing accepted
send(ip / TCP(sport=sp, dport=port, flags="PA", seq=nxt + 10**7, ack=srv, window=65535) / Raw(b"JUNK"))
a = expect(lambda t: t.dport == sp and t.flags == "A" and t.ack == nxt)
result(a is not None, "out-of-window data answered with an ACK for RCV.NXT")

# 4. RFC 5961: RST in window but not at RCV.NXT -> challenge ACK
send(ip / TCP(sport=sp, dport=port, flags="R", seq=nxt + 100))
a = expect(lambda t: t.dport == sp and t.flags == "A" and t.ack == nxt)
result(a is not None, "in-window RST gets a challenge ACK")
send(ip / TCP(sport=sp, dport=port, flags="R", seq=nxt + 10**8))
result(any_reply(sp, 0.5) is None, "out-of-window RST ignored")
send(ip / TCP(sport=sp, dport=port, flags="S", seq=nxt + 7))
a = expect(lambda t: t.dport == sp and t.flags == "A" and t.ack == nxt)
result(a is not None, "SYN on an established connection gets a challenge ACK")

# 5. an ACK for data never sent: dropped with an ACK, its data not taken
send(ip / TCP(sport=sp, dport=port, flags="PA", seq=nxt, ack=srv + 10**6, window=65535) / Raw(b"XXXXX"))
expect(lambda t: t.dport == sp, 0.5)
send(ip / TCP(sport=sp, dport=port, flags="PA", seq=nxt, ack=srv, window=65535) / Raw(b"world"))
a = expect(lambda t: t.dport == sp and t.ack == nxt + 5)
result(a is not None, "connection alive after the attacks: more data acknowledged")
nxt += 5

# 6. garbage: random TCP headers and payloads; the stack must survive
rng = random.Random(5)
for i in range(300):
    tcp = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 60)))
    send(IP(src=mip, dst=sip, proto=6) / Raw(tcp))
for i in range(100):
    send(ip / TCP(sport=rng.randrange(1, 65535), dport=port, flags=rng.randrange(256),
                  seq=rng.getrandbits(32), ack=rng.getrandbits(32),
                  dataofs=rng.choice([5, 6, 8, 15]),
                  options=[]) / Raw(os.urandom(rng.randrange(0, 100))))
time.sleep(0.5)

# 7. orderly close: FIN, the server reads EOF and closes too
send(ip / TCP(sport=sp, dport=port, flags="FA", seq=nxt, ack=srv, window=65535))
f = expect(lambda t: t.dport == sp and "F" in str(t.flags), 5.0)
result(f is not None and f.ack == nxt + 1, "our FIN acknowledged, the server's FIN follows")
if f is not None:
    send(ip / TCP(sport=sp, dport=port, flags="A", seq=nxt + 1, ack=f.seq + 1, window=65535))
sys.exit(1 if failed else 0)
