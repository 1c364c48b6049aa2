// Block test of cnn_lanes (a wide link narrowed, IN_LANES -> OUT_LANES values
// a beat) through the common runner (block_tb.hpp): images of random values,
// full rate and under stalls on both sides; the output carries the input's
// values in the same order, AXI rules on both streams, and cycles per image
// exactly the model's (one output beat a cycle: values / OUT_LANES).
#include <random>

#include "block_tb.hpp"
#include "pe_lanes_models.h"
#include "tb_main.hpp"

template <class Cfg>
bool run() {
    std::mt19937_64 rng(0x1a4e5 + Cfg::IN_LANES * 100 + Cfg::OUT_LANES);
    cnn::rtl_tb::Job job;
    job.label = std::string("lanes ") + Cfg::generics;
    const int C = int(Cfg::IN_LANES) * 2, H = 3, W = 5;
    job.out_shape = {C, H, W};
    job.in_lanes = int(Cfg::IN_LANES);
    job.out_lanes = int(Cfg::OUT_LANES);
    job.model_cycles = double(C) * H * W / double(Cfg::OUT_LANES);
    job.tolerance = 0;
    for (int i = 0; i < 6; ++i) {
        auto v = cnn::rtl_tb::random_beats(rng, size_t(C) * H * W);
        job.inputs.push_back(v);
        job.expected.push_back(v);
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 11);
}

CNN_BLOCK_TB_MAIN()
