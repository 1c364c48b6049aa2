// Block test of cnn_zero_pad: random images back to back, full rate and
// under stalls, against the obvious reference (zeros around the image).
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "pe_zero_pad_models.h"
#include "tb_main.hpp"

template <class Cfg>
bool run() {
    const int C = Cfg::C, H = Cfg::H, W = Cfg::W, P = Cfg::PAD;
    const int HP = H + 2 * P, WP = W + 2 * P;
    std::mt19937_64 rng(0x9ad + C * 1000 + H * 100 + W * 10 + P);
    cnn::rtl_tb::Job job;
    job.label = std::string("zero_pad ") + Cfg::generics;
    job.out_shape = {C, HP, WP};
    job.model_cycles = double(HP) * WP * C;
    for (int i = 0; i < 6; ++i) {
        auto in = cnn::rtl_tb::random_beats(rng, size_t(H) * W * C);
        std::vector<int> out(size_t(HP) * WP * C, 0);
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < C; ++c)
                    out[(size_t(y + P) * WP + x + P) * C + c] = in[(size_t(y) * W + x) * C + c];
        job.inputs.push_back(in);
        job.expected.push_back(out);
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 7);
}

CNN_BLOCK_TB_MAIN()
