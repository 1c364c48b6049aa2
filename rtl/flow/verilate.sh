#!/usr/bin/env bash
# verilate.sh: one VHDL configuration -> a linkable Verilator model archive.
#
# Usage:
#   rtl/flow/verilate.sh OUT_DIR PREFIX TOP [-gNAME=VALUE ...] -- files.vhd ...
#
# Steps: ghdl2v.sh (VHDL -> OUT_DIR/TOP.v), then `verilator --cc` with the
# C++ class prefix PREFIX into OUT_DIR/obj, then Verilator's own makefile
# builds only the model archive OUT_DIR/obj/PREFIX__ALL.a. The Verilator
# runtime (verilated.cpp, verilated_threads.cpp) is NOT in the archive: it is
# built once by rtl/CMakeLists.txt (target cnn_verilated) and shared by all
# models, so several models (different generics, different PREFIX) link into
# one executable. Include OUT_DIR/obj/PREFIX.h in the testbench.
#
# Environment: CNN_VERILATOR_ARGS (Verilator's options), VERILATOR (default
# verilator), CXX (C++ compiler for the model), CNN_VL_OPT (optimisation of the model's C++, default -O2),
# CNN_VL_TRACE=1 adds --trace (then link verilated_vcd_c too).
set -euo pipefail
die() { echo "verilate.sh: $*" >&2; exit 1; }
[ $# -ge 5 ] || die "usage: verilate.sh OUT_DIR PREFIX TOP [-gN=V ...] -- files..."
OUT_DIR=$1; PREFIX=$2; TOP=$3; shift 3
HERE=$(cd "$(dirname "$0")" && pwd)

"$HERE/ghdl2v.sh" "$OUT_DIR" "$TOP" "$@"

VERILATOR=${VERILATOR:-verilator}
OBJ="$OUT_DIR/obj"
rm -rf "$OBJ"
TRACE=()
[ "${CNN_VL_TRACE:-0}" = 1 ] && TRACE=(--trace)
# The options: CNN_VERILATOR_ARGS, from rtl/flow/verilator_args.cmake (the
# one list, which says why each is there; rtl/CMakeLists.txt hands it over).
[ -n "${CNN_VERILATOR_ARGS:-}" ] || die "CNN_VERILATOR_ARGS is not set (rtl/flow/verilator_args.cmake, via rtl/CMakeLists.txt)"
# shellcheck disable=SC2086
"$VERILATOR" --cc "$OUT_DIR/$TOP.v" --top-module "$TOP" --prefix "$PREFIX" --Mdir "$OBJ" \
  $CNN_VERILATOR_ARGS "${TRACE[@]}" \
  > "$OUT_DIR/verilator.log" 2>&1 \
  || { cat "$OUT_DIR/verilator.log" >&2; die "verilator failed on $OUT_DIR/$TOP.v"; }

make -s -C "$OBJ" -f "$PREFIX.mk" "${PREFIX}__ALL.a" \
  CXX="${CXX:-c++}" OPT_FAST="${CNN_VL_OPT:--O2}" OPT_SLOW="-O1" OPT_GLOBAL="-O1" \
  > "$OUT_DIR/make.log" 2>&1 \
  || { cat "$OUT_DIR/make.log" >&2; die "compiling the model $PREFIX failed"; }
