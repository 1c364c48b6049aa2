#!/usr/bin/env bash
# cold_build.sh: where a model's cold build goes (a new BUILD/hw/<model>
# folder, the harness libraries already built): the configure's steps (cnnc
# emit, GHDL synthesis, Verilator: wall ms, from the configure log) and the
# configure and the compilation as a whole (wall and CPU seconds). Times vary
# with the machine's load: compare builds with paired runs, not with these.
#
#   bench/cold_build.sh BUILD [MODEL...]      (default: LeNet)
set -euo pipefail
BUILD=${1:?usage: cold_build.sh BUILD [MODEL...]}; shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=("$ROOT/models/lenet.onnx")
BUILD=$(cd "$BUILD" && pwd)
T=$(mktemp)
trap 'rm -f "$T" "$T.out"' EXIT
timed() {  # command... -> "wall_s cpu_s" of it and its children; its output in $T.out
  /usr/bin/time -f '%e %U %S' -o "$T" "$@" > "$T.out" 2>&1 || { cat "$T.out" >&2; exit 1; }
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$T"
}
printf '%-24s %-22s %8s %8s\n' model step wall_s cpu_s
for m in "${MODELS[@]}"; do
  dir=$("$ROOT/sim/flow.sh" "$BUILD" "$m" dir)
  name=$(basename "$m" .onnx)
  rm -rf "$dir"
  cxx=$(sed -n 's/^CNN_MODEL_CXX:FILEPATH=//p' "$BUILD/CMakeCache.txt")   # as sim/flow.sh configures it
  read -r cw cc < <(timed cmake -S "$ROOT/sim/model" -B "$dir" -DCMAKE_CXX_COMPILER="$cxx" -Dcnnstream_DIR="$BUILD" -DCNN_MODEL="$(realpath "$m")")
  sed -n 's/^-- step: \(.*\): \([0-9]*\) ms$/\1|\2/p' "$T.out" | while IFS='|' read -r step ms; do printf '%-24s   %-20s %8.2f %8s\n' "$name" "$step" "$(echo "$ms / 1000" | bc -l)" -; done
  printf '%-24s %-22s %8s %8s\n' "$name" configure "$cw" "$cc"
  read -r bw bc_ < <(timed cmake --build "$dir" --target sim -j "$(nproc)")
  printf '%-24s %-22s %8s %8s\n' "$name" "C++ and link" "$bw" "$bc_"
done
