#include "cli.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <new>

#include <nlohmann/json.hpp>
#include <fstream>
#include <iostream>

#include "error.hpp"
#include "import.hpp"
#include "strings.hpp"

namespace cnn::sim {

namespace {

double to_mhz(const std::string& s) {
    try {
        size_t used = 0;
        double v = std::stod(s, &used);
        if (used == s.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw Error("--clock-mhz", "'" + s + "' is not a positive number");
}

// make fmax's place-and-route results (rtl/flow/fmax.sh: timing-<fpga>.json)
// of this model's hardware: in the manifest's folder or the one above it
// (BUILD/hw/<stem>/ holds gen/manifest.json), in order of the fpga's name.
std::vector<RunReport::Timing> read_timing(const std::string& manifest_path) {
    namespace fs = std::filesystem;
    std::vector<RunReport::Timing> out;
    if (manifest_path.empty()) return out;
    const fs::path dir = fs::absolute(fs::path(manifest_path)).parent_path();
    std::vector<fs::path> files;
    for (const fs::path& d : {dir, dir.parent_path()}) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(d, ec)) {
            const std::string n = e.path().filename().string();
            // timing-<fpga>.json only (no other dot in the name)
            if (n.rfind("timing-", 0) == 0 && n.size() > 12 && n.compare(n.size() - 5, 5, ".json") == 0 &&
                n.find('.') == n.size() - 5)
                files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    for (const fs::path& f : files) {
        std::ifstream in(f);
        nlohmann::json j;
        try {
            in >> j;
            out.push_back({j.at("fpga").get<std::string>(), j.at("fmax_mhz").get<double>()});
        } catch (const nlohmann::json::exception& e) {
            throw Error(f.string(), std::string("not a timing file of make fmax: ") + e.what());
        }
    }
    return out;
}

}  // namespace

Setup setup(int argc, char** argv, const std::string& manifest) {
    Setup s;
    s.args.v.assign(argv + 1, argv + argc);
    const Args& a = s.args;
    const std::string manifest_path = a.get("--manifest", manifest);
    if (manifest_path.empty()) throw Error("usage", "--manifest DIR/manifest.json is required");
    s.manifest = Manifest::load(manifest_path);
    s.manifest_path = manifest_path;
    s.net = load_network(a.get("--model", s.manifest.source));
    if (!(s.net.input == s.manifest.input) || !(s.net.output() == s.manifest.output) ||
        s.net.output_unsigned != s.manifest.output_unsigned)
        throw Error(manifest_path, "the manifest does not match " + s.net.source + " (rebuild with make sim)");

    const size_t count = to_u64(a.get("--count", "0"), "--count");
    std::vector<Image> images;
    if (a.has("--images")) {
        // A bad image in a folder is reported (one line) and skipped; the run
        // still scores the good ones and exits 1 (finish).
        images = load_images(a.get("--images"), {s.net.input.c, s.net.input.h, s.net.input.w, a.has("--resize")},
                             count, [&](const Error& e) {
                                 std::cerr << "sim: skipped: " << printable(e.what()) << "\n";
                                 ++s.skipped;
                             });
    } else {
        images = random_images(s.net.input, int(to_u64(a.get("--random", "8"), "--random")),
                               to_u64(a.get("--seed", "1"), "--seed"));
    }
    if (images.empty()) throw Error("images", "no image to run");
    for (size_t i = 0; i < images.size(); ++i) s.index.push_back(i);
    if (a.has("--only")) {
        const size_t k = to_u64(a.get("--only"), "--only");
        if (k >= images.size())
            throw Error("--only", std::to_string(k) + " is not an image of this run (" + std::to_string(images.size()) +
                                      " images)");
        images = {images[k]};
        s.index = {k};
    }

    // --shard K/N: share K of the N a run with --threads N gives its model
    // instances, run as instance K (sim/shards.sh runs the N of them apart,
    // report_merge joins their reports into the report of that one run).
    if (a.has("--shard")) {
        const std::string v = a.get("--shard");
        const size_t slash = v.find('/');
        if (slash == std::string::npos) throw Error("--shard", "'" + v + "' is not K/N");
        const size_t k = to_u64(v.substr(0, slash), "--shard"), n = to_u64(v.substr(slash + 1), "--shard");
        if (n == 0 || k >= n) throw Error("--shard", "'" + v + "': K must be below N");
        if (a.has("--only")) throw Error("--shard", "does not go with --only");
        if (n > images.size())
            throw Error("--shard", std::to_string(n) + " shards of " + std::to_string(images.size()) + " images");
        std::vector<Image> mine;
        std::vector<size_t> index;
        for (size_t i = 0; i < images.size(); ++i)
            if (i * n / images.size() == k) {
                mine.push_back(images[i]);
                index.push_back(i);
            }
        images = std::move(mine);
        s.index = std::move(index);
        s.opt.instance = int(k);
    }

    RunOptions& opt = s.opt;
    opt.stall = a.get("--stall", "off");
    if (opt.stall != "off" && opt.stall != "random" && opt.stall != "heavy")
        throw Error("--stall", "'" + opt.stall + "' is not one of off, random, heavy");
    opt.seed = to_u64(a.get("--seed", "1"), "--seed");
    opt.clock_mhz = to_mhz(a.get("--clock-mhz", "100"));
    opt.trace = a.get("--trace");
    opt.trace_from = to_u64(a.get("--trace-from", "0"), "--trace-from");
    opt.trace_cycles = to_u64(a.get("--trace-cycles", "200000"), "--trace-cycles");
    opt.progress = !a.has("--quiet");
    opt.threads = int(to_u64(a.get("--threads", "1"), "--threads"));
    if (a.has("--shard")) opt.threads = 1;   // a shard is one model instance
    if (a.has("--interval-tolerance")) {
        const std::string t = a.get("--interval-tolerance");
        try {
            size_t used = 0;
            opt.interval_tolerance = std::stod(t, &used);
            if (used != t.size() || opt.interval_tolerance < 0) throw Error("", "");
        } catch (const std::exception&) {
            throw Error("--interval-tolerance", "'" + t + "' is not a fraction >= 0");
        }
    }
    opt.events = a.get("--events");
    if (a.has("--short-image")) opt.short_image = int64_t(to_u64(a.get("--short-image"), "--short-image"));
    opt.drop_beats = int64_t(to_u64(a.get("--drop-beats", "0"), "--drop-beats"));
    s.jobs = make_jobs(s.net, images);
    return s;
}

int guarded_main(const char* tool, const std::function<int()>& body) {
    try {
        return body();
    } catch (const Error& e) {
        std::cerr << tool << ": " << printable(e.what()) << "\n";
        return std::string(e.what()).rfind("usage", 0) == 0 ? 2 : 1;
    } catch (const std::bad_alloc&) {
        std::cerr << tool << ": out of memory (the model or its images are too large for this machine)\n";
        return 1;
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << tool << ": " << printable(e.path1().string() + ": " + e.code().message()) << "\n";
        return 1;
    } catch (const nlohmann::json::exception& e) {
        std::cerr << tool << ": " << printable(std::string("a JSON file (manifest or report): ") + e.what()) << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << tool << ": internal error: " << printable(e.what()) << "\n";
        return 3;
    }
}

int finish(const Setup& s, RunReport& rep) {
    rep.model = printable(s.net.name);
    if (rep.timing.empty()) rep.timing = read_timing(s.manifest_path);
    rep.check_interval(s.opt.interval_tolerance);
    rep.print(stdout);
    if (!s.opt.trace.empty())
        std::printf("  waveform          %s (cycles %llu..%llu)\n", s.opt.trace.c_str(),
                    (unsigned long long)s.opt.trace_from,
                    (unsigned long long)(s.opt.trace_from + s.opt.trace_cycles));
    const std::string report = s.args.get("--report");
    if (!report.empty()) {
        rep.write_json(report);
        std::printf("  report            %s\n", report.c_str());
    }
    const std::string mm = s.args.get("--mismatch-file");
    if (!mm.empty()) {
        std::ofstream f(mm);
        for (size_t i = 0; i < rep.results.size(); ++i)
            if (!rep.results[i].match && rep.results[i].first) {
                f << s.index.at(i) << " " << rep.results[i].id << "\n";
                break;
            }
        if (!f) throw Error(mm, "cannot write the mismatch file");
    }
    if (s.skipped > 0)
        std::cerr << "sim: " << printable(s.args.get("--images")) << ": " << s.skipped
                  << " unreadable image(s) skipped\n";
    return rep.ok() && s.skipped == 0 ? 0 : 1;
}

}  // namespace cnn::sim
