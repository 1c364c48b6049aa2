// The harness catches what it must: a model whose hardware differs from the
// golden model by one weight is reported with image, layer, row, column and
// channel and a non-zero exit code; a misplaced tlast is reported and the run
// ends instead of hanging; a pipeline starved of input trips the watchdog. Runs the zoo model conv3_s1_p1_relu_mp2 (its
// simulator is built by the CTest fixture hw_build_conv3_s1_p1_relu_mp2).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_command.hpp"
#include "onnx_graph.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kModel = std::string(CNN_SOURCE_DIR) + "/models/zoo/conv3_s1_p1_relu_mp2.onnx";

cnn::test::CommandResult run_sim(const std::string& args) {
    return cnn::test::run_command(std::string(CNN_SOURCE_DIR) + "/sim/run.sh " + CNN_BINARY_DIR + " " + kModel + " " + args,
                                  "cnn_sim_faults.txt");
}

}  // namespace

TEST_CASE("the unmodified model runs bit-exact and exits 0") {
    auto r = run_sim("--random 3 --quiet");
    CHECK(r.code == 0);
    CHECK(r.out.find("3 images, 0 mismatches") != std::string::npos);
}

TEST_CASE("a one-weight difference is found, located and fails the run") {
    cnn::onnx::Graph g = cnn::onnx::load_model(kModel);
    // conv1's weights [OC][IC][KH][KW]: change output channel 2, ky 1, kx 1.
    cnn::onnx::Tensor& w = g.initializers.at("conv1_w");
    w.data[2 * 9 + 4] = w.data[2 * 9 + 4] > 0 ? w.data[2 * 9 + 4] - 37 : w.data[2 * 9 + 4] + 37;
    fs::path tampered = fs::temp_directory_path() / "cnn_tampered.onnx";
    cnn::onnx::save_model(g, tampered.string());
    // Hardware built from the original, scored against the tampered golden model.
    auto r = cnn::test::run_command("CNN_WAVE=0 " + std::string(CNN_SOURCE_DIR) + "/sim/run.sh " + CNN_BINARY_DIR + " " +
                                        kModel + " --random 3 --quiet --model " + tampered.string(),
                                    "cnn_sim_faults.txt");
    CHECK(r.code == 1);
    CHECK(r.out.find("MISMATCH image 0") != std::string::npos);
    CHECK(r.out.find("layer 0 'conv1+relu1'") != std::string::npos);
    CHECK(r.out.find("channel 2") != std::string::npos);
    CHECK(r.out.find("FAILED") != std::string::npos);
}

TEST_CASE("a mismatch leaves an FST waveform whose window holds the first wrong beat") {
    cnn::onnx::Graph g = cnn::onnx::load_model(kModel);
    cnn::onnx::Tensor& w = g.initializers.at("conv1_w");
    w.data[5 * 9 + 8] = w.data[5 * 9 + 8] > 0 ? w.data[5 * 9 + 8] - 41 : w.data[5 * 9 + 8] + 41;
    fs::path tampered = fs::temp_directory_path() / "cnn_tampered_wave.onnx";
    cnn::onnx::save_model(g, tampered.string());
    const fs::path fst = fs::path(CNN_BINARY_DIR) / "cnn_tampered_wave-mismatch.fst";
    fs::remove(fst);
    fs::remove(fst.string() + ".json");
    // The hardware of the original model scored against the tampered one: the
    // run fails, then run.sh simulates the first failing image alone, traced.
    auto r = cnn::test::run_command(std::string(CNN_SOURCE_DIR) + "/sim/run.sh " + CNN_BINARY_DIR + " " + kModel +
                                        " --random 3 --quiet --model " + tampered.string() + " --waveform " + fst.string(),
                                    "cnn_sim_faults.txt");
    CHECK(r.code == 1);
    REQUIRE_MESSAGE(fs::exists(fst), r.out);
    CHECK(r.out.find("first wrong beat on link l0_conv") != std::string::npos);
    std::ifstream jf(fst.string() + ".json");
    nlohmann::json j;
    jf >> j;
    const uint64_t cycle = j.at("cycle"), from = j.at("trace_from"), to = j.at("trace_to");
    const int link = j.at("link_index"), got = j.at("got");
    CHECK(j.at("link") == "l0_conv");  // the conv's own output link, before its FIFO (the earliest)
    CHECK(from <= cycle);
    CHECK(cycle < to);
    // The FST itself: its time range holds the wrong beat (two time steps a
    // cycle), and at that time the link shows the transfer of the wrong value.
    auto p = cnn::test::run_command(std::string(CNN_BINARY_DIR) + "/sim/fst_probe " + fst.string() + " " +
                                        std::to_string(2 * cycle) + " probe_valid probe_ready probe_data",
                                    "cnn_sim_fst.txt");
    REQUIRE(p.code == 0);
    std::istringstream is(p.out);
    std::string word, valid, ready, data;
    uint64_t start = 0, end = 0;
    is >> word >> start >> end >> word >> valid >> word >> ready >> word >> data;
    CHECK(start <= 2 * cycle);
    CHECK(2 * cycle <= end);
    CHECK(start >= 2 * from);
    REQUIRE(int(valid.size()) > link);
    REQUIRE(data.size() == 8 * valid.size());
    CHECK(valid[valid.size() - 1 - link] == '1');
    CHECK(ready[ready.size() - 1 - link] == '1');
    const std::string byte = data.substr(data.size() - 8 * (link + 1), 8);
    CHECK(int(int8_t(std::stoi(byte, nullptr, 2))) == got);
}

TEST_CASE("a short image (early tlast) is reported, the rest stays aligned") {
    auto r = run_sim("--random 4 --quiet --short-image 1");
    CHECK(r.code == 1);
    CHECK(r.out.find("misplaced tlast") != std::string::npos);
    CHECK(r.out.find("watchdog") == std::string::npos);
    // Image 1 is completed with a zero pixel by the hardware; 0, 2, 3 match.
    CHECK(r.out.find("MISMATCH image 1") != std::string::npos);
    CHECK(r.out.find("MISMATCH image 2") == std::string::npos);
    CHECK(r.out.find("MISMATCH image 3") == std::string::npos);
}

TEST_CASE("a starved pipeline trips the watchdog, which names the stuck stream") {
    auto r = run_sim("--random 2 --quiet --drop-beats 5");
    CHECK(r.code == 1);
    CHECK(r.out.find("watchdog: nothing moved") != std::string::npos);
    CHECK(r.out.find("m_axis stuck, waiting for beat") != std::string::npos);
    CHECK(r.out.find("of image 1 (tvalid low)") != std::string::npos);
}

TEST_CASE("the watchdog names the beat m_axis owes, also at an image boundary") {
    // Image 1's whole input (16x16x1 = 256 beats) is withheld: image 0 completes,
    // then m_axis owes beat 0 of image 1.
    auto r = run_sim("--random 2 --quiet --drop-beats 256");
    CHECK(r.code == 1);
    CHECK(r.out.find("m_axis stuck, waiting for beat 0 of image 1 (tvalid low)") != std::string::npos);
    CHECK(r.out.find("MISMATCH image 0") == std::string::npos);
}
