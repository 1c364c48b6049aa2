# Verilator's options for GHDL's Verilog, the one copy: the model simulators
# (sim/model, through verilate()) and the block tests (rtl/flow/verilate.sh,
# handed them by rtl/CMakeLists.txt) both read this list.
# - the input is Verilog-2005 (GHDL writes nothing newer), so VHDL names that
#   are SystemVerilog keywords (inside, logic, bit, int...) stay legal;
# - fast options (measured, rtl_common.md): -O3, --x-assign/--x-initial fast,
#   no assertions;
# - GHDL's output writes `initial q <= v;` (INITIALDLY) and `always @* x = y;`
#   chains (COMBDLY is harmless here); width and unused warnings are GHDL's
#   style, not errors.
set(CNN_VERILATOR_ARGS
    --default-language 1364-2005 -O3 --x-assign fast --x-initial fast --noassert
    -Wno-fatal -Wno-INITIALDLY -Wno-COMBDLY -Wno-WIDTH -Wno-UNOPTFLAT
    -Wno-DECLFILENAME -Wno-UNUSED -Wno-PINCONNECTEMPTY)
