// Block test of cnn_gap against cnn::run_layer (LayerKind::GlobalAvgPool),
// with and without the float segment's pre-activation (PRE_ACT). Cycles per
// image must equal gen/ops/gap.cpp pes() exactly.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "exec.hpp"
#include "ops.hpp"
#include "pe_gap_models.h"
#include "tb_expect.hpp"
#include "tb_main.hpp"

// SPEC v2 generics (tb_gap_wrap.vhd; configs without them: cnn_gap's defaults).
#define CNN_OPTIONAL_GENERIC(NAME, DEFAULT)                                                   \
    template <class Cfg, class = void>                                                        \
    struct Opt_##NAME { static constexpr long long value = DEFAULT; };                        \
    template <class Cfg>                                                                      \
    struct Opt_##NAME<Cfg, std::void_t<decltype(Cfg::NAME)>> { static constexpr long long value = Cfg::NAME; };
CNN_OPTIONAL_GENERIC(CLAMP_HI, 127)
CNN_OPTIONAL_GENERIC(CLAMP_LO, -128)
CNN_OPTIONAL_GENERIC(ZP_OUT, 0)
CNN_OPTIONAL_GENERIC(ZP_IN, 0)
CNN_OPTIONAL_GENERIC(REQUANT_F32_I, 0)
CNN_OPTIONAL_GENERIC(SCALE_BITS, 0x3F800000)

// PRE_ACT / PRE_LEAKY_K of a config (configs written before they existed leave them out: 0).
template <class Cfg, class = void>
struct PreAct { static constexpr long long act = 0, k = 0; };
template <class Cfg>
struct PreAct<Cfg, std::void_t<decltype(Cfg::PRE_ACT)>> {
    static constexpr long long act = Cfg::PRE_ACT, k = Cfg::PRE_LEAKY_K;
};

static cnn::Activation act_of(long long code) {
    return code == 1 ? cnn::Activation::Relu : code == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
}

template <class Cfg>
bool run() {
    const int C = Cfg::C, H = Cfg::H, W = Cfg::W;
    cnn::Layer l;
    l.kind = cnn::LayerKind::GlobalAvgPool;
    l.in = {C, H, W};
    l.out = {C, 1, 1};
    l.pre_act = act_of(PreAct<Cfg>::act);
    l.pre_leaky_k = int(PreAct<Cfg>::k);
    // SHIFT = output_shift = e_in - f_out, and e_in includes the pre-activation's k.
    l.f_in = int(Cfg::SHIFT) - (l.pre_act == cnn::Activation::Leaky ? l.pre_leaky_k : 0);
    l.f_out = 0;
    l.act = act_of(Cfg::ACT);
    l.leaky_k = int(Cfg::LEAKY_K);
    l.clamp_hi = int(Opt_CLAMP_HI<Cfg>::value);
    l.clamp_lo = int(Opt_CLAMP_LO<Cfg>::value);
    l.zp_out = int(Opt_ZP_OUT<Cfg>::value);
    l.zp_in = int(Opt_ZP_IN<Cfg>::value);
    l.requant_f32 = Opt_REQUANT_F32_I<Cfg>::value != 0;
    if (l.requant_f32) {
        const uint32_t bits = uint32_t(Opt_SCALE_BITS<Cfg>::value);
        float sc;
        std::memcpy(&sc, &bits, 4);
        l.scale = {sc};
    }
    if (cnn::output_shift(l) != Cfg::SHIFT) {
        std::fprintf(stderr, "FAIL gap %s: output shift %d is not SHIFT\n", Cfg::name, cnn::output_shift(l));
        return false;
    }
    std::mt19937_64 rng(0x6a9 + C * 7919 + H * 104729 + W * 31 + Cfg::SHIFT);
    cnn::rtl_tb::Job job;
    job.label = std::string("gap ") + Cfg::generics;
    job.out_shape = l.out;
    const auto pes = cnn::op_def(l.kind).pes(l, "l0");
    if (pes.size() != 1 || pes[0].entity != "cnn_gap") {
        std::fprintf(stderr, "FAIL %s: pes() is not one cnn_gap PE\n", job.label.c_str());
        return false;
    }
    job.model_cycles = double(pes[0].cycles);
    job.tolerance = 0;  // exact
    // Uniform noise averages to ~0: give each image and channel an offset so
    // means cover the whole range (and saturate), plus an all-extremes image.
    const int offsets[] = {0, -100, 110, -37, 45, -128, 127, 3};
    for (int i = 0; i < 8; ++i) {
        cnn::QTensor t(l.in);
        std::vector<int> in(size_t(l.in.size()));
        std::uniform_int_distribution<int> noise(-40, 40);
        for (size_t k = 0; k < in.size(); ++k) {
            const int off = offsets[(i + int(k % C)) % 8];
            in[k] = std::clamp(off + noise(rng), -128, 127);
        }
        for (size_t k = 0; k < in.size(); ++k) t.data[k] = in[k];
        cnn::QTensor o = cnn::rtl_tb::spec_v2_stage(l) ? cnn::rtl_tb::expect_gap(l, t) : cnn::run_layer(l, t);
        job.inputs.push_back(in);
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 17);
}

CNN_BLOCK_TB_MAIN()
