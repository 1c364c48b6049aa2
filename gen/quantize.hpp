// The quantizer: a float ONNX model (SPEC §1, spelling 3, as PyTorch exports
// it) plus calibration images -> a quantized model in the QLinear spelling
// (or, on request, the QDQ spelling) that the importer reads.
//
// Steps
//   1. fold_batchnorm: BatchNormalization folded into the Conv before it (in
//      double), Dropout and Identity dropped; the result is still a float graph.
//   2. The folded graph is read as a chain of steps (Conv/Gemm with their
//      activation, pools, Flatten, a final Softmax).
//   3. Calibration: the folded graph runs in the interpreter on every image
//      (x = p / 255); each quantization point collects its float values.
//   4. Every scale is 2^-f: the input 2^-8 (uint8, x in [0, 1]); weights per
//      tensor with the largest f such that max|w| * 2^f <= 127 (RHE, clamp);
//      bias int32 at s_x * s_w; activations by the chosen Calibration method.
//   5. The graph is written, imported back (legality and every pass), and run
//      on the calibration images with the integer executor for the report.
//
// The two spellings are written so that the importer builds the same layer
// IR from both (hence identical integer outputs): a conv's LeakyRelu is
// applied after the conv has been rounded to int8 in both, exactly as a
// QLinearConv followed by DequantizeLinear -> LeakyRelu -> QuantizeLinear
// computes it.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "ir.hpp"
#include "onnx_graph.hpp"

namespace cnn {

// Folds every BatchNormalization into the Conv or Gemm that feeds it (weights
// and bias in double), removes Dropout and Identity nodes, and turns MatMul ->
// Add(constant) into one Gemm. Throws cnn::Error for a BatchNormalization
// that does not directly follow a Conv or Gemm whose output feeds nothing else.
onnx::Graph fold_batchnorm(const onnx::Graph& graph);

// How an activation's f is chosen from its calibration values v:
//   Max:        largest f with max|v| * 2^f <= 127 (nothing saturates);
//   Percentile: largest f with P(|v|) * 2^f <= 127, P the given percentile;
//   Mse:        the f (from the Max choice up to 8 more bits) with the least
//               squared error between v and its int8 quantization.
enum class Calibration { Max, Percentile, Mse };
const char* calibration_name(Calibration c);
Calibration parse_calibration(const std::string& s);  // "max", "percentile", "mse"

struct QuantizeOptions {
    Calibration method = Calibration::Percentile;
    double percentile = 99.99;   // for Calibration::Percentile, in percent
    bool qdq = false;            // write the QDQ spelling instead of QLinear
};

// One IR layer of the quantized model, as the report shows it.
struct QuantLayerReport {
    std::string name, kind, act;
    bool has_weights = false;
    int f_in = 0, f_w = 0, f_out = 0;
    // Fraction of the layer's int8 outputs clamped by saturation (their exact
    // value fell outside int8), from the integer executor over the calibration images.
    double saturated = 0.0;
    // Fraction of the float calibration values at this layer's quantization
    // point that fall outside the int8 range at f_out (would clamp); -1 when
    // the layer has no quantization point of its own (MaxPool).
    double clipped = -1.0;
};

struct QuantizeResult {
    onnx::Graph graph;                   // the quantized model
    Network network;                     // graph imported, legality checked, passes run
    std::vector<QuantLayerReport> layers;
    int images = 0;                      // calibration images used
};

// images: 8-bit HWC pixels, each of the float model's input size (C*H*W).
// source names the float model in messages. Throws cnn::Error for a graph
// that is not a chain of supported ops, or that the hardware cannot take.
QuantizeResult quantize_model(const onnx::Graph& float_model, const std::vector<std::vector<uint8_t>>& images,
                              const QuantizeOptions& options, const std::string& source = "model");

void print_quantize_report(const QuantizeResult& result, const QuantizeOptions& options, std::ostream& os);

// The graph input of a float model for 8-bit HWC pixels: x = p / 255 held as
// float32, NCHW [1, C, H, W].
onnx::Tensor float_graph_input(const onnx::Graph& graph, const std::vector<uint8_t>& pixels_hwc);

// The index of the largest value, the lowest index on ties.
template <typename T>
int argmax_first(const std::vector<T>& v) {
    int best = 0;
    for (size_t i = 1; i < v.size(); ++i)
        if (v[i] > v[size_t(best)]) best = int(i);
    return best;
}

}  // namespace cnn
