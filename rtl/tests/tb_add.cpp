// Block test of cnn_add (the join of a residual block), written directly with
// the sim/axis.hpp pieces (two input streams). Every configuration streams
// all 65536 (a, b) pairs, in a seeded shuffled order, as IMAGES images of
// 65536 / IMAGES beats, and checks every result against a reference written
// here from cnn_add.vhd's header formula:
//   shift mode (TBL = 0): y = clamp(RNE(((a - ZP_A) * 2^SHIFT_A
//                         + (b - ZP_B) * 2^SHIFT_B) / 2^SHIFT) + ZP_OUT,
//                         CLAMP_LO, CLAMP_HI), in int64 with exact RNE;
//   table mode (TBL = 1, through tb_add_wrap.vhd): y = t(ua * 256 + ub), the
//                         table of tb_add_wrap.vhd's KIND and SEED rebuilt
//                         here.
// Seven stall patterns on (a, b, out), independent per stream. Every run
// checks the protocol of the three streams, that no result is missing or
// extra, no hang; the run without stalls checks the cycle model exactly
// (cycles per image = beats per image), the latency (2 cycles: a pair
// transferring on cycle t gives its result on cycle t + 2) and that a pair
// transfers every cycle.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "verilated.h"
#include "axis.hpp"
#include "pe_add_models.h"
#include "tb_lcg.hpp"
#include "tb_main.hpp"

using namespace cnn::sim;

// RNE(v / 2^sh) for sh >= 0, v * 2^-sh for sh < 0, exact in int64.
static int64_t rne_shift(int64_t v, int sh) {
    if (sh <= 0) return v * (int64_t(1) << -sh);
    const int64_t d = int64_t(1) << sh;
    int64_t q = v >= 0 ? v / d : -((-v + d - 1) / d);  // floor
    const int64_t r = v - q * d;                       // 0 <= r < d
    if (2 * r > d || (2 * r == d && (q & 1))) ++q;
    return q;
}

template <class Cfg>
int ref_shift(int a, int b) {
    const int64_t s = (int64_t(a) - Cfg::ZP_A) * (int64_t(1) << Cfg::SHIFT_A) +
                      (int64_t(b) - Cfg::ZP_B) * (int64_t(1) << Cfg::SHIFT_B);
    const int64_t y = rne_shift(s, int(Cfg::SHIFT)) + Cfg::ZP_OUT;
    return int(std::min<int64_t>(std::max<int64_t>(y, Cfg::CLAMP_LO), Cfg::CLAMP_HI));
}

// The table of tb_add_wrap.vhd for KIND and SEED (see its header).
static std::vector<int8_t> wrap_table(long long kind, long long seed) {
    std::vector<int8_t> t(65536);
    std::vector<int8_t> lcg;
    std::vector<int32_t> unused;
    cnn::rtl_tb::lcg_values(seed, 1, 65536, 0, lcg, unused);
    for (int i = 0; i < 65536; ++i) {
        const int sa = int8_t(uint8_t(i >> 8)), sb = int8_t(uint8_t(i & 255));
        switch (kind) {
            case 0: t[i] = lcg[i]; break;
            case 1: t[i] = int8_t(std::min(127, std::max(-128, sa + sb))); break;
            default: t[i] = int8_t(i == seed % 65536 ? 127 : 0); break;
        }
    }
    return t;
}

template <class Cfg>
std::vector<int> expected_of(const std::vector<std::pair<int, int>>& pairs) {
    std::vector<int> y(pairs.size());
    if constexpr (Cfg::TBL != 0) {
        const auto t = wrap_table(Cfg::KIND, Cfg::SEED);
        for (size_t k = 0; k < pairs.size(); ++k)
            y[k] = t[size_t(uint8_t(pairs[k].first)) * 256 + uint8_t(pairs[k].second)];
    } else {
        for (size_t k = 0; k < pairs.size(); ++k) y[k] = ref_shift<Cfg>(pairs[k].first, pairs[k].second);
    }
    return y;
}

struct Pattern {
    Stall::Mode a, b, out;
};

template <class Cfg>
bool run_once(const Pattern& p, const std::vector<std::pair<int, int>>& pairs, const std::vector<int>& expected,
              uint64_t seed) {
    using Model = typename Cfg::Model;
    const size_t total = pairs.size(), images = size_t(Cfg::IMAGES), beats = total / images;
    const std::string tag = std::string("add ") + Cfg::name + " " + Cfg::generics + " [a " + Stall::name(p.a) +
                            ", b " + Stall::name(p.b) + ", out " + Stall::name(p.out) + "]";
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Model>(ctx.get());
    StreamPorts<CData> pa{&top->a_valid, &top->a_ready, &top->a_data, nullptr};
    StreamPorts<CData> pb{&top->b_valid, &top->b_ready, &top->b_data, nullptr};
    StreamPorts<CData> po{&top->out_valid, &top->out_ready, &top->out_data, nullptr};
    top->a_valid = 0;
    top->b_valid = 0;
    top->out_ready = 0;
    Clock<Model> clk(*top);
    clk.reset(top->rst, 2);

    StreamSource<CData> sa(pa, Stall(p.a, seed * 3 + 1)), sb(pb, Stall(p.b, seed * 3 + 2));
    StreamSink<CData> so(po, Stall(p.out, seed * 3 + 3));
    StreamChecker<CData> ca(pa, tag + " a"), cb(pb, tag + " b"), co(po, tag + " out");
    for (const auto& [a, b] : pairs) {
        sa.push(CData(uint8_t(int8_t(a))));
        sb.push(CData(uint8_t(int8_t(b))));
    }
    std::vector<uint64_t> pair_cycle;  // cycle of each pair's transfer
    bool ok = true;
    const uint64_t t0 = clk.cycle(), limit = 40 * total + 20000;
    auto step = [&](bool free_out) {
        sa.drive();
        sb.drive();
        if (free_out)
            top->out_ready = 1;
        else
            so.drive();
        clk.settle();
        const bool ta = sa.sample(clk.cycle()), tb = sb.sample(clk.cycle());
        if (ta != tb) {
            if (ok)
                std::fprintf(stderr, "FAIL %s: cycle %llu: a %s and b %s: a pair must transfer together\n",
                             tag.c_str(), (unsigned long long)clk.cycle(), ta ? "transfers" : "waits",
                             tb ? "transfers" : "waits");
            ok = false;
        }
        if (ta) pair_cycle.push_back(clk.cycle());
        so.sample(clk.cycle());
        ca.sample(clk.cycle());
        cb.sample(clk.cycle());
        co.sample(clk.cycle());
        clk.tick();
    };
    while (so.beats().size() < total && ok) {
        step(false);
        if (clk.cycle() - t0 > limit) {
            std::fprintf(stderr, "FAIL %s: hang: %zu of %zu results after %llu cycles\n", tag.c_str(),
                         so.beats().size(), total, (unsigned long long)(clk.cycle() - t0));
            return false;
        }
    }
    if (!ok) return false;
    for (int i = 0; i < 200; ++i) step(true);  // nothing more may come out

    const auto& got = so.beats();
    if (got.size() != total) {
        std::fprintf(stderr, "FAIL %s: %zu extra results\n", tag.c_str(), got.size() - total);
        ok = false;
    }
    for (size_t k = 0; k < total && ok; ++k) {
        const int y = int8_t(got[k].data);
        if (y != expected[k]) {
            std::fprintf(stderr, "FAIL %s: beat %zu (image %zu): a %d b %d: expected %d got %d\n", tag.c_str(), k,
                         k / beats, pairs[k].first, pairs[k].second, expected[k], y);
            ok = false;
        }
    }
    if (!ca.report() || !cb.report() || !co.report()) ok = false;

    if (ok && p.a == Stall::Off && p.b == Stall::Off && p.out == Stall::Off) {
        const uint64_t lat = got[0].cycle - pair_cycle[0];
        const double cpi = double(got[total - 1].cycle - got[beats - 1].cycle) / double(images - 1);
        std::printf("%-58s cycles/image %7.1f model %6zu latency %llu\n",
                    (std::string("add ") + Cfg::name + " " + Cfg::generics).c_str(), cpi, beats,
                    (unsigned long long)lat);
        if (cpi != double(beats)) {
            std::fprintf(stderr, "FAIL %s: cycles/image %.2f, the model says %zu\n", tag.c_str(), cpi, beats);
            ok = false;
        }
        if (lat != 2) {
            std::fprintf(stderr, "FAIL %s: latency %llu cycles, the header says 2\n", tag.c_str(),
                         (unsigned long long)lat);
            ok = false;
        }
        if (pair_cycle.back() - pair_cycle.front() != total - 1) {
            std::fprintf(stderr, "FAIL %s: %zu pairs took %llu cycles at full rate\n", tag.c_str(), total,
                         (unsigned long long)(pair_cycle.back() - pair_cycle.front() + 1));
            ok = false;
        }
    }
    return ok;
}

template <class Cfg>
bool run() {
    static_assert(65536 % Cfg::IMAGES == 0 && Cfg::IMAGES >= 2, "IMAGES must divide 65536");
    std::vector<std::pair<int, int>> pairs;
    pairs.reserve(65536);
    for (int a = -128; a < 128; ++a)
        for (int b = -128; b < 128; ++b) pairs.emplace_back(a, b);
    uint64_t name_seed = 0xadd0;
    for (const char* c = Cfg::name; *c; ++c) name_seed = name_seed * 131 + uint8_t(*c);
    std::mt19937_64 rng(name_seed);
    std::shuffle(pairs.begin(), pairs.end(), rng);
    const std::vector<int> expected = expected_of<Cfg>(pairs);

    const Pattern patterns[] = {
        {Stall::Off, Stall::Off, Stall::Off},       {Stall::Random, Stall::Random, Stall::Random},
        {Stall::Heavy, Stall::Heavy, Stall::Heavy}, {Stall::Heavy, Stall::Off, Stall::Off},
        {Stall::Off, Stall::Heavy, Stall::Random},  {Stall::Off, Stall::Off, Stall::Heavy},
        {Stall::Random, Stall::Heavy, Stall::Heavy},
    };
    bool ok = true;
    uint64_t seed = 0x5eed + 13 * uint64_t(pairs[0].first + 128) + uint64_t(pairs[0].second + 128);
    for (const auto& p : patterns) ok = run_once<Cfg>(p, pairs, expected, seed++) && ok;
    return ok;
}

CNN_BLOCK_TB_MAIN()
