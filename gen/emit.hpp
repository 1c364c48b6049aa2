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

// Parallelism planning: for each Conv/Dense the smallest par_in whose
// compute cycles fit `target` cycles per image (0 = the stream-bound minimum
// of the pipeline: its largest beat count); `fixed` > 0 forces one par_in
// for every layer (clamped to its input channels).
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
