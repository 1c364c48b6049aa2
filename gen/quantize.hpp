// The quantizer: a float ONNX model (SPEC §1, spelling 3, as PyTorch exports
// it) plus calibration images -> a quantized model that the importer reads.
//
// Two families of scales (QuantizeOptions::scales):
//
// * pow2 (the default, the cheapest hardware): every scale 2^-f, int8
//   activations with zero point 0, weights per tensor; written in the QLinear
//   spelling (or, with qdq, the QDQ spelling).
// * float (as onnxruntime's quantize_static / PyTorch): float32 scales
//   computed as onnxruntime's quantizer computes them (compute_scale_zp in
//   onnxruntime/python/tools/quantization/quant_utils.py, restated below,
//   nothing copied); always the QDQ spelling, opset 13:
//     activations  QuantizeLinear -> DequantizeLinear, int8 or uint8
//                  (activations_uint8); from a calibrated range [lo, hi]
//                  widened to include 0: symmetric (default) a = max(|lo|,
//                  |hi|), lo = -a, hi = a; then scale = f32(f64(f32(hi - lo)) /
//                  (qmax - qmin)) with [qmin, qmax] = [-127, 127] for
//                  symmetric int8 (range / 254), [-128, 127] for asymmetric
//                  int8 and [0, 255] for uint8 (range / 255); zero point 0
//                  (int8) or 128 (uint8) symmetric, RNE(qmin - lo / scale)
//                  asymmetric (asymmetric); a range narrower than FLT_MIN
//                  gives scale 1, zero point 0.
//     weights      int8 initializers behind DequantizeLinear, symmetric,
//                  zero point 0, scale = max|w| / 127 (as above with [-127,
//                  127]) per tensor, or per output channel (per_channel: a
//                  1-D scale of C_out values, axis = 0; Gemm weights are
//                  written [N, K] with transB = 1, so axis 0 is the output);
//                  q = clamp(RNE(f32(w) / scale), -127, 127).
//     bias         int32 behind DequantizeLinear with scale f32(s_x * s_w[oc])
//                  (the float32 product onnxruntime's quantizer stores), zero
//                  point 0; q = RNE(f32(b) / bias_scale) in float32.
//     graph input  x = p / 255: the range [0, 1] that every pixel maps into
//                  (uint8 asymmetric: scale f32(1/255), zero point 0).
//     MaxPool, Flatten keep their input's scale and zero point (MaxPool as
//                  DequantizeLinear -> MaxPool -> QuantizeLinear, Flatten on
//                  the quantized tensor); AveragePool, GlobalAveragePool and
//                  a standalone activation are calibrated at their output.
//     Relu / Clip(0, max) after a Conv or Gemm: the activation's output range
//                  is the conv's output quantization (one QuantizeLinear). The
//                  node is DROPPED when that QuantizeLinear's own clamp does
//                  what it does: the zero point is qmin (always so with
//                  asymmetric, the range starting at 0) and, for Clip, the
//                  top of the quantized range is at or below max; this is what
//                  onnxruntime's quantizer writes (QDQRemovableActivation) and
//                  what its runtime removes anyway (ReluQuantFusion). It is
//                  KEPT between the Conv and the QuantizeLinear otherwise
//                  (symmetric activations: Conv -> Relu -> QuantizeLinear).
//     LeakyRelu    after a Conv: the conv quantized at its own output range,
//                  then DequantizeLinear -> LeakyRelu -> QuantizeLinear at the
//                  activation's output range (any alpha); after a Gemm, one
//                  QuantizeLinear after the activation.
//
// Steps
//   1. fold_batchnorm: BatchNormalization folded into the Conv before it (in
//      double), Dropout and Identity dropped; the result is still a float graph.
//   2. The folded graph is read as a chain of steps (Conv/Gemm with their
//      activation, pools, Flatten, a final Softmax).
//   3. Calibration: the folded graph runs in the interpreter on every image
//      (x = p / 255); each quantization point collects its float values
//      (exact min, max, max |v|, a seeded sample and a 2048-bin histogram of |v|).
//   4. pow2: the input 2^-8 (uint8, x in [0, 1]); weights per tensor with the
//      largest f such that max|w| * 2^f <= 127 (RHE, clamp); bias int32 at
//      s_x * s_w; activations 2^-f from the Calibration method's threshold.
//      float: as above, from the Calibration method's range.
//   5. The graph is written, imported back (legality and every pass), and run
//      on the calibration images with the integer executor for the report.
//      (quantize_graph stops before the import; quantize_model does all.)
//
// The two pow2 spellings are written so that the importer builds the same
// layer IR from both (hence identical integer outputs): a conv's LeakyRelu is
// applied after the conv has been rounded to int8 in both, exactly as a
// QLinearConv followed by DequantizeLinear -> LeakyRelu -> QuantizeLinear
// computes it.
#pragma once

#include <cstdint>
#include <map>
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

// How a quantization point's range is chosen from its calibration values v:
//   Max (minmax):  the exact [min v, max v] (pow2: the largest f with
//                  max|v| * 2^f <= 127, nothing saturates);
//   Percentile:    symmetric: |v| <= P(|v|), P the given percentile;
//                  asymmetric: [P_(100-p)/2(v), P_(100+p)/2(v)] (both tails);
//                  never beyond [min, max];
//   Entropy:       |v| <= t, t the threshold of least KL divergence between the
//                  2048-bin histogram of |v| (over [0, max|v|], of the sample,
//                  exact zeros left out: 0 is exact at every t) clipped at t
//                  and its 128-level quantization (entropy_threshold;
//                  TensorRT's method); never beyond [min, max];
//   Mse:           pow2: the f (from the Max choice up to 8 more bits) with the
//                  least squared error between v and its int8 quantization;
//                  float: the range [min, max] * k/100, k = 100, 99, .., 10,
//                  with the least squared error of the quantized values.
enum class Calibration { Max, Percentile, Mse, Entropy };
const char* calibration_name(Calibration c);
// "max" or "minmax", "percentile", "mse", "entropy"; opt names the option in errors.
Calibration parse_calibration(const std::string& s, const std::string& opt = "--calibration");

enum class ScaleKind { Pow2, Float };
ScaleKind parse_scales(const std::string& s);  // "pow2", "float"

struct QuantizeOptions {
    Calibration method = Calibration::Percentile;
    double percentile = 99.99;   // for Calibration::Percentile, in percent
    bool qdq = false;            // pow2: write the QDQ spelling instead of QLinear (float: always QDQ)
    ScaleKind scales = ScaleKind::Pow2;
    bool per_channel = false;       // float: one weight scale per output channel
    bool activations_uint8 = false; // float: uint8 activations (else int8)
    bool asymmetric = false;        // float: activation zero points from [min, max]

    // Throws cnn::Error for a combination that is not offered (per-channel,
    // uint8 or asymmetric with power-of-two scales).
    void validate() const;
};

// A scale and zero point as written into the file.
struct QParams {
    float scale = 1.0f;
    int zero_point = 0;
    bool is_uint8 = false;   // uint8 (else int8)
    int qmin() const { return is_uint8 ? 0 : -128; }
    int qmax() const { return is_uint8 ? 255 : 127; }
};

// onnxruntime's compute_scale_zp for an activation range [rmin, rmax] (float32
// values as its calibrators give them), restated from its definition above.
QParams activation_qparams(float rmin, float rmax, bool is_uint8, bool symmetric);
// The symmetric int8 weight scale for weights in [rmin, rmax] (zero point 0).
float weight_scale(float rmin, float rmax);
int quantize_weight(float w, float scale);                 // clamp(RNE(w / scale), -127, 127), in float32
float bias_scale(float x_scale, float w_scale);             // f32(x_scale * w_scale)
int64_t quantize_bias(float b, float scale);                // RNE(b / scale) in float32, clamped to int32

// The entropy threshold of a histogram of |v|: hist[i] counts values in
// [i * bin_width, (i + 1) * bin_width). For every candidate i = levels ..
// hist.size(), the reference P is hist[0 .. i) with the counts of bins >= i
// added to bin i - 1 (clipping at i * bin_width); the candidate Q merges
// hist[0 .. i) (without those counts) into `levels` groups of (nearly) equal
// width and spreads each group's count evenly over the group's bins where P
// is non-zero (a bin where P has mass and Q none rules the candidate out).
// Returns i * bin_width for the i of least KL(P || Q) (the smallest such i on
// ties); the full range when the histogram has no more than `levels` bins or
// is empty.
double entropy_threshold(const std::vector<double>& hist, double bin_width, int levels = 128);

// One quantization point of the written graph (float scales), as the
// quantizer chose it, before any import.
struct QuantPointReport {
    std::string tensor;        // the QuantizeLinear's output
    std::string at;            // the node whose output it quantizes
    double lo = 0.0, hi = 0.0; // the calibrated range (before widening to 0)
    QParams q;
    double clipped = 0.0;      // calibration values outside the quantized range
};

// One IR layer of the quantized model, as the report shows it.
struct QuantLayerReport {
    std::string name, kind, act;
    bool has_weights = false;
    int f_in = 0, f_w = 0, f_out = 0;
    // The file's quantization of the layer's output (role "y").
    double scale_out = 0.0, zp_out = 0.0;
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
    bool imported = false;               // network and layers are filled (import_back ran)
    std::vector<QuantLayerReport> layers;
    std::vector<QuantPointReport> points;  // float scales: every quantization point
    std::map<std::string, double> clipped; // quantized tensor -> float clip fraction
    int images = 0;                      // calibration images used
};

// images: 8-bit HWC pixels, each of the float model's input size (C*H*W).
// source names the float model in messages. Throws cnn::Error for a graph
// that is not a chain of supported ops, or that the hardware cannot take.
// quantize_graph writes the graph only; import_back reads it back through
// the whole front end (import, legality, passes) and fills the report from
// the integer executor on the images; quantize_model does both.
QuantizeResult quantize_graph(const onnx::Graph& float_model, const std::vector<std::vector<uint8_t>>& images,
                              const QuantizeOptions& options, const std::string& source = "model");
void import_back(QuantizeResult& result, const std::vector<std::vector<uint8_t>>& images,
                 const std::string& source = "model");
QuantizeResult quantize_model(const onnx::Graph& float_model, const std::vector<std::vector<uint8_t>>& images,
                              const QuantizeOptions& options, const std::string& source = "model");

// The calibration line and (float scales) every quantization point.
void print_quantize_points(const QuantizeResult& result, const QuantizeOptions& options, std::ostream& os);
// The per-layer table after import_back.
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
