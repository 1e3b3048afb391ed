#!/usr/bin/env python3
"""switch_l2sec.py: MAC learning and port security through kbswitch, driven
with scapy from the far ends of three veth pairs whose near ends are the
switch's net_pcap ports (t_switch_learn, t_switch_spoof).

  switch_l2sec.py learn|spoof KBCTL CTL IF1 IF2 IF3

Each phase sends 5 tagged frames from one port and counts, per port, the
tagged frames that came out of the switch; it prints "ok: ..." or
"bad: ..." per phase (the test turns them into PASS/FAIL lines)."""
import subprocess
import sys
import time

from scapy.all import ARP, IP, AsyncSniffer, Ether, Raw, sendp  # noqa: E402

MAC = {k: "02:00:00:00:00:%02x" % k for k in (1, 2, 3)}
BCAST = "ff:ff:ff:ff:ff:ff"
N = 5


def main():
    mode, kbctl, ctl = sys.argv[1:4]
    ifs = dict(zip((1, 2, 3), sys.argv[4:7]))
    port_of = {v: k for k, v in ifs.items()}
    # inbound only: what the switch sent, not our own frames going out
    sniffer = AsyncSniffer(iface=list(ifs.values()), store=True, filter="inbound")
    sniffer.start()
    time.sleep(1)
    expected = []
    bad = 0

    def tag(phase):
        return b"KBL2SEC-%02d" % phase

    def send(phase, frm, dst, src=None, l3=None):
        frames = []
        for i in range(N):
            payload = Raw(tag(phase) + bytes([i]) + bytes(40))
            eth = Ether(dst=dst, src=src or MAC[frm])
            frames.append(eth / l3 / payload if l3 is not None else
                          Ether(dst=dst, src=src or MAC[frm], type=0x88b5) / payload)
        sendp(frames, iface=ifs[frm], verbose=False)
        time.sleep(0.6)

    def expect(phase, what, ports):
        expected.append((phase, what, set(ports)))

    def kb(*args):
        return subprocess.run([kbctl, "--ctl", ctl] + list(args), check=True,
                              capture_output=True, text=True).stdout

    if mode == "learn":
        send(1, 1, MAC[2])
        expect(1, "1 -> unknown MAC 2: flooded to every port", (1, 2, 3))
        send(2, 2, MAC[1])
        expect(2, "2 -> MAC 1, learned from phase 1: only port 1", (1,))
        send(3, 1, MAC[2])
        expect(3, "1 -> MAC 2, learned from phase 2: only port 2", (2,))
        print("l2 after phase 3: " + [line for line in kb("show", "module").splitlines()
                                       if line.startswith("l2::")][0])
        time.sleep(3)          # age = 2 s
        send(4, 1, MAC[2])
        expect(4, "1 -> MAC 2 after 3 s idle (age 2 s): aged out, flooded", (1, 2, 3))
        send(5, 3, MAC[1])     # MAC 3 learned on port 3
        kb("add", "l2", "l2", MAC[3], "0")
        send(6, 2, MAC[3])
        expect(5, "3 -> MAC 1: only port 1 (and MAC 3 learned on port 3)", (1,))
        expect(6, "2 -> MAC 3, static entry to gate 0 (port 1): the static entry wins over "
               "the learned port 3", (1,))
        # Without PortSecurity, a VM that sends from another's MAC moves the
        # learned entry and takes that VM's traffic (t_switch_spoof stops it).
        send(7, 2, MAC[1])
        send(8, 3, MAC[1], src=MAC[2])
        send(9, 1, MAC[2])
        expect(9, "without PortSecurity, port 3 sending from MAC 2 takes MAC 2's traffic", (3,))
    else:
        send(1, 2, MAC[1])
        expect(1, "2 -> unknown MAC 1: flooded (and MAC 2 learned on port 2)", (1, 2, 3))
        send(2, 3, MAC[1], src=MAC[2])
        expect(2, "port 3 sending from MAC 2: dropped", ())
        send(3, 1, MAC[2])
        expect(3, "1 -> MAC 2 after the spoof: still only port 2", (2,))
        send(4, 3, MAC[1], l3=IP(src="10.0.0.2", dst="10.0.0.1", proto=253))
        expect(4, "port 3 sending IPv4 from 10.0.0.2: dropped", ())
        send(5, 3, BCAST, l3=ARP(op=1, hwsrc=MAC[3], psrc="10.0.0.2", pdst="10.0.0.1"))
        expect(5, "port 3 sending ARP as 10.0.0.2: dropped", ())
        send(6, 3, MAC[1], l3=IP(src="10.0.0.3", dst="10.0.0.1", proto=253))
        expect(6, "port 3 sending IPv4 from its own 10.0.0.3: only port 1", (1,))

    time.sleep(0.5)
    pkts = sniffer.stop()
    got = {}
    for p in pkts:
        raw = bytes(p)
        i = raw.find(b"KBL2SEC-")
        if i < 0:
            continue
        phase = int(raw[i + 8:i + 10])
        port = port_of.get(p.sniffed_on)
        got.setdefault(phase, {}).setdefault(port, 0)
        got[phase][port] += 1
    for phase, what, ports in expected:
        seen = got.get(phase, {})
        ok = all(seen.get(p, 0) == (N if p in ports else 0) for p in (1, 2, 3))
        print("%s: phase %d: %s (per port: %s)" % ("ok" if ok else "bad", phase, what,
              ", ".join("%d=%d" % (p, seen.get(p, 0)) for p in (1, 2, 3))))
        bad += not ok
    sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
