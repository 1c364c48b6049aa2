// Block test of cnn_gap against cnn::run_layer (LayerKind::GlobalAvgPool),
// with and without the float segment's pre-activation (PRE_ACT). Cycles per
// image must equal gen/ops/gap.cpp pes() exactly.
#include <algorithm>
#include <cstdio>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "exec.hpp"
#include "ops.hpp"
#include "pe_gap_models.h"
#include "tb_main.hpp"

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
        cnn::QTensor o = cnn::run_layer(l, t);
        job.inputs.push_back(in);
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 17);
}

CNN_BLOCK_TB_MAIN()
