// SPEC §1, rule by rule. Each violation is one line naming the node, the rule
// and the value found; all are collected before anything is thrown.
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

class Checker {
public:
    std::vector<std::string> lines;

    void at(const std::string& where, const std::string& rule) { lines.push_back(where + ": " + rule); }

    void qparam(const std::string& where, const QuantParam& q, bool allow_uint8) {
        const std::string t = q.role + " '" + q.tensor + "'";
        if (!power_of_two(q.scale))
            at(where, t + " scale " + num(q.scale) + " is not an exact power of two (2^-f)");
        if (q.zero_point != 0.0) at(where, t + " zero point " + num(q.zero_point) + " is not 0");
        if (q.role == "bias") {
            if (q.dtype != "int32") at(where, t + " is " + q.dtype + "; bias must be int32");
            return;
        }
        bool ok = q.dtype == "int8" || (allow_uint8 && q.dtype == "uint8");
        if (!ok) at(where, t + " is " + q.dtype + "; " + (allow_uint8 ? "int8 or uint8" : "int8") + " is required");
    }

    // Conv: kernel 1..11 and stride 1..4 per axis, each pad 0..k-1 of its
    // axis's kernel (non-square, asymmetric: TF's SAME), dilation 1, group 1.
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
        if (f.group != 1) at(where, "group " + n(f.group) + "; only group 1 is accepted");
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
    c.qparam(input, net.input_q, true);
    if (!net.layers.empty()) c.qparam("graph output", net.output_q, false);

    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        const std::string where = "node '" + l.name + "' (" + l.onnx.op + ")";
        const QuantParam *x = nullptr, *w = nullptr;
        for (const QuantParam& q : l.onnx.qparams) {
            // The first layer may read the uint8 graph input.
            bool first_input = i == 0 && (q.role == "x") && net.input_unsigned;
            c.qparam(where, q, first_input);
            if (q.role == "x") x = &q;
            if (q.role == "w") w = &q;
        }
        for (const QuantParam& q : l.onnx.qparams)
            if (q.role == "bias" && x && w && q.scale != x->scale * w->scale)
                c.at(where, "bias '" + q.tensor + "' scale " + num(q.scale) + " is not x scale * w scale = " +
                                num(x->scale * w->scale));
        if (i == 0 && net.input_unsigned && !l.has_weights())
            c.at(where, std::string(kind_name(l.kind)) + " reads the uint8 graph input; only Conv or Dense may");
        switch (l.kind) {
            case LayerKind::Conv: c.window(where, l, true); break;
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
        if (l.act == Activation::Leaky) {
            int k = -std::ilogb(l.onnx.alpha);
            if (!power_of_two(l.onnx.alpha) || k < 1 || k > 7)
                c.at(where, "LeakyRelu alpha " + num(l.onnx.alpha) + " is not 2^-k with k in 1..7");
        }
    }
    if (!c.lines.empty()) throw LegalityError(net.source, c.lines);
}

}  // namespace cnn
