// top_lut_u8: the generated top of a network built in C++ whose output is
// uint8 (top_lut_u8_net.hpp: Lut -> FIFO -> Lut), run by the model harness
// (sim/harness.hpp) as `make sim` runs a model: scoreboard on m_axis and on
// every internal link, AXI checkers, watchdog; stalls off, random, heavy.
// Checks, besides the scoreboard's verdict, that m_axis carries uint8: every
// output value is the golden model's last tensor + 128 (computed here, not by
// the scoreboard), values above 127 occur, the JSON report says
// "output_unsigned" and holds 0..255; and that the measured interval equals
// the cycle model exactly. Image 0 streams every int8 code.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "ops.hpp"
#include "tb_main.hpp"
#include "top_lut_u8_models.h"
#include "top_lut_u8_net.hpp"

template <class Cfg>
bool run() {
    using namespace cnn::sim;
    const cnn::Network net = cnn::rtl_tb::lut_u8_network();
    const Manifest m = Manifest::load(TOP_LUT_U8_DIR "/manifest.json");
    bool ok = true;
    auto fail = [&](const std::string& what) {
        std::fprintf(stderr, "FAIL top_lut_u8: %s\n", what.c_str());
        ok = false;
    };
    if (!m.output_unsigned) fail("the manifest says output_unsigned false");
    int64_t model = 0;
    for (const cnn::Layer& l : net.layers)
        for (const cnn::PeModel& pe : cnn::op_def(l.kind).pes(l, "l"))
            model = std::max(model, pe.cycles);
    if (m.expected_cycles != model) fail("manifest cycles " + std::to_string(m.expected_cycles) + ", pes() " + std::to_string(model));

    std::vector<cnn::Image> images = random_images(net.input, 9, 5);
    cnn::Image all = images[0];
    for (size_t k = 0; k < all.pixels.size(); ++k) all.pixels[k] = uint8_t(k);  // x = k - 128: every code
    all.id = "every-code";
    images.insert(images.begin(), all);
    const std::vector<Job> jobs = make_jobs(net, images);

    for (const char* stall : {"off", "random", "heavy"}) {
        RunOptions opt;
        opt.stall = stall;
        opt.seed = 7;
        opt.threads = 1;
        opt.progress = false;
        RunReport rep = run_model<typename Cfg::Model>(m, jobs, opt);
        const std::string tag = std::string("[stall ") + stall + "] ";
        for (const auto& e : rep.errors) fail(tag + e);
        if (rep.images != jobs.size() || rep.mismatches) fail(tag + std::to_string(rep.mismatches) + " mismatches");
        int high = 0;
        for (size_t i = 0; i < rep.results.size() && ok; ++i) {
            const ImageResult& r = rep.results[i];
            if (r.first) fail(tag + "image " + std::to_string(i) + ": " + r.first->describe() + " on " + r.first->link);
            const auto& last = jobs[i].golden.back().data;
            if (r.output.size() != last.size()) fail(tag + "image " + std::to_string(i) + ": output size");
            for (size_t k = 0; k < last.size() && k < r.output.size() && ok; ++k) {
                const int u = last[k] + 128;  // the uint8 value of the stream value
                if (r.output[k] != u || r.reference[k] != u)
                    fail(tag + "image " + std::to_string(i) + " beat " + std::to_string(k) + ": output " +
                         std::to_string(r.output[k]) + ", reference " + std::to_string(r.reference[k]) +
                         ", expected uint8 " + std::to_string(u));
                high += u > 127;
            }
        }
        if (high == 0) fail(tag + "no output value above 127: the uint8 range is not exercised");
        if (std::string(stall) == "off") {
            std::printf("top_lut_u8 %-12s interval %.0f cycles (model %lld), latency %.0f, %zu images\n", tag.c_str(),
                        rep.interval_cycles, (long long)rep.expected_cycles_per_image, rep.first_latency_cycles,
                        rep.images);
            if (rep.interval_cycles != double(model)) fail(tag + "interval " + std::to_string(rep.interval_cycles) + " != model");
            const std::string path = std::string(TOP_LUT_U8_DIR) + "/report.json";
            rep.write_json(path);
            std::ifstream f(path);
            const nlohmann::json j = nlohmann::json::parse(f);
            if (j.at("output_unsigned") != true) fail("report: output_unsigned is not true");
            const auto out0 = j.at("results").at(0).at("output").get<std::vector<int>>();
            for (size_t k = 0; k < out0.size(); ++k)
                if (out0[k] != jobs[0].golden.back().data[k] + 128) {
                    fail("report: results[0].output[" + std::to_string(k) + "] = " + std::to_string(out0[k]));
                    break;
                }
        }
    }
    return ok;
}

CNN_BLOCK_TB_MAIN()
