#!/usr/bin/env bash
# run.sh: build (or reuse) a model's simulator and run it.
#   sim/run.sh BUILD MODEL [simulator options...]     (see sim/cli.hpp)
#   sim/run.sh BUILD MODEL --build-only
# Environment: SIM=verilator (default) | ghdl (the VHDL itself in GHDL, same
# stimulus, scoreboard and report: sim/ghdl_main.cpp); CNN_WAVE=0 skips the
# waveform re-run below; CNN_PLOTS=0 skips the pictures.
#
# After the run:
# - with --report R.json: the pictures R.timeline.png, R.utilisation.png and
#   R.latency.png (sim/plot_report.py, Debian's python3-matplotlib);
# - on a mismatch (Verilator): the first failing image is simulated again
#   alone by the model's TRACE=1 build, with an FST window around its first
#   wrong beat on the first wrong link: BUILD/<model>-mismatch.fst, and the
#   cycle to look at is printed (--waveform PATH.fst picks another file; it
#   is an option of this script, not passed on).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: run.sh BUILD MODEL [options]" >&2; exit 2; }
BUILD=$1; MODEL=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
SIM=${SIM:-verilator}

if [ "$SIM" = ghdl ]; then
  WORK=$(SIM=ghdl "$HERE/flow.sh" "$BUILD" "$MODEL" | tail -1)
  [ "${1:-}" = "--build-only" ] && exit 0
  RUN=("$BUILD/sim/cnn_ghdl" --ghdl-work "$WORK" --manifest "$("$HERE/flow.sh" "$BUILD" "$MODEL" manifest 2>/dev/null | tail -1)")
else
  EXE=$("$HERE/flow.sh" "$BUILD" "$MODEL" | tail -1)
  [ "${1:-}" = "--build-only" ] && exit 0
  RUN=("$EXE")
fi

# --waveform is this script's; the rest goes to the simulator.
wave=""; args=(); prev=""
for a in "$@"; do
  if [ "$prev" = --waveform ]; then wave=$a; prev=""; continue; fi
  prev=$a
  [ "$a" = --waveform ] || args+=("$a")
done
set -- "${args[@]}"

# What the re-run and the pictures need from the options.
report=""; rerun_args=(); faults=0; prev=""; quiet=0; clock=100
for a in "$@"; do
  case "$prev" in
    --report) report=$a ;;
    --clock-mhz) clock=$a ;;
  esac
  [ "$a" = --quiet ] && quiet=1
  case "$a" in --short-image|--drop-beats|--trace|--trace-mismatch) faults=1 ;; esac
  prev=$a
done
# The re-run: every option but the report, events, trace and threads ones.
skip=0
for a in "$@"; do
  if [ $skip = 1 ]; then skip=0; continue; fi
  case "$a" in --report|--events|--threads|--mismatch-file) skip=1; continue ;; esac
  rerun_args+=("$a")
done

# The folding the design was built with, per layer (cnnc plan: the same
# planner, target and PAR as the build's cnnc emit).
if [ $quiet = 0 ]; then
  par=${PAR:-auto}
  "$BUILD/gen/cnnc" plan "$MODEL" --target "${TARGET:-max}" --clock-mhz "$clock" \
    $([ "$par" = auto ] || echo --par "$par")
fi

MM=$(mktemp)
trap 'rm -f "$MM"' EXIT
rc=0
"${RUN[@]}" --model "$MODEL" "$@" --mismatch-file "$MM" || rc=$?

if [ -n "$report" ] && [ -f "$report" ] && [ "${CNN_PLOTS:-1}" != 0 ]; then
  if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    /usr/bin/python3 "$HERE/plot_report.py" "$report" || echo "run.sh: the pictures failed (see above)" >&2
  else
    echo "run.sh: no pictures: /usr/bin/python3 has no matplotlib (make setup installs python3-matplotlib)" >&2
  fi
fi

if [ $rc = 1 ] && [ -s "$MM" ] && [ "$SIM" != ghdl ] && [ $faults = 0 ] && [ "${CNN_WAVE:-1}" != 0 ]; then
  read -r image id < "$MM"
  stem=$(basename "$MODEL" .onnx)
  FST=${wave:-$(cd "$BUILD" && pwd)/$stem-mismatch.fst}
  echo "run.sh: image $image ($id) failed: simulating it alone with a waveform (TRACE=1 build)" >&2
  TEXE=$(TRACE=1 "$HERE/flow.sh" "$BUILD" "$MODEL" | tail -1)
  "$TEXE" --model "$MODEL" "${rerun_args[@]}" \
    --quiet --threads 1 --only "$image" --trace-mismatch "$FST" | grep -A1 '^  waveform' || true
fi
exit $rc
