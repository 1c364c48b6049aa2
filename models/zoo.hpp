// The model zoo: small deterministic QLinear-form ONNX models (SPEC §1,
// spelling 1) that exercise every conv, pool and activation variant the
// hardware accepts. zoo.cpp builds them as cnn::onnx::Graph; zoo_gen writes
// them to models/zoo; the tests check the committed files equal a fresh run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx_graph.hpp"

namespace cnn::zoo {

enum class Act { None, Relu, Leaky };

// How the pool after a conv is spelled in ONNX.
enum class Pool {
    None,
    Max,     // MaxPool directly on the int8 tensor (opset >= 12)
    MaxDQ,   // DequantizeLinear -> MaxPool -> QuantizeLinear (same scale)
    Avg,     // DequantizeLinear -> AveragePool -> QuantizeLinear
    Global,  // DequantizeLinear -> GlobalAveragePool -> QuantizeLinear
};

// One QLinearConv with its optional activation and pool.
struct ConvSpec {
    int out_c = 1;
    int k = 3, stride = 1, pad = 0;
    Act act = Act::None;
    int leaky_k = 3;                // LeakyRelu alpha = 2^-leaky_k
    Pool pool = Pool::None;
    int pool_k = 2, pool_s = 2;     // window and stride (no padding)
    int wmax = 127;                 // weights uniform in [-wmax, wmax] ([-128, 127] for 127)
    int headroom = 0;               // extra right-shift bits above the chosen minimum
};

struct ModelSpec {
    std::string name;               // file stem: <name>.onnx
    int c = 1, h = 1, w = 1;        // graph input [1, C, H, W]
    bool uint8_input = true;        // first QuantizeLinear to uint8 (scale 2^-8) or int8 (2^-7)
    std::vector<ConvSpec> layers;
};

// What the generator chose for one conv layer, and how its output is spread
// on the random calibration images.
struct LayerReport {
    std::string name;               // "conv1"
    int in_c = 0, in_h = 0, in_w = 0;
    int out_c = 0, out_h = 0, out_w = 0;   // after activation and pool
    int64_t macs = 0;
    int f_in = 0, f_w = 0, f_out = 0;      // fractional bits: scale = 2^-f
    int shift = 0;                  // f_in + f_w - f_out (negative = left shift)
    double saturated = 0.0;         // fraction of conv outputs clamped by sat8
    double zero = 0.0;              // fraction of layer outputs (after act/pool) equal to 0
};

struct Model {
    ModelSpec spec;
    onnx::Graph graph;
    std::vector<LayerReport> layers;
    int64_t macs() const;
};

// The zoo's model list, in a fixed order.
std::vector<ModelSpec> zoo_specs();

// Build one model: weights from a PRNG seeded by the model name, scales
// chosen from an integer evaluation of random images. Deterministic.
Model build_model(const ModelSpec& spec);

// Every model of zoo_specs(), built.
std::vector<Model> build_zoo();

// Write each model to dir/<name>.onnx plus dir/README.md (a table of the
// models and their chosen scales). Creates dir. Returns the file names written.
std::vector<std::string> write_zoo(const std::string& dir, const std::vector<Model>& models);

}  // namespace cnn::zoo
