// tb_expect.hpp: the expected outputs of the SPEC v2 output stages (zero
// point, lower clamp, onnxruntime's float32 requantisation) for the block
// tests of cnn_conv, cnn_dense and cnn_gap. On this branch the golden
// model's reference() (gen/ops/*.cpp, gen/exec.cpp output_stage) does not yet
// read Layer::zp_out, clamp_lo, requant_f32, scale, zp_in: these few lines
// state them from the same IR fields, with gen/requant.hpp for the float
// arithmetic, and the accumulators as the references form them. Once the
// references do SPEC v2, the tests should compare with cnn::run_layer alone.
#pragma once

#include <algorithm>
#include <cstdint>

#include "exec.hpp"
#include "ir.hpp"
#include "ops.hpp"
#include "requant.hpp"

namespace cnn::rtl_tb {

// True when the layer needs these lines (else run_layer is the reference).
inline bool spec_v2_stage(const Layer& l) {
    return l.requant_f32 || l.zp_out != 0 || l.clamp_lo != -128 || l.zp_in != 0;
}

// One output from its accumulator (n: the pool size of the shift path's
// exact division; the float path's scale already holds 1/n).
inline int32_t expect_stage(const Layer& l, int64_t acc, int64_t n, int oc) {
    // A Relu on the float path is the clamp at the quantized zero, y >= zp_out
    // (the importer may also say it with clamp_lo = zp_out alone).
    if (l.requant_f32)
        return requantize_f32(acc, l.scale[size_t(oc)], l.zp_out,
                              l.act == Activation::Relu ? std::max(l.clamp_lo, l.zp_out) : l.clamp_lo, l.clamp_hi);
    // The shift path: clamp(its rounding + zp_out, clamp_lo, clamp_hi).
    int shift = output_shift(l);
    if (acc < 0 && l.act == Activation::Relu) return std::clamp(l.zp_out, l.clamp_lo, l.clamp_hi);
    if (acc < 0 && l.act == Activation::Leaky) shift += l.leaky_k;
    const int64_t r = rhe_div(acc, n, shift);
    return int32_t(std::clamp<int64_t>(r + l.zp_out, l.clamp_lo, l.clamp_hi));
}

// Conv: acc = bias + sum over the window (padding is the quantized zero).
inline QTensor expect_conv(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int C = l.in.c, KH = l.kernel_h, KW = l.kernel_w;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int oc = 0; oc < l.out.c; ++oc) {
                int64_t acc = l.bias[size_t(oc)];
                for (int ky = 0; ky < KH; ++ky)
                    for (int kx = 0; kx < KW; ++kx) {
                        const int y = oy * l.stride_h + ky - l.pad_t, x = ox * l.stride_w + kx - l.pad_l;
                        if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w) continue;
                        for (int ic = 0; ic < C; ++ic)
                            acc += int64_t(in.at(y, x, ic)) *
                                   l.weights[((size_t(oc) * KH + ky) * KW + kx) * C + size_t(ic)];
                    }
                out.at(oy, ox, oc) = expect_stage(l, acc, 1, oc);
            }
    return out;
}

// Dense: acc = bias + sum_i x[i] * w[o][i].
inline QTensor expect_dense(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const size_t n = in.data.size();
    for (int o = 0; o < l.out.c; ++o) {
        int64_t acc = l.bias[size_t(o)];
        for (size_t i = 0; i < n; ++i) acc += int64_t(in.data[i]) * l.weights[size_t(o) * n + i];
        out.data[size_t(o)] = expect_stage(l, acc, 1, o);
    }
    return out;
}

// GlobalAvgPool: acc = sum(pre_act(x)) - zp_in * N; the float path's scale
// holds 1/N, the shift path divides acc by N exactly.
inline QTensor expect_gap(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int64_t n = int64_t(l.in.h) * l.in.w;
    for (int c = 0; c < l.in.c; ++c) {
        int64_t sum = 0;
        for (int y = 0; y < l.in.h; ++y)
            for (int x = 0; x < l.in.w; ++x) sum += pre_activation(l, in.at(y, x, c));
        const int64_t acc = sum - int64_t(l.zp_in) * n;
        out.data[size_t(c)] = l.requant_f32 ? expect_stage(l, acc, 1, 0) : expect_stage(l, acc, n, 0);
    }
    return out;
}

}  // namespace cnn::rtl_tb
