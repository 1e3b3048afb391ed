#!/usr/bin/python3
"""Frames for t_switch_bess: the input and the expected output of a
tests/switch/bess script run over net_pcap ports, computed here with scapy
independently of the switch, and a byte-for-byte comparison.

  switch_bess.py gen SCRIPT DIR   -> DIR/in<i>.pcap, DIR/want<i>.pcap; prints
                                     the number of input frames
  switch_bess.py cmp WANT GOT [sorted]  -> exit 0 when the frames are identical
                                     (sorted: as multisets, for ports fed
                                     from several gates of one burst)
"""
import struct
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, wrpcap, rdpcap, PcapWriter

SRC = "02:00:00:00:00:99"


def mac(i):
    return "02:00:00:00:00:%02x" % (i + 1)


def frame(dst, size, tag, vlan=None):
    p = Ether(dst=dst, src=SRC)
    if vlan is not None:
        p = p / Dot1Q(vlan=vlan)
    p = p / IP(src="10.0.0.9", dst="10.0.0.1") / UDP(sport=1000 + tag, dport=9)
    return p / Raw(bytes((tag + i) & 0xFF for i in range(max(0, size - len(p)))))


def l2_switch():
    """3 VMs; frames enter on VM 0: to VM 1, VM 2, broadcast, unknown."""
    fr = [frame(mac(1), 64, 1), frame(mac(2), 300, 2), frame("ff:ff:ff:ff:ff:ff", 80, 3),
          frame("02:00:00:00:00:ee", 90, 4), frame(mac(2), 1500, 5)]
    bcast_fr = fr[2]
    return {0: fr}, {0: [bcast_fr], 1: [fr[0], bcast_fr], 2: [fr[1], fr[4], bcast_fr]}


def flow(i):
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                 IP(src="10.0.0.1", dst="10.0.1.%d" % (i + 1)) /
                 UDP(sport=10000 + i, dport=80) / ("flow %d" % i))


def push(b, tci):
    tpid = 0x88A8 if b[12:14] in (b"\x81\x00", b"\x88\xa8") else 0x8100
    return b[:12] + struct.pack("!HH", tpid, tci) + b[12:]


def rewrite_vlan(flows=4, tci=100):
    """Frame k becomes flow k % 4, tagged; even k out port 0 with a second,
    outer 802.1ad tag (TCI+1), odd k out port 1 with the tag popped again."""
    fr = [frame(mac(1), 60 + 37 * k, k) for k in range(11)]
    out0 = [push(push(flow(k % flows), tci), tci + 1) for k in range(len(fr)) if k % 2 == 0]
    out1 = [flow(k % flows) for k in range(len(fr)) if k % 2 == 1]
    return {0: fr, 1: []}, {0: out0, 1: out1}


def random_update():
    """UDP ports set to 20000 and 53 at offsets 34 and 36, then the VLAN tag
    (if any) popped; frames too short for a field keep those bytes."""
    fr = [frame(mac(1), 64, 1), frame(mac(1), 200, 2, vlan=7), frame(mac(1), 100, 3),
          Raw(bytes(range(30)))]
    out = []
    for p in fr:
        b = bytearray(bytes(p))
        for off, val in ((34, 20000), (36, 53)):
            if off + 2 <= len(b):
                b[off:off + 2] = struct.pack("!H", val)
        if len(b) >= 18 and b[12:14] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
            b = b[:12] + b[16:]
        out.append(bytes(b))
    return {0: fr, 1: []}, {0: [], 1: out}


SCRIPTS = {"l2_switch": l2_switch, "rewrite_vlan": rewrite_vlan, "random_update": random_update}


def write(path, frames):
    if frames:
        wrpcap(path, [Ether(f) if isinstance(f, bytes) else f for f in frames], linktype=1)
    else:
        PcapWriter(path, linktype=1).close()


def main():
    if sys.argv[1] == "gen":
        inp, want = SCRIPTS[sys.argv[2]]()
        d = sys.argv[3]
        for i in sorted(set(inp) | set(want)):
            write("%s/in%d.pcap" % (d, i), inp.get(i, []))
            write("%s/want%d.pcap" % (d, i), want.get(i, []))
        print(sum(len(f) for f in inp.values()))
        return 0
    want = [bytes(p) for p in rdpcap(sys.argv[2])]
    got = [bytes(p) for p in rdpcap(sys.argv[3])]
    if len(sys.argv) > 4:
        want, got = sorted(want), sorted(got)
    if want == got:
        return 0
    print("want %d frames, got %d" % (len(want), len(got)))
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            print("frame %d differs:\n  want %s\n  got  %s" % (i, w.hex(), g.hex()))
            break
    return 1


if __name__ == "__main__":
    sys.exit(main())
