// The integer executor of SPEC §2. Plain loops, int64 accumulation: an int8 x
// int8 product is < 2^15 and no layer sums 2^40 of them, so nothing overflows.
#include "exec.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "ops.hpp"

namespace cnn {

namespace {

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && (a < 0)) --q;
    return q;
}

int32_t sat8(int64_t v) { return int32_t(std::clamp<int64_t>(v, -128, 127)); }

}  // namespace

int32_t round_shift_div(int64_t v, int64_t n, int shift) {
    // y = RHE(v / (n * 2^shift)); written as num / den with den > 0.
    int64_t num = v, den = n;
    if (shift >= 0) {
        if (shift >= 62) return 0;  // |v| < 2^62: the quotient rounds to 0
        den = n << shift;
    } else {
        // Saturation decides long before an overflow could: clamp the shift.
        int s = std::min(-shift, 40);
        num = v * (int64_t(1) << s);
    }
    int64_t q = floor_div(num, den);
    int64_t r = num - q * den;  // 0 <= r < den
    if (2 * r > den || (2 * r == den && (q & 1))) ++q;
    return sat8(q);
}

int32_t output_stage(const Layer& layer, int64_t v, int64_t n) {
    int shift = layer.e_in() - layer.f_out;
    if (v < 0) {
        if (layer.act == Activation::Relu) return 0;
        if (layer.act == Activation::Leaky) shift += layer.leaky_k;
    }
    return round_shift_div(v, n, shift);
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
    const QTensor* cur = &input;
    for (const Layer& l : net.layers) {
        outs.push_back(run_layer(l, *cur));
        cur = &outs.back();
    }
    return outs;
}

QTensor quantize_input(const Network& net, const std::vector<uint8_t>& pixels) {
    if (int64_t(pixels.size()) != net.input.size())
        throw Error(net.name, "image has " + std::to_string(pixels.size()) + " values, the model's input " +
                                  to_string(net.input) + " needs " + std::to_string(net.input.size()));
    QTensor q(net.input);
    const int lo = net.input_unsigned ? 0 : -128, hi = net.input_unsigned ? 255 : 127;
    for (size_t i = 0; i < pixels.size(); ++i) {
        if (net.input_prequantized) {
            q.data[i] = std::clamp<int>(pixels[i], lo, hi);
            continue;
        }
        // x / 2^-f in double is exact up to the rounding of x itself, which
        // can never move p/255 * 2^f onto or across a half (255 is odd).
        double x = (pixels[i] * net.input_mul + net.input_add) * std::ldexp(1.0, net.f_input);
        double r = std::nearbyint(x);  // default rounding mode: half to even
        q.data[i] = int32_t(std::clamp<double>(r, lo, hi));
    }
    return q;
}

}  // namespace cnn
