#!/usr/bin/env bash
# yosys_fpga.sh: an FPGA family's cells for a synthesised top (GHDL's Verilog).
#   rtl/flow/yosys_fpga.sh FILE.v TOP xilinx|ice40
# Runs Yosys' synth_xilinx (7-series cells: RAMB18E1/RAMB36E1, RAM32M, LUTn,
# FDRE, ...) or synth_ice40 (SB_RAM40_4K, SB_LUT4, SB_DFF*) and prints the
# cell table of its `stat`, one "CELL COUNT" line each. This is where a
# memory shows whether it went to block RAM, LUT-RAM or flip-flops.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: yosys_fpga.sh FILE.v TOP xilinx|ice40" >&2; exit 2; }
V=$1; TOP=$2; FAMILY=$3
case "$FAMILY" in xilinx|ice40) ;; *) echo "yosys_fpga.sh: family must be xilinx or ice40, got '$FAMILY'" >&2; exit 2 ;; esac
[ -f "$V" ] || { echo "yosys_fpga.sh: no such file: $V" >&2; exit 1; }
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
yosys -q -p "read_verilog $V; synth_$FAMILY -top $TOP; tee -q -o $LOG stat" > /dev/null \
  || { echo "yosys_fpga.sh: synth_$FAMILY of $TOP failed" >&2; exit 1; }
sed -n '/Number of cells/,/^$/p' "$LOG" | awk 'NF == 2 && $1 !~ /:/ {print $1, $2}'
