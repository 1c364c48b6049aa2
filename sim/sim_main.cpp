// The simulator of one generated model: this file is compiled against the
// model's Verilator class (Vcnn_top) by sim/flow.sh; everything else comes
// from the cnn_harness library.
//
//   sim --manifest DIR/manifest.json [--model M.onnx] [--images PATH | --random N]
//       [--count N] [--resize] [--stall off|random|heavy] [--seed S]
//       [--clock-mhz F] [--report OUT.json] [--trace OUT.fst [--trace-from C] [--trace-cycles N]]
//       [--quiet] [--threads N] [--short-image K] [--drop-beats N]
// Fault injection: --short-image K sends image K one beat short, tlast on its
// last beat sent (the run must report it, not hang); --drop-beats N withholds
// the run's last N input beats (the watchdog must name the stuck stream).
// A bad image in an --images folder is reported (one line) and skipped: the
// good ones still run, and the exit code is 1.
// Exit code: 0 all images bit-exact, none skipped and no protocol error, 1
// otherwise (or a user error: one line), 2 usage, 3 an internal error.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Vcnn_top.h"
#include "error.hpp"
#include "harness.hpp"
#include "images.hpp"
#include "import.hpp"
#include "strings.hpp"

namespace {

struct Args {
    std::vector<std::string> v;
    // The last occurrence wins, so a wrapper's defaults can be overridden.
    std::string get(const std::string& name, const std::string& dflt = "") const {
        std::string r = dflt;
        for (size_t i = 0; i + 1 < v.size(); ++i)
            if (v[i] == name) r = v[i + 1];
        return r;
    }
    bool has(const std::string& name) const {
        for (const auto& a : v)
            if (a == name) return true;
        return false;
    }
};

uint64_t to_u64(const std::string& s, const char* what) {
    try {
        size_t used = 0;
        unsigned long long x = std::stoull(s, &used);
        if (used == s.size()) return x;
    } catch (const std::exception&) {
    }
    throw cnn::Error(what, "'" + s + "' is not a whole number");
}

double to_mhz(const std::string& s) {
    try {
        size_t used = 0;
        double v = std::stod(s, &used);
        if (used == s.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw cnn::Error("--clock-mhz", "'" + s + "' is not a positive number");
}

}  // namespace

int main(int argc, char** argv) {
    Args a{std::vector<std::string>(argv + 1, argv + argc)};
    const std::string manifest_path = a.get("--manifest");
    if (manifest_path.empty()) {
        std::cerr << "usage: sim --manifest DIR/manifest.json [--images PATH | --random N] [--count N] "
                     "[--stall off|random|heavy] [--seed S] [--report OUT.json] [--trace OUT.fst]\n";
        return 2;
    }
    try {
        const cnn::sim::Manifest m = cnn::sim::Manifest::load(manifest_path);
        const cnn::Network net = cnn::load_network(a.get("--model", m.source));
        if (!(net.input == m.input) || !(net.output() == m.output))
            throw cnn::Error(manifest_path, "the manifest does not match " + net.source + " (rebuild with make sim)");

        const size_t count = to_u64(a.get("--count", "0"), "--count");
        std::vector<cnn::Image> images;
        size_t skipped = 0;
        if (a.has("--images")) {
            images = cnn::load_images(a.get("--images"), {net.input.c, net.input.h, net.input.w, a.has("--resize")},
                                      count, [&](const cnn::Error& e) {
                                          std::cerr << "sim: skipped: " << cnn::printable(e.what()) << "\n";
                                          ++skipped;
                                      });
        } else {
            images = cnn::sim::random_images(net.input, int(to_u64(a.get("--random", "8"), "--random")),
                                             to_u64(a.get("--seed", "1"), "--seed"));
        }
        if (images.empty()) throw cnn::Error("images", "no image to run");

        cnn::sim::RunOptions opt;
        opt.stall = a.get("--stall", "off");
        opt.seed = to_u64(a.get("--seed", "1"), "--seed");
        opt.clock_mhz = to_mhz(a.get("--clock-mhz", "100"));
        opt.trace = a.get("--trace");
        opt.trace_from = to_u64(a.get("--trace-from", "0"), "--trace-from");
        opt.trace_cycles = to_u64(a.get("--trace-cycles", "200000"), "--trace-cycles");
        opt.progress = !a.has("--quiet");
        opt.threads = int(to_u64(a.get("--threads", "1"), "--threads"));
        if (a.has("--short-image")) opt.short_image = int64_t(to_u64(a.get("--short-image"), "--short-image"));
        opt.drop_beats = int64_t(to_u64(a.get("--drop-beats", "0"), "--drop-beats"));

        const auto jobs = cnn::sim::make_jobs(net, images);
        cnn::sim::RunReport rep = cnn::sim::run_model<Vcnn_top>(m, jobs, opt);
        rep.model = cnn::printable(net.name);
        rep.print(stdout);
        if (!opt.trace.empty())
            std::printf("  waveform          %s (cycles %llu..%llu)\n", opt.trace.c_str(),
                        (unsigned long long)opt.trace_from, (unsigned long long)(opt.trace_from + opt.trace_cycles));
        const std::string report = a.get("--report");
        if (!report.empty()) {
            rep.write_json(report);
            std::printf("  report            %s\n", report.c_str());
        }
        if (skipped > 0)
            std::cerr << "sim: " << cnn::printable(a.get("--images")) << ": " << skipped
                      << " unreadable image(s) skipped\n";
        return rep.ok() && skipped == 0 ? 0 : 1;
    } catch (const cnn::Error& e) {
        std::cerr << "sim: " << cnn::printable(e.what()) << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "sim: out of memory (the model or its images are too large for this machine)\n";
        return 1;
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << "sim: " << cnn::printable(e.path1().string() + ": " + e.code().message()) << "\n";
        return 1;
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "sim: " << cnn::printable(manifest_path + ": JSON: " + e.what()) << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "sim: internal error: " << cnn::printable(e.what()) << "\n";
        return 3;
    }
}
