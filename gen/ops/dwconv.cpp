// DwConv (depthwise convolution, ONNX Conv / QLinearConv with group = C_in):
// rtl/cnn_zero_pad (when padded) followed by rtl/cnn_dwconv.
#include <algorithm>

#include "ops.hpp"

namespace cnn {

namespace {

// Output channel oc reads input channel oc / M only (M = C_out / C_in, the
// channel multiplier; ONNX's grouped conv with group = C_in, onnxruntime's
// conv.cc / qlinearconv.cc running one group per input channel):
//     acc = bias'[oc] + sum_{ky,kx} x[oy*SH+ky-PT][ox*SW+kx-PL][oc / M] * w[oc][ky][kx]
// with a padded position read as the quantized zero zp_in (bias' has
// -zp_in * sum(w[oc]) folded in, assign_quantization.cpp, so acc equals
// onnxruntime's bias + sum((x - zp_in) * w)), then the layer's output stage.
QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int KH = l.kernel_h, KW = l.kernel_w, M = l.out.c / l.in.c;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int oc = 0; oc < l.out.c; ++oc) {
                const int ic = oc / M;
                int64_t acc = l.bias[size_t(oc)];
                const int8_t* w = &l.weights[size_t(oc) * KH * KW];
                for (int ky = 0; ky < KH; ++ky) {
                    const int y = oy * l.stride_h + ky - l.pad_t;
                    for (int kx = 0; kx < KW; ++kx, ++w) {
                        const int x = ox * l.stride_w + kx - l.pad_l;
                        const bool pad = y < 0 || y >= l.in.h || x < 0 || x >= l.in.w;
                        acc += int64_t(pad ? l.zp_in : in.at(y, x, ic)) * *w;
                    }
                }
                out.at(oy, ox, oc) = output_stage(l, acc, 1, oc);
            }
    return out;
}

// rtl/cnn_zero_pad.vhd (when padded): one output beat per cycle.
// rtl/cnn_dwconv.vhd: its header's cycle model, with H, W the padded input
// and PAR = l.par_out output channels per cycle (cnn_conv's model with one
// issue cycle per kernel position, KKN = KH*KW, PAR_OUT = PAR):
//   NOG = ceil(C_OUT/PAR),  LAST = C_OUT - (NOG-1)*PAR,
//   T_ROW = W_OUT * NOG * KK,  RREL = min(STRIDE_H, KH),
//   R = (KH - RREL) * W * C_IN,  TR = (H - (H_OUT-1)*STRIDE_H - KH) * W * C_IN
//   T_IN   = H * W * C_IN
//   T_CONV = max(H_OUT * T_ROW + R,
//                (KH + RREL) * W * C_IN + TR + (H_OUT-2) * T_ROW   if H_OUT >= 3)
//   T_OUT  = H_OUT * W_OUT * C_OUT + max(0, R + KK + 6 + X + DW - S),
//   X = 0, or 4 with requant_f32;  D = 8 + X (the output FIFO's entries)
//   S  = D*PAR - (floor((D-1)/NOG) + 1) * (PAR - LAST)
//   DW = PAR > KK ? max(0, KK - LAST - Q * (PAR - KK)) : 0,
//   Q  = (NOG - 1 - ((D-1) mod NOG)) mod NOG
//   cycles/image = max(T_IN, T_CONV, T_OUT)
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    std::vector<PeModel> v;
    if (l.has_padding()) v.push_back(zero_pad_pe(l, prefix));
    const int64_t kk = int64_t(l.kernel_h) * l.kernel_w;
    const int64_t t_in = padded_shape(l).size();
    v.push_back({prefix + "_dwconv", "cnn_dwconv", conv_cycles(l, kk, std::max(1, l.par_out)), t_in, l.out.size()});
    return v;
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    // Padding is the quantized zero (the input's zero point as a stream byte).
    if (l.has_padding()) emit_zero_pad(l, prefix, int8_t(uint8_t(l.zp_in)), b);
    const Shape p = padded_shape(l);
    b.constant(prefix + "_weights", std::vector<int64_t>(l.weights.begin(), l.weights.end()));
    b.constant(prefix + "_bias", std::vector<int64_t>(l.bias.begin(), l.bias.end()));
    std::vector<std::pair<std::string, std::string>> g = {
        {"C_IN", std::to_string(l.in.c)},         {"C_OUT", std::to_string(l.out.c)},
        {"H", std::to_string(p.h)},               {"W", std::to_string(p.w)},
        {"KH", std::to_string(l.kernel_h)},       {"KW", std::to_string(l.kernel_w)},
        {"STRIDE_H", std::to_string(l.stride_h)}, {"STRIDE_W", std::to_string(l.stride_w)},
        {"PAR", std::to_string(std::max(1, l.par_out))},
        {"WEIGHTS", prefix + "_weights"},         {"BIAS", prefix + "_bias"},
        {"IN_SIGNED", l.in_unsigned ? "false" : "true"}};
    for (auto& kv : output_generics(l)) g.push_back(kv);
    for (auto& kv : requant_generics(l, prefix, b)) g.push_back(kv);
    b.append(prefix + "_dwconv", "cnn_dwconv", g);
}

}  // namespace

extern const OpDef dwconv_op = {reference, pes, emit};

}  // namespace cnn
