// Block test of cnn_dense (through tb_dense_wrap.vhd, which fixes seeded
// weights and biases) against cnn::run_layer (LayerKind::Dense). Every config:
// several images back to back, at full rate and under random and heavy
// stalls on both sides (block_tb.hpp run_all), cycles/image checked against
// the analytical model of cnn_dense.vhd's header.
#include <algorithm>
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "exec.hpp"
#include "pe_dense_models.h"
#include "tb_lcg.hpp"
#include "tb_main.hpp"

// cnn_dense.vhd's cycle model, per image.
static double dense_model_cycles(long long n_in, long long n_out, long long par) {
    return double(std::max(n_in, n_out * ((n_in + par - 1) / par)));
}

// The ZEROS generic of a config (0 when the config does not set it).
template <class Cfg>
constexpr auto zeros_of(int) -> decltype(Cfg::ZEROS, 0LL) { return Cfg::ZEROS; }
template <class Cfg>
constexpr long long zeros_of(long) { return 0; }

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

    std::mt19937_64 rng(0xde + Cfg::SEED);
    std::uniform_int_distribution<int> d(Cfg::IN_SIGNED_I ? -128 : 0, Cfg::IN_SIGNED_I ? 127 : 255);
    cnn::rtl_tb::Job job;
    job.label = std::string("dense ") + Cfg::name;
    job.out_shape = l.out;
    job.model_cycles = dense_model_cycles(Cfg::N_IN, Cfg::N_OUT, Cfg::PAR);
    for (int i = 0; i < int(Cfg::IMAGES); ++i) {
        cnn::QTensor t(l.in);
        for (auto& v : t.data) v = d(rng);
        if (i == 1)  // extremes: every input at its most negative / largest value
            for (auto& v : t.data) v = Cfg::IN_SIGNED_I ? -128 : 255;
        cnn::QTensor o = cnn::run_layer(l, t);
        job.inputs.emplace_back(t.data.begin(), t.data.end());
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 23 + uint64_t(Cfg::SEED));
}

CNN_BLOCK_TB_MAIN()
