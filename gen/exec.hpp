// The integer executor of SPEC §2 over the layer IR: the golden model the
// hardware is scored against. Tensors are HWC (channel innermost), the order
// the stream delivers them.
#pragma once

#include <cstdint>
#include <vector>

#include "ir.hpp"

namespace cnn {

struct QTensor {
    Shape shape;
    std::vector<int32_t> data;  // HWC: index (y * w + x) * c + ch

    QTensor() = default;
    explicit QTensor(Shape s) : shape(s), data(size_t(s.size()), 0) {}
    int32_t& at(int y, int x, int ch) { return data[(size_t(y) * shape.w + x) * shape.c + ch]; }
    int32_t at(int y, int x, int ch) const { return data[(size_t(y) * shape.w + x) * shape.c + ch]; }
};

// RHE(v * 2^-shift / n) exactly, unclamped (beyond int64 clamped to it), for
// any shift (negative = left shift) and 1 <= n < 2^31.
int64_t rhe_div(int64_t v, int64_t n, int shift);
// sat8(rhe_div(v, n, shift)).
int32_t round_shift_div(int64_t v, int64_t n, int shift);

// The output stage of every layer (ir.hpp), on the value v relative to the
// input zero point. Shift path: activation on the exact value V / n * 2^-e,
// one rounding to f_out, + zp_out. requant_f32: onnxruntime's float32
// requantisation of the accumulator v with scale[oc] (n unused), + zp_out.
// Then the clamp to [clamp_lo, clamp_hi].
int32_t output_stage(const Layer& layer, int64_t v, int64_t n, int oc = 0);

// A pool's pre_act on one input value, as an integer at 2^-e_in: x * 2^k for
// x >= 0 under Leaky (x itself keeps the scale 2^-(f_in + k) for x < 0), 0 for
// x < 0 under Relu, x otherwise.
int64_t pre_activation(const Layer& layer, int64_t x);

// One layer: in.shape must equal layer.in.
QTensor run_layer(const Layer& layer, const QTensor& in);

// Per layer, how many outputs were clamped by sat8 (their exactly rounded
// value fell outside [-128, 127]) over the given inputs.
struct Saturation {
    int64_t saturated = 0, outputs = 0;
    double fraction() const { return outputs ? double(saturated) / double(outputs) : 0.0; }
};
std::vector<Saturation> measure_saturation(const Network& net, const std::vector<QTensor>& inputs);

// The whole chain; result[i] is the output of layer i.
std::vector<QTensor> run_network(const Network& net, const QTensor& input);

// SPEC §2 graph input: 8-bit pixels (HWC, channel 0 = red) -> the streamed
// values: x = float32(p * input_mul + input_add), then the first
// QuantizeLinear as onnxruntime computes it (x / scale in float32, RNE, + zero
// point, clamp to uint8 or int8), or p itself for a pre-quantized input.
QTensor quantize_input(const Network& net, const std::vector<uint8_t>& pixels_hwc);

}  // namespace cnn
