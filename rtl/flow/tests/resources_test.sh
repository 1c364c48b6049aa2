#!/usr/bin/env bash
# resources_test.sh: make resources and make fmax on one CI model, checked.
#   rtl/flow/tests/resources_test.sh BUILD MODEL [resources|estimate|fmax]
# resources: rtl/flow/resources.sh for xc7z020, its JSON checked by
#   check_resources.py (structure, sums, Yosys' own totals, DSP > 0) and
#   check_estimate.py (the analytical model's totals within its tolerance).
# estimate: rtl/flow/resources.sh for xc7z020 and check_estimate.py only.
# fmax: rtl/flow/fmax.sh for ice40up5k (fmax in a sane range, logic cells
#   used), the simulator's report then carries fmax_mhz and images/s at fmax,
#   and a nextpnr log that ran out of cells gives "does not fit" and exit 1.
set -euo pipefail
die() { echo "resources_test.sh: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: resources_test.sh BUILD MODEL resources|estimate|fmax"
BUILD=$1; MODEL=$2; WHAT=$3
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
TOOL="$BUILD/sim/hw_resources"
V=$("$ROOT/sim/flow.sh" "$BUILD" "$MODEL" verilog 2>/dev/null | tail -1)
DIR=$(dirname "$V")
case "$WHAT" in
  resources)
    "$ROOT/rtl/flow/resources.sh" "$TOOL" "$V" "$DIR" xc7z020 | tee "$DIR/resources-xc7z020.txt"
    grep -q '^  fits xc7z020$' "$DIR/resources-xc7z020.txt" || die "no 'fits xc7z020' verdict"
    /usr/bin/python3 "$ROOT/rtl/flow/tests/check_resources.py" "$DIR/resources-xc7z020.json" \
      "$DIR/resources-xc7z020.stat.txt" "$DIR/gen/manifest.json" --expect-dsp
    /usr/bin/python3 "$ROOT/rtl/flow/tests/check_estimate.py" "$DIR/resources-xc7z020.json" "$(basename "$DIR")" ;;
  estimate)
    "$ROOT/rtl/flow/resources.sh" "$TOOL" "$V" "$DIR" xc7z020 > "$DIR/resources-xc7z020.txt"
    sed -n '/^  estimate/,/^  total/p;/^  synthesis/p' "$DIR/resources-xc7z020.txt"
    /usr/bin/python3 "$ROOT/rtl/flow/tests/check_estimate.py" "$DIR/resources-xc7z020.json" "$(basename "$DIR")"
    # The check can fail: one DSP too many in the first PE's estimate (and
    # the total) must be named, model, resource and PE.
    bad="$DIR/resources_test.bad.json"
    /usr/bin/python3 - "$DIR/resources-xc7z020.json" "$bad" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pe = next(p for p in r["pes"] if "est" in p and p["entity"] != "cnn_axis_in")
pe["est"]["dsp"] += 1
r["est_total"]["dsp"] += 1
json.dump(r, open(sys.argv[2], "w"))
print(pe["instance"])
PY
    rc=0; out=$(/usr/bin/python3 "$ROOT/rtl/flow/tests/check_estimate.py" "$bad" m 2>&1) || rc=$?
    rm -f "$bad"
    [ "$rc" = 1 ] && echo "$out" | grep -q '^check_estimate: m: dsp estimated .* furthest PE ' \
      || die "a DSP estimate off by one was not caught (exit $rc): $out" ;;
  fmax)
    "$ROOT/rtl/flow/fmax.sh" "$TOOL" "$V" "$DIR" ice40up5k
    /usr/bin/python3 - "$DIR/timing-ice40up5k.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
lc = t["utilisation"]["ICESTORM_LC"]
ok = t["fpga"] == "ice40up5k" and 5 < t["fmax_mhz"] < 400 and 0 < lc["used"] <= lc["available"] == 5280
print(f"timing: {t['fmax_mhz']:.2f} MHz, {lc['used']}/{lc['available']} LC" + ("" if ok else ": NOT SANE"))
sys.exit(0 if ok else 1)
PY
    # The simulator's report picks the timing up beside its manifest.
    rep="$DIR/resources_test.report.json"
    CNN_WAVE=0 CNN_PLOTS=0 "$ROOT/sim/run.sh" "$BUILD" "$MODEL" --random 2 --quiet --report "$rep" | tee "$DIR/resources_test.sim.txt"
    grep -q 'at fmax .* images/s at .* MHz (ice40up5k' "$DIR/resources_test.sim.txt" || die "the summary has no 'at fmax' line"
    /usr/bin/python3 - "$rep" "$DIR/timing-ice40up5k.json" <<'PY'
import json, sys
r, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = t["fmax_mhz"] * 1e6 / r["interval_cycles"]
ok = r["fmax_mhz"] == t["fmax_mhz"] and abs(r["throughput_images_per_s_at_fmax"] - want) < 1e-6 * want
print(f"report: fmax {r.get('fmax_mhz')} MHz, {r.get('throughput_images_per_s_at_fmax'):.1f} images/s at fmax"
      + ("" if ok else ": WRONG"))
sys.exit(0 if ok else 1)
PY
    rm -f "$rep"
    # Not fitting is one line and exit 1 (nextpnr's own error, as it writes it).
    log="$DIR/resources_test.nofit.log"
    printf '%s\n' "Info: Packing constants.." \
      "ERROR: Unable to place cell 'x_SB_LUT4_O', no BELs remaining to implement cell type 'ICESTORM_LC'" > "$log"
    rc=0; out=$("$TOOL" timing --fpga ice40up5k --log "$log" --nextpnr-rc 1 2>&1) || rc=$?
    rm -f "$log"
    [ "$rc" = 1 ] && [ "$out" = "fmax: does not fit ice40up5k: not enough ICESTORM_LC (nextpnr-ice40)" ] \
      || die "a design that does not fit gave exit $rc: $out" ;;
  *) die "unknown check '$WHAT'" ;;
esac
