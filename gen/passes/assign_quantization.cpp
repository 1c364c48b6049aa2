// Pass 2: each layer's arithmetic from its quantization parameters (SPEC §2).
//
// A layer takes the exact shift datapath of version 1 (f_in, f_w, f_out, an
// output shift, leaky ReLU as a shift) when every scale it reads is a power of
// two, its weights share one scale and its accumulator stays below 2^24 in
// magnitude: then onnxruntime's float32 arithmetic is exact and equals it.
// Otherwise it takes onnxruntime's float32 requantisation (requant_f32, one
// multiplier per output channel, gen/requant.hpp), and a standalone
// elementwise layer becomes a 256-entry table (LayerKind::Lut). Zero points
// are moved to the stream's int8 domain (a uint8 tensor travels as u - 128)
// and the input zero point of a Conv/DwConv/Dense is folded into its bias
// (a DwConv's sum(w[oc]) runs over the window of its one input channel):
//     bias'[oc] = bias[oc] - zp_in * sum(w[oc])
// which makes acc = bias' + sum(x * w) equal onnxruntime's int32
// bias + sum((x - zp_in) * w), padding included (a padded x is zp_in).
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "exec.hpp"
#include "passes.hpp"
#include "requant.hpp"

namespace cnn {

namespace {

const QuantParam* find(const Layer& l, const char* role) {
    for (const QuantParam& q : l.onnx.qparams)
        if (q.role == role) return &q;
    return nullptr;
}

int stream_zero_point(const QuantParam& q, bool raw_uint8) {
    const int z = int(q.zero_point);
    return q.dtype == "uint8" && !raw_uint8 ? z - 128 : z;
}

bool pow2(double s, int* f) { return power_of_two(s, f) && std::abs(*f) < 40; }

// The largest |acc| of output channel oc: |bias| + sum |w| * max |x - zp_in|.
int64_t accumulator_bound(const Layer& l, size_t oc, int64_t bias) {
    const int64_t lo = l.in_unsigned ? 0 : -128, hi = l.in_unsigned ? 255 : 127;
    const int64_t x = std::max(std::llabs(lo - l.zp_in), std::llabs(hi - l.zp_in));
    const size_t n = l.weights.size() / size_t(l.out.c);
    int64_t sum = 0;
    for (size_t k = 0; k < n; ++k) sum += std::abs(int(l.weights[oc * n + k]));
    return std::llabs(bias) + sum * x;
}

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.7g", v);
    return b;
}

// An Add takes the shift path when its three scales are powers of two and the
// shift arithmetic (ir.hpp) gives every one of the 65536 entries of the
// table that onnxruntime's arithmetic gave: checked here, pair by pair.
void assign_add(Layer& l, const QuantParam& a, const QuantParam& b, const QuantParam& y) {
    l.zp_in = stream_zero_point(a, false);
    l.zp_in_b = stream_zero_point(b, false);
    l.zp_out = stream_zero_point(y, false);
    int fa = 0, fb = 0, fy = 0;
    bool shift = pow2(a.scale, &fa) && pow2(b.scale, &fb) && pow2(y.scale, &fy);
    const int m = std::max(fa, fb);
    // rtl/cnn_add's ranges: input shifts 0..15, output shift -8..24.
    shift = shift && m - fa <= 15 && m - fb <= 15 && m - fy >= -8 && m - fy <= 24;
    for (int ia = 0; shift && ia < 256; ++ia)
        for (int ib = 0; shift && ib < 256; ++ib) {
            const int64_t va = int64_t(int8_t(uint8_t(ia))) - l.zp_in, vb = int64_t(int8_t(uint8_t(ib))) - l.zp_in_b;
            const int64_t v = va * (int64_t(1) << (m - fa)) + vb * (int64_t(1) << (m - fb));
            const int64_t r = std::clamp<int64_t>(rhe_div(v, 1, m - fy) + l.zp_out, l.clamp_lo, l.clamp_hi);
            shift = r == l.table[size_t(ia * 256 + ib)];
        }
    l.requant_f32 = !shift;
    if (shift) {
        l.f_in = fa;
        l.f_in_b = fb;
        l.f_out = fy;
    } else {  // the table holds the clamps
        l.clamp_lo = -128;
        l.clamp_hi = 127;
    }
}

}  // namespace

void assign_quantization(Network& net) {
    std::vector<std::string> lines;
    int f = 0;
    if (pow2(net.input_q.scale, &f)) net.f_input = f;
    if (pow2(net.output_q.scale, &f)) net.f_output = f;
    net.output_unsigned = net.output_q.dtype == "uint8";
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const std::vector<int> in = net.inputs_of(i);
        net.layers[i].in_unsigned = net.input_unsigned && std::find(in.begin(), in.end(), -1) != in.end();
    }
    for (Layer& l : net.layers) {
        const std::string where = "layer '" + l.name + "' (" + l.onnx.op + ")";
        const QuantParam* x = find(l, "x");
        const QuantParam* w = find(l, "w");
        const QuantParam* y = find(l, "y");
        if (!x || !y) continue;  // the legality pass has named what is missing
        l.zp_in = stream_zero_point(*x, l.in_unsigned);
        l.zp_out = stream_zero_point(*y, false);
        int fx = 0, fy = 0, fw = 0;
        if (l.kind == LayerKind::Add) {
            assign_add(l, *x, *find(l, "x_b"), *y);
            continue;
        }
        bool shift = pow2(x->scale, &fx) && pow2(y->scale, &fy);
        if (w) shift = shift && !w->per_channel() && pow2(w->scale, &fw);
        const bool leaky_k_ok = l.act != Activation::Leaky ||
                                (pow2(l.onnx.alpha, &f) && f >= 1 && f <= 7);
        if (l.act == Activation::Leaky && pow2(l.onnx.alpha, &f)) l.leaky_k = f;
        if (l.pre_act == Activation::Leaky && pow2(l.onnx.pre_alpha, &f)) l.pre_leaky_k = f;

        if (l.has_weights()) {
            const size_t n = l.weights.size() / size_t(l.out.c);
            for (size_t oc = 0; oc < size_t(l.out.c); ++oc) {
                const int64_t bound = accumulator_bound(l, oc, l.bias[oc]);
                if (bound >= (int64_t(1) << 24)) shift = false;  // float32(acc) would round
                if (bound > INT32_MAX) {
                    lines.push_back(where + ": output channel " + std::to_string(oc) + " can reach |acc| " +
                                    std::to_string(bound) + ", beyond onnxruntime's int32 accumulator");
                    break;
                }
                int64_t sum = 0;
                for (size_t k = 0; k < n; ++k) sum += l.weights[oc * n + k];
                const int64_t folded = int64_t(l.bias[oc]) - int64_t(l.zp_in) * sum;
                if (folded < INT32_MIN || folded > INT32_MAX) {
                    lines.push_back(where + ": bias of channel " + std::to_string(oc) +
                                    " with the input zero point folded in leaves int32");
                    break;
                }
                l.bias[oc] = int32_t(folded);
            }
        } else if (l.kind == LayerKind::GlobalAvgPool || l.kind == LayerKind::AvgPool || l.kind == LayerKind::Act) {
            shift = shift && l.zp_in == 0;
            if (l.kind == LayerKind::Act)
                shift = shift && l.zp_out == 0 && l.onnx.table_only.empty() && !l.in_unsigned;
        }
        shift = shift && leaky_k_ok;

        if (shift) {
            l.f_in = fx;
            l.f_w = fw;
            l.f_out = fy;
            continue;
        }
        // onnxruntime's float32 path. An AveragePool over the whole input
        // without padding is its QLinearGlobalAveragePool (qlinear_pool.cc,
        // fallback_to_global), integer sum and requantisation.
        if (l.kind == LayerKind::AvgPool && l.kernel_h == l.in.h && l.kernel_w == l.in.w && !l.has_padding())
            l.kind = LayerKind::GlobalAvgPool;
        switch (l.kind) {
            case LayerKind::Conv:
            case LayerKind::DwConv:
            case LayerKind::Dense:
                if (l.act == Activation::Leaky) {
                    lines.push_back(where + ": a LeakyRelu inside the float segment of a " + kind_name(l.kind) +
                                    " needs power-of-two scales and alpha 2^-k (k 1..7) here, found x scale " +
                                    num(x->scale) + ", alpha " + num(l.onnx.alpha) +
                                    ": quantize between them (onnxruntime then runs QLinearLeakyRelu)");
                    continue;
                }
                l.requant_f32 = true;
                l.scale.clear();
                for (size_t oc = 0; oc < size_t(l.out.c); ++oc)
                    l.scale.push_back(requant_scale(float(x->scale), float(w->scale_of(oc)), float(y->scale)));
                break;
            case LayerKind::GlobalAvgPool: {
                if (l.pre_act != Activation::None || l.act == Activation::Leaky) {
                    lines.push_back(where + ": an activation inside the float segment of a GlobalAveragePool needs "
                                            "power-of-two scales and zero point 0: quantize between them");
                    continue;
                }
                const float s = gap_scale(float(x->scale), float(y->scale), int64_t(l.in.h) * l.in.w);
                // MLAS refuses these (CheckQLinearGlobalAveragePoolScaleAndSize).
                if (!(s >= std::ldexp(1.0f, -32) && s < 256.0f)) {
                    lines.push_back(where + ": x scale / (y scale * N) = " + num(s) +
                                    " is outside onnxruntime's range [2^-32, 256)");
                    continue;
                }
                l.requant_f32 = true;
                l.scale = {s};
                break;
            }
            case LayerKind::AvgPool:
                if (l.pre_act != Activation::None || l.act == Activation::Leaky) {
                    lines.push_back(where + ": an activation inside the float segment of an AveragePool needs "
                                            "power-of-two scales and zero point 0: quantize between them");
                    continue;
                }
                l.requant_f32 = true;  // onnxruntime's float QLinearAveragePool (gen/ops/pool.cpp)
                break;
            case LayerKind::Act:
                if (l.table.empty()) {  // a clamp on the integers (lowered without a table)
                    l.table.resize(256);
                    for (int b = 0; b < 256; ++b)
                        l.table[size_t(b)] = int8_t(std::clamp<int>(int8_t(uint8_t(b)), l.clamp_lo, l.clamp_hi));
                }
                // Reading the uint8 graph input, the table is indexed by the
                // byte u itself, not by the stream's u - 128.
                if (l.in_unsigned) {
                    std::vector<int8_t> raw(256);
                    for (int u = 0; u < 256; ++u) raw[size_t(u)] = l.table[size_t(u ^ 0x80)];
                    l.table.swap(raw);
                }
                l.kind = LayerKind::Lut;
                l.act = Activation::None;
                l.clamp_lo = -128;
                l.clamp_hi = 127;
                break;
            default: break;
        }
    }
    if (!lines.empty()) throw LegalityError(net.source, lines);
}

}  // namespace cnn
