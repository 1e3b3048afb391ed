#!/usr/bin/env python3
"""bench/plot.py RESULTS.json: draws RESULTS-latency.png (64 B request/response
latency distribution, one CDF per side), RESULTS-throughput.png
(throughput, 1 and 4 flows, per side/mode) and RESULTS-download.png (3 MiB
downloads: p50 and p99 per side/mode, RTOs per GB over each pair) from
bench/run's JSON."""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) == 2 else 2
    path = sys.argv[1]
    with open(path) as f:
        d = json.load(f)
    base = path[:-5] if path.endswith(".json") else path

    fig, ax = plt.subplots(figsize=(7, 4))
    for side, buckets in d.get("rr64_hist_ns", {}).items():
        total = sum(b[2] for b in buckets)
        if not total:
            continue
        xs, ys, seen = [], [], 0
        for lo, hi, n in buckets:
            seen += n
            xs.append(hi / 1000.0)
            ys.append(seen / total)
        ax.step(xs, ys, where="post", label=side)
    ax.set_xscale("log")
    ax.set_xlabel("64 B request/response latency (us, log)")
    ax.set_ylabel("fraction of transactions")
    ax.set_title(f"latency CDF, {d['date']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(base + "-latency.png", dpi=100)

    fig, ax = plt.subplots(figsize=(7, 4))
    sides = list(d["results"].keys())
    width = 0.38
    for i, test in enumerate(["bulk1", "bulk4"]):
        vals = [d["results"][s].get(test, {}).get("gbps", 0) or 0 for s in sides]
        xs = [j + (i - 0.5) * width for j in range(len(sides))]
        bars = ax.bar(xs, vals, width, label={"bulk1": "1 flow", "bulk4": "4 flows"}[test])
        for b, v in zip(bars, vals):
            ax.annotate(f"{v:.1f}", (b.get_x() + b.get_width() / 2, v), ha="center",
                        va="bottom", fontsize=8)
    ax.set_xticks(range(len(sides)))
    ax.set_xticklabels(sides)
    ax.set_ylabel("Gbit/s")
    ax.set_title(f"throughput per mode, {d['date']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(base + "-throughput.png", dpi=100)

    dl = [(s, d["results"][s]["dl3m"]) for s in sides if "p50_ms" in d["results"][s].get("dl3m", {})]
    if dl:
        fig, ax = plt.subplots(figsize=(7, 4))
        for i, (metric, label) in enumerate([("p50_ms", "p50"), ("p99_ms", "p99")]):
            xs = [j + (i - 0.5) * width for j in range(len(dl))]
            vals = [e[metric] for _, e in dl]
            bars = ax.bar(xs, vals, width, label=label)
            for b, v in zip(bars, vals):
                ax.annotate(f"{v:.1f}", (b.get_x() + b.get_width() / 2, v), ha="center",
                            va="bottom", fontsize=8)
        for j, (_, e) in enumerate(dl):
            if e.get("rto_per_gb") is not None:
                ax.annotate(f"{e['rto_per_gb']:.2f} RTO/GB", (j, 0), ha="center", va="bottom",
                            fontsize=8, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(range(len(dl)))
        ax.set_xticklabels([s for s, _ in dl])
        ax.set_ylabel("download time (ms)")
        ax.set_title(f"200 x 3 MiB, 8 at a time, {d['date']}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(base + "-download.png", dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
