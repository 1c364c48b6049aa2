// axis.hpp: reusable stream pieces for Verilator testbenches and the
// full-model harness. Header-only, free of any one design: every piece holds
// pointers to the model's port fields (Verilator makes them CData/SData/IData/
// QData members of the model class), so it works with any top.
//
//   Clock<Model>        owns clk: settle(), tick() (one rising edge), cycle().
//   Stall               seeded stall pattern: Off, Random (~30 %), Heavy (~70 %).
//   StreamPorts<T>      pointers to valid, ready, data and (optional) last.
//   StreamSource<T>     drives a stream INTO the design from a queue of beats;
//                       inserts gaps per its Stall, keeps valid/data/last
//                       stable until accepted (AXI rule), never drops valid.
//   StreamSink<T>       drives ready OUT of the design (stalls per its Stall),
//                       collects every accepted beat with its cycle number.
//   StreamChecker<T>    protocol checker of one stream: valid dropped without
//                       a transfer, data or last changed while valid && !ready.
//
// The cycle discipline (every piece follows it; keep it in your loop):
//
//   Clock<Vtop> clk(*top);                 // clk low, model settled
//   StreamSource<CData> src({&top->in_valid, &top->in_ready, &top->in_data});
//   StreamSink<CData>   snk({&top->out_valid, &top->out_ready, &top->out_data},
//                           Stall(Stall::Random, seed));
//   StreamChecker<CData> cin({...same ports as src...}, "in");
//   StreamChecker<CData> cout({...same ports as snk...}, "out");
//   clk.reset(top->rst, 2);                // synchronous reset, 2 cycles
//   src.push(beat) ...;
//   while (!done) {
//       src.drive(); snk.drive();          // 1. set inputs for this cycle
//       clk.settle();                      // 2. combinational settle (clk low)
//       src.sample(clk.cycle()); snk.sample(clk.cycle());   // 3. observe the
//       cin.sample(clk.cycle()); cout.sample(clk.cycle());  //    handshakes
//       clk.tick();                        // 4. rising edge (then clk low again)
//   }
//
// A transfer happens on the rising edge that follows a sample() where
// valid && ready; sample() records it (source pops, sink stores), so drive()
// of the next cycle may present the next beat back to back. Keep calling
// src.drive() every cycle, also after the queue ran empty: that is what
// drops valid after the last beat (otherwise the design sees it again).
// Block tests of PEs with in_/out_ ports use rtl/tests/block_tb.hpp, which
// wraps this loop; rtl/tests/tb_axis.cpp shows the pieces used directly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace cnn::sim {

// ---------------------------------------------------------------- clock
template <class Model>
class Clock {
public:
    explicit Clock(Model& m) : m_(m) {
        m_.clk = 0;
        m_.eval();
    }
    void settle() { m_.eval(); }
    // One rising edge, then clk back low. The falling edge triggers nothing
    // (every process is rising-edge), so it is not evaluated here: the next
    // settle() evaluates clk low together with the next cycle's inputs — two
    // evaluations a cycle instead of three (measured 1.05-1.12x on three zoo models).
    void tick() {
        m_.clk = 1;
        m_.eval();
        m_.clk = 0;
        ++cycle_;
    }
    // Synchronous active-high reset held for n rising edges.
    template <class RstField>
    void reset(RstField& rst, int n = 2) {
        rst = 1;
        for (int i = 0; i < n; ++i) {
            settle();
            tick();
        }
        rst = 0;
        settle();
    }
    uint64_t cycle() const { return cycle_; }

private:
    Model& m_;
    uint64_t cycle_ = 0;
};

// ---------------------------------------------------------------- stalls
class Stall {
public:
    enum Mode { Off, Random, Heavy };
    explicit Stall(Mode mode = Off, uint64_t seed = 1) : mode_(mode), rng_(seed) {}
    // True = stall this cycle (source: no new beat; sink: ready low).
    // Random stalls ~30 % of cycles; Heavy ~70 %, in bursts of random length
    // so long stalls and long runs both occur.
    bool next() {
        if (mode_ == Off) return false;
        if (burst_ > 0) {
            --burst_;
            return burst_state_;
        }
        std::uniform_int_distribution<int> pct(0, 99);
        const int p = mode_ == Random ? 30 : 70;
        bool s = pct(rng_) < p;
        if (pct(rng_) < 10) {  // occasionally hold the decision for a while
            burst_ = std::uniform_int_distribution<int>(1, 40)(rng_);
            burst_state_ = s;
        }
        return s;
    }
    Mode mode() const { return mode_; }
    static const char* name(Mode m) { return m == Off ? "off" : m == Random ? "random" : "heavy"; }

private:
    Mode mode_;
    std::mt19937_64 rng_;
    int burst_ = 0;
    bool burst_state_ = false;
};

// ---------------------------------------------------------------- ports
// T is the Verilator type of the data field (CData for <= 8 bits, ...).
// last may be null for streams without tlast. valid/ready/last are CData.
template <class T>
struct StreamPorts {
    uint8_t* valid = nullptr;
    uint8_t* ready = nullptr;
    T* data = nullptr;
    uint8_t* last = nullptr;
};

template <class T>
struct Beat {
    T data{};
    bool last = false;
    uint64_t cycle = 0;  // the cycle (Clock::cycle() at sample) it transferred
};

// ---------------------------------------------------------------- source
template <class T>
class StreamSource {
public:
    explicit StreamSource(StreamPorts<T> p, Stall stall = Stall()) : p_(p), stall_(stall) {
        *p_.valid = 0;
        if (p_.last) *p_.last = 0;
    }
    void push(T data, bool last = false) { q_.push_back({data, last, 0}); }
    // Set valid/data/last for this cycle.
    void drive() {
        if (!holding_) {
            if (q_.empty() || stall_.next()) {
                *p_.valid = 0;
                return;
            }
            holding_ = true;
        }
        *p_.valid = 1;
        *p_.data = q_.front().data;
        if (p_.last) *p_.last = q_.front().last;
    }
    // Observe the handshake before the rising edge; returns true on a transfer.
    bool sample(uint64_t cycle) {
        if (holding_ && *p_.valid && *p_.ready) {
            q_.pop_front();
            holding_ = false;
            ++sent_;
            last_cycle_ = cycle;
            return true;
        }
        return false;
    }
    bool idle() const { return q_.empty() && !holding_; }
    size_t pending() const { return q_.size(); }
    uint64_t sent() const { return sent_; }
    uint64_t last_cycle() const { return last_cycle_; }

private:
    StreamPorts<T> p_;
    Stall stall_;
    std::deque<Beat<T>> q_;
    bool holding_ = false;
    uint64_t sent_ = 0, last_cycle_ = 0;
};

// ---------------------------------------------------------------- sink
template <class T>
class StreamSink {
public:
    explicit StreamSink(StreamPorts<T> p, Stall stall = Stall()) : p_(p), stall_(stall) { *p_.ready = 0; }
    void drive() { *p_.ready = stall_.next() ? 0 : 1; }
    bool sample(uint64_t cycle) {
        if (*p_.valid && *p_.ready) {
            beats_.push_back({*p_.data, p_.last ? bool(*p_.last) : false, cycle});
            return true;
        }
        return false;
    }
    std::vector<Beat<T>>& beats() { return beats_; }
    const std::vector<Beat<T>>& beats() const { return beats_; }

private:
    StreamPorts<T> p_;
    Stall stall_;
    std::vector<Beat<T>> beats_;
};

// ---------------------------------------------------------------- checker
template <class T>
class StreamChecker {
public:
    StreamChecker(StreamPorts<T> p, std::string name) : p_(p), name_(std::move(name)) {}
    // Call once per cycle after settle(), before tick().
    void sample(uint64_t cycle) {
        const bool v = *p_.valid, r = *p_.ready;
        const T d = *p_.data;
        const bool l = p_.last ? bool(*p_.last) : false;
        if (pending_) {  // previous cycle: valid && !ready
            if (!v)
                fail(cycle, "valid dropped without a transfer");
            else {
                if (d != data_) fail(cycle, "data changed while valid && !ready");
                if (l != last_) fail(cycle, "last changed while valid && !ready");
            }
        }
        pending_ = v && !r;
        data_ = d;
        last_ = l;
        if (v && r) ++transfers_;
    }
    bool ok() const { return count_ == 0; }
    uint64_t violations() const { return count_; }
    uint64_t transfers() const { return transfers_; }
    const std::vector<std::string>& messages() const { return msgs_; }
    // Prints the first few violations; returns ok().
    bool report(FILE* f = stderr) const {
        for (const auto& m : msgs_) std::fprintf(f, "%s\n", m.c_str());
        if (count_ > msgs_.size())
            std::fprintf(f, "[%s] ... %llu protocol violations in all\n", name_.c_str(),
                         (unsigned long long)count_);
        return ok();
    }

private:
    void fail(uint64_t cycle, const char* what) {
        if (msgs_.size() < 10)
            msgs_.push_back("[" + name_ + "] cycle " + std::to_string(cycle) + ": " + what);
        ++count_;
    }
    StreamPorts<T> p_;
    std::string name_;
    bool pending_ = false, last_ = false;
    T data_{};
    uint64_t count_ = 0, transfers_ = 0;
    std::vector<std::string> msgs_;
};

}  // namespace cnn::sim
