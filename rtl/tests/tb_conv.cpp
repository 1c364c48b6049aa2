// Block test of cnn_conv (through tb_conv_wrap.vhd, which fixes seeded
// weights and biases) against cnn::run_layer (LayerKind::Conv, pad 0).
// Every config: several images back to back, at full rate and under random
// and heavy stalls on both sides (block_tb.hpp run_all), cycles/image checked
// against the analytical model of cnn_conv.vhd's header.
#include <algorithm>
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "exec.hpp"
#include "pe_conv_models.h"
#include "tb_lcg.hpp"

// cnn_conv.vhd's cycle model, per image.
static double conv_model_cycles(long long c_in, long long c_out, long long h, long long w,
                                long long k, long long s, long long par) {
    const long long h_out = (h - k) / s + 1, w_out = (w - k) / s + 1;
    const long long ng = (c_in + par - 1) / par;
    const long long t_in = h * w * c_in;
    const long long t_conv = h_out * w_out * c_out * k * k * ng + std::max(0LL, k - s) * w * c_in;
    return double(std::max(t_in, t_conv));
}

template <class Cfg>
bool run() {
    cnn::Layer l;
    l.name = std::string("conv ") + Cfg::name;
    l.kind = cnn::LayerKind::Conv;
    l.in = {int(Cfg::C_IN), int(Cfg::H), int(Cfg::W)};
    l.out = {int(Cfg::C_OUT), int((Cfg::H - Cfg::K) / Cfg::STRIDE + 1),
             int((Cfg::W - Cfg::K) / Cfg::STRIDE + 1)};
    l.kernel = int(Cfg::K);
    l.stride = int(Cfg::STRIDE);
    l.pad = 0;
    l.f_in = 0;
    l.f_w = int(Cfg::SHIFT);  // shift = f_in + f_w - f_out
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu
          : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    l.par_in = int(Cfg::PAR);
    cnn::rtl_tb::lcg_values(Cfg::SEED, Cfg::BMUL, size_t(Cfg::C_OUT * Cfg::K * Cfg::K * Cfg::C_IN),
                            size_t(Cfg::C_OUT), l.weights, l.bias);
    if (Cfg::WFILL != 0) std::fill(l.weights.begin(), l.weights.end(), int8_t(Cfg::WFILL));

    std::mt19937_64 rng(0xc0 + Cfg::SEED);
    std::uniform_int_distribution<int> d(Cfg::IN_SIGNED_I ? -128 : 0, Cfg::IN_SIGNED_I ? 127 : 255);
    cnn::rtl_tb::Job job;
    job.label = std::string("conv ") + Cfg::name;
    job.out_shape = l.out;
    job.model_cycles = conv_model_cycles(Cfg::C_IN, Cfg::C_OUT, Cfg::H, Cfg::W, Cfg::K,
                                         Cfg::STRIDE, Cfg::PAR);
    for (int i = 0; i < int(Cfg::IMAGES); ++i) {
        cnn::QTensor t(l.in);
        for (auto& v : t.data) v = d(rng);
        if (i == 1)  // extremes: every input at its most negative / largest value
            for (auto& v : t.data) v = Cfg::IN_SIGNED_I ? -128 : 255;
        cnn::QTensor o = cnn::run_layer(l, t);
        job.inputs.emplace_back(t.data.begin(), t.data.end());
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 17 + uint64_t(Cfg::SEED));
}

int main() {
    bool ok = true;
#define RUN(Cfg) ok = run<Cfg>() && ok;
    CNN_FOR_EACH_CONFIG(RUN)
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
