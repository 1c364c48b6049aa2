// Network -> hardware: the VHDL top (AXI4-Stream ports of SPEC §3), a package
// of weight constants, and a manifest (JSON) the harness reads: shapes,
// fractional bits, every PE with its analytical cycles per image.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir.hpp"
#include "ops.hpp"
#include "plan.hpp"

namespace cnn {


// An elastic buffer of the generated top, as the manifest lists it.
struct FifoInfo {
    std::string instance;
    int64_t depth = 0, planned = 0;   // built with, and what the analysis gave
    std::string in_link, out_link;
    bool skip = false;                // on an input of an Add (else after a layer)
};

// The skip FIFO on input `input` (0: A, 1: B) of the Add at `layer`: the
// beats that side must hold while the other computes the rows the Add's
// first row needs (rows_needed along both paths from their fork), plus one
// row of slack.
struct SkipFifo {
    int layer = 0, input = 0;
    int64_t depth = 0;
};
std::vector<SkipFifo> skip_fifos(const Network& net);

// FIFO instance name -> depth, replacing the planned depth (cnnc emit --fifo).
using FifoOverrides = std::map<std::string, int64_t>;

struct Design {
    std::vector<PeModel> pes;        // in stream order
    std::vector<FifoInfo> fifos;
    int64_t expected_cycles = 0;     // per image in steady state: the slowest PE
    std::string top_vhdl, package_vhdl, manifest_json;
};

Design build_design(const Network& net, const FifoOverrides& overrides = {});

// Writes <dir>/cnn_model_pkg.vhd, <dir>/cnn_top.vhd and <dir>/manifest.json.
void write_design(const Design& d, const std::string& dir);

}  // namespace cnn
