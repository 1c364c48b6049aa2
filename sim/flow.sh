#!/usr/bin/env bash
# flow.sh: a model -> its simulator, in a build folder keyed by a content hash
# of everything that shapes it (model, rtl/, gen/, sim/, the flow, the
# options), so an unchanged model starts simulating at once.
#
#   sim/flow.sh BUILD MODEL        prints the simulator's path on stdout's last line
#
# Environment: SIM=verilator|ghdl (ghdl: the VHDL itself, analysed with the
# bench sim/cnn_tb.vhd into a GHDL library, whose path is printed; run it with
# build/sim/cnn_ghdl --ghdl-work PATH), TRACE=1 (FST waveform support), PAR=auto|N (conv/dense input
# parallelism), VERILATOR_OPT (C++ optimisation of the model, default -O2),
# CNN_REBUILD=1 (ignore the cache: a cold build, for measurements),
# CNN_GHDL2V_SKIP=R2 (a rewrite rule of rtl/flow/ghdl2v.sh left out: a
# deliberately wrong translation, for the test that sim/xcheck.sh finds it).
#
# Steps: cnnc emit (VHDL top + weights package + manifest) -> ghdl2v.sh
# (GHDL synthesis to Verilog, sanitised) -> verilator --cc --exe --build with
# sim/sim_main.cpp, linked with the harness libraries CMake built.
set -euo pipefail
die() { echo "flow.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: flow.sh BUILD MODEL"
BUILD=$(cd "$1" && pwd); MODEL=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$MODEL" ] || die "no such model: $MODEL"
TRACE=${TRACE:-0}; PAR=${PAR:-auto}; VERILATOR_OPT=${VERILATOR_OPT:--O2}; SIM=${SIM:-verilator}
case "$SIM" in verilator|ghdl) ;; *) die "SIM=$SIM is not one of verilator, ghdl" ;; esac

stem=$(basename "$MODEL" .onnx)
key=$( {
  sha256sum "$MODEL"
  cd "$ROOT" && find gen sim rtl -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.vhd' -o -name '*.sh' \) \
      -not -path '*/tests/*' | sort | xargs sha256sum
  echo "sim=$SIM trace=$TRACE par=$PAR opt=$VERILATOR_OPT skip=${CNN_GHDL2V_SKIP:-}"
  [ "$SIM" = ghdl ] || verilator --version; ghdl --version | sed -n 1p
} | sha256sum | cut -c1-16)
DIR="$BUILD/hw/$stem-$key"
if [ "$SIM" = ghdl ]; then RESULT="$DIR/ghdl-sim"; DONE="$RESULT/work-obj08.cf"; else RESULT="$DIR/obj/sim"; DONE=$RESULT; fi
# One build of a key at a time (tests of one model run in parallel).
mkdir -p "$BUILD/hw"
exec 9> "$DIR.lock"
flock 9
if [ -e "$DONE" ] && [ "${CNN_REBUILD:-0}" != 1 ]; then
  echo "flow: $stem is up to date ($DIR)" >&2
  echo "$RESULT"
  exit 0
fi

rm -rf "$DIR"
mkdir -p "$DIR"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100)); }
t0=$(now_ms)
step() { printf 'flow: %-28s' "$1" >&2; }
took() { printf ' %5s s\n' "$(secs "$1")" >&2; }

step "cnnc emit ($stem)"; t=$(now_ms)
"$BUILD/gen/cnnc" emit "$MODEL" --out "$DIR/gen" --par "$PAR" > "$DIR/emit.log" || { cat "$DIR/emit.log" >&2; die "cnnc emit failed"; }
took "$t"

mapfile -t LIB < <("$ROOT/rtl/flow/rtl_files.sh")
if [ "$SIM" = ghdl ]; then
  step "ghdl analyse (VHDL + bench)"; t=$(now_ms)
  mkdir -p "$RESULT"
  ghdl -a --std=08 --workdir="$RESULT" "${LIB[@]}" "$DIR/gen/cnn_model_pkg.vhd" "$DIR/gen/cnn_top.vhd" \
    "$ROOT/sim/cnn_tb.vhd" > "$DIR/ghdl.log" 2>&1 || { cat "$DIR/ghdl.log" >&2; rm -f "$DONE"; die "GHDL analysis failed"; }
  took "$t"
  echo "$RESULT"
  exit 0
fi

step "ghdl synth -> Verilog"; t=$(now_ms)
"$ROOT/rtl/flow/ghdl2v.sh" "$DIR" cnn_top -- "${LIB[@]}" "$DIR/gen/cnn_model_pkg.vhd" "$DIR/gen/cnn_top.vhd" \
  > "$DIR/ghdl.log" 2>&1 || { cat "$DIR/ghdl.log" >&2; die "GHDL synthesis failed"; }
took "$t"

step "verilator + C++ build"; t=$(now_ms)
# shellcheck disable=SC1091
source "$BUILD/sim/link.env"
TRACE_ARGS=()
CFLAGS="-std=c++17 $CNN_SIM_INCLUDES"
if [ "$TRACE" = 1 ]; then TRACE_ARGS=(--trace-fst); CFLAGS+=" -DCNN_TRACE"; fi
# Options as in rtl/flow/verilate.sh (measured there): -O3, fast X handling,
# no assertions; GHDL's output trips INITIALDLY/COMBDLY, which are harmless.
verilator --cc "$DIR/cnn_top.v" --top-module cnn_top --prefix Vcnn_top --Mdir "$DIR/obj" \
  --default-language 1364-2005 -O3 --x-assign fast --x-initial fast --noassert \
  -Wno-fatal -Wno-INITIALDLY -Wno-COMBDLY -Wno-WIDTH -Wno-UNOPTFLAT -Wno-DECLFILENAME -Wno-UNUSED \
  -Wno-PINCONNECTEMPTY "${TRACE_ARGS[@]}" \
  --exe "$ROOT/sim/sim_main.cpp" -o sim --build -j "$(nproc)" \
  -CFLAGS "$CFLAGS" -LDFLAGS "$CNN_SIM_LIBS" \
  -MAKEFLAGS "OPT_FAST=$VERILATOR_OPT OPT_SLOW=-O1 OPT_GLOBAL=-O1" > "$DIR/verilator.log" 2>&1 \
  || { tail -30 "$DIR/verilator.log" >&2; die "Verilator build failed (full log: $DIR/verilator.log)"; }
took "$t"
printf 'flow: %-28s %5s s\n' "total (cold build)" "$(secs "$t0")" >&2
echo "$RESULT"
