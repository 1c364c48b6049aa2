// The run report of SPEC §4: terminal summary and JSON.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "report.hpp"

namespace cnn::sim {

void RunReport::finish(const Manifest& m) {
    model = m.model;
    expected_cycles_per_image = m.expected_cycles;
    output_unsigned = m.output_unsigned;
    finish();
}

void RunReport::check_interval(double tolerance) {
    if (tolerance < 0 || expected_cycles_per_image <= 0) return;
    const double ratio = interval_cycles / double(expected_cycles_per_image);
    if (std::abs(ratio - 1.0) > tolerance) {
        char b[160];
        std::snprintf(b, sizeof b, "interval %.0f cycles is %.3fx the analytical model %lld (tolerance %.0f%%)",
                      interval_cycles, ratio, (long long)expected_cycles_per_image, 100 * tolerance);
        errors.push_back(b);
    }
}

void RunReport::finish() {
    images = results.size();
    mismatches = 0;
    labelled = correct = 0;
    std::vector<double> lat, gaps;
    for (size_t i = 0; i < results.size(); ++i) {
        const ImageResult& r = results[i];
        if (!r.match) ++mismatches;
        if (r.label >= 0 && r.output.size() == r.reference.size()) {
            ++labelled;
            correct += r.predicted == r.label;
        }
        if (r.seen_input && r.last_out_cycle >= r.first_in_cycle) lat.push_back(double(r.last_out_cycle - r.first_in_cycle + 1));
        if (i > 0 && results[i - 1].instance == r.instance)
            gaps.push_back(double(r.last_out_cycle - results[i - 1].last_out_cycle));
    }
    auto median = [](std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    // Latency: per image (SPEC §4), the median over the run: images stream
    // back to back, so this is the latency under load. The first image's,
    // through an empty pipeline, is reported beside it.
    first_latency_cycles = lat.empty() ? 0 : lat.front();
    latency_cycles = median(lat);
    // Interval: the median gap between consecutive results (steady state).
    interval_cycles = gaps.empty() ? latency_cycles : median(gaps);
    cycles_per_image = images ? double(cycles) / double(images) : 0;
    throughput = interval_cycles > 0 ? clock_mhz * 1e6 / interval_cycles : 0;
    sim_cycles_per_s = wall_s > 0 ? double(cycles) / wall_s : 0;
}

void RunReport::merge(const RunReport& o) {
    cycles += o.cycles;
    for (const auto& e : o.errors) errors.push_back(e);
    for (const auto& r : o.results) results.push_back(r);
    for (size_t i = 0; i < pes.size() && i < o.pes.size(); ++i) {
        pes[i].busy += o.pes[i].busy;
        pes[i].starved += o.pes[i].starved;
        pes[i].blocked += o.pes[i].blocked;
    }
    for (size_t i = 0; i < fifos.size() && i < o.fifos.size(); ++i) fifos[i].peak = std::max(fifos[i].peak, o.fifos[i].peak);
}

void RunReport::print(std::FILE* f) const {
    size_t shown = 0;
    for (size_t i = 0; i < results.size(); ++i) {
        const ImageResult& r = results[i];
        if (r.match) continue;
        if (shown++ == 10) {
            std::fprintf(f, "  ... more mismatching images (see the JSON report)\n");
            break;
        }
        std::fprintf(f, "MISMATCH image %zu (%s): %s\n", i, r.id.c_str(),
                     r.first ? (r.first->describe() + " (link " + r.first->link + ", cycle " +
                                std::to_string(r.first->cycle) + ")")
                                   .c_str()
                             : (std::to_string(r.output.size()) + " of " + std::to_string(r.reference.size()) +
                                " output beats arrived")
                                   .c_str());
    }
    for (const auto& e : errors) std::fprintf(f, "ERROR %s\n", e.c_str());
    std::fprintf(f, "%s: %zu images, %zu mismatches, stall %s%s%s\n", model.c_str(), images, mismatches,
                 stall.c_str(), simulator == "verilator" ? "" : (", " + simulator).c_str(), ok() ? "" : "  -> FAILED");
    if (labelled) std::fprintf(f, "  accuracy          %.2f%% (%d/%d)\n", 100.0 * correct / labelled, correct, labelled);
    std::fprintf(f, "  latency           %.0f cycles (median per image under load; first image %.0f)\n",
                 latency_cycles, first_latency_cycles);
    std::fprintf(f, "  interval          %.0f cycles (analytical model %lld, measured/model %.3f)\n", interval_cycles,
                 (long long)expected_cycles_per_image,
                 expected_cycles_per_image ? interval_cycles / double(expected_cycles_per_image) : 0.0);
    std::fprintf(f, "  cycles per image  %.1f (%llu cycles in all)\n", cycles_per_image, (unsigned long long)cycles);
    std::fprintf(f, "  throughput        %.1f images/s at %.0f MHz\n", throughput, clock_mhz);
    for (const auto& t : timing)
        std::fprintf(f, "  at fmax           %.1f images/s at %.2f MHz (%s, nextpnr)\n",
                     interval_cycles > 0 ? t.fmax_mhz * 1e6 / interval_cycles : 0.0, t.fmax_mhz, t.fpga.c_str());
    if (sim_cycles_per_s >= 1e5)
        std::fprintf(f, "  simulation        %.2f M cycles/s, %.1f images/s of wall time (%.2f s)\n",
                     sim_cycles_per_s / 1e6, wall_s > 0 ? double(images) / wall_s : 0.0, wall_s);
    else
        std::fprintf(f, "  simulation        %.0f cycles/s, %.2f images/s of wall time (%.2f s)\n", sim_cycles_per_s,
                     wall_s > 0 ? double(images) / wall_s : 0.0, wall_s);
    for (const auto& q : fifos)
        if (q.skip)
            std::fprintf(f, "  skip FIFO %-12s depth %lld (planned %lld), peak occupancy %lld%s\n", q.instance.c_str(),
                         (long long)q.depth, (long long)q.planned, (long long)q.peak,
                         q.peak >= q.depth ? "  (full: it may have throttled the pipeline)" : "");
    if (!pes.empty()) {
        std::fprintf(f, "  %-16s %10s %10s %10s %10s\n", "PE (output link)", "model", "busy", "starved", "blocked");
        for (const auto& p : pes)
            std::fprintf(f, "  %-16s %10lld %10llu %10llu %10llu\n", p.instance.c_str(), (long long)p.expected,
                         (unsigned long long)p.busy, (unsigned long long)p.starved, (unsigned long long)p.blocked);
    }
}

void RunReport::write_json(const std::string& path) const {
    nlohmann::json j;
    j["model"] = model;
    j["clock_mhz"] = clock_mhz;
    j["stall"] = stall;
    j["images"] = images;
    j["mismatches"] = mismatches;
    j["accuracy"] = labelled ? nlohmann::json(double(correct) / labelled) : nlohmann::json(nullptr);
    j["latency_cycles"] = latency_cycles;
    j["first_image_latency_cycles"] = first_latency_cycles;
    j["interval_cycles"] = interval_cycles;
    j["cycles"] = cycles;
    j["cycles_per_image"] = cycles_per_image;
    j["expected_cycles_per_image"] = expected_cycles_per_image;
    j["throughput_images_per_s"] = throughput;
    // The first timing (fpga names in order) at top level; all of them in "timing".
    if (!timing.empty()) {
        const double at = interval_cycles > 0 ? timing.front().fmax_mhz * 1e6 / interval_cycles : 0;
        j["fmax_mhz"] = timing.front().fmax_mhz;
        j["fmax_fpga"] = timing.front().fpga;
        j["throughput_images_per_s_at_fmax"] = at;
        nlohmann::json ts = nlohmann::json::array();
        for (const auto& t : timing)
            ts.push_back({{"fpga", t.fpga}, {"fmax_mhz", t.fmax_mhz},
                          {"throughput_images_per_s", interval_cycles > 0 ? t.fmax_mhz * 1e6 / interval_cycles : 0}});
        j["timing"] = ts;
    }
    j["sim_cycles_per_s"] = sim_cycles_per_s;
    j["wall_s"] = wall_s;
    j["errors"] = errors;
    j["ok"] = ok();
    j["output_unsigned"] = output_unsigned;  // results' output/reference: uint8 0..255, else int8
    nlohmann::json pe = nlohmann::json::array();
    for (const auto& p : pes)
        pe.push_back({{"instance", p.instance}, {"expected_cycles_per_image", p.expected}, {"busy", p.busy},
                      {"starved", p.starved}, {"blocked", p.blocked}, {"measured_cycles_per_image", p.measured}});
    j["pes"] = pe;
    nlohmann::json fj = nlohmann::json::array();
    for (const auto& q : fifos)
        fj.push_back({{"instance", q.instance}, {"depth", q.depth}, {"planned_depth", q.planned},
                      {"peak_occupancy", q.peak}, {"skip", q.skip}});
    j["fifos"] = fj;
    j["simulator"] = simulator;
    // The timeline of instance 0, one sample per bucket of cycles.
    nlohmann::json tl = {{"bucket_cycles", timeline_bucket}, {"instance", 0}};
    nlohmann::json tpes = nlohmann::json::array();
    for (size_t p = 0; p < pes.size(); ++p) {
        std::vector<uint32_t> b, s, k;
        for (const auto& row : timeline) {
            b.push_back(p < row.size() ? row[p][0] : 0);
            s.push_back(p < row.size() ? row[p][1] : 0);
            k.push_back(p < row.size() ? row[p][2] : 0);
        }
        tpes.push_back({{"instance", pes[p].instance}, {"busy", b}, {"starved", s}, {"blocked", k}});
    }
    tl["pes"] = tpes;
    j["timeline"] = tl;
    nlohmann::json rs = nlohmann::json::array();
    for (const auto& r : results) {
        nlohmann::json x = {{"image", r.id},         {"label", r.label >= 0 ? nlohmann::json(r.label) : nlohmann::json(nullptr)},
                            {"predicted", r.predicted}, {"output", r.output},
                            {"reference", r.reference}, {"match", r.match},
                            {"latency_cycles", r.last_out_cycle - r.first_in_cycle + 1},
                            {"first_in_cycle", r.first_in_cycle}, {"last_out_cycle", r.last_out_cycle},
                            {"seen_input", r.seen_input}, {"instance", r.instance}};
        if (r.first)
            x["first_difference"] = {{"layer", r.first->layer}, {"layer_index", r.first->layer_index},
                                     {"row", r.first->row},     {"col", r.first->col},
                                     {"channel", r.first->channel}, {"expected", r.first->expected},
                                     {"got", r.first->got}, {"link", r.first->link},
                                     {"cycle", r.first->cycle}};
        rs.push_back(x);
    }
    j["results"] = rs;
    std::ofstream f(path);
    f << j.dump(1) << "\n";
    if (!f) throw Error(path, "cannot write the report");
}

RunReport RunReport::read_json(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw Error(path, "cannot read the report");
    nlohmann::json j;
    try {
        f >> j;
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("not a report: ") + e.what());
    }
    RunReport r;
    r.model = j.at("model");
    r.clock_mhz = j.at("clock_mhz");
    r.stall = j.at("stall");
    r.cycles = j.at("cycles");
    r.expected_cycles_per_image = j.at("expected_cycles_per_image");
    r.wall_s = j.at("wall_s");
    r.errors = j.at("errors").get<std::vector<std::string>>();
    r.simulator = j.at("simulator");
    r.output_unsigned = j.value("output_unsigned", false);
    if (j.contains("timing"))
        for (const auto& t : j.at("timing")) r.timing.push_back({t.at("fpga"), t.at("fmax_mhz")});
    for (const auto& p : j.at("pes"))
        r.pes.push_back({p.at("instance"), p.at("expected_cycles_per_image"), p.at("busy"), p.at("starved"),
                         p.at("blocked"), p.at("measured_cycles_per_image")});
    for (const auto& q : j.value("fifos", nlohmann::json::array()))
        r.fifos.push_back({q.at("instance"), q.at("depth"), q.value("planned_depth", int64_t(0)), q.at("peak_occupancy"),
                           q.value("skip", false)});
    const auto& tl = j.at("timeline");
    r.timeline_bucket = tl.at("bucket_cycles");
    const auto& tpes = tl.at("pes");
    for (size_t p = 0; p < tpes.size(); ++p) {
        const auto& b = tpes[p].at("busy");
        if (r.timeline.size() < b.size())
            r.timeline.resize(b.size(), std::vector<std::array<uint32_t, 3>>(tpes.size()));
        for (size_t k = 0; k < b.size(); ++k)
            r.timeline[k][p] = {b[k].get<uint32_t>(), tpes[p].at("starved")[k].get<uint32_t>(),
                                tpes[p].at("blocked")[k].get<uint32_t>()};
    }
    for (const auto& x : j.at("results")) {
        ImageResult ir;
        ir.id = x.at("image");
        ir.label = x.at("label").is_null() ? -1 : x.at("label").get<int>();
        ir.predicted = x.at("predicted");
        ir.output = x.at("output").get<std::vector<int>>();
        ir.reference = x.at("reference").get<std::vector<int>>();
        ir.match = x.at("match");
        ir.first_in_cycle = x.at("first_in_cycle");
        ir.last_out_cycle = x.at("last_out_cycle");
        ir.seen_input = x.contains("seen_input") ? x.at("seen_input").get<bool>() : true;
        ir.instance = x.at("instance");
        if (x.contains("first_difference")) {
            const auto& d = x.at("first_difference");
            ir.first = Mismatch{d.at("layer"), d.at("layer_index"), d.at("row"), d.at("col"), d.at("channel"),
                                d.at("expected"), d.at("got"), d.at("link"), d.at("cycle")};
        }
        r.results.push_back(ir);
    }
    return r;
}

}  // namespace cnn::sim
