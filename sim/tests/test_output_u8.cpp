// A uint8 model output (Network::output_unsigned): inside the pipeline it is
// streamed as u - 128, cnn_axis_out flips bit 7, and the harness compares
// m_axis bytes as uint8 with the golden model's last tensor + 128; the
// report's output and reference hold 0..255. The emitter sets FLIP_MSB and
// the manifest key from the network.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "emit.hpp"
#include "report.hpp"
#include "scoreboard.hpp"

using namespace cnn;
using namespace cnn::sim;

namespace {

// One image of four values through one layer, its last tensor `golden`.
struct Fixture {
    Manifest m;
    std::vector<Job> jobs;
    explicit Fixture(bool output_unsigned, const std::vector<int32_t>& golden) {
        m.model = "u8";
        m.output = {int(golden.size()), 1, 1};
        m.output_beats = int64_t(golden.size());
        m.output_unsigned = output_unsigned;
        m.layers.push_back({"lut", "Lut", m.output, -1});
        Job j;
        j.id = "img";
        j.input = QTensor(m.output);
        QTensor t(m.output);
        t.data = golden;
        j.golden.push_back(t);
        jobs.push_back(j);
    }
};

}  // namespace

TEST_CASE("output_value: a uint8 output is the stream value + 128, an int8 output itself") {
    for (int v = -128; v <= 127; ++v) {
        CHECK(output_value(v, false) == v);
        CHECK(output_value(v, true) == v + 128);
        // The byte cnn_axis_out sends (bit 7 flipped) reads back as that value.
        const uint8_t flipped = uint8_t(uint8_t(int8_t(v)) ^ 0x80);
        CHECK(m_axis_value(flipped, true) == output_value(v, true));
        CHECK(m_axis_value(uint8_t(int8_t(v)), false) == v);
    }
}

TEST_CASE("the scoreboard compares a uint8 output's bytes with golden + 128") {
    const std::vector<int32_t> golden = {-128, -1, 0, 127};
    SUBCASE("the flipped bytes match; the report holds 0..255") {
        Fixture f(true, golden);
        Scoreboard sb(f.m, f.jobs);
        for (size_t k = 0; k < golden.size(); ++k)
            sb.output_beat(uint8_t(uint8_t(int8_t(golden[k])) ^ 0x80), k + 1 == golden.size(), k);
        REQUIRE(sb.done());
        const ImageResult& r = sb.results()[0];
        CHECK(r.match);
        CHECK(r.output == std::vector<int>{0, 127, 128, 255});
        CHECK(r.reference == std::vector<int>{0, 127, 128, 255});
        CHECK(r.predicted == 3);
        RunReport rep;
        rep.results = sb.results();
        rep.finish(f.m);
        CHECK(rep.output_unsigned);
        CHECK(rep.mismatches == 0);
    }
    SUBCASE("unflipped bytes (a top without FLIP_MSB) are a mismatch at beat 0") {
        Fixture f(true, golden);
        Scoreboard sb(f.m, f.jobs);
        for (size_t k = 0; k < golden.size(); ++k)
            sb.output_beat(uint8_t(int8_t(golden[k])), k + 1 == golden.size(), k);
        const ImageResult& r = sb.results()[0];
        CHECK_FALSE(r.match);
        REQUIRE(r.first);
        CHECK(r.first->link == "m_axis");
        CHECK(r.first->expected == 0);
        CHECK(r.first->got == 128);
    }
    SUBCASE("an int8 output is compared as int8") {
        Fixture f(false, golden);
        Scoreboard sb(f.m, f.jobs);
        for (size_t k = 0; k < golden.size(); ++k)
            sb.output_beat(uint8_t(int8_t(golden[k])), k + 1 == golden.size(), k);
        const ImageResult& r = sb.results()[0];
        CHECK(r.match);
        CHECK(r.output == std::vector<int>{-128, -1, 0, 127});
    }
}

TEST_CASE("the emitter sets FLIP_MSB and the manifest's output_unsigned from the network") {
    for (bool u : {false, true}) {
        Network net;
        net.name = "lut";
        net.input = {2, 3, 3};
        Layer l;
        l.name = "lut";
        l.kind = LayerKind::Lut;
        l.in = l.out = net.input;
        l.table.resize(256);
        for (int i = 0; i < 256; ++i) l.table[i] = int8_t(255 - i);
        net.layers.push_back(l);
        net.output_unsigned = u;
        const Design d = build_design(net);
        CHECK(d.top_vhdl.find(std::string("FLIP_MSB => ") + (u ? "true" : "false")) != std::string::npos);
        CHECK(d.top_vhdl.find("entity work.cnn_lut") != std::string::npos);
        const auto j = nlohmann::json::parse(d.manifest_json);
        CHECK(j.at("output_unsigned") == u);
    }
}
