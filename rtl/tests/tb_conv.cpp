// Block test of cnn_conv (through tb_conv_wrap.vhd, which fixes seeded
// weights and biases) against cnn::run_layer (LayerKind::Conv, pad 0).
// Every config: several images back to back, at full rate and under random
// and heavy stalls on both sides (block_tb.hpp run_all), cycles/image checked
// against the analytical model of cnn_conv.vhd's header (within 10 %; the
// printed deviation shows it is exact), and the first output beat of an image
// into the idle block against the header's latency formula (exactly).
#include <algorithm>
#include <cstdio>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "exec.hpp"
#include "pe_conv_models.h"
#include "tb_lcg.hpp"
#include "tb_main.hpp"

// cnn_conv.vhd's cycle model, per image.
static double conv_model_cycles(long long c_in, long long c_out, long long h, long long w,
                                long long k, long long s, long long par, long long par_out) {
    const long long h_out = (h - k) / s + 1, w_out = (w - k) / s + 1;
    const long long ng = (c_in + par - 1) / par, kkn = k * k * ng;
    const long long nog = (c_out + par_out - 1) / par_out, last = c_out - (nog - 1) * par_out;
    const long long r = std::max(0LL, k - s) * w * c_in;
    const long long t_in = h * w * c_in;
    const long long t_conv = h_out * w_out * nog * kkn + r;
    const long long s8 = 8 * par_out - (7 / nog + 1) * (par_out - last);
    const long long m = ((nog - 1 - 7 % nog) % nog + nog) % nog;
    const long long dw = par_out > kkn ? std::max(0LL, kkn - last - m * (par_out - kkn)) : 0;
    const long long t_out = h_out * w_out * c_out + std::max(0LL, r + kkn + 6 + dw - s8);
    return double(std::max({t_in, t_conv, t_out}));
}

// cnn_conv.vhd's latency: first output beat after the first input beat.
static long long conv_model_first_out(long long c_in, long long w, long long k, long long par) {
    return k * w * c_in + k * k * ((c_in + par - 1) / par) + 5;
}

// PAR_OUT of a config (configs written before it existed leave it out: 1).
template <class Cfg, class = void>
struct ParOut { static constexpr long long value = 1; };
template <class Cfg>
struct ParOut<Cfg, std::void_t<decltype(Cfg::PAR_OUT)>> { static constexpr long long value = Cfg::PAR_OUT; };

template <class Cfg>
bool run() {
    cnn::Layer l;
    l.name = std::string("conv ") + Cfg::name;
    l.kind = cnn::LayerKind::Conv;
    l.in = {int(Cfg::C_IN), int(Cfg::H), int(Cfg::W)};
    l.out = {int(Cfg::C_OUT), int((Cfg::H - Cfg::K) / Cfg::STRIDE + 1),
             int((Cfg::W - Cfg::K) / Cfg::STRIDE + 1)};
    l.kernel_h = l.kernel_w = int(Cfg::K);
    l.stride_h = l.stride_w = int(Cfg::STRIDE);
    l.f_in = 0;
    l.f_w = int(Cfg::SHIFT);  // shift = f_in + f_w - f_out
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu
          : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    l.par_in = int(Cfg::PAR);
    l.par_out = int(ParOut<Cfg>::value);
    cnn::rtl_tb::lcg_values(Cfg::SEED, Cfg::BMUL, size_t(Cfg::C_OUT * Cfg::K * Cfg::K * Cfg::C_IN),
                            size_t(Cfg::C_OUT), l.weights, l.bias);
    if (Cfg::WFILL != 0) std::fill(l.weights.begin(), l.weights.end(), int8_t(Cfg::WFILL));

    std::mt19937_64 rng(0xc0 + Cfg::SEED);
    std::uniform_int_distribution<int> d(Cfg::IN_SIGNED_I ? -128 : 0, Cfg::IN_SIGNED_I ? 127 : 255);
    cnn::rtl_tb::Job job;
    job.label = std::string("conv ") + Cfg::name;
    job.out_shape = l.out;
    const long long par_out = ParOut<Cfg>::value;
    job.model_cycles = conv_model_cycles(Cfg::C_IN, Cfg::C_OUT, Cfg::H, Cfg::W, Cfg::K,
                                         Cfg::STRIDE, Cfg::PAR, par_out);
    for (int i = 0; i < int(Cfg::IMAGES); ++i) {
        cnn::QTensor t(l.in);
        for (auto& v : t.data) v = d(rng);
        if (i == 1)  // extremes: every input at its most negative / largest value
            for (auto& v : t.data) v = Cfg::IN_SIGNED_I ? -128 : 255;
        cnn::QTensor o = cnn::run_layer(l, t);
        job.inputs.emplace_back(t.data.begin(), t.data.end());
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    bool ok = cnn::rtl_tb::run_all<typename Cfg::Model>(job, 17 + uint64_t(Cfg::SEED));
    // Latency: one more no-stall run, measured (image 0 enters the idle block).
    cnn::rtl_tb::Measured m;
    if (cnn::rtl_tb::run_once<typename Cfg::Model>(job, cnn::rtl_tb::Stall::Off, cnn::rtl_tb::Stall::Off,
                                                   5 + uint64_t(Cfg::SEED), &m)) {
        const long long want = conv_model_first_out(Cfg::C_IN, Cfg::W, Cfg::K, Cfg::PAR);
        if ((long long)m.first_out != want) {
            std::fprintf(stderr, "FAIL %s: first output beat after %llu cycles, the model says %lld\n",
                         job.label.c_str(), (unsigned long long)m.first_out, want);
            ok = false;
        }
    } else {
        ok = false;
    }
    return ok;
}

CNN_BLOCK_TB_MAIN()
