// Block test of cnn_fork (one stream into two), written directly with the
// sim/axis.hpp pieces (block_tb.hpp has one output). Per configuration
// (WIDTH, -tBEATS = beats per image, -tIMAGES): random WIDTH-bit beats, run
// under seven stall patterns on (in, a, b), each side's stalls independent:
// none, all random, all heavy, one output heavy and the other free (both
// ways), the input heavy with free outputs, random input with one output
// random and the other heavy. Every run checks that a and b each carry every
// input beat exactly once, in order, the protocol on all three streams
// (StreamChecker), nothing extra after the end, no hang. The run without
// stalls also checks the cycle model exactly (cycles per image = BEATS,
// the steady interval between consecutive images' last beats, on a and on b)
// and the latency (1 cycle: an input beat transferring on cycle t is on a
// and b on cycle t + 1).
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "verilated.h"
#include "axis.hpp"
#include "pe_fork_models.h"
#include "tb_main.hpp"

using namespace cnn::sim;

struct Pattern {
    Stall::Mode in, a, b;
};

template <class Cfg>
bool run_once(const Pattern& p, uint64_t seed) {
    using Model = typename Cfg::Model;
    using T = std::remove_reference_t<decltype(std::declval<Model&>().in_data)>;
    const size_t beats = size_t(Cfg::BEATS), images = size_t(Cfg::IMAGES), total = beats * images;
    const uint64_t mask = Cfg::WIDTH >= 64 ? ~0ull : (1ull << Cfg::WIDTH) - 1;
    const std::string tag = std::string("fork ") + Cfg::generics + " [in " + Stall::name(p.in) +
                            ", a " + Stall::name(p.a) + ", b " + Stall::name(p.b) + "]";

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Model>(ctx.get());
    StreamPorts<T> pin{&top->in_valid, &top->in_ready, &top->in_data, nullptr};
    StreamPorts<T> pa{&top->a_valid, &top->a_ready, &top->a_data, nullptr};
    StreamPorts<T> pb{&top->b_valid, &top->b_ready, &top->b_data, nullptr};
    top->in_valid = 0;
    top->a_ready = 0;
    top->b_ready = 0;
    Clock<Model> clk(*top);
    clk.reset(top->rst, 2);

    StreamSource<T> src(pin, Stall(p.in, seed * 3 + 1));
    StreamSink<T> sa(pa, Stall(p.a, seed * 3 + 2));
    StreamSink<T> sb(pb, Stall(p.b, seed * 3 + 3));
    StreamChecker<T> cin(pin, tag + " in"), ca(pa, tag + " a"), cb(pb, tag + " b");

    std::mt19937_64 rng(seed);
    std::vector<T> in(total);
    for (auto& v : in) {
        v = T(rng() & mask);
        src.push(v);
    }
    std::vector<uint64_t> in_cycle;  // cycle of each input transfer
    const uint64_t t0 = clk.cycle(), limit = 40 * total + 20000;
    auto step = [&](bool free_outputs) {
        src.drive();
        if (free_outputs) {
            top->a_ready = 1;
            top->b_ready = 1;
        } else {
            sa.drive();
            sb.drive();
        }
        clk.settle();
        if (src.sample(clk.cycle())) in_cycle.push_back(clk.cycle());
        sa.sample(clk.cycle());
        sb.sample(clk.cycle());
        cin.sample(clk.cycle());
        ca.sample(clk.cycle());
        cb.sample(clk.cycle());
        clk.tick();
    };
    while (sa.beats().size() < total || sb.beats().size() < total) {
        step(false);
        if (clk.cycle() - t0 > limit) {
            std::fprintf(stderr, "FAIL %s: hang: a %zu, b %zu of %zu beats after %llu cycles\n", tag.c_str(),
                         sa.beats().size(), sb.beats().size(), total, (unsigned long long)(clk.cycle() - t0));
            return false;
        }
    }
    for (int i = 0; i < 200; ++i) step(true);  // nothing more may come out

    bool ok = true;
    if (sa.beats().size() != total || sb.beats().size() != total) {
        std::fprintf(stderr, "FAIL %s: extra beats: a %zu, b %zu, expected %zu\n", tag.c_str(),
                     sa.beats().size(), sb.beats().size(), total);
        ok = false;
    }
    const StreamSink<T>* sinks[2] = {&sa, &sb};
    for (int s = 0; s < 2 && ok; ++s) {
        const auto& got = sinks[s]->beats();
        for (size_t k = 0; k < total; ++k) {
            if (got[k].data != in[k]) {
                std::fprintf(stderr, "FAIL %s: output %c beat %zu (image %zu): expected %llu got %llu\n",
                             tag.c_str(), "ab"[s], k, k / beats, (unsigned long long)in[k],
                             (unsigned long long)got[k].data);
                ok = false;
                break;
            }
        }
    }
    if (!cin.report() || !ca.report() || !cb.report()) ok = false;

    if (ok && p.in == Stall::Off && p.a == Stall::Off && p.b == Stall::Off) {
        for (int s = 0; s < 2; ++s) {
            const auto& got = sinks[s]->beats();
            const uint64_t lat = got[0].cycle - in_cycle[0];
            const double cpi =
                images < 2 ? double(beats)
                           : double(got[total - 1].cycle - got[beats - 1].cycle) / double(images - 1);
            std::printf("%-46s out %c: cycles/image %7.1f model %7zu latency %llu\n",
                        (std::string("fork ") + Cfg::generics).c_str(), "ab"[s], cpi, beats,
                        (unsigned long long)lat);
            if (images >= 2 && cpi != double(beats)) {
                std::fprintf(stderr, "FAIL %s: output %c: cycles/image %.2f, the model says %zu\n",
                             tag.c_str(), "ab"[s], cpi, beats);
                ok = false;
            }
            if (lat != 1) {
                std::fprintf(stderr, "FAIL %s: output %c: latency %llu cycles, the header says 1\n",
                             tag.c_str(), "ab"[s], (unsigned long long)lat);
                ok = false;
            }
        }
        // At full rate the input never waits: one transfer per cycle.
        if (in_cycle.back() - in_cycle.front() != total - 1) {
            std::fprintf(stderr, "FAIL %s: %zu input beats took %llu cycles at full rate\n", tag.c_str(), total,
                         (unsigned long long)(in_cycle.back() - in_cycle.front() + 1));
            ok = false;
        }
    }
    return ok;
}

template <class Cfg>
bool run() {
    const Pattern patterns[] = {
        {Stall::Off, Stall::Off, Stall::Off},         {Stall::Random, Stall::Random, Stall::Random},
        {Stall::Heavy, Stall::Heavy, Stall::Heavy},   {Stall::Off, Stall::Heavy, Stall::Off},
        {Stall::Off, Stall::Off, Stall::Heavy},       {Stall::Heavy, Stall::Off, Stall::Off},
        {Stall::Random, Stall::Random, Stall::Heavy},
    };
    bool ok = true;
    uint64_t seed = 0xf0 + uint64_t(Cfg::WIDTH) * 7 + uint64_t(Cfg::BEATS);
    for (const auto& p : patterns) ok = run_once<Cfg>(p, seed++) && ok;
    return ok;
}

CNN_BLOCK_TB_MAIN()
