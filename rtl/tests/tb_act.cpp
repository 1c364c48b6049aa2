// Block test of cnn_act against cnn::run_layer (LayerKind::Act), its cycles
// per image equal to the generator's model (op_def(Act).pes()) exactly.
#include <cstdio>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "exec.hpp"
#include "ops.hpp"
#include "pe_act_models.h"
#include "tb_main.hpp"

// CLAMP_HI of a config (configs that leave it out: 127, the entity's default).
template <class Cfg, class = void>
struct ClampHi { static constexpr long long value = 127; };
template <class Cfg>
struct ClampHi<Cfg, std::void_t<decltype(Cfg::CLAMP_HI)>> { static constexpr long long value = Cfg::CLAMP_HI; };

template <class Cfg>
bool run() {
    const cnn::Shape shape{3, 5, 7};  // any shape: cnn_act only sees beats
    cnn::Layer l;
    l.kind = cnn::LayerKind::Act;
    l.in = l.out = shape;
    l.f_in = int(Cfg::SHIFT);
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    l.clamp_hi = int(ClampHi<Cfg>::value);
    std::mt19937_64 rng(0xac7 + Cfg::SHIFT * 31 + Cfg::ACT + ClampHi<Cfg>::value * 7);
    cnn::rtl_tb::Job job;
    job.label = std::string("act ") + Cfg::generics;
    job.out_shape = shape;
    const auto pes = cnn::op_def(l.kind).pes(l, "l0");
    if (pes.size() != 1 || pes[0].entity != "cnn_act") {
        std::fprintf(stderr, "FAIL %s: op_def(Act).pes() is not one cnn_act\n", job.label.c_str());
        return false;
    }
    job.model_cycles = double(pes[0].cycles);
    job.tolerance = 0;  // exact: one beat per cycle
    for (int i = 0; i < 6; ++i) {
        cnn::QTensor t(shape);
        auto in = cnn::rtl_tb::random_beats(rng, size_t(shape.size()));
        if (i == 0)  // every int8 value once
            for (size_t k = 0; k < in.size(); ++k) in[k] = int(k % 256) - 128;
        for (size_t k = 0; k < in.size(); ++k) t.data[k] = in[k];
        cnn::QTensor o = cnn::run_layer(l, t);
        job.inputs.push_back(in);
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 11);
}

CNN_BLOCK_TB_MAIN()
