#!/usr/bin/env bash
# sim_speed.sh: what the simulator's build options and instance count buy.
# For each model: build time and simulated cycles per second with the model's
# C++ compiled at -O0 / -O1 / -O2 / -O3 (VERILATOR_OPT), and with 1 and 2
# model instances in parallel. Prints ratios against -O2, 1 instance (the
# defaults), because the machines are shared and absolute times are noise.
#
#   bench/sim_speed.sh BUILD [MODEL...]      (default: two zoo models and LeNet)
set -euo pipefail
BUILD=${1:?usage: sim_speed.sh BUILD [MODEL...]}; shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=("$ROOT/models/zoo/conv3_s1_p1_relu_mp2.onnx" "$ROOT/models/zoo/stack5_leaky.onnx" "$ROOT/models/lenet.onnx")
IMAGES=${IMAGES:-32}

run() {  # model opt threads -> "build_s cycles_per_s"
  local t0 t1 sim
  t0=$(date +%s.%N)
  sim=$(CNN_REBUILD=1 VERILATOR_OPT=$2 "$ROOT/sim/flow.sh" "$BUILD" "$1" 2>/dev/null | tail -1)
  t1=$(date +%s.%N)
  local json; json=$(mktemp)
  "$sim" --model "$1" --random "$IMAGES" \
    --threads "$3" --quiet --report "$json" > /dev/null
  printf '%s %s\n' "$(echo "$t1 - $t0" | bc)" "$(sed -n 's/.*"sim_cycles_per_s": *\([0-9.e+]*\).*/\1/p' "$json")"
  rm -f "$json"
}

printf '%-34s %-6s %3s %10s %12s %10s %10s\n' model opt thr build_s Mcycles/s build_x speed_x
for m in "${MODELS[@]}"; do
  read -r base_b base_s < <(run "$m" -O2 1)
  for cfg in "-O0 1" "-O1 1" "-O2 1" "-O3 1" "-O2 2"; do
    set -- $cfg
    if [ "$1 $2" = "-O2 1" ]; then b=$base_b; s=$base_s; else read -r b s < <(run "$m" "$1" "$2"); fi
    [ "$2" = 2 ] && b=0  # same build as -O2; only the run differs
    printf '%-34s %-6s %3s %10.1f %12.2f %10.2f %10.2f\n' "$(basename "$m" .onnx)" "$1" "$2" "$b" \
      "$(echo "$s / 1000000" | bc -l)" "$(echo "$b / $base_b" | bc -l)" "$(echo "$s / $base_s" | bc -l)"
  done
done
echo "(every build is cold: CNN_REBUILD=1)"
