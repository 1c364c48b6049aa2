// Conv: rtl/cnn_zero_pad (when padded) followed by rtl/cnn_conv.
#include <algorithm>

#include "ops.hpp"

namespace cnn {

namespace {

// acc = bias + sum over the window of x * w; a padded position is the
// quantized zero and adds nothing.
QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int C = l.in.c, KH = l.kernel_h, KW = l.kernel_w;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int oc = 0; oc < l.out.c; ++oc) {
                int64_t acc = l.bias[oc];
                const int8_t* w = &l.weights[size_t(oc) * KH * KW * C];
                for (int ky = 0; ky < KH; ++ky) {
                    int y = oy * l.stride_h + ky - l.pad_t;
                    for (int kx = 0; kx < KW; ++kx, w += C) {
                        int x = ox * l.stride_w + kx - l.pad_l;
                        if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w) continue;  // zero padding
                        for (int ic = 0; ic < C; ++ic) acc += int64_t(in.at(y, x, ic)) * w[ic];
                    }
                }
                out.at(oy, ox, oc) = output_stage(l, acc, 1);
            }
    return out;
}

// The hardware below is still square and symmetric (legality enforces it).
const int& kernel(const Layer& l) { return l.kernel_h; }
const int& stride(const Layer& l) { return l.stride_h; }
const int& pad(const Layer& l) { return l.pad_t; }

Shape padded(const Layer& l) { return Shape{l.in.c, l.in.h + 2 * pad(l), l.in.w + 2 * pad(l)}; }

// rtl/cnn_zero_pad.vhd: one output beat per cycle.
// rtl/cnn_conv.vhd:   max(T_IN, T_CONV, T_OUT) with (H, W the padded input)
//   KKN    = K*K * ceil(C_IN/PAR),  NOG = ceil(C_OUT/PAR_OUT),
//   LAST   = C_OUT - (NOG-1)*PAR_OUT,  R = max(0, K - STRIDE) * W * C_IN
//   T_IN   = H * W * C_IN
//   T_CONV = H_OUT * W_OUT * NOG * KKN + R
//   T_OUT  = H_OUT * W_OUT * C_OUT + max(0, R + KKN + 6 + DW - S),
//   S      = 8*PAR_OUT - (floor(7/NOG) + 1) * (PAR_OUT - LAST)
//   DW     = PAR_OUT > KKN ? max(0, KKN - LAST - M * (PAR_OUT - KKN)) : 0,
//   M      = (NOG - 1 - (7 mod NOG)) mod NOG
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    std::vector<PeModel> v;
    const Shape p = padded(l);
    if (pad(l) > 0) v.push_back({prefix + "_pad", "cnn_zero_pad", p.size(), l.in.size(), p.size()});
    const int64_t pixels = int64_t(l.out.h) * l.out.w;
    const int64_t kkn = int64_t(kernel(l)) * kernel(l) * ceil_div(l.in.c, l.par_in);
    const int64_t nog = ceil_div(l.out.c, l.par_out), last = l.out.c - (nog - 1) * l.par_out;
    const int64_t refill = std::max(0, kernel(l) - stride(l)) * int64_t(p.w) * p.c;
    const int64_t t_in = p.size();
    const int64_t t_conv = pixels * nog * kkn + refill;
    const int64_t s8 = 8 * l.par_out - (7 / nog + 1) * (l.par_out - last);
    const int64_t m = ((nog - 1 - 7 % nog) % nog + nog) % nog;
    const int64_t dw = l.par_out > kkn ? std::max<int64_t>(0, kkn - last - m * (l.par_out - kkn)) : 0;
    const int64_t t_out = l.out.size() + std::max<int64_t>(0, refill + kkn + 6 + dw - s8);
    v.push_back({prefix + "_conv", "cnn_conv", std::max({t_in, t_conv, t_out}), t_in, l.out.size()});
    return v;
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    const Shape p = padded(l);
    if (pad(l) > 0) {
        b.append(prefix + "_pad", "cnn_zero_pad",
                 {{"C", std::to_string(l.in.c)}, {"H", std::to_string(l.in.h)},
                  {"W", std::to_string(l.in.w)}, {"PAD", std::to_string(pad(l))}});
    }
    b.constant(prefix + "_weights", std::vector<int64_t>(l.weights.begin(), l.weights.end()));
    b.constant(prefix + "_bias", std::vector<int64_t>(l.bias.begin(), l.bias.end()));
    std::vector<std::pair<std::string, std::string>> g = {
        {"C_IN", std::to_string(l.in.c)}, {"C_OUT", std::to_string(l.out.c)},
        {"H", std::to_string(p.h)},       {"W", std::to_string(p.w)},
        {"K", std::to_string(kernel(l))},  {"STRIDE", std::to_string(stride(l))},
        {"PAR", std::to_string(l.par_in)}, {"PAR_OUT", std::to_string(l.par_out)},
        {"WEIGHTS", prefix + "_weights"},
        {"BIAS", prefix + "_bias"},        {"IN_SIGNED", l.in_unsigned ? "false" : "true"}};
    for (auto& kv : output_generics(l)) g.push_back(kv);
    b.append(prefix + "_conv", "cnn_conv", g);
}

}  // namespace

extern const OpDef conv_op = {reference, pes, emit};

}  // namespace cnn
