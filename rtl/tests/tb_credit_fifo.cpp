// Block test of cnn_credit_fifo, cycle by cycle against its contract, in both
// storage structures (the array, and RAM_MIN_BITS=0: the RAM with a registered
// read and the output stage). A pipeline model reserves a slot when
// can_reserve is high (with probability p_res) and pushes the result exactly
// LAT cycles later (-tLAT=...), never looking at anything else; the sink
// stalls at random. Every cycle: can_reserve == (stored + reserved < DEPTH),
// out_valid == (stored > 0), out_data == the oldest stored result. Phases fill
// the FIFO with reservations and results, drain it and hold it; at full rate
// (reserving every cycle, sink always ready) one result leaves per cycle when
// DEPTH >= LAT + 2.
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "axis.hpp"
#include "pe_credit_fifo_models.h"
#include "tb_main.hpp"
#include "verilated.h"

template <class Cfg>
bool run() {
    using Model = typename Cfg::Model;
    const long long D = Cfg::DEPTH, LAT = Cfg::LAT;
    const std::string label = std::string("credit_fifo ") + Cfg::generics + " LAT " + std::to_string(LAT);
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Model>(ctx.get());
    cnn::sim::Clock<Model> clk(*top);
    top->reserve = 0;
    top->in_valid = 0;
    top->out_ready = 0;
    clk.reset(top->rst, 2);

    std::mt19937_64 rng(0xc4ed + D * 31 + LAT);
    std::uniform_int_distribution<int> pct(0, 99);
    std::deque<uint8_t> stored;                  // the reference's results, oldest first
    std::vector<int> pipe(size_t(LAT) + 1, -1);  // pipe[k]: data pushed in k cycles (-1: none)
    long long reserved = 0, max_used = 0;
    uint64_t pushed = 0, popped = 0;
    uint64_t rate_cycles = 0, rate_pops = 0;  // the second half of the last full-rate phase
    struct Phase { int p_res, p_out; long long cycles; };
    const long long L = 4 * D + 4 * LAT + 40;
    const Phase phases[] = {{100, 0, L}, {100, 100, L}, {50, 50, 4 * L}, {0, 100, L}, {100, 30, 2 * L},
                            {40, 100, 2 * L}, {100, 80, 2 * L}, {100, 100, L}, {0, 100, L}};
    for (const Phase& ph : phases) {
        const bool measure = &ph == &phases[7];
        for (long long c = 0; c < ph.cycles; ++c) {
            const int due = pipe[0];  // the result pushed on this cycle
            top->in_valid = due >= 0;
            top->in_data = uint8_t(due >= 0 ? due : 0);
            const bool ready = pct(rng) < ph.p_out;
            top->out_ready = ready;
            top->reserve = 0;
            clk.settle();
            const long long s = (long long)stored.size();
            const bool exp_can = s + reserved < D, exp_valid = s > 0;
            if (bool(top->can_reserve) != exp_can || bool(top->out_valid) != exp_valid) {
                std::fprintf(stderr, "FAIL %s: cycle %llu, %lld stored, %lld reserved: can_reserve %d (expected %d), out_valid %d (expected %d)\n",
                             label.c_str(), (unsigned long long)clk.cycle(), s, reserved, int(top->can_reserve),
                             int(exp_can), int(top->out_valid), int(exp_valid));
                return false;
            }
            if (exp_valid && top->out_data != stored.front()) {
                std::fprintf(stderr, "FAIL %s: cycle %llu, result %llu: expected %d got %d\n", label.c_str(),
                             (unsigned long long)clk.cycle(), (unsigned long long)popped, int(stored.front()),
                             int(top->out_data));
                return false;
            }
            const bool res = exp_can && pct(rng) < ph.p_res;
            top->reserve = res;
            clk.settle();
            if (measure && 2 * c >= ph.cycles) {
                ++rate_cycles;
                rate_pops += exp_valid && ready;
            }
            if (exp_valid && ready) {
                stored.pop_front();
                ++popped;
            }
            if (due >= 0) {
                stored.push_back(uint8_t(due));
                --reserved;
                ++pushed;
            }
            for (size_t k = 0; k + 1 < pipe.size(); ++k) pipe[k] = pipe[k + 1];
            pipe.back() = -1;
            if (res) {
                ++reserved;
                pipe[size_t(LAT) - 1] = int(rng() & 0xff);  // pushed LAT cycles from now
            }
            max_used = std::max(max_used, (long long)stored.size() + reserved);
            clk.tick();
        }
    }
    if (max_used != D || !stored.empty() || reserved != 0 || pushed != popped) {
        std::fprintf(stderr, "FAIL %s: at most %lld slots used (DEPTH %lld), %zu results and %lld reservations left\n",
                     label.c_str(), max_used, D, stored.size(), reserved);
        return false;
    }
    // A slot is taken from the reserve edge to the pop edge, LAT + 1 cycles,
    // and can_reserve does not count a pop on the same cycle: full rate needs
    // DEPTH >= LAT + 2 (the PEs size theirs so).
    if (D >= LAT + 2 && rate_pops != rate_cycles) {
        std::fprintf(stderr, "FAIL %s: full rate: %llu results in %llu cycles\n", label.c_str(),
                     (unsigned long long)rate_pops, (unsigned long long)rate_cycles);
        return false;
    }
    std::printf("%-58s %llu results in order, at most %lld slots used, full rate %.3f results/cycle\n",
                label.c_str(), (unsigned long long)pushed, max_used, double(rate_pops) / double(rate_cycles));
    return true;
}

CNN_BLOCK_TB_MAIN()
