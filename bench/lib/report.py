#!/usr/bin/env python3
"""bench/lib/report.py: medians of bench/run's raw kbperf results, the
table with kbnet/kernel ratios (stdout), and the JSON file plot.py reads."""
import argparse
import datetime
import json
import statistics
import sys

# row label, test name, metric, unit, higher is better
ROWS = [
    ("throughput, 1 flow", "bulk1", "gbps", "Gbit/s", True),
    ("throughput, 4 flows", "bulk4", "gbps", "Gbit/s", True),
    ("64 B rr latency p50", "rr64", "p50_us", "us", False),
    ("64 B rr latency p99", "rr64", "p99_us", "us", False),
    ("64 B rr transactions/s", "rr64", "rate", "/s", True),
    ("connections/s (crr)", "crr", "rate", "/s", True),
    ("3 MiB download p50", "dl3m", "p50_ms", "ms", False),
    ("3 MiB download p99", "dl3m", "p99_ms", "ms", False),
    ("3 MiB download p99/p50", "dl3m", "tail", "x", False),
    ("3 MiB download RTOs per GB", "dl3m", "rto_per_gb", "/GB", False),
]
METRICS = ["gbps", "rate", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "errors",
           "p50_ms", "p99_ms", "tail", "rto_per_gb", "rto", "server_rto"]


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--notes", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--machine", default="")
    ap.add_argument("--secs", type=int, default=0)
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--topology", default="direct")
    a = ap.parse_args()
    raw, notes = load(a.raw), load(a.notes)
    idle = {r["side"]: r for r in raw if r.get("name") == "idle"}
    raw = [r for r in raw if r.get("name") != "idle"]

    res, hist, sides = {}, {}, []
    for r in raw:
        if r["side"] not in sides:
            sides.append(r["side"])
        res.setdefault(r["side"], {}).setdefault(r["name"], []).append(r)
    out = {}
    for side, tests in res.items():
        out[side] = {}
        for name, runs in tests.items():
            # a run that measured nothing (e.g. no connection) is a failure
            ok = [r for r in runs if not r.get("failed") and r.get("errors", 1) == 0
                  and (r["bytes"] > 0 if r["test"] == "bulk" else r["transactions"] > 0)]
            if name == "dl3m":
                # a download run counts only when every file arrived
                ok = [r for r in ok if r.get("ok") == r.get("requests")]
            entry = {"runs": len(runs), "ok_runs": len(ok)}
            if ok:
                for m in METRICS:
                    vals = [r[m] for r in ok if r.get(m) is not None]
                    if vals:
                        entry[m] = statistics.median(vals)
                if name == "rr64":
                    # the distribution of the run whose p50 is the median
                    best = sorted(ok, key=lambda r: r["p50_us"])[len(ok) // 2]
                    hist[side] = best["hist_ns"]
            out[side][name] = entry

    def val(side, test, metric):
        e = out.get(side, {}).get(test, {})
        return e.get(metric)

    def ratio(side, test, metric):
        """kbnet/kernel: the median over the pairs (each kbnet run and the
        kernel run just before it); without pairs, the medians' ratio."""
        r = paired_ratio(runs_of(raw, side, test), kernel_pairs(raw, side, test), metric)
        if r is not None:
            return r
        v, k = val(side, test, metric), val("kernel", test, metric)
        return v / k if v is not None and k else None

    kb_sides = [s for s in sides if s != "kernel"]
    head = ["", "kernel"] + [x for s in kb_sides for x in (s, "ratio")]
    lines, ratios = [], {}
    for label, test, metric, unit, _ in ROWS:
        k = val("kernel", test, metric)
        row = [f"{label} ({unit})", fmt(k)]
        for s in kb_sides:
            v = val(s, test, metric)
            r = ratio(s, test, metric)
            ratios[(s, test, metric)] = r
            row += [fmt(v), f"{r:.2f}x" if r is not None else
                    ("n/a" if v is None or k is None else "-")]
        lines.append(row)
    table = render(head, lines)
    shared = render(*sharing_rows(kb_sides, idle, val, raw))
    versus = render(*mode_rows(kb_sides, val, raw))
    spells = render(*spell_rows(kb_sides, raw))
    date = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    print(f"kbnet bench, {date}, {a.machine}; {a.secs} s x {a.reps}, medians")
    print("kernel: Linux TCP, netns kbbA <-> veth <-> bridge <-> veth <-> kbbB")
    topo = ("virtio-user -> kbswitch (conf/forward_script.bess) -> virtio-user"
            if a.topology == "switch" else
            "ports wired directly (vhost-user <-> virtio-user; no kbswitch)")
    print("kbnet: two VM processes, kbperf on the stack, " + topo)
    print("\n".join(table))
    if spells:
        print("Bulk by the host's spell (kbxcpu before the kernel run and after the kbnet run of")
        print(f"a pair both below {SLOW_GBS:.0f} GB/s: slow; both above: fast): kbnet/kernel (pairs):")
        print("\n".join(spells))
    if shared:
        print("CPUs shared: the idle CPU of the switch + 2 VMs (/proc, % of one core), and a")
        print("third VM attached to the switch but idle (conf/forward3_script.bess), with / without:")
        print("\n".join(shared))
    if versus:
        print("Each mode against single mode (1.00 = as good, below 1 worse): bulk from their")
        print("kernel ratios within one host spell, downloads round by round (the modes take")
        print("turns), the rest from their medians:")
        print("\n".join(versus))
    for n in notes:
        print(f"note: {n['side']}: {n['note']}")
    for side in sides:
        for name, e in out[side].items():
            if e["ok_runs"] < e["runs"]:
                print(f"note: {side} {name}: {e['runs'] - e['ok_runs']} of {e['runs']} runs failed or had errors")

    doc = {"date": date, "machine": a.machine, "seconds": a.secs, "reps": a.reps,
           "topology": {"kernel": "netns + veth + bridge",
                        "kbnet": topo},
           "notes": notes, "results": out, "idle": idle, "rr64_hist_ns": hist,
           "ratios": {f"{s}/{t}/{m}": r for (s, t, m), r in ratios.items()},
           "table": table, "sharing_table": shared, "modes_table": versus,
           "spells_table": spells}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    return 0


def render(head, lines):
    if not lines:
        return []
    widths = [max(len(str(r[i])) for r in [head] + lines) for i in range(len(head))]
    table = []
    for r in [head] + lines:
        table.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        if r is head:
            table.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return table


def runs_of(raw, side, name):
    return [r for r in raw if r["side"] == side and r["name"] == name]


def kernel_pairs(raw, side, name):
    """The kernel's runs of a test that sat next to a kbnet side's runs,
    in order: run i pairs with that side's run i."""
    mode = side[len("kbnet-"):]
    return [k for k in runs_of(raw, "kernel", name) if k.get("pair") == mode]


def paired_ratio(num, den, metric):
    """The median of num[i]/den[i] over the pairs where both runs are good
    (each num run came right after its den run); None without one."""
    def good(r):
        return not r.get("failed") and r.get("errors", 0) == 0

    rs = [a[metric] / b[metric] for a, b in zip(num, den)
          if good(a) and good(b) and a.get(metric) is not None and b.get(metric)]
    return statistics.median(rs) if rs else None


def sharing_rows(kb_sides, idle, val, raw):
    """Idle CPU and the third-idle-VM ratios, one column per kbnet side."""
    head = [""] + kb_sides
    lines = []
    if any(s in idle for s in kb_sides):
        row = ["idle CPU, switch + 2 VMs (% of one core)"]
        for s in kb_sides:
            r = idle.get(s)
            if not r or r.get("total_pct") is None:
                row.append("n/a")
            else:
                row.append(f"{r['total_pct']:.1f} (sw {r['switch_pct']:.1f}, "
                           f"VMs {r['vm1_pct']:.1f}+{r['vm2_pct']:.1f})")
        lines.append(row)
    for label, test, metric in (("3rd idle VM: bulk 1 flow (Gbit/s)", "bulk1", "gbps"),
                                ("3rd idle VM: 64 B rr p50 (us)", "rr64", "p50_us"),
                                ("3rd idle VM: 64 B rr transactions/s", "rr64", "rate")):
        row, any_v = [label], False
        for s in kb_sides:
            w, wo = val(s, test + "_3vm", metric), val(s, test + "_2vm", metric)
            any_v |= w is not None or wo is not None
            # with/without the third VM, each with-run right after its without-run
            q = paired_ratio(runs_of(raw, s, test + "_3vm"), runs_of(raw, s, test + "_2vm"), metric)
            row.append(f"{fmt(w)} / {fmt(wo)} = {q:.2f}x" if q is not None
                       else f"{fmt(w)} / {fmt(wo)}")
        if any_v:
            lines.append(row)
    return head, lines


# kbxcpu's GB/s below which the host is in its slow spell (docs/design.md:
# ~19-20 GB/s slow, ~44-45 fast on the VMs measured)
SLOW_GBS = 30.0


def spell_pairs(raw, side, test):
    """{spell: [kbnet/kernel ratio of each pair]} for a kbnet side's test,
    from the pairs that carry kbxcpu probes (bulk tests)."""
    out = {}
    for a, b in zip(runs_of(raw, side, test), kernel_pairs(raw, side, test)):
        if a.get("xcpu_before") is None or a.get("xcpu_after") is None:
            continue
        r = paired_ratio([a], [b], "gbps")
        if r is not None:
            out.setdefault(spell_of(a), []).append(r)
    return out


def spell_rows(kb_sides, raw):
    """Bulk ratios (kbnet/kernel) split by the host's spell: a pair counts
    as slow or fast when kbxcpu said so both before its kernel run and after
    its kbnet run, else as mixed; each cell is the median ratio and the
    number of pairs."""
    head = [""] + kb_sides
    lines = []
    for label, test in (("throughput, 1 flow", "bulk1"), ("throughput, 4 flows", "bulk4")):
        by_side = {s: spell_pairs(raw, s, test) for s in kb_sides}
        for spell in ("slow", "fast", "mixed"):
            row = [f"{label}, {spell} spell"]
            for s in kb_sides:
                rs = by_side[s].get(spell, [])
                row.append(f"{statistics.median(rs):.2f}x ({len(rs)})" if rs else "-")
            if any(by_side[s].get(spell) for s in kb_sides):
                lines.append(row)
    return head, lines


def spell_of(run):
    slow = [g < SLOW_GBS for g in (run["xcpu_before"], run["xcpu_after"])]
    return "slow" if all(slow) else ("fast" if not any(slow) else "mixed")


def same_spell_ratio(raw, side, test):
    """side against single mode on a bulk test, within one host spell: the
    ratio of their median kbnet/kernel ratios in the slow or fast spell
    where both have the most pairs; (ratio, spell) or None."""
    mine, single = spell_pairs(raw, side, test), spell_pairs(raw, "kbnet-single", test)
    both = [(min(len(mine[sp]), len(single[sp])), sp) for sp in ("slow", "fast")
            if mine.get(sp) and single.get(sp)]
    if not both:
        return None
    sp = max(both)[1]
    return statistics.median(mine[sp]) / statistics.median(single[sp]), sp


def mode_rows(kb_sides, val, raw):
    """Each non-single mode as a fraction of single mode's performance:
    1.00 is as good, 0.80 is 20% worse (latency inverted so that higher is
    better on every row).  Bulk within one host spell (same_spell_ratio:
    the kernel's ratio carries the spell out); downloads, whose rounds the
    modes take in turns, by the median of round-by-round ratios; the rest
    by their medians."""
    if "kbnet-single" not in kb_sides:
        return [], []
    others = [s for s in kb_sides if s != "kbnet-single"]
    head = [""] + others
    lines = []
    for label, test, metric, unit, higher in ROWS:
        if test == "dl3m" and metric in ("tail", "rto_per_gb"):
            continue
        row, any_v = [label], False
        for s in others:
            # the medians themselves: the kernel's rr and crr vary by 2x
            # from run to run here, which its ratios would carry over
            a, b = val(s, test, metric), val("kbnet-single", test, metric)
            if a is None or not b or not a:
                row.append("n/a")
                continue
            q, cell = (a / b if higher else b / a), None
            if test.startswith("bulk"):
                ss = same_spell_ratio(raw, s, test)
                if ss is not None:
                    q, cell = ss[0], f"{ss[0]:.2f} ({ss[1]} spell)"
                elif spell_pairs(raw, s, test) and spell_pairs(raw, "kbnet-single", test):
                    cell = f"{q:.2f} (medians: spells differ)"
            if test == "dl3m":
                mine, single = runs_of(raw, s, test), runs_of(raw, "kbnet-single", test)
                p = (paired_ratio(mine, single, metric) if higher
                     else paired_ratio(single, mine, metric))
                q = p if p is not None else q
            any_v = True
            row.append(cell or f"{q:.2f}")
        if any_v:
            lines.append(row)
    return (head, lines) if others else ([], [])


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:.0f}" if v >= 100 else f"{v:.2f}"


if __name__ == "__main__":
    sys.exit(main())
