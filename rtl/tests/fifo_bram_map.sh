#!/usr/bin/env bash
# fifo_bram_map.sh: proves where cnn_fifo's beats go on an FPGA. GHDL's
# Verilog of a WIDTH 8 cnn_fifo, through Yosys' synth_xilinx and synth_ice40
# (rtl/flow/yosys_fpga.sh): DEPTH 2048 must use block RAM (RAMB18E1/RAMB36E1,
# SB_RAM40_4K), DEPTH 16 none (LUT-RAM or flip-flops). Prints each cell table.
#   rtl/tests/fifo_bram_map.sh OUT_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: fifo_bram_map.sh OUT_DIR" >&2; exit 2; }
OUT=$1
FLOW=$(cd "$(dirname "$0")/../flow" && pwd)
RTL=$(cd "$(dirname "$0")/.." && pwd)
fail=0
for depth in 2048 16; do
  "$FLOW/ghdl2v.sh" "$OUT/d$depth" cnn_fifo -gWIDTH=8 -gDEPTH=$depth -- "$RTL/cnn_fifo.vhd" 2> /dev/null
  for family in xilinx ice40; do
    cells=$("$FLOW/yosys_fpga.sh" "$OUT/d$depth/cnn_fifo.v" cnn_fifo $family)
    bram=$(echo "$cells" | awk '$1 ~ /^(RAMB18E1|RAMB36E1|SB_RAM40_4K)$/ {s += $2} END {print s + 0}')
    echo "cnn_fifo WIDTH 8 DEPTH $depth, synth_$family: $bram block RAMs;" $(echo "$cells" | tr '\n' ' ')
    if [ "$depth" = 2048 ] && [ "$bram" -eq 0 ]; then
      echo "FAIL fifo_bram_map: DEPTH 2048 on $family uses no block RAM" >&2; fail=1
    fi
    if [ "$depth" = 16 ] && [ "$bram" -ne 0 ]; then
      echo "FAIL fifo_bram_map: DEPTH 16 on $family uses $bram block RAMs" >&2; fail=1
    fi
  done
done
exit $fail
