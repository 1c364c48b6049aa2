#!/usr/bin/env bash
# yosys_stat.sh: resource figures of a synthesised top (GHDL's Verilog).
#   rtl/flow/yosys_stat.sh FILE.v TOP
# Runs Yosys' generic synthesis and prints its cell statistics. There is no
# vendor library: multipliers become gates and memories become flip-flops, so
# the figures compare designs with each other, not with an FPGA's capacity.
# Fails when the design contains latches: every PE is meant to be purely
# synchronous, and a latch is how a GHDL translation trap (an incomplete
# one-hot case) shows.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: yosys_stat.sh FILE.v TOP" >&2; exit 2; }
V=$1; TOP=$2
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
yosys -q -p "read_verilog $V; synth -top $TOP -flatten; tee -o $LOG stat" > /dev/null
sed -n '/Number of wires/,$p' "$LOG"
latches=$( { grep -E '\$_DLATCH' "$LOG" || true; } | awk '{s += $2} END {print s + 0}')
if [ "$latches" -gt 0 ]; then
  echo "yosys_stat.sh: $latches latch cells in $TOP: a process is not purely synchronous" >&2
  exit 1
fi
