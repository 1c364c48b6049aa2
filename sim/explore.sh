#!/usr/bin/env bash
# explore.sh: the throughput-versus-resources design points of a model.
#   sim/explore.sh BUILD MODEL [POINTS] [VERIFY]
# `cnnc explore` plans POINTS targets (default 8) from the fewest multipliers
# (TARGET=min) to the fastest pipeline (TARGET=max) and writes the points, the
# Pareto front marked, to BUILD/explore/<stem>/explore.json and explore.md;
# sim/plot_explore.py draws explore.png. VERIFY=1 then builds and simulates
# every point (TARGET=<its target>, 4 random images, no stalls) and adds
# the measured interval to the JSON and the table (a build per point: LeNet
# ~1 minute each); a run that is not bit-exact, or whose interval is off its
# model by more than 1%, fails the whole run after the others finished.
set -euo pipefail
die() { echo "explore.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 4 ] || die "usage: explore.sh BUILD MODEL [POINTS] [VERIFY]"
BUILD=$1; MODEL=$2; POINTS=${3:-8}; VERIFY=${4:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$MODEL" ] || die "no such model: $MODEL"
OUT="$BUILD/explore/$(basename "$MODEL" .onnx)"
"$BUILD/gen/cnnc" explore "$MODEL" --out "$OUT" --points "$POINTS"
fail=0
if [ "$VERIFY" = 1 ]; then
  targets=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(p["target"] for p in json.load(open(sys.argv[1]))["points"]))' "$OUT/explore.json")
  n=$(echo $targets | wc -w); k=0
  for t in $targets; do
    k=$((k + 1))
    echo "explore.sh: [$k/$n] TARGET=$t: build and simulate"
    rep="$OUT/point-$t.report.json"
    if ! TARGET=$t CNN_PLOTS=0 CNN_WAVE=0 "$ROOT/sim/run.sh" "$BUILD" "$MODEL" --random 4 --stall off --seed 1 \
         --quiet --report "$rep" > "$OUT/point-$t.log" 2>&1; then
      echo "explore.sh: TARGET=$t failed (see $OUT/point-$t.log):"; tail -3 "$OUT/point-$t.log"; fail=1
    fi
  done
  if ! /usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
d = json.load(open(os.path.join(out, "explore.json")))
rows = []
for p in d["points"]:
    rep = os.path.join(out, f"point-{p['target']}.report.json")
    if not os.path.exists(rep):
        continue
    r = json.load(open(rep))
    p["measured_interval_cycles"] = r["interval_cycles"]
    p["bit_exact"] = r["mismatches"] == 0 and r["ok"]
    rows.append(p)
json.dump(d, open(os.path.join(out, "explore.json"), "w"), indent=1)
with open(os.path.join(out, "explore.md"), "a") as f:
    f.write("\n| target | interval: model | simulated | ratio | bit-exact |\n|---:|---:|---:|---:|:---:|\n")
    for p in rows:
        f.write(f"| {p['target']} | {p['interval_cycles']} | {p['measured_interval_cycles']:.0f} | "
                f"{p['measured_interval_cycles'] / p['interval_cycles']:.4f} | {'yes' if p['bit_exact'] else 'NO'} |\n")
print(open(os.path.join(out, "explore.md")).read().split("\n\n")[-1], end="")
bad = [p for p in rows if not p["bit_exact"] or abs(p["measured_interval_cycles"] / p["interval_cycles"] - 1) > 0.01]
sys.exit(1 if bad else 0)
PY
  then fail=1; fi
fi
/usr/bin/python3 "$ROOT/sim/plot_explore.py" "$OUT/explore.json" ${CLOCK_MHZ:+--clock-mhz "$CLOCK_MHZ"}
[ $fail -eq 0 ] || die "some design points failed (above)"
