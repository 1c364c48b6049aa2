// block_tb.hpp: the common runner of the PE block tests (and of any block
// with the internal stream ports clk, rst, in_valid, in_ready, in_data,
// out_valid, out_ready, out_data; the data ports are 8 bits, or 8 * lanes
// bits for a wide link: job.in_lanes / job.out_lanes values a beat, value k
// of a beat in bits 8k+7..8k).
//
//   cnn::rtl_tb::Job job;              // what to run
//   job.label = "maxpool k2s2";
//   job.out_shape = {c, h, w};         // for mismatch positions (any shape
//                                      // whose size() is the beats per image)
//   job.inputs   = {...};              // per image: int8 input values, HWC
//   job.expected = {...};              // per image: int8 output values, HWC
//   job.in_lanes = job.out_lanes = 1;  // values per beat (wide ports: > 1)
//   job.model_cycles = H * W * C;      // analytical cycles per image (II)
//   bool ok = cnn::rtl_tb::run_all<Vmodel>(job, seed);
//
// run_all() runs the job five times on a fresh model each time: no stalls
// (images back to back at full rate), random stalls on both sides, heavy
// stalls on both sides, heavy stalls on the output only, on the input only. Each run checks every output beat (first mismatch:
// image, row, col, channel, expected, got), the AXI protocol on both streams
// (sim/axis.hpp StreamChecker), that nothing is left over or missing, and
// that the design does not hang. The no-stall run also measures cycles per
// image (the steady-state interval between consecutive images' last output
// beats, averaged from the 2nd image on) and fails when it is more than
// `tolerance` (default 10 %) from model_cycles. Returns true when all pass.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "verilated.h"

#include "axis.hpp"
#include "ir.hpp"

namespace cnn::rtl_tb {

using cnn::sim::Stall;

struct Job {
    std::string label;
    cnn::Shape out_shape;
    std::vector<std::vector<int>> inputs;
    std::vector<std::vector<int>> expected;
    double model_cycles = 0;   // analytical steady-state cycles per image
    double tolerance = 0.10;
    int in_lanes = 1, out_lanes = 1;   // values per input / output beat
};

// Byte k of a Verilator data field (CData .. QData, or VlWide above 64 bits).
template <class T>
void set_byte(T& d, int k, int value) {
    const uint8_t b = uint8_t(int8_t(value));
    if constexpr (std::is_integral_v<T>) d = T(d | T(uint64_t(b) << (8 * k)));
    else d.at(size_t(k / 4)) |= uint32_t(b) << (8 * (k % 4));
}
template <class T>
int get_byte(const T& d, int k) {
    if constexpr (std::is_integral_v<T>) return int8_t(uint8_t(uint64_t(d) >> (8 * k)));
    else return int8_t(uint8_t(d.at(size_t(k / 4)) >> (8 * (k % 4))));
}
// `lanes` values from v[i..] as one beat.
template <class T>
T pack_beat(const std::vector<int>& v, size_t i, int lanes) {
    T d{};
    if constexpr (!std::is_integral_v<T>)
        for (size_t w = 0; w < sizeof(T) / 4; ++w) d.at(w) = 0;
    for (int k = 0; k < lanes; ++k) set_byte(d, k, v[i + size_t(k)]);
    return d;
}

struct Measured {
    double cycles_per_image = 0;  // steady-state interval (no-stall run)
    // Cycles are counted from the cycle image 0's first input beat is offered
    // (in_valid first high) to the cycle an output beat transfers.
    uint64_t latency = 0;         // image 0: first input beat -> last output beat
    uint64_t first_out = 0;       // image 0: first input beat -> first output beat
    uint64_t total_cycles = 0;
};

inline std::vector<int> random_beats(std::mt19937_64& rng, size_t n) {
    std::uniform_int_distribution<int> d(-128, 127);
    std::vector<int> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// One run on a fresh model. Prints a line per failure; returns pass/fail.
template <class Model>
bool run_once(const Job& job, Stall::Mode in_mode, Stall::Mode out_mode, uint64_t seed,
              Measured* meas = nullptr) {
    using namespace cnn::sim;
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Model>(ctx.get());
    const std::string tag = job.label + " [in " + Stall::name(in_mode) + ", out " +
                            Stall::name(out_mode) + "]";

    using TI = std::remove_reference_t<decltype(top->in_data)>;
    using TO = std::remove_reference_t<decltype(top->out_data)>;
    const int li = job.in_lanes, lo = job.out_lanes;
    StreamPorts<TI> pin{&top->in_valid, &top->in_ready, &top->in_data, nullptr};
    StreamPorts<TO> pout{&top->out_valid, &top->out_ready, &top->out_data, nullptr};
    top->in_valid = 0;
    top->out_ready = 0;
    top->rst = 0;
    Clock<Model> clk(*top);
    clk.reset(top->rst, 2);

    StreamSource<TI> src(pin, Stall(in_mode, seed * 2 + 1));
    StreamSink<TO> snk(pout, Stall(out_mode, seed * 2 + 2));
    StreamChecker<TI> chk_in(pin, tag + " in");
    StreamChecker<TO> chk_out(pout, tag + " out");

    size_t total_in = 0, total_out = 0;   // beats
    std::vector<size_t> out_end;  // cumulative output beats at each image end
    for (size_t i = 0; i < job.inputs.size(); ++i) {
        if (job.inputs[i].size() % size_t(li) || job.expected[i].size() % size_t(lo)) {
            std::fprintf(stderr, "FAIL %s: image %zu is not a whole number of beats\n", tag.c_str(), i);
            return false;
        }
        for (size_t b = 0; b < job.inputs[i].size(); b += size_t(li)) src.push(pack_beat<TI>(job.inputs[i], b, li));
        total_in += job.inputs[i].size() / size_t(li);
        total_out += job.expected[i].size() / size_t(lo);
        out_end.push_back(total_out);
    }
    const uint64_t t0 = clk.cycle();
    uint64_t first_in_cycle = 0;
    bool first_in_seen = false;
    // Generous hang limit: every beat at 1/20 the rate plus a fixed margin.
    const uint64_t limit = 20 * (total_in + total_out) + 20000;
    uint64_t idle_since = clk.cycle();
    size_t prev_out = 0;
    while (snk.beats().size() < total_out) {
        src.drive();
        snk.drive();
        clk.settle();
        if (top->in_valid && !first_in_seen) {  // first input beat offered
            first_in_seen = true;
            first_in_cycle = clk.cycle();
        }
        src.sample(clk.cycle());
        snk.sample(clk.cycle());
        chk_in.sample(clk.cycle());
        chk_out.sample(clk.cycle());
        clk.tick();
        if (snk.beats().size() != prev_out) {
            prev_out = snk.beats().size();
            idle_since = clk.cycle();
        }
        if (clk.cycle() - t0 > limit || clk.cycle() - idle_since > 5000 + 4 * job.model_cycles) {
            std::fprintf(stderr, "FAIL %s: hang: %zu of %zu output beats after %llu cycles (%zu input beats left)\n",
                         tag.c_str(), snk.beats().size(), total_out,
                         (unsigned long long)(clk.cycle() - t0), src.pending());
            return false;
        }
    }
    // Input beats that no output needs (a conv's or a pool's trailing rows) may still
    // be pending under input stalls: they go in first (within the hang limit).
    // Then 200 more cycles with ready high: nothing extra may come out.
    for (int quiet = 0; quiet < 200 && clk.cycle() - t0 <= limit; quiet += src.idle() ? 1 : 0) {
        src.drive();
        top->out_ready = 1;
        clk.settle();
        src.sample(clk.cycle());
        snk.sample(clk.cycle());
        chk_in.sample(clk.cycle());
        chk_out.sample(clk.cycle());
        clk.tick();
    }
    bool ok = true;
    if (snk.beats().size() != total_out) {
        std::fprintf(stderr, "FAIL %s: %zu extra output beats\n", tag.c_str(),
                     snk.beats().size() - total_out);
        ok = false;
    }
    if (!src.idle()) {
        std::fprintf(stderr, "FAIL %s: %zu input beats never accepted\n", tag.c_str(), src.pending());
        ok = false;
    }
    // Compare value by value (value j of an image is byte j % lanes of its beat j / lanes).
    size_t k = 0;
    for (size_t i = 0; i < job.expected.size() && ok; ++i) {
        const auto& exp = job.expected[i];
        for (size_t j = 0; j < exp.size(); ++j, ++k) {
            const int got = get_byte(snk.beats()[k / size_t(lo)].data, int(k % size_t(lo)));
            if (got != exp[j]) {
                const int c = job.out_shape.c, w = job.out_shape.w;
                std::fprintf(stderr,
                             "FAIL %s: image %zu row %zu col %zu ch %zu (value %zu): expected %d got %d\n",
                             tag.c_str(), i, j / (size_t(w) * c), (j / c) % w, j % c, j, exp[j], got);
                ok = false;
                break;
            }
        }
    }
    if (!chk_in.report() || !chk_out.report()) ok = false;

    if (meas && ok && !job.expected.empty()) {
        const auto& beats = snk.beats();
        const size_t n = out_end.size();
        meas->total_cycles = clk.cycle() - t0;
        meas->latency = beats[out_end[0] - 1].cycle - first_in_cycle;
        meas->first_out = beats[0].cycle - first_in_cycle;
        if (n >= 3)
            meas->cycles_per_image =
                double(beats[out_end[n - 1] - 1].cycle - beats[out_end[0] - 1].cycle) / double(n - 1);
        else if (n == 2)
            meas->cycles_per_image = double(beats[out_end[1] - 1].cycle - beats[out_end[0] - 1].cycle);
    }
    return ok;
}

// The three runs (see the header). Prints one summary line.
template <class Model>
bool run_all(const Job& job, uint64_t seed) {
    Measured m;
    bool ok = run_once<Model>(job, Stall::Off, Stall::Off, seed, &m);
    if (ok && job.inputs.size() >= 2) {
        const double err = std::fabs(m.cycles_per_image - job.model_cycles) / job.model_cycles;
        std::printf("%-46s cycles/image %9.1f model %9.1f (%+5.1f%%) latency %6llu first-out %5llu\n",
                    job.label.c_str(), m.cycles_per_image, job.model_cycles,
                    100.0 * (m.cycles_per_image - job.model_cycles) / job.model_cycles,
                    (unsigned long long)m.latency, (unsigned long long)m.first_out);
        if (err > job.tolerance) {
            std::fprintf(stderr, "FAIL %s: cycles/image %.1f is %.1f%% from the model %.1f (tolerance %.0f%%)\n",
                         job.label.c_str(), m.cycles_per_image, 100 * err, job.model_cycles,
                         100 * job.tolerance);
            ok = false;
        }
    }
    ok = run_once<Model>(job, Stall::Random, Stall::Random, seed + 100) && ok;
    ok = run_once<Model>(job, Stall::Heavy, Stall::Heavy, seed + 200) && ok;
    ok = run_once<Model>(job, Stall::Off, Stall::Heavy, seed + 300) && ok;
    ok = run_once<Model>(job, Stall::Heavy, Stall::Off, seed + 400) && ok;
    return ok;
}

}  // namespace cnn::rtl_tb
