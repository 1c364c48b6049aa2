// Block tests of cnn_axis_in (AXIS_IN=1) and cnn_axis_out (AXIS_IN=0), written
// directly with the sim/axis.hpp pieces (their ports carry last).
//  axis_out: out_last exactly on every BEATS-th beat, data untouched (with
//            FLIP_MSB: bit 7 inverted, int8 stream -> uint8 byte).
//  axis_in:  random sender frames (mostly BEATS long, some shorter = early
//            tlast, some longer = missing tlast) against a C++ model of the
//            documented recovery; tlast_error pulses counted; correct
//            streams pass untouched at 1 beat per cycle.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include "verilated.h"
#include "axis.hpp"
#include "tb_main.hpp"
#include AXIS_MODELS_H

using namespace cnn::sim;

struct InBeat { int data; bool last; };

// FLIP_MSB of a config (configs that leave it out: false, the entity's default).
template <class Cfg, class = void>
struct FlipMsb { static constexpr bool value = false; };
template <class Cfg>
struct FlipMsb<Cfg, std::void_t<decltype(Cfg::FLIP_MSB)>> { static constexpr bool value = Cfg::FLIP_MSB; };

// The documented behaviour of cnn_axis_in, beat by beat.
static std::vector<int> axis_in_model(const std::vector<InBeat>& in, int beats, int* errors) {
    std::vector<int> out;
    int cnt = 0;
    bool drop = false;
    *errors = 0;
    for (const auto& b : in) {
        if (drop) {
            if (b.last) drop = false;
            continue;
        }
        out.push_back(b.data);
        if (cnt == beats - 1) {
            cnt = 0;
            if (!b.last) { ++*errors; drop = true; }
        } else if (b.last) {
            ++*errors;
            for (++cnt; cnt < beats; ++cnt) out.push_back(0);
            cnt = 0;
        } else {
            ++cnt;
        }
    }
    return out;
}

template <class Cfg>
bool run_mode(Stall::Mode in_mode, Stall::Mode out_mode, bool inject, uint64_t seed) {
    const int B = int(Cfg::BEATS);
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<typename Cfg::Model>(ctx.get());
    const std::string tag = std::string(AXIS_IN ? "axis_in " : "axis_out ") + Cfg::generics +
                            " [in " + Stall::name(in_mode) + ", out " + Stall::name(out_mode) +
                            (inject ? ", bad tlast]" : "]");
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> d8(-128, 127), pct(0, 99);
    const int frames = 40;
    std::vector<InBeat> in;
    for (int f = 0; f < frames; ++f) {
        int len = B;
        if (inject && f > 0 && pct(rng) < 25)
            len = pct(rng) < 50 ? 1 + int(rng() % B) : B + 1 + int(rng() % (2 * B));
        for (int i = 0; i < len; ++i) in.push_back({d8(rng), i == len - 1});
    }
    int exp_errors = 0;
    std::vector<int> expected;
    if (AXIS_IN) {
        expected = axis_in_model(in, B, &exp_errors);
    } else {
        // The byte m_axis carries: with FLIP_MSB the uint8 u = x + 128 of the
        // int8 stream value x (compared as int8 bits below).
        for (const auto& b : in) expected.push_back(FlipMsb<Cfg>::value ? int(int8_t(uint8_t(b.data + 128))) : b.data);
    }

#if AXIS_IN
    StreamPorts<CData> pin{&top->in_valid, &top->in_ready, &top->in_data, &top->in_last};
    StreamPorts<CData> pout{&top->out_valid, &top->out_ready, &top->out_data, nullptr};
#else
    StreamPorts<CData> pin{&top->in_valid, &top->in_ready, &top->in_data, nullptr};
    StreamPorts<CData> pout{&top->out_valid, &top->out_ready, &top->out_data, &top->out_last};
#endif
    top->rst = 0;
    Clock<typename Cfg::Model> clk(*top);
    StreamSource<CData> src(pin, Stall(in_mode, seed + 1));
    StreamSink<CData> snk(pout, Stall(out_mode, seed + 2));
    StreamChecker<CData> chk_in(pin, tag + " in"), chk_out(pout, tag + " out");
    clk.reset(top->rst, 2);
    for (const auto& b : in) src.push(CData(uint8_t(int8_t(b.data))), b.last);

    int errors = 0;
    uint64_t idle = 0;
    while (snk.beats().size() < expected.size() || !src.idle()) {
        src.drive();
        snk.drive();
        clk.settle();
#if AXIS_IN
        errors += top->tlast_error;
#endif
        src.sample(clk.cycle());
        const bool got = snk.sample(clk.cycle());
        chk_in.sample(clk.cycle());
        chk_out.sample(clk.cycle());
        clk.tick();
        idle = got ? 0 : idle + 1;
        if (idle > 2000) {
            std::fprintf(stderr, "FAIL %s: hang, %zu of %zu beats\n", tag.c_str(), snk.beats().size(), expected.size());
            return false;
        }
    }
    for (int i = 0; i < 50; ++i) {  // drain: nothing more may come out
        src.drive();  // (empty: valid low)
        top->out_ready = 1;
        clk.settle();
#if AXIS_IN
        errors += top->tlast_error;
#endif
        snk.sample(clk.cycle());
        chk_out.sample(clk.cycle());
        clk.tick();
    }
    bool ok = chk_in.report() & chk_out.report();
    const auto& beats = snk.beats();
    for (size_t k = 0; k < std::min(beats.size(), expected.size()); ++k) {
        const int got = int8_t(beats[k].data);
        const bool last_exp = (k % B) == size_t(B - 1);
        if (got != expected[k] || (!AXIS_IN && beats[k].last != last_exp)) {
            std::fprintf(stderr, "FAIL %s: image %zu beat %zu: expected %d%s got %d%s\n", tag.c_str(),
                         k / B, k % B, expected[k], (!AXIS_IN && last_exp) ? " last" : "", got,
                         (!AXIS_IN && beats[k].last) ? " last" : "");
            return false;
        }
    }
    if (beats.size() != expected.size()) {
        std::fprintf(stderr, "FAIL %s: %zu output beats, expected %zu\n", tag.c_str(), beats.size(), expected.size());
        return false;
    }
    if (errors != exp_errors) {
        std::fprintf(stderr, "FAIL %s: %d tlast_error pulses, expected %d\n", tag.c_str(), errors, exp_errors);
        ok = false;
    }
    if (in_mode == Stall::Off && out_mode == Stall::Off && !inject) {
        const size_t n = beats.size() / B;
        const double cpi = double(beats[n * B - 1].cycle - beats[B - 1].cycle) / double(n - 1);
        std::printf("%-44s cycles/image %7.1f model %7d (%+5.1f%%) latency %llu\n",
                    (std::string(AXIS_IN ? "axis_in " : "axis_out ") + Cfg::generics).c_str(), cpi, B,
                    100.0 * (cpi - B) / B, (unsigned long long)(beats[B - 1].cycle - (B - 1) - 2));
        if (cpi != double(B)) {  // the model (BEATS cycles per image) is exact
            std::fprintf(stderr, "FAIL %s: cycles/image %.1f, model %d\n", tag.c_str(), cpi, B);
            ok = false;
        }
    }
    if (inject && ok)
        std::printf("%-44s %d tlast errors injected and recovered\n", tag.c_str(), exp_errors);
    return ok;
}

template <class Cfg>
bool run() {
    bool ok = true;
    ok = run_mode<Cfg>(Stall::Off, Stall::Off, false, 1) && ok;
    ok = run_mode<Cfg>(Stall::Random, Stall::Random, false, 2) && ok;
    ok = run_mode<Cfg>(Stall::Heavy, Stall::Heavy, false, 3) && ok;
    if (AXIS_IN) {
        ok = run_mode<Cfg>(Stall::Off, Stall::Off, true, 4) && ok;
        ok = run_mode<Cfg>(Stall::Random, Stall::Heavy, true, 5) && ok;
        ok = run_mode<Cfg>(Stall::Heavy, Stall::Random, true, 6) && ok;
    }
    return ok;
}

CNN_BLOCK_TB_MAIN()
