#!/usr/bin/env bash
# resources.sh: FPGA resource figures of a model's synthesised top, per PE.
#   rtl/flow/resources.sh TOOL FILE.v OUT_DIR FPGA
# TOOL is build/sim/hw_resources (the parser), FILE.v GHDL's Verilog of the
# model (cnn_top and one module per entity and generics), FPGA one of
# xc7z020 xc7a35t xc7a100t (Yosys synth_xilinx, 7-series) or ice40up5k
# ice40hx8k (synth_ice40; SB_MAC16 only on the UltraPlus). The hierarchy is
# kept (-noflatten for iCE40), so every PE instance of cnn_top is a module of
# its own and its figures are its module's, submodules included. The probe_*
# ports (every internal link, for simulation) are removed from the top before
# synthesis: they cost nothing and are no I/Os. No I/O buffers are inserted.
# Memories with a registered read and >= CNN_BRAM_MIN_BITS bits (4096) are
# made block RAM (below). With the model's manifest beside the Verilog
# (gen/manifest.json) the table has the analytical estimate of every PE
# beside Yosys' figures (gen/resource_model.hpp).
# Writes OUT_DIR/resources-FPGA.json (and the Yosys log, statistics (the
# text one with Yosys' own design totals), memory dump and block RAM script
# beside it) and prints the table. Fails, like yosys_stat.sh, when the
# design infers a latch.
set -euo pipefail
die() { echo "resources.sh: $*" >&2; exit 1; }
[ $# -eq 4 ] || die "usage: resources.sh TOOL FILE.v OUT_DIR FPGA"
TOOL=$1; V=$2; OUT=$3; FPGA=$4
[ -x "$TOOL" ] || die "no parser $TOOL (make build)"
[ -f "$V" ] || die "no Verilog $V"
case "$FPGA" in
  xc7z020|xc7a35t|xc7a100t) synth="synth_xilinx -top cnn_top -noiopad"; mem_label=map_memory ;;
  ice40up5k) synth="synth_ice40 -top cnn_top -noflatten -dsp"; mem_label=map_ram ;;
  ice40hx8k) synth="synth_ice40 -top cnn_top -noflatten"; mem_label=map_ram ;;
  *) die "FPGA=$FPGA is not one of xc7z020 xc7a35t xc7a100t ice40up5k ice40hx8k" ;;
esac
mkdir -p "$OUT"
base="$OUT/resources-$FPGA"
rm -f "$base".{log,stat.json,stat.txt,mems.il,latches.txt,json,premap.il,bram.ys}
# Block RAM: a memory whose read port is registered and which holds at least
# CNN_BRAM_MIN_BITS bits (default 4096, a quarter of a RAMB18E1's 18 Kbit,
# a whole SB_RAM40_4K) gets ram_style / rom_style "block", which Yosys 0.23's
# memory_libmap honours (mapping even where its cost rule would have chosen
# LUT-RAM or logic). Why 4 Kbit: on the xc7z020 one RAMB18 is 1/280 of the
# block RAM and 1/280 of the ~17,400 SLICEM LUTs (the only ones that can be
# LUT-RAM) is 62 LUTs, which hold 62 x 64 = ~4 Kbit as RAM64X1S (a ROM as
# LUT6 logic: 64 bits a LUT at best); a bigger memory costs a larger share of
# the LUT-RAM than of the block RAM. Below it Yosys' own rule decides. A
# combinational read can never be block RAM (both families read
# synchronously): such memories stay LUT-RAM or flip-flops whatever their size.
min_bits=${CNN_BRAM_MIN_BITS:-4096}
t0=$(date +%s%N)
# Two Yosys runs: up to the memory mapping step (the memories dumped just
# before they are mapped, with their read ports; the latches looked for after
# proc, before any vendor mapping turns them into LUT loops), then, with the
# block RAM attributes that hw_resources chose from that dump, the rest.
yosys -q -l "$base.log" -p "read_verilog $V; hierarchy -top cnn_top; delete -port cnn_top/w:probe_*;
  proc; tee -q -o $base.latches.txt select -list t:\$dlatch;
  $synth -run :$mem_label; tee -q -o $base.mems.il dump t:\$mem_v2; write_rtlil $base.premap.il" > /dev/null 2>&1 \
  || { grep -m1 'ERROR' "$base.log" >&2 || true; die "Yosys failed on $V (log: $base.log)"; }
if grep -q '\$auto\$proc_dlatch' "$base.latches.txt"; then
  echo "resources.sh: latches inferred (a process is not purely synchronous):" >&2
  grep '\$auto\$proc_dlatch' "$base.latches.txt" >&2
  exit 1
fi
"$TOOL" block-rams --mems "$base.mems.il" --min-bits "$min_bits" > "$base.bram.ys"
yosys -q -l "$base.map.log" -p "read_rtlil $base.premap.il; script $base.bram.ys;
  $synth -run $mem_label:; tee -q -o $base.stat.txt stat;
  setattr -mod -unset top cnn_top; tee -q -o $base.stat.json stat -json" > /dev/null 2>&1 \
  || { grep -m1 'ERROR' "$base.map.log" >&2 || true; die "Yosys failed after the memory step (log: $base.map.log)"; }
cat "$base.map.log" >> "$base.log" && rm -f "$base.map.log" "$base.premap.il"
secs=$(( ($(date +%s%N) - t0) / 1000000 ))
# The model's manifest (cnnc emit, beside the Verilog in gen/) carries the
# analytical estimate of every PE, printed beside Yosys' figures.
man=(); [ -f "$(dirname "$V")/gen/manifest.json" ] && man=(--manifest "$(dirname "$V")/gen/manifest.json")
"$TOOL" resources --fpga "$FPGA" --verilog "$V" --stat "$base.stat.json" --mems "$base.mems.il" \
  --log "$base.log" --synth-ms "$secs" --json "$base.json" "${man[@]}"
# CPU time of the runs (Yosys and its ABC children), what a CI core pays.
times > "$base.times"   # in this shell: a command substitution's subshell has no children
echo "  synthesis CPU $(tail -1 "$base.times" | sed 's/ / user, /; s/$/ system/')"
rm -f "$base.times"
