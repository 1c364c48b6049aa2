// MaxPool and AvgPool: rtl/cnn_maxpool, rtl/cnn_avgpool.
#include <algorithm>
#include <climits>
#include <cmath>

#include "error.hpp"
#include "ops.hpp"

namespace cnn {

namespace {

// onnxruntime's QLinearAveragePool off its global path
// (contrib_ops/cpu/quantization/qlinear_pool.cc): every input dequantized to
// float32 (x_scale * (x - zp)), summed in float32 over the window's real
// positions row by row, divided by the count in float32, then quantized as
// nearbyint(v / y_scale + y_zero_point) in float32 and clamped to the type.
int32_t ort_average(const Layer& l, const QTensor& in, int oy, int ox, int c) {
    const QuantParam *xq = nullptr, *yq = nullptr;
    for (const QuantParam& q : l.onnx.qparams) {
        if (q.role == "x") xq = &q;
        if (q.role == "y") yq = &q;
    }
    const float xs = float(xq->scale), ys = float(yq->scale);
    float sum = 0.0f;
    int real = 0;
    for (int ky = 0; ky < l.kernel_h; ++ky)
        for (int kx = 0; kx < l.kernel_w; ++kx) {
            int y = oy * l.stride_h + ky - l.pad_t, x = ox * l.stride_w + kx - l.pad_l;
            if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w) continue;
            ++real;
            volatile float d = xs * float(in.at(y, x, c) - l.zp_in);
            volatile float t = sum + d;
            sum = t;
        }
    const int count = l.count_include_pad ? l.kernel_h * l.kernel_w : real;
    volatile float avg = sum / float(count);
    volatile float scaled = avg / ys;
    volatile float shifted = scaled + float(yq->zero_point);
    const bool u8 = yq->dtype == "uint8";
    const int q = std::clamp(int(std::nearbyint(float(shifted))), u8 ? 0 : -128, u8 ? 255 : 127);
    return std::clamp(u8 ? q - 128 : q, l.clamp_lo, l.clamp_hi);
}

// MaxPool: the signed maximum over the window's real positions (padding
// never wins). AvgPool on the shift path: the sum of pre_act(x) over the real
// positions (a padded position is the quantized zero and adds nothing),
// divided exactly by KH*KW when count_include_pad, else by the number of real
// positions; with requant_f32, onnxruntime's float computation above.
QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const bool is_max = l.kind == LayerKind::MaxPool;
    if (!is_max && l.requant_f32) {
        for (int oy = 0; oy < l.out.h; ++oy)
            for (int ox = 0; ox < l.out.w; ++ox)
                for (int c = 0; c < l.out.c; ++c) out.at(oy, ox, c) = ort_average(l, in, oy, ox, c);
        return out;
    }
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int c = 0; c < l.out.c; ++c) {
                int64_t v = is_max ? INT64_MIN : 0, real = 0;
                for (int ky = 0; ky < l.kernel_h; ++ky)
                    for (int kx = 0; kx < l.kernel_w; ++kx) {
                        int y = oy * l.stride_h + ky - l.pad_t, x = ox * l.stride_w + kx - l.pad_l;
                        if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w) continue;
                        ++real;
                        int64_t q = pre_activation(l, in.at(y, x, c));
                        v = is_max ? std::max(v, q) : v + q;
                    }
                const int64_t n = is_max ? 1 : l.count_include_pad ? int64_t(l.kernel_h) * l.kernel_w : real;
                // A MaxPool's value is a quantized input itself: relative to
                // its zero point for the output stage (zp_out = zp_in).
                out.at(oy, ox, c) = output_stage(l, is_max ? v - l.zp_in : v, n);
            }
    return out;
}

const char* entity(const Layer& l) { return l.kind == LayerKind::MaxPool ? "cnn_maxpool" : "cnn_avgpool"; }
std::string suffix(const Layer& l) { return l.kind == LayerKind::MaxPool ? "_maxpool" : "_avgpool"; }

// rtl/cnn_zero_pad.vhd (when padded): one output beat per cycle, Hp * Wp * C / LANES.
// rtl/cnn_maxpool.vhd, rtl/cnn_avgpool.vhd: one input beat per cycle over the
// padded image, Hp * Wp * C / LANES (LANES = lanes_in = lanes_out channels a beat).
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    if (l.lanes_in != l.lanes_out) throw Error(l.name, "a pool passes its lanes through (internal: the plan's lanes)");
    std::vector<PeModel> v;
    const int64_t beats = padded_shape(l).size() / l.lanes_in;
    if (l.has_padding()) v.push_back(zero_pad_pe(l, prefix));
    v.push_back({prefix + suffix(l), entity(l), beats, beats, l.out.size() / l.lanes_out});
    return v;
}

// A padded pool is cnn_zero_pad (-128 before a MaxPool: it never wins; the
// quantized zero zp_in before an AvgPool) and the pool over the padded image; the
// AvgPool is told where the padding is, for count_include_pad 0.
void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    auto n = [](int v) { return std::to_string(v); };
    const bool is_max = l.kind == LayerKind::MaxPool;
    const Shape p = padded_shape(l);
    // zp_in as the byte the stream carries (a uint8 graph input's 0..255 too).
    if (l.has_padding()) emit_zero_pad(l, prefix, is_max ? -128 : int8_t(uint8_t(l.zp_in)), b);
    std::vector<std::pair<std::string, std::string>> g = {
        {"C", n(p.c)}, {"H", n(p.h)}, {"W", n(p.w)},
        {"KH", n(l.kernel_h)}, {"KW", n(l.kernel_w)},
        {"STRIDE_H", n(l.stride_h)}, {"STRIDE_W", n(l.stride_w)}, {"LANES", n(l.lanes_in)}};
    if (!is_max) {
        g.insert(g.end(), {{"PAD_T", n(l.pad_t)}, {"PAD_L", n(l.pad_l)}, {"PAD_B", n(l.pad_b)},
                           {"PAD_R", n(l.pad_r)},
                           {"COUNT_INCLUDE_PAD", l.count_include_pad ? "true" : "false"},
                           {"PRE_ACT", vhdl_act(l.pre_act)}, {"PRE_LEAKY_K", n(l.pre_leaky_k)}});
    }
    for (auto& kv : output_generics(l)) g.push_back(kv);
    b.append(prefix + suffix(l), entity(l), g);
}

}  // namespace

extern const OpDef pool_op = {reference, pes, emit};

}  // namespace cnn
