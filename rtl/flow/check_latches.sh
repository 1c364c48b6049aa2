#!/usr/bin/env bash
# check_latches.sh: fails when the synthesised Verilog of a model infers a
# latch. Every PE is purely synchronous; a latch is how a GHDL translation
# trap shows (a case on an enum becomes a one-hot case without a default).
#   rtl/flow/check_latches.sh BUILD MODEL      (builds or reuses the model's flow)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: check_latches.sh BUILD MODEL" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
V=$("$ROOT/sim/flow.sh" "$1" "$2" verilog 2>/dev/null | tail -1)
[ -f "$V" ] || { echo "check_latches.sh: no Verilog for $2" >&2; exit 1; }
latches=$(yosys -p "read_verilog $V; proc; select -list t:\$dlatch" 2>&1 | grep -E '/\$auto\$proc_dlatch' || true)
if [ -n "$latches" ]; then
  echo "check_latches.sh: $(basename "$2"): latches inferred:" >&2
  echo "$latches" >&2
  exit 1
fi
echo "check_latches.sh: $(basename "$2"): no latches"
