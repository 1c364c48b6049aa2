// The integer executor of SPEC §2. Plain loops, int64 accumulation: an int8 x
// int8 product is < 2^15 and no layer sums 2^40 of them, so nothing overflows.
#include "exec.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

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

namespace {

QTensor run_conv(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int C = l.in.c, K = l.kernel;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int oc = 0; oc < l.out.c; ++oc) {
                int64_t acc = l.bias[oc];
                const int8_t* w = &l.weights[size_t(oc) * K * K * C];
                for (int ky = 0; ky < K; ++ky) {
                    int y = oy * l.stride + ky - l.pad;
                    for (int kx = 0; kx < K; ++kx, w += C) {
                        int x = ox * l.stride + kx - l.pad;
                        if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w) continue;  // zero padding
                        for (int ic = 0; ic < C; ++ic) acc += int64_t(in.at(y, x, ic)) * w[ic];
                    }
                }
                out.at(oy, ox, oc) = output_stage(l, acc, 1);
            }
    return out;
}

QTensor run_dense(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const size_t n = in.data.size();
    for (int o = 0; o < l.out.c; ++o) {
        int64_t acc = l.bias[o];
        const int8_t* w = &l.weights[size_t(o) * n];
        for (size_t i = 0; i < n; ++i) acc += int64_t(in.data[i]) * w[i];
        out.data[o] = output_stage(l, acc, 1);
    }
    return out;
}

QTensor run_pool(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int K = l.kernel;
    const bool is_max = l.kind == LayerKind::MaxPool;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int c = 0; c < l.out.c; ++c) {
                int64_t v = is_max ? INT64_MIN : 0;
                for (int ky = 0; ky < K; ++ky)
                    for (int kx = 0; kx < K; ++kx) {
                        int64_t x = in.at(oy * l.stride + ky, ox * l.stride + kx, c);
                        v = is_max ? std::max(v, x) : v + x;
                    }
                out.at(oy, ox, c) = output_stage(l, v, is_max ? 1 : int64_t(K) * K);
            }
    return out;
}

QTensor run_gap(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    for (int c = 0; c < l.in.c; ++c) {
        int64_t sum = 0;
        for (int y = 0; y < l.in.h; ++y)
            for (int x = 0; x < l.in.w; ++x) sum += in.at(y, x, c);
        out.data[c] = output_stage(l, sum, int64_t(l.in.h) * l.in.w);
    }
    return out;
}

QTensor run_act(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    for (size_t i = 0; i < in.data.size(); ++i) out.data[i] = output_stage(l, in.data[i], 1);
    return out;
}

}  // namespace

QTensor run_layer(const Layer& layer, const QTensor& in) {
    if (!(in.shape == layer.in))
        throw Error("layer '" + layer.name + "'", "input shape " + to_string(in.shape) +
                                                      " does not match the layer's " +
                                                      to_string(layer.in));
    switch (layer.kind) {
        case LayerKind::Conv: return run_conv(layer, in);
        case LayerKind::Dense: return run_dense(layer, in);
        case LayerKind::MaxPool:
        case LayerKind::AvgPool: return run_pool(layer, in);
        case LayerKind::GlobalAvgPool: return run_gap(layer, in);
        case LayerKind::Act: return run_act(layer, in);
    }
    throw Error("layer '" + layer.name + "'", "unknown layer kind");
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
