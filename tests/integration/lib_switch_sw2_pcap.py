#!/usr/bin/env python3
"""Frames for t_switch_sw2_pcap: writes the input pcap and the frames each
case expects on each output port; compares captured pcaps with them.

  lib_switch_sw2_pcap.py gen DIR
  lib_switch_sw2_pcap.py cmp GOT.pcap CASE PORT   (exit 1 on a mismatch)
No scapy needed: the pcap format is 24 + 16 bytes of headers."""
import struct
import sys

MAC1, MAC2 = '02:00:00:00:00:01', '02:00:00:00:00:02'
BCAST, OTHER, MCAST = 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00:07', '01:00:5e:00:00:01'


def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


def frame(dst, seq, size=60):
    b = mac(dst) + mac('02:00:00:00:00:09') + b'\x88\xb5' + struct.pack('>I', seq)
    return b + bytes((seq * 7 + i) & 0xff for i in range(size - len(b)))


# seq -> frame; 5 is a runt, 7 spans several mbufs (9000 B)
FRAMES = {1: frame(MAC1, 1), 2: frame(MAC2, 2), 3: frame(BCAST, 3),
          4: frame(OTHER, 4), 5: b'\x02\x00\x00', 6: frame(MAC2, 6, 1500),
          7: frame(MAC1, 7, 9000), 8: frame(MCAST, 8)}
# case -> (frames on port 0, frames on port 1)
EXPECT = {
    'forward': ([1, 7, 3], [2, 6, 3]),       # miss (4, 8) and runt (5) dropped
    'default': ([1, 7, 3], [2, 6, 3, 4, 8]),  # misses to the default gate 1
    'delete':  ([1, 7, 3], [3]),              # MAC2 deleted: 2 and 6 now miss
    'unconnected': ([1, 7, 3], [2, 6, 3]),    # 4 went to gate 5: no one there
}


def write(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def read(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(end + 'IIII', data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def main():
    if sys.argv[1] == 'gen':
        d = sys.argv[2]
        write(d + '/in.pcap', [FRAMES[k] for k in sorted(FRAMES)])
        write(d + '/empty.pcap', [])
        return 0
    got, case, port = read(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    want = [FRAMES[k] for k in EXPECT[case][port]]
    if sorted(got) == sorted(want):
        return 0
    print('%s port %d: got %d frames (%s), want %d (%s)' % (
        case, port, len(got), [len(g) for g in got], len(want), [len(w) for w in want]))
    return 1


sys.exit(main())
