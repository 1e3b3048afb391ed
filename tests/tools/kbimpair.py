#!/usr/bin/python3
"""kbimpair: a userspace Ethernet bridge between two interfaces that loses,
duplicates, reorders and delays frames, from a seeded PRNG.  It does
tc netem's job for kbnet's interop tests on kernels without sch_netem.

  kbimpair.py IF_A IF_B [--loss P] [--dup P] [--reorder P] [--delay-ms MS]
              [--seed N]

Both interfaces must be up, without addresses, in the namespace it runs
in.  Probabilities are fractions (0.01 = 1%).  Like netem, a reordered
frame skips the delay the others wait.  Prints 'kbimpair: ready' and, on
SIGTERM, its counters."""
import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("if_a")
    ap.add_argument("if_b")
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--dup", type=float, default=0.0)
    ap.add_argument("--reorder", type=float, default=0.0)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    socks = []
    for ifname in (a.if_a, a.if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((ifname, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setblocking(False)
        socks.append(s)
    other = {socks[0]: socks[1], socks[1]: socks[0]}
    stats = dict(fwd=0, lost=0, dup=0, reordered=0, too_big=0)
    queue = []   # (departure, order, socket, frame)
    order = 0
    done = False

    def stop(*_):
        nonlocal done
        done = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("kbimpair: ready", flush=True)
    delay = a.delay_ms / 1000.0
    while not done:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, s, frame = heapq.heappop(queue)
            try:
                s.send(frame)
                stats["fwd"] += 1
            except OSError:
                stats["too_big"] += 1
        timeout = max(0.0, queue[0][0] - now) if queue else 0.1
        try:
            ready, _, _ = select.select(socks, [], [], timeout)
        except (InterruptedError, OSError):
            continue
        for s in ready:
            for _ in range(64):
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                except OSError:
                    done = True   # an interface went away (the VM exited)
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue   # our own transmissions, seen again
                if rng.random() < a.loss:
                    stats["lost"] += 1
                    continue
                copies = 2 if rng.random() < a.dup else 1
                stats["dup"] += copies - 1
                for _ in range(copies):
                    d = delay
                    if rng.random() < a.reorder:
                        stats["reordered"] += 1
                        d = 0.0 if delay else 0.002
                    order += 1
                    heapq.heappush(queue, (time.monotonic() + d, order, other[s], frame))
    print("kbimpair: " + " ".join(f"{k}={v}" for k, v in stats.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
