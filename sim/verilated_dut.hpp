// verilated_dut.hpp: a Verilator class as the harness's Dut (dut.hpp). The
// cycle loop is compiled once, in cnn_harness (harness.cpp); this adapter is
// what is compiled per model, with the model's own Verilator defines
// (VM_TRACE...). With CNN_TRACE (a TRACE=1 build, Verilator's --trace-fst)
// the Dut traces.
#pragma once

#include <memory>
#include <type_traits>

#include <verilated.h>
#ifdef CNN_TRACE
#include <verilated_fst_c.h>
#endif

#include "dut.hpp"
#include "error.hpp"

namespace cnn::sim {

template <class T>
PortBits port_storage(const T& v) {
    static_assert(std::is_integral_v<T> || sizeof(T) % 4 == 0, "a Verilator port: CData..QData or VlWide");
    return {reinterpret_cast<const uint8_t*>(&v), int(sizeof(T))};
}

template <class Top>
class VerilatedDut final : public Dut {
public:
    VerilatedDut() : ctx_(std::make_unique<VerilatedContext>()), top_(std::make_unique<Top>(ctx_.get())) {
        Top& t = *top_;
        clk = &t.clk;
        rst = &t.rst;
        s_valid = &t.s_axis_tvalid, s_ready = &t.s_axis_tready, s_data = &t.s_axis_tdata, s_last = &t.s_axis_tlast;
        m_valid = &t.m_axis_tvalid, m_ready = &t.m_axis_tready, m_data = &t.m_axis_tdata, m_last = &t.m_axis_tlast;
        tlast_error = &t.tlast_error;
        probe_valid = port_storage(t.probe_valid);
        probe_ready = port_storage(t.probe_ready);
        probe_data = port_storage(t.probe_data);
    }
    void eval() override { top_->eval(); }
#ifdef CNN_TRACE
    void trace_open(const std::string& path) override {
        ctx_->traceEverOn(true);
        tracer_ = std::make_unique<VerilatedFstC>();
        top_->trace(tracer_.get(), 99);
        tracer_->open(path.c_str());
    }
    void trace_dump(uint64_t time) override { tracer_->dump(time); }
    void trace_close() override { tracer_->close(); }
#else
    void trace_open(const std::string&) override {
        throw Error("TRACE", "this simulator was built without tracing (make sim TRACE=1)");
    }
    void trace_dump(uint64_t) override {}
    void trace_close() override {}
#endif

private:
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Top> top_;
#ifdef CNN_TRACE
    std::unique_ptr<VerilatedFstC> tracer_;
#endif
};

template <class Top>
std::unique_ptr<Dut> make_dut() {
    return std::make_unique<VerilatedDut<Top>>();
}

}  // namespace cnn::sim
