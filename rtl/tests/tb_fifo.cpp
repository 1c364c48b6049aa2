// Block test of cnn_fifo, each config (DEPTH 1 .. 1024, both structures: the
// combinationally read array and the RAM with a registered read plus its
// output stage, RAM_MIN_BITS forcing one or the other):
//  1. the common runner (block_tb.hpp): images of random beats, full rate and
//     under stalls on both sides; output = input beat for beat, AXI rules,
//     cycles per image exactly the model's (1 cycle per beat);
//  2. the contract cycle by cycle against an ideal FIFO of DEPTH beats, under
//     stall phases that fill it to DEPTH, drain it and hold it in between:
//     every cycle in_ready == (stored < DEPTH or out_ready), out_valid ==
//     (stored > 0), out_data == the oldest stored beat (so never more than
//     DEPTH stored, nothing lost, duplicated or reordered, latency 1);
//  3. throughput measured: from empty at full rate (first beat out 1 cycle
//     after it went in, then one a cycle), and full with both sides at full
//     rate (one beat in and one out on every cycle, in_ready never low).
#include <cstdio>
#include <deque>
#include <memory>
#include <random>

#include "block_tb.hpp"
#include "pe_fifo_models.h"
#include "tb_main.hpp"

namespace {

// Drives one model cycle by cycle and checks it against the ideal FIFO.
template <class Model>
class Bench {
public:
    Bench(long long depth, const std::string& label, uint64_t seed)
        : depth_(depth), label_(label), rng_(seed), ctx_(std::make_unique<VerilatedContext>()),
          top_(std::make_unique<Model>(ctx_.get())), clk_(*top_) {
        top_->in_valid = 0;
        top_->out_ready = 0;
        top_->rst = 0;
        clk_.reset(top_->rst, 2);
    }

    // One cycle: offer a beat with probability p_in (held until accepted, AXI),
    // ready with probability p_out. Returns false (and prints) on a mismatch.
    bool step(int p_in, int p_out) {
        std::uniform_int_distribution<int> pct(0, 99);
        if (!holding_ && pct(rng_) < p_in) {
            holding_ = true;
            data_ = uint8_t(rng_());
        }
        top_->in_valid = holding_;
        top_->in_data = data_;
        const bool ready = pct(rng_) < p_out;
        top_->out_ready = ready;
        clk_.settle();
        const long long stored = (long long)ref_.size();
        const bool exp_in_ready = stored < depth_ || ready;
        const bool exp_out_valid = stored > 0;
        if (bool(top_->in_ready) != exp_in_ready || bool(top_->out_valid) != exp_out_valid) {
            std::fprintf(stderr, "FAIL %s: cycle %llu, %lld stored, out_ready %d: in_ready %d (expected %d), out_valid %d (expected %d)\n",
                         label_.c_str(), (unsigned long long)clk_.cycle(), stored, int(ready),
                         int(top_->in_ready), int(exp_in_ready), int(top_->out_valid), int(exp_out_valid));
            return false;
        }
        if (exp_out_valid && top_->out_data != ref_.front()) {
            std::fprintf(stderr, "FAIL %s: cycle %llu, beat %llu out: expected %d got %d\n", label_.c_str(),
                         (unsigned long long)clk_.cycle(), (unsigned long long)popped_, int(ref_.front()),
                         int(top_->out_data));
            return false;
        }
        const bool push = holding_ && exp_in_ready, pop = exp_out_valid && ready;
        if (push && pop && stored == depth_) ++full_both_;
        if (pop) {
            ref_.pop_front();
            ++popped_;
        }
        if (push) {
            ref_.push_back(data_);
            holding_ = false;
            ++pushed_;
        }
        if ((long long)ref_.size() > max_stored_) max_stored_ = (long long)ref_.size();
        clk_.tick();
        return true;
    }

    long long stored() const { return (long long)ref_.size(); }
    long long max_stored() const { return max_stored_; }
    uint64_t pushed() const { return pushed_; }
    uint64_t popped() const { return popped_; }
    uint64_t full_both() const { return full_both_; }  // cycles full with a beat in and one out

private:
    long long depth_;
    std::string label_;
    std::mt19937_64 rng_;
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Model> top_;
    cnn::sim::Clock<Model> clk_;
    std::deque<uint8_t> ref_;
    bool holding_ = false;
    uint8_t data_ = 0;
    long long max_stored_ = 0;
    uint64_t pushed_ = 0, popped_ = 0, full_both_ = 0;
};

// 2. The contract cycle by cycle, phases of (p_in, p_out) in percent.
template <class Cfg>
bool contract(const std::string& label) {
    const long long D = Cfg::DEPTH;
    Bench<typename Cfg::Model> b(D, label + " contract", 0xc0ffee + D);
    struct Phase { int p_in, p_out; long long cycles; };
    const long long L = 3 * D + 50;
    const Phase phases[] = {
        {100, 0, L},   {100, 100, L}, {60, 60, 4 * L}, {0, 100, L},  {100, 30, 2 * L},
        {30, 100, 2 * L}, {100, 90, 2 * L}, {50, 50, 4 * L}, {100, 0, L}, {90, 100, 2 * L},
        {100, 100, L}, {0, 100, L},
    };
    for (const Phase& ph : phases)
        for (long long c = 0; c < ph.cycles; ++c)
            if (!b.step(ph.p_in, ph.p_out)) return false;
    bool ok = true;
    if (b.max_stored() != D) {
        std::fprintf(stderr, "FAIL %s contract: at most %lld beats were stored, never DEPTH %lld\n", label.c_str(),
                     b.max_stored(), D);
        ok = false;
    }
    if (b.full_both() == 0) {
        std::fprintf(stderr, "FAIL %s contract: never a beat in and out at once while full\n", label.c_str());
        ok = false;
    }
    if (b.stored() != 0 || b.pushed() != b.popped()) {
        std::fprintf(stderr, "FAIL %s contract: %lld beats left after the drain\n", label.c_str(), b.stored());
        ok = false;
    }
    if (ok)
        std::printf("%-46s %llu beats, %llu cycles full with a beat in and out, max stored %lld\n",
                    (label + " contract").c_str(), (unsigned long long)b.pushed(),
                    (unsigned long long)b.full_both(), b.max_stored());
    return ok;
}

// 3. Throughput at full rate: from empty, then full.
template <class Cfg>
bool throughput(const std::string& label) {
    const long long D = Cfg::DEPTH, N = 4 * D + 100;
    bool ok = true;
    {  // From empty, both sides always ready: N beats in, N - 1 out in N cycles.
        Bench<typename Cfg::Model> b(D, label + " from empty", 77 + D);
        for (long long c = 0; c < N && ok; ++c) ok = b.step(100, 100);
        if (ok && (b.pushed() != uint64_t(N) || b.popped() != uint64_t(N - 1))) {
            std::fprintf(stderr, "FAIL %s from empty: %llu in and %llu out in %lld cycles (expected %lld and %lld)\n",
                         label.c_str(), (unsigned long long)b.pushed(), (unsigned long long)b.popped(), N, N,
                         N - 1);
            ok = false;
        }
    }
    uint64_t in = 0, out = 0;
    {  // Full (sink stalled for DEPTH cycles), then N cycles with both sides at full rate.
        Bench<typename Cfg::Model> b(D, label + " full", 91 + D);
        for (long long c = 0; c < D && ok; ++c) ok = b.step(100, 0);
        if (ok && b.stored() != D) {
            std::fprintf(stderr, "FAIL %s full: %lld stored after %lld cycles, expected DEPTH\n", label.c_str(),
                         b.stored(), D);
            ok = false;
        }
        const uint64_t in0 = b.pushed(), out0 = b.popped();
        for (long long c = 0; c < N && ok; ++c) ok = b.step(100, 100);
        in = b.pushed() - in0;
        out = b.popped() - out0;
        if (ok && (in != uint64_t(N) || out != uint64_t(N) || b.full_both() != uint64_t(N))) {
            std::fprintf(stderr, "FAIL %s full: %llu in, %llu out in %lld cycles (%llu of them full), expected %lld each\n",
                         label.c_str(), (unsigned long long)in, (unsigned long long)out, N,
                         (unsigned long long)b.full_both(), N);
            ok = false;
        }
    }
    if (ok)
        std::printf("%-46s full rate: %.3f beats/cycle in, %.3f out while full (%lld cycles)\n",
                    (label + " throughput").c_str(), double(in) / double(N), double(out) / double(N), N);
    return ok;
}

}  // namespace

template <class Cfg>
bool run() {
    std::mt19937_64 rng(0xf1f0 + Cfg::DEPTH);
    const std::string label = std::string("fifo ") + Cfg::generics;
    cnn::rtl_tb::Job job;
    job.label = label;
    // An "image" of 60 beats; a wide FIFO (WIDTH = 8 * lanes) carries lanes
    // values a beat (a wide link).
    const int lanes = int(Cfg::WIDTH / 8), C = 3 * lanes, H = 4, W = 5;
    job.out_shape = {C, H, W};
    job.in_lanes = job.out_lanes = lanes;
    job.model_cycles = double(C / lanes) * H * W;
    job.tolerance = 0;  // exactly one cycle per beat
    for (int i = 0; i < 6; ++i) {
        auto in = cnn::rtl_tb::random_beats(rng, size_t(C) * H * W);
        job.inputs.push_back(in);
        job.expected.push_back(in);
    }
    bool ok = cnn::rtl_tb::run_all<typename Cfg::Model>(job, 7);
    ok = contract<Cfg>(label) && ok;
    ok = throughput<Cfg>(label) && ok;
    return ok;
}

CNN_BLOCK_TB_MAIN()
