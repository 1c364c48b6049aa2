// The quantizer (quantize.hpp) on small float graphs built here with seeded
// random weights: BatchNormalization folding is exact, the result passes the
// legality pass, both spellings import to the same network, the interpreter
// on the written ONNX agrees exactly with the integer executor, and the
// quantized output stays close to the float output.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "exec.hpp"
#include "import.hpp"
#include "interp.hpp"
#include "passes.hpp"
#include "quantize.hpp"

namespace fs = std::filesystem;
using namespace cnn;

namespace {

struct FloatSpec {
    bool leaky = false;        // LeakyRelu(0.125) after both convs instead of Relu
    double leaky_alpha = 0.125;
    bool avgpool = false;      // AveragePool instead of MaxPool
    bool matmul = false;       // the first FC as MatMul + Add instead of Gemm
    bool dropout = false;      // a Dropout before the first FC
};

class GraphBuilder {
public:
    onnx::Graph g;
    std::mt19937 rng{20240611};

    std::vector<double> uniform(size_t n, double lo, double hi) {
        std::uniform_real_distribution<double> d(lo, hi);
        std::vector<double> v(n);
        for (auto& x : v) x = double(float(d(rng)));  // float32 values, as a real export holds
        return v;
    }

    std::string init(const std::string& name, std::vector<int64_t> dims, std::vector<double> data) {
        g.initializers[name] = onnx::Tensor::make(name, onnx::DType::Float, std::move(dims), std::move(data));
        return name;
    }

    onnx::Node& node(const std::string& name, const std::string& op, std::vector<std::string> in) {
        onnx::Node n;
        n.name = name;
        n.op_type = op;
        n.inputs = std::move(in);
        n.outputs = {name + "_out"};
        g.nodes.push_back(n);
        return g.nodes.back();
    }

};

// input [1,1,12,12] -> Conv 1->4 3x3 pad 1 -> BN -> act -> pool 2 -> [4,6,6]
// -> Conv 4->6 3x3 -> act -> [6,4,4] -> Flatten 96 -> Gemm 96->16 -> Relu -> Gemm 16->5.
onnx::Graph float_model(const FloatSpec& s) {
    GraphBuilder b;
    b.g.name = "tiny";
    b.g.opset = 13;
    b.g.inputs.push_back({"x", onnx::DType::Float, {1, 1, 12, 12}});
    auto act = [&](const std::string& name, const std::string& in) -> std::string {
        onnx::Node& n = b.node(name, s.leaky ? "LeakyRelu" : "Relu", {in});
        if (s.leaky) n.attrs["alpha"] = onnx::Attribute::real(s.leaky_alpha);
        return n.outputs[0];
    };
    onnx::Node& c1 = b.node("conv1", "Conv", {"x", b.init("w1", {4, 1, 3, 3}, b.uniform(36, -0.6, 0.6)),
                                              b.init("b1", {4}, b.uniform(4, -0.1, 0.1))});
    c1.attrs["kernel_shape"] = onnx::Attribute::integers({3, 3});
    c1.attrs["pads"] = onnx::Attribute::integers({1, 1, 1, 1});
    std::string v = b.node("bn1", "BatchNormalization",
                           {"conv1_out", b.init("gamma", {4}, b.uniform(4, 0.5, 1.5)),
                            b.init("beta", {4}, b.uniform(4, -0.2, 0.2)), b.init("mean", {4}, b.uniform(4, -0.2, 0.2)),
                            b.init("var", {4}, b.uniform(4, 0.5, 1.5))})
                        .outputs[0];
    v = act("act1", v);
    onnx::Node& p = b.node("pool1", s.avgpool ? "AveragePool" : "MaxPool", {v});
    p.attrs["kernel_shape"] = onnx::Attribute::integers({2, 2});
    p.attrs["strides"] = onnx::Attribute::integers({2, 2});
    onnx::Node& c2 = b.node("conv2", "Conv", {"pool1_out", b.init("w2", {6, 4, 3, 3}, b.uniform(216, -0.4, 0.4)),
                                              b.init("b2", {6}, b.uniform(6, -0.1, 0.1))});
    c2.attrs["kernel_shape"] = onnx::Attribute::integers({3, 3});
    v = act("act2", "conv2_out");
    v = b.node("flatten", "Flatten", {v}).outputs[0];
    if (s.dropout) v = b.node("drop", "Dropout", {v}).outputs[0];
    if (s.matmul) {
        v = b.node("fc1", "MatMul", {v, b.init("w3", {96, 16}, b.uniform(96 * 16, -0.25, 0.25))}).outputs[0];
        v = b.node("fc1_add", "Add", {v, b.init("b3", {16}, b.uniform(16, -0.1, 0.1))}).outputs[0];
    } else {
        onnx::Node& f1 = b.node("fc1", "Gemm", {v, b.init("w3", {16, 96}, b.uniform(96 * 16, -0.25, 0.25)),
                                                 b.init("b3", {16}, b.uniform(16, -0.1, 0.1))});
        f1.attrs["transB"] = onnx::Attribute::integer(1);
        v = f1.outputs[0];
    }
    v = b.node("relu3", "Relu", {v}).outputs[0];
    onnx::Node& f2 = b.node("fc2", "Gemm", {v, b.init("w4", {16, 5}, b.uniform(80, -0.5, 0.5)),
                                             b.init("b4", {5}, b.uniform(5, -0.1, 0.1))});
    b.g.outputs.push_back({f2.outputs[0], onnx::DType::Float, {1, 5}});
    return b.g;
}

std::vector<std::vector<uint8_t>> random_images(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::vector<uint8_t>> imgs(size_t(n), std::vector<uint8_t>(144));
    for (auto& im : imgs)
        for (auto& p : im) p = uint8_t(rng() & 0xff);
    return imgs;
}

// The quantized graph's input as ONNX sees it: x = p/255 as float32 NCHW
// (the harness's preprocessing, as test_agreement.cpp spells it).
onnx::Tensor onnx_input(const Network& net, const onnx::Graph& g, const std::vector<uint8_t>& hwc) {
    onnx::Tensor t;
    t.name = g.inputs[0].name;
    t.dims = {1, net.input.c, net.input.h, net.input.w};
    t.data.resize(hwc.size());
    for (size_t i = 0; i < hwc.size(); ++i)  // one channel: HWC = CHW
        t.data[i] = double(float(hwc[i] * net.input_mul + net.input_add));
    return t;
}

struct Both {
    QuantizeResult qlinear, qdq;
};

Both quantize_both(const onnx::Graph& g, const std::vector<std::vector<uint8_t>>& calib) {
    QuantizeOptions o;
    Both r{quantize_model(g, calib, o, "tiny_qlinear.onnx"), {}};
    o.qdq = true;
    r.qdq = quantize_model(g, calib, o, "tiny_qdq.onnx");
    return r;
}

void check_spellings_and_interpreter(const onnx::Graph& fg) {
    auto calib = random_images(6, 1);
    Both q = quantize_both(fg, calib);
    REQUIRE(q.qlinear.network.layers.size() == q.qdq.network.layers.size());
    auto count_op = [](const onnx::Graph& g, const char* op) {
        int n = 0;
        for (const auto& node : g.nodes) n += node.op_type == op;
        return n;
    };
    CHECK(count_op(q.qlinear.graph, "QLinearConv") == 2);
    CHECK(count_op(q.qlinear.graph, "Conv") == 0);
    CHECK(count_op(q.qdq.graph, "QLinearConv") == 0);
    CHECK(count_op(q.qdq.graph, "Conv") == 2);
    for (const auto* r : {&q.qlinear, &q.qdq}) {
        // Written and read back through the whole front end (legality first).
        fs::path file = fs::path(CNN_BINARY_DIR) / (r == &q.qdq ? "test_quantize_qdq.onnx" : "test_quantize.onnx");
        onnx::save_model(r->graph, file.string());
        CHECK_NOTHROW(load_network(file.string()));
    }
    bool any_nonzero = false;
    for (const auto& px : random_images(12, 2)) {
        auto a = run_network(q.qlinear.network, quantize_input(q.qlinear.network, px));
        auto b = run_network(q.qdq.network, quantize_input(q.qdq.network, px));
        for (size_t l = 0; l < a.size(); ++l) {
            CAPTURE(l);
            CHECK(a[l].data == b[l].data);
        }
        for (int32_t v : a.back().data) any_nonzero |= v != 0;
        // The interpreter on each written graph: the int8 tensor that feeds
        // the final DequantizeLinear equals the executor's output.
        for (const auto* r : {&q.qlinear, &q.qdq}) {
            auto values = onnx::run(r->graph, {{r->graph.inputs[0].name, onnx_input(r->network, r->graph, px)}}, true);
            REQUIRE(values.count(r->network.output_q.tensor));
            const auto& want = values.at(r->network.output_q.tensor).data;
            REQUIRE(want.size() == a.back().data.size());
            for (size_t i = 0; i < want.size(); ++i) CHECK(want[i] == double(a.back().data[i]));
        }
    }
    CHECK(any_nonzero);
}

}  // namespace

TEST_CASE("fold_batchnorm: the folded float model equals the unfolded one within 1e-9") {
    FloatSpec s;
    s.dropout = true;
    onnx::Graph g = float_model(s);
    onnx::Graph f = fold_batchnorm(g);
    for (const auto& n : f.nodes) {
        CHECK(n.op_type != "BatchNormalization");
        CHECK(n.op_type != "Dropout");
    }
    for (const auto& px : random_images(5, 3)) {
        auto a = onnx::run(g, {{"x", float_graph_input(g, px)}}).at(g.outputs[0].name);
        auto b = onnx::run(f, {{"x", float_graph_input(f, px)}}).at(f.outputs[0].name);
        REQUIRE(a.data.size() == b.data.size());
        for (size_t i = 0; i < a.data.size(); ++i) CHECK(std::abs(a.data[i] - b.data[i]) <= 1e-9);
    }
}

TEST_CASE("quantize: conv+BN+relu+maxpool+flatten+gemm+relu+gemm, both spellings give identical outputs "
          "and match the interpreter exactly") {
    check_spellings_and_interpreter(float_model({}));
}

TEST_CASE("quantize: LeakyRelu 1/8, AveragePool, MatMul+Add and Dropout, both spellings identical") {
    FloatSpec s;
    s.leaky = true;
    s.avgpool = true;
    s.matmul = true;
    s.dropout = true;
    check_spellings_and_interpreter(float_model(s));
}

TEST_CASE("quantize: every scale is a power of two chosen as documented") {
    auto calib = random_images(6, 1);
    QuantizeOptions o;
    o.method = Calibration::Max;
    QuantizeResult r = quantize_model(float_model({}), calib, o);
    const Network& net = r.network;
    CHECK(net.f_input == 8);
    CHECK(net.input_unsigned);
    REQUIRE(net.layers.size() == 5);  // conv1+relu, pool1, conv2+relu, fc1+relu, fc2 (Flatten is no layer)
    for (const Layer& l : net.layers) {
        CAPTURE(l.name);
        if (!l.has_weights()) continue;
        int mx = 0;
        for (int8_t w : l.weights) mx = std::max(mx, std::abs(int(w)));
        // The largest f with max|w| * 2^f <= 127: the largest weight lands in [64, 127].
        CHECK(mx <= 127);
        CHECK(mx >= 63);
    }
    // Max calibration: nothing clips on the calibration set.
    for (const auto& l : r.layers)
        if (l.clipped >= 0) CHECK(l.clipped == 0.0);
}

TEST_CASE("quantize: the quantized output follows the float output") {
    onnx::Graph fg = float_model({});
    QuantizeResult r = quantize_model(fg, random_images(16, 1), {});
    const Network& net = r.network;
    double err2 = 0.0, ref2 = 0.0;
    int agree = 0, n = 0;
    for (const auto& px : random_images(40, 4)) {
        auto want = onnx::run(fg, {{"x", float_graph_input(fg, px)}}).at(fg.outputs[0].name).data;
        auto got = run_network(net, quantize_input(net, px)).back().data;
        REQUIRE(got.size() == want.size());
        std::vector<double> deq(got.size());
        for (size_t i = 0; i < got.size(); ++i) {
            deq[i] = std::ldexp(double(got[i]), -net.f_output);
            err2 += (deq[i] - want[i]) * (deq[i] - want[i]);
            ref2 += want[i] * want[i];
        }
        agree += argmax_first(deq) == argmax_first(want);
        ++n;
    }
    const double rel = std::sqrt(err2 / ref2);
    MESSAGE("relative RMS error of the quantized logits: " << rel << ", top-1 agreement " << agree << "/" << n);
    CHECK(rel < 0.1);          // 8-bit weights and activations: a few percent
    CHECK(agree >= n * 8 / 10);
}

TEST_CASE("quantize: refuses what the hardware cannot take, naming the node") {
    FloatSpec s;
    s.leaky = true;
    s.leaky_alpha = 0.01;
    auto calib = random_images(2, 1);
    CHECK_THROWS_WITH_AS(quantize_model(float_model(s), calib, {}),
                         doctest::Contains("node 'act1' (LeakyRelu): LeakyRelu alpha 0.01 is not 2^-k"), Error);
    // A quantized model is not quantized again.
    QuantizeResult r = quantize_model(float_model({}), calib, {});
    CHECK_THROWS_AS(quantize_model(r.graph, calib, {}), Error);
}
