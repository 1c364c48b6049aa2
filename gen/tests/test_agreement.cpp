// The two references must agree exactly: the ONNX interpreter (interp.cpp,
// straight from the graph, float segments in double) and the integer
// executor (exec.cpp, over the IR after every pass). Checked on every zoo
// model and every spelling model (models/spellings), 20 random images each
// plus an all-0 and an all-255 image, at the graph output: the executor's
// int8 equals the interpreter's value rounded at the output scale (SPEC §2:
// a float tail with no QuantizeLinear rounds with its DequantizeLinear's).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "exec.hpp"
#include "import.hpp"
#include "interp.hpp"
#include "normalize.hpp"
#include "test_graphs.hpp"

namespace fs = std::filesystem;
using namespace cnn;

namespace {

std::vector<std::string> models_in(const char* folder) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(fs::path(CNN_SOURCE_DIR) / "models" / folder))
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

void check_agreement(const std::vector<std::string>& files) {
    for (const auto& file : files) {
        CAPTURE(file);
        // The interpreter has no shape ops (Shape, Gather, ...): those fold
        // first; every other spelling runs as the file states it.
        onnx::Graph g = onnx::load_model(file);
        fold_constants(g);
        Network net = load_network(file);
        std::mt19937 rng(7);
        for (int i = 0; i < 22; ++i) {
            std::vector<uint8_t> px(size_t(net.input.size()));
            for (auto& p : px) p = i == 20 ? 0 : i == 21 ? 255 : uint8_t(rng() & 0xff);
            CAPTURE(i);
            auto got = run_network(net, quantize_input(net, px)).back();
            auto values = onnx::run(g, {{g.inputs[0].name, graph_input(net, g, px)}});
            const onnx::Tensor& out = values.at(g.outputs[0].name);
            REQUIRE(out.data.size() == got.data.size());
            onnx::Tensor want = out;
            for (double& v : want.data)
                v = std::clamp(onnx::round_half_even(v / net.output_q.scale) + net.output_q.zero_point, -128.0, 127.0);
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

}  // namespace

TEST_CASE("interpreter and integer executor agree exactly on every zoo model") {
    auto files = models_in("zoo");
    REQUIRE(files.size() >= 10);
    check_agreement(files);
}

TEST_CASE("interpreter and integer executor agree exactly on every spelling model") {
    auto files = models_in("spellings");
    REQUIRE(files.size() >= 8);
    check_agreement(files);
}

// Depthwise convs (group = C_in), M = 1 and 2, square padded and rectangular
// strided: onnxruntime's grouped conv as the interpreter computes it, against
// the DwConv golden model (gen/ops/dwconv.cpp).
TEST_CASE("interpreter and integer executor agree exactly on depthwise convs") {
    std::vector<std::string> files;
    const fs::path dir = fs::temp_directory_path() / "cnn_agreement_dw";
    fs::create_directories(dir);
    struct Case { int m, kh, kw, sh, sw; std::vector<int64_t> pads; };
    for (const Case& k : {Case{1, 3, 3, 1, 1, {1, 1, 1, 1}}, Case{2, 3, 3, 2, 2, {1, 1, 0, 0}},
                          Case{2, 5, 3, 2, 1, {2, 0, 1, 2}}}) {
        const std::string name = "dw_m" + std::to_string(k.m) + "_" + std::to_string(k.kh) + "x" +
                                 std::to_string(k.kw);
        onnx::Graph g = test::small_graph(name, 3, 9, 8, 3 * k.m);
        onnx::Node& conv = test::first(g, "QLinearConv");
        conv.attrs["group"] = onnx::Attribute::integer(3);
        conv.attrs["kernel_shape"] = onnx::Attribute::integers({k.kh, k.kw});
        conv.attrs["strides"] = onnx::Attribute::integers({k.sh, k.sw});
        conv.attrs["pads"] = onnx::Attribute::integers(k.pads);
        onnx::Tensor& w = g.initializers.at(conv.inputs[3]);
        w.dims = {w.dims[0], 1, k.kh, k.kw};
        std::mt19937 rng(k.m * 100 + k.kh);
        w.data.resize(size_t(w.dims[0] * k.kh * k.kw));
        for (double& v : w.data) v = double(int(rng() % 255) - 127);
        for (int64_t& d : g.outputs[0].dims) d = -1;
        const fs::path p = dir / (name + ".onnx");
        onnx::save_model(g, p.string());
        files.push_back(p.string());
    }
    check_agreement(files);
    for (const auto& f : files) CHECK(load_network(f).layers[0].kind == LayerKind::DwConv);
}
