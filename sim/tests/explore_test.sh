#!/usr/bin/env bash
# explore_test.sh: make explore on a model, its outputs checked.
#   sim/tests/explore_test.sh BUILD MODEL MIN_POINTS
# sim/explore.sh (no simulation) must write explore.json with at least
# MIN_POINTS distinct design points from TARGET=min to TARGET=max (intervals
# falling, multipliers rising, the fastest point on the Pareto front, every
# point's layers summing to its totals), explore.md with a row per point, and
# a PNG.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: explore_test.sh BUILD MODEL MIN_POINTS" >&2; exit 2; }
BUILD=$1; MODEL=$2; MIN=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$BUILD/explore/$(basename "$MODEL" .onnx)"
rm -rf "$OUT"
"$ROOT/sim/explore.sh" "$BUILD" "$MODEL" 8 0
/usr/bin/python3 - "$OUT" "$MIN" <<'PY'
import json, os, sys
out, want = sys.argv[1], int(sys.argv[2])
d = json.load(open(os.path.join(out, "explore.json")))
p = d["points"]
errs = []
if len(p) < want: errs.append(f"{len(p)} design points, want >= {want}")
if p[0]["target"] != "min" or p[-1]["target"] != "max": errs.append("the points do not run from min to max")
for a, b in zip(p, p[1:]):
    if not (b["interval_cycles"] < a["interval_cycles"] and b["multipliers"] >= a["multipliers"]):
        errs.append(f"point {b['target']} is not faster and dearer than {a['target']}")
if not p[-1]["pareto"]: errs.append("the fastest point is not on the Pareto front")
for q in p:
    for k in ("multipliers", "lut", "ff", "dsp", "bram36"):
        s = sum(l[k] for l in q["layers"])
        if k == "multipliers" and s != q[k]: errs.append(f"{q['target']}: layers' {k} {s} != total {q[k]}")
        if k != "multipliers" and s > q[k] + 1e-6: errs.append(f"{q['target']}: layers' {k} {s} > total {q[k]}")
rows = [l for l in open(os.path.join(out, "explore.md")) if l.startswith("| ") and l[2].isdigit()]
if len(rows) != len(p): errs.append(f"explore.md has {len(rows)} rows for {len(p)} points")
if not os.path.getsize(os.path.join(out, "explore.png")) > 10000: errs.append("no explore.png")
for e in errs: print("explore_test.sh: " + e)
print(f"explore_test.sh: {len(p)} points, {sum(q['pareto'] for q in p)} on the front, "
      f"{p[0]['interval_cycles']} .. {p[-1]['interval_cycles']} cycles per image" + (": FAIL" if errs else ""))
sys.exit(1 if errs else 0)
PY
