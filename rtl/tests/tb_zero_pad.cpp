// Block test of cnn_zero_pad: random images back to back, full rate and
// under stalls, against the obvious reference (PAD_VALUE around the image,
// PAD_T/PAD_L/PAD_B/PAD_R rows and columns on each side); cycles/image must
// equal, exactly, the model the generator plans with (cnn::zero_pad_pe,
// gen/ops.cpp), and the first output beat of an image into the idle block
// the header's latency.
#include <cstdio>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "ops.hpp"
#include "pe_zero_pad_models.h"
#include "tb_main.hpp"

// LANES (channels a beat) is optional: configs without it have one.
template <class Cfg, class = void>
struct Lanes { static constexpr int value = 1; };
template <class Cfg>
struct Lanes<Cfg, std::void_t<decltype(Cfg::LANES)>> { static constexpr int value = int(Cfg::LANES); };

template <class Cfg>
bool run() {
    const int C = Cfg::C, H = Cfg::H, W = Cfg::W;
    const int T = Cfg::PAD_T, L = Cfg::PAD_L, B = Cfg::PAD_B, R = Cfg::PAD_R, V = Cfg::PAD_VALUE;
    const int HP = H + T + B, WP = W + L + R;
    cnn::Layer l;  // the layer a zero pad is planned for: its input and pads
    l.name = std::string("zero_pad ") + Cfg::name;
    l.in = {C, H, W};
    l.pad_t = T, l.pad_l = L, l.pad_b = B, l.pad_r = R;
    l.lanes_in = Lanes<Cfg>::value;
    std::mt19937_64 rng(0x9ad + C * 1000 + H * 100 + W * 10 + T + 3 * L + 5 * B + 7 * R);
    cnn::rtl_tb::Job job;
    job.label = std::string("zero_pad ") + Cfg::generics;
    job.out_shape = {C, HP, WP};
    job.model_cycles = double(cnn::zero_pad_pe(l, "t").cycles);
    job.tolerance = 0;  // the model is exact
    job.in_lanes = job.out_lanes = l.lanes_in;
    for (int i = 0; i < 6; ++i) {
        auto in = cnn::rtl_tb::random_beats(rng, size_t(H) * W * C);
        std::vector<int> out(size_t(HP) * WP * C, V);
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < C; ++c)
                    out[(size_t(y + T) * WP + x + L) * C + c] = in[(size_t(y) * W + x) * C + c];
        job.inputs.push_back(in);
        job.expected.push_back(out);
    }
    bool ok = cnn::rtl_tb::run_all<typename Cfg::Model>(job, 7);
    cnn::rtl_tb::Measured m;
    if (!cnn::rtl_tb::run_once<typename Cfg::Model>(job, cnn::rtl_tb::Stall::Off, cnn::rtl_tb::Stall::Off, 3, &m))
        return false;
    // The header's latency: the first beat (border or data) leaves 1 cycle
    // after the image's first input beat is offered, then one beat per cycle,
    // so image 0's last beat leaves HP*WP*C/LANES cycles after it.
    const unsigned long long beats = (unsigned long long)HP * WP * C / l.lanes_in;
    if (m.first_out != 1 || m.latency != beats) {
        std::fprintf(stderr, "FAIL %s: first / last output beat after %llu / %llu cycles, the header says 1 / %llu\n",
                     job.label.c_str(), (unsigned long long)m.first_out, (unsigned long long)m.latency, beats);
        ok = false;
    }
    return ok;
}

CNN_BLOCK_TB_MAIN()
