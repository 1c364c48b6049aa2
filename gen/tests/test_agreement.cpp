// The two references must agree exactly: the ONNX interpreter (interp.cpp,
// straight from the graph) and the integer executor (exec.cpp, over the IR
// after every pass). Checked on every zoo model, 20 random images each plus
// an all-0 and an all-255 image.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "exec.hpp"
#include "import.hpp"
#include "interp.hpp"

namespace fs = std::filesystem;
using namespace cnn;

namespace {

std::vector<std::string> zoo_models() {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(fs::path(CNN_SOURCE_DIR) / "models" / "zoo"))
        if (e.path().extension() == ".onnx") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

// The graph input as ONNX sees it: x = p/255 as float NCHW, or p itself when
// the graph input is already 8-bit.
onnx::Tensor graph_input(const Network& net, const onnx::Graph& g, const std::vector<uint8_t>& hwc) {
    onnx::Tensor t;
    t.name = g.inputs[0].name;
    t.dtype = g.inputs[0].dtype;
    t.dims = {1, net.input.c, net.input.h, net.input.w};
    t.data.resize(hwc.size());
    const Shape s = net.input;
    for (int c = 0; c < s.c; ++c)
        for (int y = 0; y < s.h; ++y)
            for (int x = 0; x < s.w; ++x) {
                double p = hwc[(size_t(y) * s.w + x) * s.c + c];
                // float32, as a real ONNX runtime holds it
                t.data[(size_t(c) * s.h + y) * s.w + x] =
                    net.input_prequantized ? p : double(float(p * net.input_mul + net.input_add));
            }
    return t;
}

}  // namespace

TEST_CASE("interpreter and integer executor agree exactly on every zoo model") {
    auto files = zoo_models();
    REQUIRE(files.size() >= 10);
    for (const auto& file : files) {
        CAPTURE(file);
        onnx::Graph g = onnx::load_model(file);
        Network net = load_network(file);
        std::mt19937 rng(7);
        for (int i = 0; i < 22; ++i) {
            std::vector<uint8_t> px(size_t(net.input.size()));
            for (auto& p : px) p = i == 20 ? 0 : i == 21 ? 255 : uint8_t(rng() & 0xff);
            CAPTURE(i);
            auto got = run_network(net, quantize_input(net, px)).back();
            auto values = onnx::run(g, {{g.inputs[0].name, graph_input(net, g, px)}}, true);
            REQUIRE(values.count(net.output_q.tensor));
            const onnx::Tensor& want = values.at(net.output_q.tensor);
            REQUIRE(want.data.size() == got.data.size());
            const Shape s = got.shape;
            int mismatches = 0;
            for (int c = 0; c < s.c; ++c)
                for (int y = 0; y < s.h; ++y)
                    for (int x = 0; x < s.w; ++x) {
                        double w = want.data[(size_t(c) * s.h + y) * s.w + x];
                        if (w != got.at(y, x, c) && mismatches++ < 5)
                            FAIL_CHECK("row " << y << " col " << x << " channel " << c << ": interpreter " << w
                                              << ", executor " << got.at(y, x, c));
                    }
            CHECK(mismatches == 0);
        }
    }
}
