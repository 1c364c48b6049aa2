// The resource guard: before any heavy work (the golden model, emission, a
// Verilator build), estimate from the layer IR what a model costs and refuse
// one too large for the machine with one line naming the limit and how to
// raise it. Pure arithmetic over the IR: it answers in microseconds whatever
// the model's size (a 1x1000x100000 input, 256-channel convs).
//
// What is estimated (per model; formulas in resource_guard.cpp):
//   tensor_bytes   the golden model's memory for one image: the pixels, the
//                  quantized input and every layer's output (int32 each)
//   rom_bits       weight and bias ROMs as rtl/cnn_conv.vhd and cnn_dense.vhd
//                  lay them out (PAR_OUT lanes x NOG*K*K*NG words x 8*PAR+1 bits)
//   multipliers    PAR * PAR_OUT per conv, PAR per dense layer
//   buffer_bits    line buffers (conv, pools) and the FIFOs between layers
//   cpp_bytes      the Verilated C++ of the design, and
//   build_bytes    the peak memory of the largest cc1plus compiling it; both
//                  calibrated on the zoo (see resource_guard.cpp)
//
// Limits: each has a default for this machine (24 GiB, 2 cores), a cnnc
// option and an environment variable (the option wins; 0 = no limit):
//   --max-tensor-bytes  CNN_MAX_TENSOR_BYTES   default 1 GiB (the simulator holds several images' worth)
//   --max-rom-bits      CNN_MAX_ROM_BITS       default 16 Mibit
//   --max-multipliers   CNN_MAX_MULTIPLIERS    default 4096
//   --max-buffer-bits   CNN_MAX_BUFFER_BITS    default 64 Mibit
//   --max-build-bytes   CNN_MAX_BUILD_BYTES    default 2 GiB (flow.sh runs one g++ per core)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir.hpp"

namespace cnn {

struct ResourceEstimate {
    // Doubles: an estimate never overflows, whatever the dims.
    double tensor_bytes = 0, rom_bits = 0, multipliers = 0, buffer_bits = 0;
    double cpp_bytes = 0, build_bytes = 0;
    double pes = 0;  // processing elements (FIFOs included), as emit builds them
};

struct ResourceLimit {
    const char* what;     // "golden-model memory per image"
    const char* option;   // "--max-tensor-bytes"
    const char* env;      // "CNN_MAX_TENSOR_BYTES"
    const char* unit;     // "bytes", "bits", ""
    double value;         // 0 = no limit
};

struct ResourceLimits {
    ResourceLimit tensor_bytes{"golden-model memory per image", "--max-tensor-bytes", "CNN_MAX_TENSOR_BYTES",
                               "bytes", double(int64_t(1) << 30)};
    ResourceLimit rom_bits{"weight ROM", "--max-rom-bits", "CNN_MAX_ROM_BITS", "bits", double(int64_t(16) << 20)};
    ResourceLimit multipliers{"multipliers", "--max-multipliers", "CNN_MAX_MULTIPLIERS", "", 4096};
    ResourceLimit buffer_bits{"line buffers and FIFOs", "--max-buffer-bits", "CNN_MAX_BUFFER_BITS", "bits",
                              double(int64_t(64) << 20)};
    ResourceLimit build_bytes{"simulator build memory (one C++ compiler)", "--max-build-bytes",
                              "CNN_MAX_BUILD_BYTES", "bytes", double(int64_t(2) << 30)};

    // The defaults, overridden by the environment, then by the options in
    // args ("--max-rom-bits N"). Throws cnn::Error for a value that is not a
    // non-negative whole number.
    static ResourceLimits from(const std::vector<std::string>& args);
};

// The estimate for `net` as planned (par_in/par_out as set; planning them is
// the caller's: plan_parallelism, as emit does).
ResourceEstimate estimate_resources(const Network& net);

// Throws cnn::Error (where = net.source) naming the first limit the estimate
// exceeds, the value, the limit and how to raise it. `hardware` = false
// checks only the golden-model memory (table, dump).
void check_resources(const Network& net, const ResourceLimits& limits, bool hardware = true);

// What cnnc check/emit/table/dump call before any heavy work: with
// `hardware`, plans a weightless copy of `net` as emit would
// (plan_parallelism(copy, target, fixed)) and checks every limit; without,
// only the golden-model memory.
void guard_network(const Network& net, const ResourceLimits& limits, bool hardware, int64_t target = 0,
                   int fixed = 0);

}  // namespace cnn
