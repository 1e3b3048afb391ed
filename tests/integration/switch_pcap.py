#!/usr/bin/python3
"""Frames for t_switch_pcap: write a scenario's input and expected outputs,
or compare a captured pcap with an expected one byte for byte.

  switch_pcap.py gen SCENARIO DIR     -> DIR/in.pcap, DIR/empty.pcap, DIR/want_<port>.pcap
  switch_pcap.py cmp WANT GOT         -> exit 0 when the frames are identical
"""
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap, rdpcap, PcapWriter

A, B, C = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"
UNKNOWN = "02:00:00:00:00:ee"
BCAST = "ff:ff:ff:ff:ff:ff"
SRC = "02:00:00:00:00:99"


def frame(dst, size, tag):
    p = Ether(dst=dst, src=SRC) / IP(src="10.0.0.9", dst="10.0.0.1") / UDP(sport=tag, dport=9)
    pad = max(0, size - len(p))
    return p / Raw(bytes((tag + i) & 0xFF for i in range(pad)))


def scenario(name):
    """(input frames, {port: expected frames}) with BESS semantics."""
    to_a, to_b = frame(A, 64, 1), frame(B, 1500, 2)
    bcast_fr = frame(BCAST, 60, 3)
    miss = frame(UNKNOWN, 100, 4)
    jumbo = frame(A, 9000, 5)            # multi-segment mbuf chain in the switch
    to_c = frame(C, 80, 6)               # L2 entry to an unconnected gate
    runt = Raw(bytes(range(10)))         # shorter than an Ethernet header
    to_a2 = frame(A, 200, 7)
    frames = [to_a, to_b, bcast_fr, miss, runt, jumbo, to_c, to_a2]
    if name == "forward":
        # A->0 (port a), B->1 (port b), bcast->2->Replicate[0,1], C->5 (unconnected);
        # miss and runt dropped.
        # One rx burst holds every frame; L2Forward groups a burst by gate
        # (arrival order within a gate), Replicate runs after gates 0 and 1.
        return frames, {"a": [to_a, jumbo, to_a2, bcast_fr], "b": [to_b, bcast_fr]}
    if name == "default":
        # delete(A), set_default_gate(1): A's frames and the miss go to b.
        return frames, {"a": [bcast_fr], "b": [to_a, to_b, miss, jumbo, to_a2, bcast_fr]}
    raise SystemExit("unknown scenario " + name)


def main():
    if sys.argv[1] == "gen":
        frames, want = scenario(sys.argv[2])
        d = sys.argv[3]
        wrpcap(d + "/in.pcap", frames, linktype=1)
        PcapWriter(d + "/empty.pcap", linktype=1).close()
        for port, fr in want.items():
            if fr:
                wrpcap("%s/want_%s.pcap" % (d, port), fr, linktype=1)
            else:
                PcapWriter("%s/want_%s.pcap" % (d, port), linktype=1).close()
        return 0
    want = [bytes(p) for p in rdpcap(sys.argv[2])]
    got = [bytes(p) for p in rdpcap(sys.argv[3])]
    if want == got:
        return 0
    print("want %d frames %s, got %d frames %s" % (
        len(want), [len(w) for w in want], len(got), [len(g) for g in got]))
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            print("frame %d differs (len %d vs %d)" % (i, len(w), len(g)))
            break
    return 1


sys.exit(main())
