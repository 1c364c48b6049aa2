// Block test of cnn_fifo: random beats back to back, full rate and under
// stalls on both sides; the output must be the input, beat for beat.
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "pe_fifo_models.h"
#include "tb_main.hpp"

template <class Cfg>
bool run() {
    std::mt19937_64 rng(0xf1f0 + Cfg::DEPTH);
    cnn::rtl_tb::Job job;
    job.label = std::string("fifo ") + Cfg::generics;
    const int C = 3, H = 4, W = 5;  // an "image" of 60 beats
    job.out_shape = {C, H, W};
    job.model_cycles = double(C) * H * W;
    for (int i = 0; i < 6; ++i) {
        auto in = cnn::rtl_tb::random_beats(rng, size_t(C) * H * W);
        job.inputs.push_back(in);
        job.expected.push_back(in);
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 7);
}

CNN_BLOCK_TB_MAIN()
