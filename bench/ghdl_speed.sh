#!/usr/bin/env bash
# ghdl_speed.sh: how much faster Verilator (GHDL's Verilog translation,
# compiled) simulates a model than GHDL (the VHDL itself, mcode), on the same
# images and stalls: simulated cycles per second of wall time, and the ratio.
# GHDL is the translation check (sim/xcheck.sh), Verilator the workhorse.
#
#   bench/ghdl_speed.sh BUILD [MODEL...]     (default: a zoo model and LeNet; IMAGES=2)
set -euo pipefail
BUILD=${1:?usage: ghdl_speed.sh BUILD [MODEL...]}; shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=("$ROOT/models/zoo/conv3_s1_p1_relu_mp2.onnx" "$ROOT/models/lenet.onnx")
IMAGES=${IMAGES:-2}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
speed() { sed -n 's/.*"sim_cycles_per_s": *\([0-9.e+]*\).*/\1/p' "$1"; }
printf '%-34s %7s %10s %16s %16s %10s\n' model images cycles verilator_c/s ghdl_c/s ratio
for m in "${MODELS[@]}"; do
  # Build both first, so that only the runs are timed.
  "$ROOT/sim/run.sh" "$BUILD" "$m" --build-only 2>/dev/null
  SIM=ghdl "$ROOT/sim/run.sh" "$BUILD" "$m" --build-only 2>/dev/null
  CNN_PLOTS=0 "$ROOT/sim/run.sh" "$BUILD" "$m" --random "$IMAGES" --threads 1 --quiet --report "$T/v.json" > /dev/null
  CNN_PLOTS=0 SIM=ghdl "$ROOT/sim/run.sh" "$BUILD" "$m" --random "$IMAGES" --quiet --report "$T/g.json" > /dev/null
  v=$(speed "$T/v.json"); g=$(speed "$T/g.json")
  cycles=$(sed -n 's/^ *"cycles": *\([0-9]*\).*/\1/p' "$T/g.json" | head -1)
  printf '%-34s %7s %10s %16.0f %16.0f %10.0f\n' "$(basename "$m" .onnx)" "$IMAGES" "$cycles" "$v" "$g" \
    "$(echo "$v / $g" | bc -l)"
done
echo "(ratio = Verilator / GHDL simulated cycles per second; GHDL's includes its elaboration)"
