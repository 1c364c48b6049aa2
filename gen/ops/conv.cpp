// Conv: rtl/cnn_zero_pad (when padded) followed by rtl/cnn_conv.
#include <algorithm>
#include <vector>

#include "ops.hpp"

namespace cnn {

namespace {

// acc = bias + sum over the window of x * w, where a padded position is the
// quantized zero zp_in (the bias has -zp_in * sum(w) folded in, so the
// accumulator is onnxruntime's bias + sum((x - zp_in) * w)).
QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int C = l.in.c, KH = l.kernel_h, KW = l.kernel_w;
    const size_t K = size_t(KH) * KW * C;
    // Each output position's window, gathered once in the weights' order
    // (ky, kx, c), then one dot product per output channel. |x * w| < 2^15,
    // so a run of up to 2^16 products sums exactly in 32 bits (and vectorises).
    std::vector<int32_t> win(K);
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox) {
            int32_t* g = win.data();
            for (int ky = 0; ky < KH; ++ky) {
                const int y = oy * l.stride_h + ky - l.pad_t;
                for (int kx = 0; kx < KW; ++kx, g += C) {
                    const int x = ox * l.stride_w + kx - l.pad_l;
                    if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w)
                        std::fill(g, g + C, l.zp_in);
                    else
                        std::copy_n(&in.data[(size_t(y) * in.shape.w + x) * C], C, g);
                }
            }
            for (int oc = 0; oc < l.out.c; ++oc) {
                int64_t acc = l.bias[oc];
                const int8_t* w = &l.weights[size_t(oc) * K];
                for (size_t k0 = 0; k0 < K; k0 += size_t(1) << 16) {
                    const size_t k1 = std::min(K, k0 + (size_t(1) << 16));
                    int32_t sum = 0;
                    for (size_t k = k0; k < k1; ++k) sum += win[k] * w[k];
                    acc += sum;
                }
                out.at(oy, ox, oc) = output_stage(l, acc, 1, oc);
            }
        }
    return out;
}

// rtl/cnn_zero_pad.vhd (when padded): one output beat per cycle.
// rtl/cnn_conv.vhd: its header's cycle model, with H, W the padded input and
// every count in beats (IN_LANES input, OUT_LANES output channels a beat):
//   NG = ceil(C_IN/PAR),  KKN = ceil(KH/PAR_KY)*ceil(KW/PAR_KX)*NG,
//   NOG = ceil(C_OUT/PAR_OUT),  ROW = W * C_IN / IN_LANES,
//   LAST = (C_OUT - (NOG-1)*PAR_OUT) / OUT_LANES, PAR_OUT below: PAR_OUT / OUT_LANES
//   (a group's beats),  T_ROW = W_OUT * NOG * KKN,
//   RREL = min(STRIDE_H, KH),  R = (KH - RREL) * ROW,
//   T_TR = (H - (H_OUT-1)*STRIDE_H - KH) * ROW
//   T_IN   = H * ROW
//   T_CONV = max(H_OUT * T_ROW + R,
//                (KH + RREL) * ROW + T_TR + F  if H_OUT >= 3),
//   F      = the issue of H_OUT-2 output rows from an empty FIFO under the
//            credits ((H_OUT-2) * T_ROW when PAR_OUT <= KKN; ops.cpp
//            credit_bound_issue, the recurrence of the VHDL header)
//   T_OUT  = H_OUT * W_OUT * C_OUT / OUT_LANES + max(0, R + KKN + 6 + X + DW - S),
//   X      = the float32 stage's extra latency (0, or 4 with requant_f32)
//   D      = the output FIFO's entries, 8 + X
//   S      = D*PAR_OUT - (floor((D-1)/NOG) + 1) * (PAR_OUT - LAST)
//   DW     = PAR_OUT > KKN ? max(0, KKN - LAST - M * (PAR_OUT - KKN)) : 0,
//   M      = (NOG - 1 - ((D-1) mod NOG)) mod NOG
//   cycles/image = max(T_IN, T_CONV, T_OUT)
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    std::vector<PeModel> v;
    if (l.has_padding()) v.push_back(zero_pad_pe(l, prefix));
    const int64_t kkn = int64_t(ceil_div(l.kernel_h, l.par_ky)) * ceil_div(l.kernel_w, l.par_kx) * ceil_div(l.in.c, l.par_in);
    const int64_t t_in = padded_shape(l).size() / l.lanes_in;
    v.push_back({prefix + "_conv", "cnn_conv", conv_cycles(l, kkn, l.par_out), t_in, l.out.size() / l.lanes_out});
    return v;
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    // Padding is the quantized zero: the input's zero point as the byte the
    // stream carries (a uint8 graph input's 0..255 too, hence the cast).
    if (l.has_padding()) emit_zero_pad(l, prefix, int8_t(uint8_t(l.zp_in)), b);
    const Shape p = padded_shape(l);
    b.constant(prefix + "_weights", std::vector<int64_t>(l.weights.begin(), l.weights.end()));
    b.constant(prefix + "_bias", std::vector<int64_t>(l.bias.begin(), l.bias.end()));
    std::vector<std::pair<std::string, std::string>> g = {
        {"C_IN", std::to_string(l.in.c)},         {"C_OUT", std::to_string(l.out.c)},
        {"H", std::to_string(p.h)},               {"W", std::to_string(p.w)},
        {"KH", std::to_string(l.kernel_h)},       {"KW", std::to_string(l.kernel_w)},
        {"STRIDE_H", std::to_string(l.stride_h)}, {"STRIDE_W", std::to_string(l.stride_w)},
        {"PAR", std::to_string(l.par_in)},        {"PAR_OUT", std::to_string(l.par_out)},
        {"PAR_KY", std::to_string(l.par_ky)},     {"PAR_KX", std::to_string(l.par_kx)},
        {"IN_LANES", std::to_string(l.lanes_in)}, {"OUT_LANES", std::to_string(l.lanes_out)},
        {"WEIGHTS", prefix + "_weights"},
        {"BIAS", prefix + "_bias"},               {"IN_SIGNED", l.in_unsigned ? "false" : "true"}};
    for (auto& kv : output_generics(l)) g.push_back(kv);
    for (auto& kv : requant_generics(l, prefix, b)) g.push_back(kv);
    b.append(prefix + "_conv", "cnn_conv", g);
}

}  // namespace

extern const OpDef conv_op = {reference, pes, emit};

}  // namespace cnn
