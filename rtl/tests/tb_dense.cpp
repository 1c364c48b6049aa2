// Block test of cnn_dense (through tb_dense_wrap.vhd, which fixes seeded
// weights and biases) against cnn::run_layer (LayerKind::Dense). Every config:
// several images back to back, at full rate and under random and heavy
// stalls on both sides (block_tb.hpp run_all), cycles/image checked against
// the generator's cycle model (gen/ops/dense.cpp pes(), cnn_dense.vhd's
// header), exactly.
#include <algorithm>
#include <cstdio>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "exec.hpp"
#include "ops.hpp"
#include "pe_dense_models.h"
#include "tb_expect.hpp"
#include "tb_lcg.hpp"
#include "tb_main.hpp"


// The ZEROS generic of a config (0 when the config does not set it).
template <class Cfg>
constexpr auto zeros_of(int) -> decltype(Cfg::ZEROS, 0LL) { return Cfg::ZEROS; }
template <class Cfg>
constexpr long long zeros_of(long) { return 0; }

// Generics a config may leave out (configs written before they existed).
#define CNN_OPTIONAL_GENERIC(NAME, DEFAULT)                                                   \
    template <class Cfg, class = void>                                                        \
    struct Opt_##NAME { static constexpr long long value = DEFAULT; };                        \
    template <class Cfg>                                                                      \
    struct Opt_##NAME<Cfg, std::void_t<decltype(Cfg::NAME)>> { static constexpr long long value = Cfg::NAME; };
CNN_OPTIONAL_GENERIC(CLAMP_HI, 127)
CNN_OPTIONAL_GENERIC(REQUANT_F32_I, 0)
CNN_OPTIONAL_GENERIC(ZP_OUT, 0)
CNN_OPTIONAL_GENERIC(CLAMP_LO, -128)
CNN_OPTIONAL_GENERIC(SCALE_E, 120)
CNN_OPTIONAL_GENERIC(SCALE_FRAC, 1)

template <class Cfg>
bool run() {
    cnn::Layer l;
    l.name = std::string("dense ") + Cfg::name;
    l.kind = cnn::LayerKind::Dense;
    l.in = {int(Cfg::N_IN), 1, 1};  // any shape of N_IN values: stream order is all that counts
    l.out = {int(Cfg::N_OUT), 1, 1};
    l.f_in = 0;
    l.f_w = int(Cfg::SHIFT);  // shift = f_in + f_w - f_out
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu
          : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    l.par_in = int(Cfg::PAR);
    cnn::rtl_tb::lcg_values(Cfg::SEED, Cfg::BMUL, size_t(Cfg::N_OUT * Cfg::N_IN), size_t(Cfg::N_OUT),
                            l.weights, l.bias);
    if (Cfg::WFILL != 0) std::fill(l.weights.begin(), l.weights.end(), int8_t(Cfg::WFILL));
    const long long zeros = zeros_of<Cfg>(0);  // tb_dense_wrap.vhd's ZEROS mask
    if (zeros & 1) l.bias.back() = 0;
    if (zeros & 2) std::fill(l.weights.end() - Cfg::N_IN, l.weights.end(), int8_t(0));
    // SPEC v2 output stage (tb_dense_wrap.vhd's generics of the same names).
    l.clamp_hi = int(Opt_CLAMP_HI<Cfg>::value);
    l.requant_f32 = Opt_REQUANT_F32_I<Cfg>::value != 0;
    l.zp_out = int(Opt_ZP_OUT<Cfg>::value);
    l.clamp_lo = int(Opt_CLAMP_LO<Cfg>::value);
    if (l.requant_f32)
        l.scale = cnn::rtl_tb::lcg_scales(Cfg::SEED, l.weights.size(), l.bias.size(), size_t(Cfg::N_OUT),
                                          Opt_SCALE_E<Cfg>::value, Opt_SCALE_FRAC<Cfg>::value != 0);

    std::mt19937_64 rng(0xde + Cfg::SEED);
    std::uniform_int_distribution<int> d(Cfg::IN_SIGNED_I ? -128 : 0, Cfg::IN_SIGNED_I ? 127 : 255);
    cnn::rtl_tb::Job job;
    job.label = std::string("dense ") + Cfg::name;
    job.out_shape = l.out;
    // The generator's cycle model of the layer (gen/ops/dense.cpp pes()), exactly.
    const auto pes = cnn::op_def(l.kind).pes(l, "t");
    if (pes.size() != 1 || pes[0].entity != "cnn_dense") {
        std::fprintf(stderr, "FAIL %s: pes() is not one cnn_dense PE\n", job.label.c_str());
        return false;
    }
    job.model_cycles = double(pes[0].cycles);
    job.tolerance = 0;
    for (int i = 0; i < int(Cfg::IMAGES); ++i) {
        cnn::QTensor t(l.in);
        for (auto& v : t.data) v = d(rng);
        if (i == 1)  // extremes: every input at its most negative / largest value
            for (auto& v : t.data) v = Cfg::IN_SIGNED_I ? -128 : 255;
        cnn::QTensor o = cnn::rtl_tb::spec_v2_stage(l) ? cnn::rtl_tb::expect_dense(l, t) : cnn::run_layer(l, t);
        job.inputs.emplace_back(t.data.begin(), t.data.end());
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 23 + uint64_t(Cfg::SEED));
}

CNN_BLOCK_TB_MAIN()
