// harness.hpp: the model harness on a Verilator class, run_model<Top>, for
// testbenches that build their own top (rtl/tests/tb_top_lut_u8.cpp). The
// cycle loop is harness.cpp's (cnn_harness), the adapter verilated_dut.hpp's.
#pragma once

#include "jobs.hpp"
#include "manifest.hpp"
#include "report.hpp"
#include "run_options.hpp"
#include "scoreboard.hpp"
#include "verilated_dut.hpp"

namespace cnn::sim {

template <class Top>
RunReport run_model(const Manifest& m, const std::vector<Job>& jobs, const RunOptions& opt) {
    return run_model(m, jobs, opt, make_dut<Top>);
}

}  // namespace cnn::sim
