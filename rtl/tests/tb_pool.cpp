// Block test of cnn_maxpool (POOL_AVG=0) or cnn_avgpool (POOL_AVG=1) against
// cnn::run_layer; the configurations come from CMake (pe_maxpool_models.h /
// pe_avgpool_models.h, chosen by POOL_MODELS_H). H and W of a config are the
// sizes the block reads, padding included: the testbench draws the real
// image, runs the golden model on it with the layer's pads, and streams it
// with its padding around it (-128 for a max pool, 0 for an average pool:
// what cnn_zero_pad sends in the generated design). Cycles per image must
// equal the pool PE's cycle model from gen/ops/pool.cpp pes() exactly.
#include <cstdio>
#include <random>
#include <string>
#include <type_traits>

#include "block_tb.hpp"
#include "exec.hpp"
#include "ops.hpp"
#include "tb_main.hpp"
#include POOL_MODELS_H

// A config constant that only some configs give (the max pool has no
// COUNT_INCLUDE_PAD or PRE_ACT generics): its value, else the default.
#define POOL_OPTIONAL(NAME, DEFAULT)                                                       \
    template <class Cfg, class = void>                                                     \
    struct Opt_##NAME {                                                                    \
        static constexpr long long value = DEFAULT;                                        \
    };                                                                                     \
    template <class Cfg>                                                                   \
    struct Opt_##NAME<Cfg, std::void_t<decltype(Cfg::NAME)>> {                             \
        static constexpr long long value = Cfg::NAME;                                      \
    };
POOL_OPTIONAL(COUNT_INCLUDE_PAD, 0)
POOL_OPTIONAL(PRE_ACT, 0)
POOL_OPTIONAL(PRE_LEAKY_K, 0)
POOL_OPTIONAL(LANES, 1)

static cnn::Activation act_of(long long code) {
    return code == 1 ? cnn::Activation::Relu : code == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
}

template <class Cfg>
bool run() {
    const int C = Cfg::C, HP = Cfg::H, WP = Cfg::W;
    const int PT = Cfg::PAD_T, PL = Cfg::PAD_L, PB = Cfg::PAD_B, PR = Cfg::PAD_R;
    cnn::Layer l;
    l.name = Cfg::name;
    l.kind = POOL_AVG ? cnn::LayerKind::AvgPool : cnn::LayerKind::MaxPool;
    l.in = {C, HP - PT - PB, WP - PL - PR};
    l.kernel_h = Cfg::KH;
    l.kernel_w = Cfg::KW;
    l.stride_h = Cfg::STRIDE_H;
    l.stride_w = Cfg::STRIDE_W;
    l.pad_t = PT, l.pad_l = PL, l.pad_b = PB, l.pad_r = PR;
    l.lanes_in = l.lanes_out = int(Opt_LANES<Cfg>::value);
    l.out = {C, (HP - l.kernel_h) / l.stride_h + 1, (WP - l.kernel_w) / l.stride_w + 1};
    l.count_include_pad = Opt_COUNT_INCLUDE_PAD<Cfg>::value != 0;
    l.pre_act = act_of(Opt_PRE_ACT<Cfg>::value);
    l.pre_leaky_k = int(Opt_PRE_LEAKY_K<Cfg>::value);
    // SHIFT = output_shift = e_in - f_out, and e_in includes the pre-activation's k.
    l.f_in = int(Cfg::SHIFT) - (l.pre_act == cnn::Activation::Leaky ? l.pre_leaky_k : 0);
    l.f_out = 0;
    l.act = act_of(Cfg::ACT);
    l.leaky_k = int(Cfg::LEAKY_K);
    if (cnn::output_shift(l) != Cfg::SHIFT) {
        std::fprintf(stderr, "FAIL %s: the layer's output shift %d is not SHIFT %lld\n", Cfg::name,
                     cnn::output_shift(l), (long long)Cfg::SHIFT);
        return false;
    }

    cnn::rtl_tb::Job job;
    job.label = std::string(POOL_AVG ? "avgpool " : "maxpool ") + Cfg::name + " " + l.window_string();
    job.out_shape = l.out;
    // The pool PE's own cycle model (the pad PE before it is cnn_zero_pad's).
    const std::string entity = POOL_AVG ? "cnn_avgpool" : "cnn_maxpool";
    job.model_cycles = -1;
    for (const cnn::PeModel& pe : cnn::op_def(l.kind).pes(l, "l0"))
        if (pe.entity == entity) job.model_cycles = double(pe.cycles);
    job.in_lanes = job.out_lanes = l.lanes_in;
    if (job.model_cycles < 0 || cnn::op_def(l.kind).pes(l, "l0").back().in_beats != int64_t(HP) * WP * C / l.lanes_in) {
        std::fprintf(stderr, "FAIL %s: pes() has no %s PE reading the %dx%dx%d padded image\n",
                     job.label.c_str(), entity.c_str(), C, HP, WP);
        return false;
    }
    job.tolerance = 0;  // exact

    const int pad_value = POOL_AVG ? 0 : -128;
    std::mt19937_64 rng(0x900L + C * 7919 + HP * 104729 + WP * 31 + l.kernel_h * 17 + l.kernel_w * 5 +
                        l.stride_h * 3 + l.stride_w + PT * 11 + PR * 13 + Cfg::SHIFT);
    for (int i = 0; i < 6; ++i) {
        cnn::QTensor t(l.in);
        auto real = cnn::rtl_tb::random_beats(rng, size_t(l.in.size()));
        if (i == 1)  // extremes: saturation and ties
            for (auto& x : real) x = (x & 1) ? 127 : -128;
        if (i == 2)  // all at the most negative value: padding must still never win a max
            for (auto& x : real) x = -128;
        for (size_t k = 0; k < real.size(); ++k) t.data[k] = real[k];
        cnn::QTensor o = cnn::run_layer(l, t);
        std::vector<int> beats(size_t(HP) * WP * C, pad_value);
        for (int y = 0; y < l.in.h; ++y)
            for (int x = 0; x < l.in.w; ++x)
                for (int c = 0; c < C; ++c)
                    beats[(size_t(y + PT) * WP + x + PL) * C + c] = t.at(y, x, c);
        job.inputs.push_back(beats);
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 13);
}

CNN_BLOCK_TB_MAIN()
