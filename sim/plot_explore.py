#!/usr/bin/python3
"""The design points of `cnnc explore` as a picture.

    /usr/bin/python3 sim/plot_explore.py DIR/explore.json [--clock-mhz 100]

writes DIR/explore.png: throughput (images/s at the clock; the interval in
cycles on the right axis) against the estimated LUTs (LUT-RAM included) and
against the DSP48E1s, one panel each; in each panel the front in its two
axes joined by a line, the other points blue when on the front of all
resources (the table's Pareto column), else grey;
the input stream's bound (one input beat per cycle) as a
dashed line. With measured intervals (make explore VERIFY=1 adds
"measured_interval_cycles" to each point) those are drawn as crosses.
Debian's python3-matplotlib (hence /usr/bin/python3); no display needed.
"""
import json
import os
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PARETO_C, OTHER_C, BOUND_C, MEASURED_C = "#4a78b5", "#b0b7bf", "#d9534f", "#222222"


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path = argv[1]
    clock = 100.0
    if "--clock-mhz" in argv:
        clock = float(argv[argv.index("--clock-mhz") + 1])
    with open(path) as f:
        d = json.load(f)
    pts = d["points"]
    if not pts:
        print(f"plot_explore.py: {path}: no design points", file=sys.stderr)
        return 1
    ips = lambda cycles: clock * 1e6 / cycles  # noqa: E731
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, label in ((axes[0], "lut", "LUT (estimate, LUT-RAM included)"), (axes[1], "dsp", "DSP48E1 (estimate)")):
        x = lambda p: p[key] + (p["lutram"] if key == "lut" else 0)  # noqa: E731
        # The front in this panel's two axes (interval, this resource); the
        # points on the front of all resources that are off it in blue.
        front = sorted((p for p in pts if not any(
            q is not p and q["interval_cycles"] <= p["interval_cycles"] and x(q) <= x(p)
            and (q["interval_cycles"] < p["interval_cycles"] or x(q) < x(p)) for q in pts)), key=x)
        rest = [p for p in pts if p not in front]
        ax.scatter([x(p) for p in rest], [ips(p["interval_cycles"]) for p in rest],
                   color=[PARETO_C if p["pareto"] else OTHER_C for p in rest], label="other points", zorder=2)
        ax.plot([x(p) for p in front], [ips(p["interval_cycles"]) for p in front], "o-", color=PARETO_C,
                label="front in these two axes", zorder=3)
        for p in pts:
            ax.annotate(p["target"], (x(p), ips(p["interval_cycles"])), textcoords="offset points", xytext=(4, -10), fontsize=7)
        meas = [p for p in pts if "measured_interval_cycles" in p]
        if meas:
            ax.scatter([x(p) for p in meas], [ips(p["measured_interval_cycles"]) for p in meas], marker="x",
                       color=MEASURED_C, label="simulated", zorder=4)
        ax.axhline(ips(d["input_beats"]), color=BOUND_C, ls="--", lw=1, label="input stream bound (1 beat/cycle)")
        ax.set_xlabel(label)
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel(f"images/s at {clock:g} MHz")
    sec = axes[1].secondary_yaxis("right", functions=(lambda v: clock * 1e6 / np.maximum(v, 1e-9),
                                                        lambda c: clock * 1e6 / np.maximum(c, 1e-9)))
    sec.set_ylabel("interval (cycles per image)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{d['network']}: throughput versus resources ({len(pts)} design points)")
    fig.tight_layout()
    out = os.path.join(os.path.dirname(path) or ".", "explore.png")
    fig.savefig(out, dpi=110)
    print(f"plot_explore.py: -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
