// SPEC §1, rule by rule. Each violation is one line naming the node, the rule
// and the value found; all are collected before anything is thrown.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "passes.hpp"

namespace cnn {

namespace {

std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += (s.empty() ? "" : "\n") + l;
    return s;
}

std::string num(double v) {
    std::ostringstream o;
    o.precision(7);  // scales are float32 in the file
    o << v;
    return o.str();
}

bool power_of_two(double v) {
    int e;
    return v > 0 && std::isfinite(v) && std::frexp(v, &e) == 0.5 && std::abs(e) < 40;
}

// A scale as the file stores it: a positive, finite, normal float32.
bool valid_scale(double v) {
    const float f = float(v);
    return v > 0 && std::isfinite(v) && double(f) == v && std::isnormal(f);
}

class Checker {
public:
    std::vector<std::string> lines;

    void at(const std::string& where, const std::string& rule) { lines.push_back(where + ": " + rule); }

    // SPEC §1: activations int8 or uint8 with any zero point of their type;
    // weights int8 with zero point 0 (one scale, or one per output channel);
    // bias int32 with zero point 0; every scale a positive, finite float32.
    void qparam(const std::string& where, const QuantParam& q) {
        const std::string t = q.role + " '" + q.tensor + "'";
        for (size_t i = 0; i < std::max<size_t>(1, q.channel_scales.size()); ++i)
            if (!valid_scale(q.scale_of(i))) {
                at(where, t + " scale " + num(q.scale_of(i)) + " is not a positive, finite, normal float32");
                break;
            }
        const bool weight = q.role == "w" || q.role == "bias";
        if (weight && q.zero_point != 0.0) at(where, t + " zero point " + num(q.zero_point) + " is not 0");
        if (q.role == "bias") {
            if (q.dtype != "int32") at(where, t + " is " + q.dtype + "; bias must be int32");
            return;
        }
        if (q.role == "w") {
            if (q.dtype != "int8") at(where, t + " is " + q.dtype + "; weights must be int8");
            return;
        }
        if (q.per_channel()) at(where, t + " has one scale per channel; activations take one scale");
        if (q.dtype != "int8" && q.dtype != "uint8") at(where, t + " is " + q.dtype + "; int8 or uint8 is required");
        const double lo = q.dtype == "uint8" ? 0 : -128, hi = q.dtype == "uint8" ? 255 : 127;
        if (q.zero_point != std::nearbyint(q.zero_point) || q.zero_point < lo || q.zero_point > hi)
            at(where, t + " zero point " + num(q.zero_point) + " is outside its type " + q.dtype);
    }

    // Conv: kernel 1..11 and stride 1..4 per axis, each pad 0..k-1 of its
    // axis's kernel (non-square, asymmetric: TF's SAME), dilation 1, group 1
    // or depthwise (lowered to DwConv: group = C_in, C_out a multiple of C_in).
    void window(const std::string& where, const Layer& l, bool conv) {
        if (!conv) return pool_window(where, l);
        const OnnxFacts& f = l.onnx;
        const auto n = [](int v) { return std::to_string(v); };
        const struct { const char* axis; int k, s, p0, p1; } axes[] = {
            {"rows", f.kernel_h, f.stride_h, f.pad_t, f.pad_b},
            {"columns", f.kernel_w, f.stride_w, f.pad_l, f.pad_r}};
        for (const auto& a : axes) {
            const std::string axis = std::string(" (") + a.axis + ")";
            if (a.k < 1 || a.k > 11) at(where, "kernel " + n(a.k) + axis + " outside 1..11");
            if (a.s < 1 || a.s > 4) at(where, "stride " + n(a.s) + axis + " outside 1..4");
            for (int p : {a.p0, a.p1})
                if (p < 0 || p >= a.k) at(where, "pad " + n(p) + axis + " outside 0..kernel-1 = 0.." + n(a.k - 1));
        }
        if (f.dilation_h != 1 || f.dilation_w != 1)
            at(where, "dilation " + n(f.dilation_h) + "," + n(f.dilation_w) + "; only dilation 1 is accepted");
        if (f.group != 1 && l.kind != LayerKind::DwConv)
            at(where, "group " + n(f.group) + "; only 1 or C_in (depthwise) is accepted");
    }

    // MaxPool / AveragePool: kernel 1..7 and stride 1..4 per axis, pads
    // 0..kernel-1 per side (of that axis' kernel), dilation 1, ceil_mode 0.
    void pool_window(const std::string& where, const Layer& l) {
        const OnnxFacts& f = l.onnx;
        auto n = [](int v) { return std::to_string(v); };
        const std::string k = n(f.kernel_h) + "x" + n(f.kernel_w);
        if (f.kernel_h < 1 || f.kernel_h > 7 || f.kernel_w < 1 || f.kernel_w > 7)
            at(where, "kernel " + k + " outside 1..7 per axis");
        if (f.stride_h < 1 || f.stride_h > 4 || f.stride_w < 1 || f.stride_w > 4)
            at(where, "strides " + n(f.stride_h) + "," + n(f.stride_w) + " outside 1..4 per axis");
        if (f.dilation_h != 1 || f.dilation_w != 1)
            at(where, "dilation " + n(f.dilation_h) + "," + n(f.dilation_w) + "; only dilation 1 is accepted");
        const std::string pads = n(f.pad_t) + "," + n(f.pad_l) + "," + n(f.pad_b) + "," + n(f.pad_r);
        auto pad_ok = [](int p, int kernel) { return p >= 0 && p < kernel; };
        if (!pad_ok(f.pad_t, f.kernel_h) || !pad_ok(f.pad_b, f.kernel_h) || !pad_ok(f.pad_l, f.kernel_w) ||
            !pad_ok(f.pad_r, f.kernel_w))
            at(where, "pads " + pads + " (top,left,bottom,right) outside 0..kernel-1 of kernel " + k);
        if (f.ceil_mode) at(where, "ceil_mode 1; only ceil_mode 0 is accepted");
    }

    // A pool's pre-activation (a float segment's LeakyRelu / Relu kept exact
    // into the sum): only an average pool sums, and k is 1..7 as for every
    // leaky ReLU.
    void pre_activation(const std::string& where, const Layer& l) {
        if (l.pre_act == Activation::None) return;
        const std::string what = std::string("pre-activation ") + activation_name(l.pre_act);
        if (l.kind != LayerKind::AvgPool && l.kind != LayerKind::GlobalAvgPool)
            at(where, what + " on a " + kind_name(l.kind) + "; only AvgPool or GlobalAvgPool take one");
        else if (l.pre_act == Activation::Leaky &&
                 (!power_of_two(l.onnx.pre_alpha) || -std::ilogb(l.onnx.pre_alpha) < 1 || -std::ilogb(l.onnx.pre_alpha) > 7))
            at(where, what + " alpha " + num(l.onnx.pre_alpha) + " is not 2^-k with k in 1..7");
    }
};

}  // namespace

LegalityError::LegalityError(const std::string& source, std::vector<std::string> lines)
    : Error(source, join(lines)), lines_(std::move(lines)) {}

void check_legality(Network& net) {
    Checker c;
    const std::string input = "input";
    if (net.input_dims.size() == 4 && net.input_dims[0] != 1)
        c.at(input, "batch " + std::to_string(net.input_dims[0]) + "; one image (batch 1) per inference is accepted");
    c.qparam(input, net.input_q);
    if (!net.layers.empty()) c.qparam("graph output", net.output_q);

    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        const std::string where = "node '" + l.name + "' (" + l.onnx.op + ")";
        const QuantParam *x = nullptr, *w = nullptr;
        for (const QuantParam& q : l.onnx.qparams) {
            c.qparam(where, q);
            if (q.role == "x") x = &q;
            if (q.role == "w") w = &q;
        }
        // The bias is int32 at s_x * s_w[oc] (the product in float32, as
        // quantizers store it; onnxruntime then adds the integers as they are).
        for (const QuantParam& q : l.onnx.qparams) {
            if (q.role != "bias" || !x || !w) continue;
            if (q.per_channel() != w->per_channel() && q.per_channel()) {
                c.at(where, "bias '" + q.tensor + "' has one scale per channel, the weights one");
                continue;
            }
            // Found by the fuzzer: a bias with fewer per-channel scales than
            // the weights was read past its end.
            if (q.per_channel() && q.channel_scales.size() != w->channel_scales.size()) {
                c.at(where, "bias '" + q.tensor + "' has " + std::to_string(q.channel_scales.size()) +
                                " scales, the weights " + std::to_string(w->channel_scales.size()));
                continue;
            }
            for (size_t oc = 0; oc < std::max<size_t>(1, w->channel_scales.size()); ++oc) {
                const float want = float(x->scale) * float(w->scale_of(oc));
                const double got = q.per_channel() ? q.scale_of(oc) : q.scale;
                if (float(got) != want) {
                    c.at(where, "bias '" + q.tensor + "' scale " + num(got) + (w->per_channel() ? " of channel " +
                                std::to_string(oc) : std::string()) + " is not x scale * w scale = " + num(want));
                    break;
                }
            }
        }
        const std::vector<int> in = net.inputs_of(i);
        const bool reads_input = std::find(in.begin(), in.end(), -1) != in.end();
        if (reads_input && net.input_unsigned && !l.has_weights() && l.kind != LayerKind::Act)
            c.at(where, std::string(kind_name(l.kind)) +
                            " reads the uint8 graph input; only Conv, Dense or an elementwise table may");
        switch (l.kind) {
            case LayerKind::Conv:
            case LayerKind::DwConv: c.window(where, l, true); break;
            case LayerKind::MaxPool:
            case LayerKind::AvgPool: c.window(where, l, false); break;
            case LayerKind::Dense:
                if (l.onnx.gemm_alpha != 1.0 || l.onnx.gemm_beta != 1.0)
                    c.at(where, "alpha " + num(l.onnx.gemm_alpha) + ", beta " + num(l.onnx.gemm_beta) +
                                    "; only 1, 1 is accepted");
                break;
            default: break;
        }
        c.pre_activation(where, l);
    }
    if (!c.lines.empty()) throw LegalityError(net.source, c.lines);
}

}  // namespace cnn
