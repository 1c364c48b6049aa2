// The integer executor of SPEC §2. Plain loops, int64 accumulation: an int8 x
// int8 product is < 2^15 and no layer sums 2^40 of them, so nothing overflows;
// the output stage divides in 128 bits.
#include "exec.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "error.hpp"
#include "ops.hpp"
#include "requant.hpp"

namespace cnn {

namespace {

thread_local std::vector<Saturation>* g_saturation = nullptr;  // measure_saturation's counters
thread_local size_t g_layer = 0;

}  // namespace

int64_t rhe_div(int64_t v, int64_t n, int shift) {
    // RHE(v / (n * 2^shift)) as num / den in 128 bits, den > 0. The shift is
    // bounded where the answer is already decided: for shift >= 64 the value
    // is below 1/2 in magnitude (|v| < 2^63), so it rounds to 0; past a left
    // shift of 60 any v != 0 is far outside int8 for every n < 2^31.
    using i128 = __int128;
    if (shift >= 64) return 0;
    i128 num = v, den = n;
    if (shift >= 0) den *= i128(1) << shift;
    else num *= i128(1) << std::min(-shift, 60);
    i128 q = num / den, r = num % den;
    if (r < 0) {  // floor division
        --q;
        r += den;
    }
    if (2 * r > den || (2 * r == den && (q & 1))) ++q;
    return int64_t(std::clamp<i128>(q, INT64_MIN, INT64_MAX));
}

int32_t round_shift_div(int64_t v, int64_t n, int shift) {
    return int32_t(std::clamp<int64_t>(rhe_div(v, n, shift), -128, 127));
}

int32_t output_stage(const Layer& layer, int64_t v, int64_t n, int oc) {
    int64_t y = 0;
    if (layer.requant_f32) {
        // onnxruntime's MlasRequantizeOutput; the clamp to the layer's bounds
        // follows the rounding (the same result: the bounds are integers).
        const float s = layer.scale.size() == 1 ? layer.scale[0] : layer.scale.at(size_t(oc));
        y = requantize_f32(v, s, layer.zp_out, INT32_MIN / 2, INT32_MAX / 2);
    } else {
        int shift = layer.e_in() - layer.f_out;
        if (v < 0 && layer.act == Activation::Relu) v = 0;
        if (v < 0 && layer.act == Activation::Leaky) shift += layer.leaky_k;
        y = rhe_div(v, n, shift) + layer.zp_out;
    }
    if (g_saturation) {
        Saturation& c = (*g_saturation)[g_layer];
        ++c.outputs;
        // int8 saturation, not an intended clamp (Relu, Clip).
        // A zero point at -128 makes the range's bottom a Relu (what
        // quantizers write for a ReLU'd tensor): not counted either.
        c.saturated += (y < -128 && layer.clamp_lo == -128 && layer.act != Activation::Relu && layer.zp_out > -128) ||
                       (y > 127 && layer.clamp_hi == 127);
    }
    return int32_t(std::clamp<int64_t>(y, layer.clamp_lo, layer.clamp_hi));
}

int64_t pre_activation(const Layer& layer, int64_t x) {
    if (x >= 0) return layer.pre_act == Activation::Leaky ? x * (int64_t(1) << layer.pre_leaky_k) : x;
    return layer.pre_act == Activation::Relu ? 0 : x;
}

QTensor run_layer(const Layer& layer, const QTensor& in) {
    if (!(in.shape == layer.in))
        throw Error("layer '" + layer.name + "'", "input shape " + to_string(in.shape) +
                                                      " does not match the layer's " +
                                                      to_string(layer.in));
    return op_def(layer.kind).reference(layer, in);
}

std::vector<QTensor> run_network(const Network& net, const QTensor& input) {
    std::vector<QTensor> outs;
    outs.reserve(net.layers.size());
    for (size_t i = 0; i < net.layers.size(); ++i) {
        g_layer = i;
        const Layer& l = net.layers[i];
        const std::vector<int> in = net.inputs_of(i);
        auto tensor = [&](int p) -> const QTensor& {
            if (p >= int(i)) throw Error("layer '" + l.name + "'", "reads a later layer's output");
            return p < 0 ? input : outs[size_t(p)];
        };
        if (l.kind == LayerKind::Add) {
            if (in.size() != 2) throw Error("layer '" + l.name + "'", "an Add needs two inputs");
            outs.push_back(op_def(l.kind).join(l, tensor(in[0]), tensor(in[1])));
        } else {
            if (in.size() != 1) throw Error("layer '" + l.name + "'", "needs one input");
            outs.push_back(run_layer(l, tensor(in[0])));
        }
    }
    return outs;
}

std::vector<Saturation> measure_saturation(const Network& net, const std::vector<QTensor>& inputs) {
    std::vector<Saturation> counts(net.layers.size());
    g_saturation = &counts;
    try {
        for (const QTensor& in : inputs) run_network(net, in);
    } catch (...) {
        g_saturation = nullptr;
        throw;
    }
    g_saturation = nullptr;
    return counts;
}

QTensor quantize_input(const Network& net, const std::vector<uint8_t>& pixels) {
    if (int64_t(pixels.size()) != net.input.size())
        throw Error(net.name, "image has " + std::to_string(pixels.size()) + " values, the model's input " +
                                  to_string(net.input) + " needs " + std::to_string(net.input.size()));
    QTensor q(net.input);
    const int lo = net.input_unsigned ? 0 : -128, hi = net.input_unsigned ? 255 : 127;
    const float scale = float(net.input_q.scale);
    const int zp = int(net.input_q.zero_point);
    for (size_t i = 0; i < pixels.size(); ++i) {
        if (net.input_prequantized) {
            q.data[i] = std::clamp<int>(pixels[i], lo, hi);
            continue;
        }
        // The float32 the model receives (x = p * input_mul + input_add,
        // rounded once to float32), then onnxruntime's QuantizeLinear.
        const float x = float(pixels[i] * net.input_mul + net.input_add);
        q.data[i] = quantize_f32(x, scale, zp, lo, hi);
    }
    return q;
}

}  // namespace cnn
