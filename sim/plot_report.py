#!/usr/bin/python3
"""Pictures of one run report (the JSON `make sim ... REPORT=x.json` writes).

    /usr/bin/python3 sim/plot_report.py RUN.json

writes, beside it:
  RUN.timeline.png     a strip per PE over the run's cycles: the share of each
                       sample (a bucket of cycles) its output link was busy
                       (a transfer), blocked (valid, not ready) or starved (not
                       valid); above it, each image from its first input beat
                       to its last output beat
  RUN.utilisation.png  per PE: busy / blocked / starved share of the run; its
                       analytical cycles per image beside the measured ones
                       (median cycles between its images), bottleneck marked
  RUN.latency.png      latency per image (first input beat to last output
                       beat), mismatching images marked
Debian's python3-matplotlib (hence /usr/bin/python3); no display needed.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

BUSY, BLOCKED, STARVED = "#2e8b57", "#d9534f", "#d8dde3"
MODEL_C, MEASURED_C, BOTTLENECK_C = "#4a78b5", "#222222", "#d9534f"


def fail(msg):
    print(f"plot_report.py: {msg}", file=sys.stderr)
    sys.exit(1)


def title(rep):
    sim = rep.get("simulator", "verilator")
    return (f"{rep['model']}: {rep['images']} images, stall {rep.get('stall', 'off')}, {sim}"
            f" ({rep['mismatches']} mismatches)")


def timeline(rep, out):
    tl = rep.get("timeline") or {}
    pes = tl.get("pes") or []
    if not pes or not pes[0]["busy"]:
        return None
    bucket = tl["bucket_cycles"]
    n = len(pes[0]["busy"])
    x = [i * bucket for i in range(n + 1)]
    images = [r for r in rep["results"] if r.get("instance", 0) == tl.get("instance", 0)]
    lanes = 2 if len(images) > 1 else 1
    rows = len(pes)
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.42 * (rows + lanes + 1)))
    for row, pe in enumerate(pes):
        y0 = rows - 1 - row  # the first PE on top, in pipeline order
        tot = [max(1, b + s + k) for b, s, k in zip(pe["busy"], pe["starved"], pe["blocked"])]
        busy = [b / t for b, t in zip(pe["busy"], tot)]
        blocked = [k / t for k, t in zip(pe["blocked"], tot)]
        # One step per bucket: busy at the bottom, blocked above it, starved the rest.
        lo = [y0 + 0.1] * (n + 1)
        mid = [y0 + 0.1 + 0.8 * b for b in busy] + [y0 + 0.1 + 0.8 * busy[-1]]
        hi = [m + 0.8 * k for m, k in zip(mid, blocked + [blocked[-1]])]
        top = [y0 + 0.9] * (n + 1)
        ax.fill_between(x, lo, mid, step="post", color=BUSY, linewidth=0)
        ax.fill_between(x, mid, hi, step="post", color=BLOCKED, linewidth=0)
        ax.fill_between(x, hi, top, step="post", color=STARVED, linewidth=0)
    # Images: first input beat -> last output beat, on alternating lanes.
    labels = len(images) <= 24
    for i, r in enumerate(images):
        y = rows + 0.3 + 0.45 * (i % lanes)
        a, b = r["first_in_cycle"], r["last_out_cycle"]
        colour = "#555555" if r["match"] else BOTTLENECK_C
        ax.plot([a, b], [y, y], color=colour, linewidth=3, solid_capstyle="butt")
        if labels:
            ax.text(a, y + 0.12, f"{rep['results'].index(r)}", fontsize=7, color=colour, va="bottom")
        if len(images) <= 60:
            ax.axvline(b, color="#999999", linewidth=0.5, linestyle=":", zorder=0)
    ax.set_yticks([rows - 1 - i + 0.5 for i in range(rows)] + [rows + 0.5])
    ax.set_yticklabels([p["instance"] for p in pes] + ["images"])
    ax.set_ylim(0, rows + 0.4 + 0.45 * lanes)
    ax.set_xlim(0, n * bucket)
    ax.set_xlabel(f"cycle (one sample = {bucket} cycles)")
    ax.set_title(title(rep) + ": output link of each PE over time", fontsize=10)
    ax.legend(handles=[Patch(color=BUSY, label="busy (transfer)"), Patch(color=BLOCKED, label="blocked (not ready)"),
                       Patch(color=STARVED, label="starved (no valid)"),
                       Patch(color="#555555", label="image: first input to last output beat")],
              loc="upper center", bbox_to_anchor=(0.5, -0.5 / (rows + 3) - 0.08), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def utilisation(rep, out):
    pes = rep.get("pes") or []
    if not pes:
        return None
    names = [p["instance"] for p in pes]
    total = [max(1, p["busy"] + p["starved"] + p["blocked"]) for p in pes]
    busy = [100 * p["busy"] / t for p, t in zip(pes, total)]
    blocked = [100 * p["blocked"] / t for p, t in zip(pes, total)]
    starved = [100 * p["starved"] / t for p, t in zip(pes, total)]
    model = [p["expected_cycles_per_image"] for p in pes]
    measured = [p.get("measured_cycles_per_image", 0) for p in pes]
    bott = max(range(len(pes)), key=lambda i: model[i])
    y = list(range(len(pes)))[::-1]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 2.2 + 0.38 * len(pes)), sharey=True)
    a1.barh(y, busy, color=BUSY, label="busy")
    a1.barh(y, blocked, left=busy, color=BLOCKED, label="blocked")
    a1.barh(y, starved, left=[b + k for b, k in zip(busy, blocked)], color=STARVED, label="starved")
    for yi, b in zip(y, busy):
        a1.text(1, yi, f"{b:.0f}%", va="center", fontsize=7, color="white" if b > 8 else "black")
    a1.set_xlim(0, 100)
    a1.set_xlabel("% of the run's cycles (output link)")
    a1.set_yticks(y)
    a1.set_yticklabels([n + ("  (bottleneck)" if i == bott else "") for i, n in enumerate(names)])
    a1.get_yticklabels()[bott].set_color(BOTTLENECK_C)
    a1.set_title("utilisation", fontsize=10)
    h = 0.38
    a2.barh([v + h / 2 for v in y], model, height=h, color=[BOTTLENECK_C if i == bott else MODEL_C for i in range(len(pes))],
            label="analytical model")
    a2.barh([v - h / 2 for v in y], measured, height=h, color=MEASURED_C, alpha=0.75, label="measured (median between images)")
    for yi, mo, me in zip(y, model, measured):
        a2.text(max(mo, me) * 1.01, yi, f"{mo} / {me:.0f}", va="center", fontsize=7)
    a2.axvline(rep["interval_cycles"], color="#888888", linestyle="--", linewidth=1)
    a2.set_xlim(0, max(model + measured) * 1.18 or 1)
    a2.set_xlabel("cycles per image")
    from matplotlib.lines import Line2D
    fig.legend(handles=[Patch(color=BUSY, label="busy"), Patch(color=BLOCKED, label="blocked"),
                        Patch(color=STARVED, label="starved"), Patch(color=MODEL_C, label="analytical model"),
                        Patch(color=BOTTLENECK_C, label="analytical model, bottleneck"),
                        Patch(color=MEASURED_C, alpha=0.75, label="measured (median cycles between images)"),
                        Line2D([], [], color="#888888", linestyle="--", label="run interval")],
               loc="lower center", ncol=7, fontsize=8, frameon=False)
    a2.set_title(f"cycles per image, model / measured (bottleneck {names[bott]}: {model[bott]} / "
                 f"{measured[bott]:.0f})", fontsize=10)
    fig.suptitle(title(rep), fontsize=10)
    fig.tight_layout(rect=(0, 0.6 / (2.2 + 0.38 * len(pes)), 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def latency(rep, out):
    rs = rep.get("results") or []
    if not rs:
        return None
    lat = [r["latency_cycles"] for r in rs]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ok = [(i, v) for i, (v, r) in enumerate(zip(lat, rs)) if r["match"]]
    bad = [(i, v) for i, (v, r) in enumerate(zip(lat, rs)) if not r["match"]]
    style = dict(marker="o", markersize=3 if len(rs) > 100 else 5, linestyle="none")
    if ok:
        ax.plot(*zip(*ok), color=MODEL_C, label="bit-exact", **style)
    if bad:
        ax.plot(*zip(*bad), color=BOTTLENECK_C, label="mismatch", marker="x", markersize=7, linestyle="none")
    ax.axhline(rep["latency_cycles"], color="#888888", linestyle="--", linewidth=1,
               label=f"median {rep['latency_cycles']:.0f}")
    ax.set_ylim(0, max(lat) * 1.12)
    ax.set_xlabel("image (in stream order)")
    ax.set_ylabel("cycles, first input beat to last output beat")
    ax.set_title(title(rep) + f": latency per image (interval {rep['interval_cycles']:.0f}, "
                 f"model {rep['expected_cycles_per_image']})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main():
    if len(sys.argv) != 2:
        fail("usage: plot_report.py RUN.json")
    path = sys.argv[1]
    try:
        with open(path) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
    stem = path[:-5] if path.endswith(".json") else path
    made = [p for p in (timeline(rep, stem + ".timeline.png"), utilisation(rep, stem + ".utilisation.png"),
                        latency(rep, stem + ".latency.png")) if p]
    print("  pictures          " + ", ".join(made))


if __name__ == "__main__":
    main()
