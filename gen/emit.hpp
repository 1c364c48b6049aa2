// Network -> hardware: the VHDL top (AXI4-Stream ports of SPEC §3), a package
// of weight constants, and a manifest (JSON) the harness reads: shapes,
// fractional bits, every PE with its analytical cycles per image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir.hpp"
#include "ops.hpp"

namespace cnn {

// Parallelism planning: for each Conv the (par_in, par_out) with the fewest
// multipliers whose cycles fit the target interval, for each Dense the
// smallest par_in. target = 0: the stream-bound minimum (the pipeline's
// largest beat count), raised to the slowest layer's best (full parallelism),
// since nothing needs to beat the bottleneck. `fixed` > 0 forces par_in =
// min(fixed, C_IN) and par_out = 1 everywhere.
void plan_parallelism(Network& net, int64_t target = 0, int fixed = 0);

struct Design {
    std::vector<PeModel> pes;        // in stream order
    int64_t expected_cycles = 0;     // per image in steady state: the slowest PE
    std::string top_vhdl, package_vhdl, manifest_json;
};

Design build_design(const Network& net);

// Writes <dir>/cnn_model_pkg.vhd, <dir>/cnn_top.vhd and <dir>/manifest.json.
void write_design(const Design& d, const std::string& dir);

}  // namespace cnn
