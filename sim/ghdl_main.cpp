// cnn_ghdl: a model's VHDL (the generated top and rtl/, not GHDL's Verilog
// translation of it) simulated in GHDL, fed exactly as the Verilator harness
// feeds its model and scored by the same scoreboard and report.
//
//   cnn_ghdl --ghdl-work DIR --manifest DIR/manifest.json [the options of sim/cli.hpp]
//
// DIR is a GHDL work library holding rtl/, the model's packages and top, and
// sim/cnn_tb.vhd, analysed (sim/flow.sh SIM=ghdl does it). This program
// writes the stimulus (input beats, both sides' stall decisions drawn from
// the same seeded Stall as harness.hpp's), runs the bench (ghdl -r), and
// replays the events it wrote (sim/cnn_tb.vhd's header lists them) into the
// Scoreboard in the order the Verilator harness observes them.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "axis.hpp"
#include "cli.hpp"
#include "error.hpp"

namespace fs = std::filesystem;
using namespace cnn::sim;

namespace {

std::string quote(const std::string& s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

// cnn_tb's NBYTES and LANES generics (sim/cnn_tb.vhd): probe_data's bytes,
// and each link's lanes as one character, character'val(48 + lanes).
std::string lanes_generics(const Manifest& m) {
    std::string lanes;
    int bytes = 0;
    for (int n : m.link_lanes) {
        if (n > 64) throw cnn::Error(m.links[lanes.size()], "more than 64 lanes: cnn_tb takes at most 64");
        lanes += char(48 + n);
        bytes += n;
    }
    return " -gNBYTES=" + std::to_string(bytes) + " -gLANES=" + quote(lanes);
}

Stall::Mode mode_of(const std::string& s) {
    return s == "random" ? Stall::Random : s == "heavy" ? Stall::Heavy : Stall::Off;
}

// Stall decisions as '0'/'1' characters (1 = stall), 1000 a line: until
// `gos` decisions said go, or `max` decisions in all.
void write_decisions(const fs::path& path, Stall stall, size_t gos, uint64_t max) {
    std::ofstream f(path);
    size_t go = 0;
    for (uint64_t n = 1; go < gos && n <= max; ++n) {
        const bool st = stall.next();
        go += !st;
        f << (st ? '1' : '0');
        if (n % 1000 == 0) f << '\n';
    }
    f << '\n';
    if (!f) throw cnn::Error(path.string(), "cannot write the stall schedule");
}

RunReport run_ghdl(const Setup& s, const fs::path& work, const fs::path& run) {
    const Manifest& m = s.manifest;
    const RunOptions& opt = s.opt;
    fs::create_directories(run);
    const auto beats = input_stream(s.jobs, opt);
    int64_t out_beats = 0;
    for (const Job& j : s.jobs) out_beats += int64_t(j.golden.empty() ? j.input.data.size() : j.golden.back().data.size());
    const Stall::Mode mode = mode_of(opt.stall);
    const int64_t watchdog = std::max<int64_t>(m.expected_cycles, m.input_beats + m.output_beats) *
                                 (mode == Stall::Heavy ? 16 : 4) + 20000;
    const uint64_t bucket = timeline_bucket(m, s.jobs.size());
    {
        std::ofstream cfg(run / "config.txt");
        cfg << beats.size() << " " << out_beats << " " << watchdog << " " << bucket << " " << (mode != Stall::Off) << " "
            << (mode != Stall::Off) << "\n";
        std::ofstream in(run / "in.txt");
        for (const auto& [d, l] : beats) in << int(d) << " " << int(l) << "\n";
        if (!cfg || !in) throw cnn::Error(run.string(), "cannot write the stimulus");
    }
    if (mode != Stall::Off) {
        // The source draws a decision per beat attempt until every beat went;
        // the sink one a cycle, for more cycles than any run can take.
        write_decisions(run / "src.txt", Stall(mode, opt.seed * 2 + 1), beats.size(), UINT64_MAX);
        const uint64_t cycles = uint64_t(std::max<int64_t>(m.expected_cycles, 1)) * (s.jobs.size() + 2) * 10 +
                                uint64_t(watchdog) + 64;
        write_decisions(run / "sink.txt", Stall(mode, opt.seed * 2 + 2), SIZE_MAX, cycles);
    }
    const char* ghdl = std::getenv("GHDL");
    std::string cmd = std::string(ghdl ? ghdl : "ghdl") + " -r --std=08 --workdir=" + quote(work.string()) +
                      " cnn_tb -gNLINKS=" + std::to_string(m.links.size()) + lanes_generics(m) + " -gDIR=" + quote(run.string()) +
                      " --ieee-asserts=disable";
    if (!opt.trace.empty()) cmd += " --fst=" + quote(opt.trace);
    cmd += " > " + quote((run / "ghdl.log").string()) + " 2>&1";
    if (opt.progress) std::fprintf(stderr, "ghdl: simulating %zu images (%s)\n", s.jobs.size(), run.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = std::system(cmd.c_str());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc != 0) {
        std::ifstream log(run / "ghdl.log");
        std::string line, last;
        while (std::getline(log, line))
            if (!line.empty()) last = line;
        throw cnn::Error("ghdl", "the simulation failed (" + (run / "ghdl.log").string() + "): " + last);
    }

    RunReport rep;
    rep.simulator = "ghdl";
    rep.clock_mhz = opt.clock_mhz;
    rep.stall = opt.stall;
    rep.timeline_bucket = bucket;
    for (const auto& pe : m.pes) rep.pes.push_back({pe.instance, pe.cycles, 0, 0, 0});
    Scoreboard board(m, s.jobs);
    std::vector<std::string> checks;
    std::ifstream ev(run / "events.txt");
    if (!ev) throw cnn::Error((run / "events.txt").string(), "GHDL wrote no events");
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> events(nullptr, std::fclose);
    if (!opt.events.empty()) {
        events.reset(std::fopen(opt.events.c_str(), "w"));
        if (!events) throw cnn::Error(opt.events, "cannot write the events file");
    }
    std::string line;
    bool ended = false;
    while (std::getline(ev, line)) {
        std::istringstream is(line);
        char kind = 0;
        uint64_t cyc = 0;
        is >> kind;
        if (kind == 'I' || kind == 'O' || kind == 'L') {
            if (events) std::fprintf(events.get(), "%s\n", line.c_str());
            is >> cyc;
        }
        if (kind == 'I') {
            int last = 0;
            is >> last;
            board.input_beat(cyc, last);
        } else if (kind == 'O') {
            int d = 0, last = 0;
            is >> d >> last;
            board.output_beat(uint8_t(d), last, cyc);  // the byte (logged as int8)
        } else if (kind == 'L') {
            int link = 0, d = 0;
            is >> link;
            std::vector<int8_t> values;  // one, or a wide link's lanes
            while (is >> d) values.push_back(int8_t(d));
            if (values.empty() || !is.eof()) throw cnn::Error((run / "events.txt").string(), "malformed line: " + line);
            is.clear();  // the values ran to the end of the line
            board.link_beat(link, values.data(), int(values.size()), cyc);
        } else if (kind == 'X') {
            is >> cyc;
            board.protocol_error("s_axis: the hardware flagged a misplaced tlast at cycle " + std::to_string(cyc));
        } else if (kind == 'C') {
            is >> cyc;
            std::string text;
            std::getline(is, text);
            checks.push_back(text.substr(text.find_first_not_of(' ')));
        } else if (kind == 'T') {
            size_t b = 0;
            is >> b;
            std::vector<uint32_t> links(3 * m.links.size());
            for (auto& x : links) is >> x;
            if (b >= rep.timeline.size()) rep.timeline.resize(b + 1, std::vector<std::array<uint32_t, 3>>(rep.pes.size()));
            for (size_t p = 0; p < rep.pes.size(); ++p)
                for (int k = 0; k < 3; ++k) rep.timeline[b][p][k] = links[3 * size_t(m.pes[p].link) + k];
        } else if (kind == 'W') {
            std::string which;
            int64_t remaining = 0;
            is >> cyc >> which >> remaining;
            std::string msg = "watchdog: nothing moved for " + std::to_string(watchdog) + " cycles (cycle " +
                              std::to_string(cyc) + "): ";
            if (which == "s")
                msg += "s_axis stuck, tready low with " + std::to_string(remaining + 1) + " input beats waiting";
            else
                msg += "m_axis stuck, waiting for beat " + std::to_string(board.out_beat()) + " of image " +
                       std::to_string(board.images_out()) + " (tvalid low)";
            rep.errors.push_back(msg);
        } else if (kind == 'D') {
            board.protocol_error("m_axis: an extra beat after the last result");
        } else if (kind == 'E') {
            is >> rep.cycles;
            ended = true;
        } else if (kind == 'S') {
            int link = 0;
            uint64_t b = 0, st = 0, bl = 0;
            is >> link >> b >> st >> bl;
            for (size_t p = 0; p < rep.pes.size(); ++p)
                if (m.pes[p].link == link) rep.pes[p] = {m.pes[p].instance, m.pes[p].cycles, b, st, bl, 0};
        }
        if (!is && kind != 'E' && kind != 'S') throw cnn::Error((run / "events.txt").string(), "malformed line: " + line);
    }
    if (!ended) throw cnn::Error((run / "events.txt").string(), "GHDL stopped before the end of the run");
    for (const auto& c : checks) rep.errors.push_back(c);
    for (const auto& e : board.protocol_errors()) rep.errors.push_back(e);
    rep.results = board.results();
    for (size_t p = 0; p < rep.pes.size(); ++p) rep.pes[p].measured = board.link_interval(m.pes[p].link);
    rep.wall_s = wall;
    rep.finish(m);
    return rep;
}

}  // namespace

int main(int argc, char** argv) {
    return guarded_main("cnn_ghdl", [&] {
        Setup s = setup(argc, argv);
        const std::string work = s.args.get("--ghdl-work");
        if (work.empty()) throw cnn::Error("usage", "--ghdl-work DIR (a GHDL library with cnn_tb) is required");
        // A run folder of its own, so that runs of one model may overlap.
        const fs::path run = s.args.get(
            "--ghdl-run", (fs::path(work).parent_path() / ("run-" + std::to_string(getpid()))).string());
        RunReport rep = run_ghdl(s, work, run);
        if (!s.args.has("--ghdl-run") && rep.ok()) fs::remove_all(run);
        return finish(s, rep);
    });
}
