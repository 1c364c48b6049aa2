// The cycle loop of the model harness, compiled once (cnn_harness) for
// every model: the model is a Dut (dut.hpp), which verilated_dut.hpp makes
// of a Verilator class. Shaped as STYLE.md asks:
//   clock/trace owner  Clock (axis.hpp) + the Dut's FST tracer;
//   driver             StreamSource on s_axis (images back to back, tlast);
//   monitor            StreamSink on m_axis + the probe links of every PE;
//   scoreboard         Scoreboard (scoreboard.hpp): every beat vs the golden model;
//   protocol checkers  StreamChecker on s_axis and m_axis;
//   watchdog           fails naming the stuck stream when nothing moves.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <unistd.h>

#include "axis.hpp"
#include "dut.hpp"
#include "error.hpp"
#include "jobs.hpp"
#include "report.hpp"
#include "scoreboard.hpp"

namespace cnn::sim {
namespace {

// What Clock (axis.hpp) drives: the Dut's clk field and its eval().
struct ClockedDut {
    Dut& dut;
    uint8_t& clk;
    void eval() { dut.eval(); }
};

Stall::Mode stall_mode(const std::string& s) {
    if (s == "off") return Stall::Off;
    if (s == "random") return Stall::Random;
    if (s == "heavy") return Stall::Heavy;
    throw Error("STALL", "'" + s + "' is not one of off, random, heavy");
}

RunReport run_instance(const Manifest& m, const std::vector<Job>& jobs, const RunOptions& opt, int instance,
                       const DutFactory& make) {
    const std::unique_ptr<Dut> top = make();
    const bool tracing = !opt.trace.empty();
    if (tracing) top->trace_open(opt.trace);

    const Stall::Mode mode = stall_mode(opt.stall);
    ClockedDut model{*top, *top->clk};
    Clock<ClockedDut> clk(model);
    StreamPorts<uint8_t> in_ports{top->s_valid, top->s_ready, top->s_data, top->s_last};
    StreamPorts<uint8_t> out_ports{top->m_valid, top->m_ready, top->m_data, top->m_last};
    StreamSource<uint8_t> driver(in_ports, Stall(mode, opt.seed * 2 + 1));
    StreamSink<uint8_t> monitor(out_ports, Stall(mode, opt.seed * 2 + 2));
    StreamChecker<uint8_t> check_in(in_ports, "s_axis"), check_out(out_ports, "m_axis");
    Scoreboard board(m, jobs);

    for (const auto& [data, last] : input_stream(jobs, opt)) driver.push(data, last);
    // Every beat with its cycle, for comparing simulators (sim/xcheck.sh).
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> events(nullptr, std::fclose);
    if (!opt.events.empty()) {
        events.reset(std::fopen(opt.events.c_str(), "w"));
        if (!events) throw Error(opt.events, "cannot write the events file");
    }

    RunReport rep;
    rep.clock_mhz = opt.clock_mhz;
    rep.stall = opt.stall;
    for (const auto& pe : m.pes) rep.pes.push_back({pe.instance, pe.cycles, 0, 0, 0});
    for (const auto& q : m.fifos) rep.fifos.push_back({q.instance, q.depth, q.planned, 0, q.skip});
    const int nlinks = int(m.links.size());
    std::vector<int64_t> transfers(size_t(nlinks), 0);   // beats per link so far: FIFO occupancy
    // This cycle's probe valid and ready bits, 32 links a word: read once,
    // used by the scoreboard and the PE statistics.
    std::vector<uint32_t> valid(size_t((nlinks + 31) / 32)), ready(valid.size());
    rep.timeline_bucket = timeline_bucket(m, jobs.size());

    // Nothing may stand still longer than a few images' worth of cycles.
    const uint64_t watchdog = uint64_t(std::max<int64_t>(m.expected_cycles, m.input_beats + m.output_beats)) *
                                  (mode == Stall::Heavy ? 16 : 4) + 20000;
    uint64_t last_progress = 0;
    uint64_t bucket_end = 0;                    // the first cycle past the current timeline bucket
    std::array<uint32_t, 3>* sample = nullptr;  // its samples, one per PE
    // A PE's state (0 busy, 1 starved, 2 blocked) changes only when its
    // link's valid or ready bit does: each PE's current state and the cycle
    // it began; a span is added to the timeline when it ends (the bit changed,
    // a new bucket began, or the run ended). Every link starts not valid.
    std::vector<std::vector<int>> link_pes(static_cast<size_t>(nlinks));
    for (size_t p = 0; p < rep.pes.size(); ++p) link_pes[size_t(m.pes[p].link)].push_back(int(p));
    std::vector<uint8_t> state(rep.pes.size(), 1);
    std::vector<uint64_t> since(rep.pes.size(), 0);
    uint64_t counted = 0;  // the cycles sampled so far
    const auto close_span = [&](size_t p, uint64_t cyc) {
        if (sample) sample[p][state[p]] += uint32_t(cyc - since[p]);
        since[p] = cyc;
    };
    const bool tty = isatty(fileno(stderr));
    const auto t0 = std::chrono::steady_clock::now();
    auto last_print = t0;

    clk.reset(*top->rst, 2);
    const uint64_t start = clk.cycle();
    size_t out_seen = 0;
    while (!board.done()) {
        driver.drive();
        monitor.drive();
        clk.settle();
        const uint64_t cyc = clk.cycle() - start;
        check_in.sample(cyc);
        check_out.sample(cyc);
        if (driver.sample(cyc)) {
            board.input_beat(cyc, *top->s_last);
            if (events) std::fprintf(events.get(), "I %llu %d\n", (unsigned long long)cyc, int(*top->s_last));
            last_progress = cyc;
        }
        if (monitor.sample(cyc)) {
            const auto& b = monitor.beats().back();
            if (events)
                std::fprintf(events.get(), "O %llu %d %d\n", (unsigned long long)cyc, int(int8_t(b.data)), int(b.last));
            board.output_beat(uint8_t(b.data), b.last, cyc);
            last_progress = cyc;
            monitor.beats().clear();
        }
        if (cyc >= bucket_end) {  // a new timeline bucket: every PE's span so far goes to the old one
            for (size_t p = 0; p < rep.pes.size(); ++p) close_span(p, cyc);
            const size_t bucket = cyc / rep.timeline_bucket;
            bucket_end = (bucket + 1) * rep.timeline_bucket;
            if (bucket >= rep.timeline.size()) rep.timeline.resize(bucket + 1, std::vector<std::array<uint32_t, 3>>(rep.pes.size()));
            sample = rep.timeline[bucket].data();
        }
        // Every internal link: scoreboard on transfers, PE statistics.
        bool moved = false;
        for (int base = 0; base < nlinks; base += 32) {
            const int n = std::min(32, nlinks - base);
            uint32_t& vw = valid[size_t(base / 32)];
            uint32_t& rw = ready[size_t(base / 32)];
            const uint32_t v = port_bits(top->probe_valid, base, n), r = port_bits(top->probe_ready, base, n);
            for (uint32_t changed = (v ^ vw) | (r ^ rw); changed; changed &= changed - 1) {
                const int i = __builtin_ctz(changed);
                const uint8_t st = v >> i & 1 ? (r >> i & 1 ? 0 : 2) : 1;
                for (const int p : link_pes[size_t(base + i)]) {
                    close_span(size_t(p), cyc);
                    state[size_t(p)] = st;
                }
            }
            vw = v;
            rw = r;
            uint32_t fire = v & r;
            moved |= fire != 0;
            while (fire) {
                const int i = base + __builtin_ctz(fire);
                fire &= fire - 1;
                ++transfers[size_t(i)];
                // A wide link's beat: its lanes values, lowest byte first.
                const int8_t* d = reinterpret_cast<const int8_t*>(top->probe_data.p) + m.link_offset[size_t(i)];
                const int lanes = m.link_lanes[size_t(i)];
                if (events) {
                    std::fprintf(events.get(), "L %llu %d", (unsigned long long)cyc, i);
                    for (int k = 0; k < lanes; ++k) std::fprintf(events.get(), " %d", int(d[k]));
                    std::fputc('\n', events.get());
                }
                board.link_beat(i, d, lanes, cyc);
            }
        }
        // A FIFO's occupancy changes only on a transfer.
        if (moved)
            for (size_t q = 0; q < m.fifos.size(); ++q)
                rep.fifos[q].peak = std::max(rep.fifos[q].peak, transfers[size_t(m.fifos[q].in_link)] -
                                                                    transfers[size_t(m.fifos[q].out_link)]);
        counted = cyc + 1;
        if (*top->tlast_error) board.protocol_error("s_axis: the hardware flagged a misplaced tlast at cycle " + std::to_string(cyc));
        const bool dump = tracing && cyc >= opt.trace_from && cyc < opt.trace_from + opt.trace_cycles;
        if (dump) top->trace_dump(2 * cyc);
        clk.tick();
        if (dump) top->trace_dump(2 * cyc + 1);
        if (cyc - last_progress > watchdog) {
            std::string msg = "watchdog: nothing moved for " + std::to_string(watchdog) + " cycles (cycle " +
                              std::to_string(cyc) + "): ";
            if (!driver.idle() && !*top->s_ready)
                msg += "s_axis stuck, tready low with " + std::to_string(driver.pending() + 1) + " input beats waiting";
            else
                msg += "m_axis stuck, waiting for beat " + std::to_string(board.out_beat()) + " of image " +
                       std::to_string(board.images_out()) + " (tvalid low)";
            // A full FIFO in a stuck pipeline is the short one (a skip path
            // that cannot hold what the other path needs first).
            for (size_t q = 0; q < m.fifos.size(); ++q) {
                const int64_t held = transfers[size_t(m.fifos[q].in_link)] - transfers[size_t(m.fifos[q].out_link)];
                if (held >= m.fifos[q].depth)
                    msg += "; FIFO " + m.fifos[q].instance + " is full (" + std::to_string(held) + " of " +
                           std::to_string(m.fifos[q].depth) + " beats)" +
                           (m.fifos[q].skip ? ": this skip FIFO is too shallow for its residual block (planned depth " +
                                                  std::to_string(m.fifos[q].planned) + ")"
                                            : "");
            }
            rep.errors.push_back(msg);
            break;
        }
        if (opt.progress && (cyc & 0xffff) == 0) {
            auto now = std::chrono::steady_clock::now();
            if (now - last_print > std::chrono::seconds(tty ? 1 : 10) && now - t0 > std::chrono::seconds(2)) {
                last_print = now;
                double s = std::chrono::duration<double>(now - t0).count();
                std::fprintf(stderr, "%s  %zu/%zu images, %.1f M cycles, %.2f M cycles/s%s", tty ? "\r" : "",
                             board.images_out(), jobs.size(), cyc / 1e6, cyc / s / 1e6, tty ? "" : "\n");
                out_seen = board.images_out();
            }
        }
    }
    // The last spans (a PE's totals are its timeline's sums, taken below).
    for (size_t p = 0; p < rep.pes.size(); ++p) close_span(p, counted);
    if (opt.progress && out_seen) std::fprintf(stderr, "%s", tty ? "\n" : "");
    rep.cycles = clk.cycle() - start;
    // A short drain: the hardware must not produce anything more.
    for (int i = 0; i < 64 && rep.errors.empty(); ++i) {
        monitor.drive();
        clk.settle();
        if (monitor.sample(clk.cycle() - start)) board.protocol_error("m_axis: an extra beat after the last result");
        clk.tick();
    }
    rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (tracing) top->trace_close();
    for (const auto& e : check_in.messages()) rep.errors.push_back(e);
    for (const auto& e : check_out.messages()) rep.errors.push_back(e);
    for (const auto& e : board.protocol_errors()) rep.errors.push_back(e);
    rep.results = board.results();
    for (auto& r : rep.results) r.instance = instance;
    for (size_t p = 0; p < rep.pes.size(); ++p) {
        rep.pes[p].measured = board.link_interval(m.pes[p].link);
        for (const auto& row : rep.timeline) {
            rep.pes[p].busy += row[p][0];
            rep.pes[p].starved += row[p][1];
            rep.pes[p].blocked += row[p][2];
        }
    }
    return rep;
}

}  // namespace

RunReport run_model(const Manifest& m, const std::vector<Job>& jobs, const RunOptions& opt, const DutFactory& make) {
    const size_t n = std::max<size_t>(1, std::min<size_t>(size_t(std::max(1, opt.threads)), jobs.size()));
    if (n > 1 && (!opt.trace.empty() || opt.short_image >= 0 || opt.drop_beats > 0))
        throw Error("THREADS", "tracing and fault injection run on one instance (THREADS=1)");
    std::vector<std::vector<Job>> shares(n);
    for (size_t i = 0; i < jobs.size(); ++i) shares[i * n / jobs.size()].push_back(jobs[i]);
    std::vector<RunReport> reps(n);
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t t = 0; t < n; ++t)
        pool.emplace_back([&, t] {
            RunOptions o = opt;
            o.progress = opt.progress && t == 0;  // instance 0 speaks for all
            try {
                reps[t] = run_instance(m, shares[t], o, opt.instance + int(t), make);
            } catch (const std::exception& e) {
                reps[t].errors.push_back(std::string("instance ") + std::to_string(t) + ": " + e.what());
            }
        });
    for (auto& th : pool) th.join();
    RunReport rep = reps[0];
    for (size_t t = 1; t < n; ++t) rep.merge(reps[t]);
    rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rep.finish(m);
    return rep;
}

}  // namespace cnn::sim
