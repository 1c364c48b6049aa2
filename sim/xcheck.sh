#!/usr/bin/env bash
# xcheck.sh: the translation check. Runs a model in Verilator (GHDL's
# Verilog translation of the VHDL) and in GHDL (the VHDL itself) with the
# same images, stalls and seeds, one model instance, and compares every beat
# of the run with its cycle stamp: s_axis acceptances, m_axis beats and the
# transfers on every internal link. Both runs must also pass the scoreboard.
#
#   sim/xcheck.sh BUILD MODEL [options of sim/cli.hpp: --random N, --images P --count N, --stall, --seed]
# Exit 0: identical and bit-exact; 1: a difference (the first is printed) or a failing run.
# CNN_GHDL2V_SKIP (see rtl/flow/ghdl2v.sh) reaches the Verilator build only.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: xcheck.sh BUILD MODEL [options]" >&2; exit 2; }
BUILD=$1; MODEL=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
stem=$(basename "$MODEL" .onnx)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
vrc=0; grc=0
CNN_WAVE=0 "$HERE/run.sh" "$BUILD" "$MODEL" --quiet "$@" --threads 1 --events "$T/verilator.ev" > "$T/verilator.out" 2>&1 || vrc=$?
CNN_GHDL2V_SKIP= SIM=ghdl "$HERE/run.sh" "$BUILD" "$MODEL" --quiet "$@" --events "$T/ghdl.ev" > "$T/ghdl.out" 2>&1 || grc=$?
summary() { grep -m1 -E "^$stem: " "$1" || tail -3 "$1"; }
echo "xcheck: verilator: $(summary "$T/verilator.out")"
echo "xcheck: ghdl:      $(summary "$T/ghdl.out")"
for s in verilator ghdl; do
  [ -f "$T/$s.ev" ] || { echo "xcheck: $stem: the $s run wrote no events:"; tail -5 "$T/$s.out"; exit 1; }
done
n=$(wc -l < "$T/ghdl.ev")
if cmp -s "$T/verilator.ev" "$T/ghdl.ev"; then
  echo "xcheck: $stem: $n beats identical, with their cycles, in Verilator and GHDL"
else
  line=$(cmp "$T/verilator.ev" "$T/ghdl.ev" 2>&1 | sed -nE 's/.* line ([0-9]+).*/\1/p' || true)
  line=${line:-$(( $(wc -l < "$T/verilator.ev") + 1 ))}
  v=$(sed -n "${line}p" "$T/verilator.ev"); g=$(sed -n "${line}p" "$T/ghdl.ev")
  echo "xcheck: $stem: TRANSLATION DIFFERENCE at beat $line of $n (I cycle last | O cycle data last | L cycle link data):"
  echo "xcheck:   verilator  ${v:-(no more beats)}"
  echo "xcheck:   ghdl       ${g:-(no more beats)}"
  exit 1
fi
[ $vrc = 0 ] && [ $grc = 0 ] || { echo "xcheck: $stem: a run failed (verilator exit $vrc, ghdl exit $grc)"; exit 1; }
