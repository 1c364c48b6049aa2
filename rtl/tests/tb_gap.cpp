// Block test of cnn_gap against cnn::run_layer (LayerKind::GlobalAvgPool).
#include <algorithm>
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "exec.hpp"
#include "pe_gap_models.h"
#include "tb_main.hpp"

template <class Cfg>
bool run() {
    const int C = Cfg::C, H = Cfg::H, W = Cfg::W;
    cnn::Layer l;
    l.kind = cnn::LayerKind::GlobalAvgPool;
    l.in = {C, H, W};
    l.out = {C, 1, 1};
    l.f_in = int(Cfg::SHIFT);
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    std::mt19937_64 rng(0x6a9 + C * 7919 + H * 104729 + W * 31 + Cfg::SHIFT);
    cnn::rtl_tb::Job job;
    job.label = std::string("gap ") + Cfg::generics;
    job.out_shape = l.out;
    job.model_cycles = double(H) * W * C;
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
