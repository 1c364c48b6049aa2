// Block test of cnn_maxpool (POOL_AVG=0) or cnn_avgpool (POOL_AVG=1) against
// cnn::run_layer; the configurations come from CMake (pe_maxpool_models.h /
// pe_avgpool_models.h, chosen by POOL_MODELS_H).
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "exec.hpp"
#include "tb_main.hpp"
#include POOL_MODELS_H

template <class Cfg>
bool run() {
    const int C = Cfg::C, H = Cfg::H, W = Cfg::W, K = Cfg::K, S = Cfg::STRIDE;
    cnn::Layer l;
    l.kind = POOL_AVG ? cnn::LayerKind::AvgPool : cnn::LayerKind::MaxPool;
    l.in = {C, H, W};
    l.out = {C, (H - K) / S + 1, (W - K) / S + 1};
    l.kernel_h = l.kernel_w = K;
    l.stride_h = l.stride_w = S;
    l.f_in = int(Cfg::SHIFT);
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    std::mt19937_64 rng(0x900L + C * 7919 + H * 104729 + W * 31 + K * 17 + S * 3 + Cfg::SHIFT);
    cnn::rtl_tb::Job job;
    job.label = std::string(POOL_AVG ? "avgpool " : "maxpool ") + Cfg::generics;
    job.out_shape = l.out;
    job.model_cycles = double(H) * W * C;
    for (int i = 0; i < 6; ++i) {
        cnn::QTensor t(l.in);
        auto in = cnn::rtl_tb::random_beats(rng, size_t(l.in.size()));
        if (i == 1)  // extremes: saturation and ties
            for (auto& x : in) x = (x & 1) ? 127 : -128;
        for (size_t k = 0; k < in.size(); ++k) t.data[k] = in[k];
        cnn::QTensor o = cnn::run_layer(l, t);
        job.inputs.push_back(in);
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 13);
}

CNN_BLOCK_TB_MAIN()
