#!/usr/bin/env bash
# flow.sh: a model -> its simulator, through CMake: configures (once) and
# builds the per-model project sim/model in BUILD/hw/<folder>, under a lock,
# and prints what was asked for on stdout's last line.
#
#   sim/flow.sh BUILD MODEL [exe|dir|verilog|manifest]      (default exe)
#
# Environment: SIM=verilator|ghdl (ghdl: the VHDL and sim/cnn_tb.vhd analysed
# into a GHDL library, whose path is printed; run it with build/sim/cnn_ghdl
# --ghdl-work PATH), TRACE=1 (the FST-tracing simulator), PAR=auto|N,
# VERILATOR_OPT (C++ optimisation of the model, default -O2), CNN_REBUILD=1
# (a cold build, for measurements), FIFO=NAME=DEPTH,... (cnnc emit --fifo:
# FIFO depths replacing the planned ones; skip=full every skip FIFO a whole
# tensor deep), TARGET=min|mid|max|CYCLES (cnnc emit --target: each layer folded
# to the fewest multipliers that meet that interval; max, the default, is the
# fastest pipeline, min one lane everywhere, mid between them), CNN_GHDL2V_SKIP=R2 (a rule of
# rtl/flow/ghdl2v.sh left out, for xcheck's test). PAR and CNN_GHDL2V_SKIP
# change the hardware: each has its folder, <stem>[.parN][.skipR2].
# What rebuilds when is sim/model/CMakeLists.txt's business.
set -euo pipefail
die() { echo "flow.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: flow.sh BUILD MODEL [exe|dir|verilog|manifest]"
BUILD=$(cd "$1" && pwd); MODEL=$(realpath -e "$2" 2>/dev/null) || die "no such model: $2"
WHAT=${3:-exe}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAR=${PAR:-auto}; SKIP=${CNN_GHDL2V_SKIP:-}; SIM=${SIM:-verilator}; FIFO=${FIFO:-}; TARGET=${TARGET:-}
case "$SIM" in verilator|ghdl) ;; *) die "SIM=$SIM is not one of verilator, ghdl" ;; esac
case "$TARGET" in max) TARGET= ;; ""|min|mid) ;; *[!0-9]*|0*) die "TARGET=$TARGET is not min, mid, max or a number of cycles per image" ;; esac
dir=$(basename "$MODEL" .onnx)
[ "$PAR" = auto ] || dir+=".par$PAR"
[ -z "$SKIP" ] || dir+=".skip${SKIP// /}"
[ -z "$TARGET" ] || dir+=".t$TARGET"
[ -z "$FIFO" ] || dir+=".fifo$(echo "$FIFO" | tr -c 'A-Za-z0-9_\n' '-')"
DIR="$BUILD/hw/$dir"
case "$WHAT" in
  dir) echo "$DIR"; exit 0 ;;
  verilog) target=sim; out="$DIR/cnn_top.v" ;;
  manifest) target=sim; out="$DIR/gen/manifest.json" ;;
  exe)
    if [ "$SIM" = ghdl ]; then target=ghdl; out="$DIR/ghdl-sim"
    elif [ "${TRACE:-0}" = 1 ]; then target=sim_trace; out="$DIR/sim_trace"
    else target=sim; out="$DIR/sim"; fi ;;
  *) die "unknown request '$WHAT' (exe, dir, verilog, manifest)" ;;
esac

mkdir -p "$BUILD/hw"
exec 9> "$DIR.lock"
flock 9
[ "${CNN_REBUILD:-0}" = 1 ] && rm -rf "$DIR"
# The models' C++ compiler is the main build's choice (CNN_MODEL_CXX, sim/
# CMakeLists.txt); a folder configured with another one starts afresh.
CXX_MODEL=$(sed -n 's/^CNN_MODEL_CXX:FILEPATH=//p' "$BUILD/CMakeCache.txt")
[ -n "$CXX_MODEL" ] || die "$BUILD has no CNN_MODEL_CXX: reconfigure it (make build)"
if [ -f "$DIR/CMakeCache.txt" ] && [ "$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$DIR/CMakeCache.txt")" != "$CXX_MODEL" ]; then
  rm -rf "$DIR"
fi
args=(-DCMAKE_CXX_COMPILER="$CXX_MODEL" -Dcnnstream_DIR="$BUILD" -DCNN_MODEL="$MODEL" -DCNN_PAR="$PAR" -DCNN_GHDL2V_SKIP="$SKIP" -DCNN_FIFO="$FIFO" -DCNN_TARGET="$TARGET")
[ -z "${VERILATOR_OPT:-}" ] || args+=(-DCNN_VERILATOR_OPT="$VERILATOR_OPT")
t0=$(date +%s%N)
# Configure when the folder is new or its model or options changed; a build
# reconfigures by itself when an input of the design changed.
if [ ! -f "$DIR/Makefile" ] || ! grep -qxF "CNN_MODEL:FILEPATH=$MODEL" "$DIR/CMakeCache.txt" \
   || { [ -n "${VERILATOR_OPT:-}" ] && ! grep -qxF "CNN_VERILATOR_OPT:STRING=$VERILATOR_OPT" "$DIR/CMakeCache.txt"; }; then
  cmake -S "$ROOT/sim/model" -B "$DIR" "${args[@]}" > "$DIR.log" 2>&1 || { tail -30 "$DIR.log" >&2; die "configuring $dir failed (log: $DIR.log)"; }
fi
if [ "$target" = sim_trace ] && ! grep -qx "CNN_WITH_TRACE:BOOL=ON" "$DIR/CMakeCache.txt"; then
  cmake -DCNN_WITH_TRACE=ON "$DIR" >> "$DIR.log" 2>&1 || { tail -30 "$DIR.log" >&2; die "configuring $dir for TRACE=1 failed (log: $DIR.log)"; }
fi
cmake --build "$DIR" --target "$target" -j "${CNN_BUILD_JOBS:-$(nproc)}" >> "$DIR.log" 2>&1 \
  || { tail -30 "$DIR.log" >&2; die "building $dir failed (log: $DIR.log)"; }
echo "flow: $dir $target ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($DIR)" >&2
echo "$out"
