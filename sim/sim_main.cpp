// The simulator of one generated model, compiled once in cnn_harness: a
// model's main() (sim/model/model_main.cpp, compiled with its Verilator
// class and its manifest's path) calls sim_main with the model as a Dut
// (dut.hpp); the options are sim/cli.hpp's.
//
//   sim [--manifest DIR/manifest.json] [--model M.onnx] [--images PATH | --random N] [--only K]
//       [--count N] [--resize] [--stall off|random|heavy] [--seed S]
//       [--clock-mhz F] [--report OUT.json] [--trace OUT.fst [--trace-from C] [--trace-cycles N]]
//       [--quiet] [--threads N] [--events FILE] [--mismatch-file FILE]
//       [--trace-mismatch OUT.fst] [--short-image K] [--drop-beats N]
// Fault injection: --short-image K sends image K one beat short, tlast on its
// last beat sent (the run must report it, not hang); --drop-beats N withholds
// the run's last N input beats (the watchdog must name the stuck stream).
// --trace-mismatch (a TRACE=1 build, one image: sim/run.sh adds --only K):
// runs the image once to find its first wrong beat, then again with an FST
// window around that beat, and says where to look.
// A bad image in an --images folder is reported (one line) and skipped: the
// good ones still run, and the exit code is 1.
// Exit code: 0 all images bit-exact, none skipped and no protocol error, 1
// otherwise (or a user error: one line), 2 usage, 3 an internal error.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "dut.hpp"
#include "error.hpp"
#include "strings.hpp"

namespace {

// The window traced around the first wrong beat.
constexpr uint64_t kBefore = 4000, kAfter = 1000;

int trace_mismatch(cnn::sim::Setup& s, const std::string& path, const cnn::sim::DutFactory& make) {
    using namespace cnn::sim;
    if (s.jobs.size() != 1) throw cnn::Error("--trace-mismatch", "runs one image (add --only K)");
    s.opt.threads = 1;
    s.opt.trace.clear();
    RunReport first = run_model(s.manifest, s.jobs, s.opt, make);
    const ImageResult& r = first.results.at(0);
    if (r.match || !r.first) {
        std::printf("  waveform          image %zu (%s) alone runs bit-exact: the mismatch needs the images "
                    "before it (run with TRACE=1 TRACE_FROM=...)\n",
                    s.index[0], r.id.c_str());
        return 1;
    }
    const Mismatch mm = *r.first;
    s.opt.trace = path;
    s.opt.trace_from = mm.cycle > kBefore ? mm.cycle - kBefore : 0;
    s.opt.trace_cycles = mm.cycle - s.opt.trace_from + kAfter;
    RunReport traced = run_model(s.manifest, s.jobs, s.opt, make);
    const auto& t = traced.results.at(0);
    if (!t.first || t.first->cycle != mm.cycle)
        throw cnn::Error("--trace-mismatch", "the traced re-run did not repeat the first run (simulation not deterministic?)");
    const uint64_t to = s.opt.trace_from + s.opt.trace_cycles;
    std::printf("  waveform          %s\n"
                "                    image %zu (%s) alone: first wrong beat on link %s at cycle %llu "
                "(FST time %llu), %s; traced cycles %llu..%llu\n",
                path.c_str(), s.index[0], r.id.c_str(), mm.link.c_str(), (unsigned long long)mm.cycle,
                (unsigned long long)(2 * mm.cycle), mm.describe().c_str(), (unsigned long long)s.opt.trace_from,
                (unsigned long long)to);
    // Where the wrong beat is, for scripts and tests: its probe link index
    // (-1: m_axis), cycle, FST time (two time steps a cycle) and the window.
    int link = -1;
    for (size_t i = 0; i < s.manifest.links.size(); ++i)
        if (s.manifest.links[i] == mm.link) link = int(i);
    std::ofstream j(path + ".json");
    j << "{\"image\": " << s.index[0] << ", \"link\": \"" << mm.link << "\", \"link_index\": " << link
      << ", \"layer\": \"" << mm.layer << "\", \"expected\": " << mm.expected << ", \"got\": " << mm.got
      << ", \"cycle\": " << mm.cycle << ", \"fst_time\": " << 2 * mm.cycle << ", \"trace_from\": "
      << s.opt.trace_from << ", \"trace_to\": " << to << "}\n";
    if (!j) throw cnn::Error(path + ".json", "cannot write the waveform's description");
    return 1;
}

}  // namespace

int cnn::sim::sim_main(int argc, char** argv, const char* manifest_default, const DutFactory& make) {
    return guarded_main("sim", [&] {
        Setup s = setup(argc, argv, manifest_default);
        if (s.args.has("--trace-mismatch")) return trace_mismatch(s, s.args.get("--trace-mismatch"), make);
        RunReport rep = run_model(s.manifest, s.jobs, s.opt, make);
        return finish(s, rep);
    });
}
