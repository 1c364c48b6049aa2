#!/usr/bin/env bash
# fmax.sh: place and route a model's top on an iCE40 and report fmax of clk.
#   rtl/flow/fmax.sh TOOL FILE.v OUT_DIR FPGA        (FPGA: ice40up5k | ice40hx8k)
# TOOL is build/sim/hw_resources (the log parser). Yosys synth_ice40 (flattened,
# SB_MAC16 on the UltraPlus; the probe_* ports removed from the top first, as
# in resources.sh), then nextpnr-ice40 (UP5K in its SG48 package, HX8K in
# CT256; I/Os left to the placer, no pin file; the timing target is only the
# placer's goal, not a pass/fail). Writes OUT_DIR/timing-FPGA.json {fpga,
# fmax_mhz, clock, utilisation} and, beside it, pnr-FPGA.{netlist.json,yosys.log,nextpnr.log}. A design that does not
# fit is one line and exit 1; any other failure one line and exit 2.
set -euo pipefail
die() { echo "fmax.sh: $*" >&2; exit 2; }
[ $# -eq 4 ] || die "usage: fmax.sh TOOL FILE.v OUT_DIR FPGA"
TOOL=$1; V=$2; OUT=$3; FPGA=$4
[ -x "$TOOL" ] || die "no parser $TOOL (make build)"
[ -f "$V" ] || die "no Verilog $V"
command -v nextpnr-ice40 > /dev/null || die "nextpnr-ice40 is not installed (make setup)"
case "$FPGA" in
  ice40up5k) synth="synth_ice40 -top cnn_top -dsp"; dev=(--up5k --package sg48) ;;
  ice40hx8k) synth="synth_ice40 -top cnn_top"; dev=(--hx8k --package ct256) ;;
  *) die "FPGA=$FPGA: make fmax places and routes on ice40up5k or ice40hx8k only" ;;
esac
mkdir -p "$OUT"
base="$OUT/pnr-$FPGA"   # the netlist and logs; the result is timing-$FPGA.json
rm -f "$OUT/timing-$FPGA.json" "$base".{yosys.log,netlist.json,nextpnr.log}
t0=$(date +%s%N)
yosys -q -l "$base.yosys.log" -p "read_verilog $V; hierarchy -top cnn_top; delete -port cnn_top/w:probe_*;
  $synth -json $base.netlist.json" > /dev/null 2>&1 \
  || { grep -m1 'ERROR' "$base.yosys.log" >&2 || true; die "Yosys failed on $V (log: $base.yosys.log)"; }
t1=$(date +%s%N)
rc=0
nextpnr-ice40 "${dev[@]}" --json "$base.netlist.json" --freq "${CNN_FMAX_TARGET_MHZ:-100}" \
  --timing-allow-fail --pcf-allow-unconstrained --seed "${CNN_PNR_SEED:-1}" \
  --threads "${CNN_PNR_THREADS:-1}" > "$base.nextpnr.log" 2>&1 || rc=$?
t2=$(date +%s%N)
echo "fmax.sh: synth_ice40 $(( (t1 - t0) / 1000000 )) ms, nextpnr-ice40 $(( (t2 - t1) / 1000000 )) ms" >&2
"$TOOL" timing --fpga "$FPGA" --log "$base.nextpnr.log" --nextpnr-rc "$rc" --json "$OUT/timing-$FPGA.json"
