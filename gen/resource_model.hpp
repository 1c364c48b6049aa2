// The analytical FPGA resource model: what one PE of the generated pipeline
// costs on a 7-series part as Yosys 0.23's synth_xilinx maps it through
// rtl/flow/resources.sh (hierarchy kept, memories with a registered read and
// >= kBramMinBits bits forced into block RAM). Pure arithmetic over the layer
// IR and the PE's generics, filled into PeModel::res by layer_pes() and
// build_design() and written into the manifest ("est" of every PE);
// build/sim/hw_resources prints it beside Yosys' figures.
//
// What it counts (formulas and their fit in resource_model.cpp):
//   dsp     multipliers: every 8 x 9 product is one DSP48E1 (synth_xilinx
//           packs one product a DSP), cnn_requant's 24 x 24 product two,
//           cnn_div_rhe's two constant products two (none for a power of two)
//   bram36  memories of >= kBramMinBits bits with a registered read, in
//           RAMB18E1 (0.5) / RAMB36E1 (1) by the 7-series aspect ratios
//           (deeper than 2K words: also by capacity, parity bits included)
//   lutram  the other RAMs (write port): RAM32M / RAM64M / RAM128X1D LUTs
//   lut     ROMs left to logic (0.8 LUT6 per 64 words of a bit), counters,
//           plus fitted per-PE and per-lane logic (eight CI models' Yosys runs)
//   ff      counters, plus fitted per-PE and per-lane registers
// Tolerance (held by the hw tests hw_resource_model_*, rtl/flow/tests/
// check_estimate.py, over a model's total): DSP exact, BRAM36 within 1, LUT
// and FF within 30%; LUTRAM within 30% or 64 LUTs.
#pragma once

#include <cstdint>

#include "ir.hpp"
#include "ops.hpp"

namespace cnn {

// rtl/flow/resources.sh's CNN_BRAM_MIN_BITS default: a quarter RAMB18.
constexpr int64_t kBramMinBits = 4096;

// One memory of `words` x `width` bits: block RAM, LUT-RAM or logic by the
// rules above. `rom`: no write port (a constant table).
FpgaResources estimate_memory(int64_t words, int64_t width, bool registered_read, bool rom);

// A PE of layer l (pe.entity: cnn_conv, cnn_dwconv, cnn_dense, cnn_maxpool,
// cnn_avgpool, cnn_gap, cnn_act, cnn_lut, cnn_add, cnn_zero_pad, cnn_fork).
// Throws for an entity it does not know.
FpgaResources estimate_pe_resources(const Layer& l, const PeModel& pe);
// rtl/cnn_fifo of DEPTH x WIDTH with its RAM_MIN_BITS rule (8192 bits).
FpgaResources estimate_fifo_resources(int64_t depth, int64_t width = 8);
// rtl/cnn_lanes.vhd: a register of 8 * in_lanes bits, a piece counter and the
// piece multiplexer.
FpgaResources estimate_lanes_resources(int64_t in_lanes, int64_t out_lanes);
// rtl/cnn_fork (two cnn_skid of WIDTH bits).
FpgaResources estimate_fork_resources(int64_t width = 8);
// The stream ends rtl/cnn_axis_in and cnn_axis_out (a beat counter each).
FpgaResources estimate_axis_resources(int64_t beats, bool out);

}  // namespace cnn
