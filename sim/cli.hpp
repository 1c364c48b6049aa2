// The command line every simulator of a model shares (the Verilator one,
// sim/sim_main.cpp, and the GHDL one, sim/ghdl_main.cpp): what to run, on
// which images, with which stalls, and what to do with the report.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir.hpp"
#include "options.hpp"
#include "jobs.hpp"
#include "manifest.hpp"
#include "report.hpp"
#include "run_options.hpp"

namespace cnn::sim {

// The one option parser, cnnc's too (lib/options.hpp): the last occurrence wins.
using Args = cnn::Options;
using cnn::to_u64;

struct Setup {
    Args args;
    Manifest manifest;
    std::string manifest_path;     // where it was read (finish looks for make fmax's timing-*.json near it)
    Network net;
    std::vector<Job> jobs;
    std::vector<size_t> index;     // jobs[i] is image index[i] of the run (--only picks one)
    RunOptions opt;
    size_t skipped = 0;            // unreadable images of an --images folder, reported and left out
};

// Reads the options below; throws cnn::Error on a bad one.
//   [--manifest DIR/manifest.json] [--model M.onnx] [--images PATH | --random N] [--count N] [--resize]
//   [--only K] [--stall off|random|heavy] [--seed S] [--clock-mhz F] [--threads N] [--quiet]
//   [--trace OUT.fst [--trace-from C] [--trace-cycles N]] [--events FILE]
//   [--short-image K] [--drop-beats N]
// `manifest` is the default of --manifest: the Verilator simulator of a
// model is built with its own (sim/model), the GHDL one needs the option.
Setup setup(int argc, char** argv, const std::string& manifest = "");

// Prints the report, writes --report JSON and --mismatch-file (the index and
// id of the first image that failed, for sim/run.sh's waveform re-run);
// returns the exit code.
int finish(const Setup& s, RunReport& rep);

// Runs a simulator's main body: every failure is one line on stderr led by
// `tool`, with exit 2 for usage, 1 for what the user can fix (a bad option,
// file or model, a model too large for memory), 3 for an internal error.
int guarded_main(const char* tool, const std::function<int()>& body);

}  // namespace cnn::sim
