// dut.hpp: the harness's view of one model instance, free of Verilator, so
// that the cycle loop (harness.cpp), the command line and the report are
// compiled once in cnn_harness and not once per model: a model's simulator
// compiles only its Verilated C++ and verilated_dut.hpp's adapter (measured
// on LeNet: the harness and sim_main.cpp were 6.1 of its 19 CPU-s of C++).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cnn::sim {

// Declared only: a model's main() (sim/model/model_main.cpp) parses no more
// than it needs (jobs.hpp, report.hpp... define them).
struct Manifest;
struct Job;
struct RunOptions;
struct RunReport;

// A port's storage as Verilator lays it out: CData/SData/IData/QData or the
// 32-bit words of a VlWide, bit 0 first on this little-endian host.
struct PortBits {
    const uint8_t* p = nullptr;
    int bytes = 0;
};

// n (<= 32) bits at lo of a port of any width.
inline uint32_t port_bits(const PortBits& v, int lo, int n) {
    const int byte = lo >> 3;
    uint64_t x = 0;
    for (int i = 0; i < 8 && byte + i < v.bytes; ++i) x |= uint64_t(v.p[byte + i]) << (8 * i);
    return uint32_t((x >> (lo & 7)) & ((uint64_t(1) << n) - 1));
}

// The generated top's ports (cnn_top.vhd) and its evaluation. The pointers
// are the model's own fields: writing one drives the port.
class Dut {
public:
    virtual ~Dut() = default;
    virtual void eval() = 0;
    // FST tracing (a TRACE=1 build); throws in a simulator built without it.
    virtual void trace_open(const std::string& path) = 0;
    virtual void trace_dump(uint64_t time) = 0;
    virtual void trace_close() = 0;

    uint8_t *clk = nullptr, *rst = nullptr;
    uint8_t *s_valid = nullptr, *s_ready = nullptr, *s_data = nullptr, *s_last = nullptr;
    uint8_t *m_valid = nullptr, *m_ready = nullptr, *m_data = nullptr, *m_last = nullptr;
    uint8_t* tlast_error = nullptr;
    PortBits probe_valid, probe_ready, probe_data;   // one bit (valid, ready) or byte (data) per link
};

using DutFactory = std::function<std::unique_ptr<Dut>()>;

// Runs the images on opt.threads model instances in parallel (Verilator's
// own threading gains nothing on designs this small; separate instances
// do). Each instance streams a contiguous share of the images back to back;
// latency and interval come from within each instance's stream.
RunReport run_model(const Manifest& m, const std::vector<Job>& jobs, const RunOptions& opt, const DutFactory& make);

// The whole simulator of a model (sim/sim_main.cpp: options, run, report,
// --trace-mismatch); a model's main() is this call with its Dut.
int sim_main(int argc, char** argv, const char* manifest_default, const DutFactory& make);

}  // namespace cnn::sim
