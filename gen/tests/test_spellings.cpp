// The spelling models (models/spellings, written by make_spellings.py from
// zoo models by graph surgery) against the models they were made from: where
// the two files compute the same thing, the front end must lower both to the
// same hardware; where a spelling adds a step (a clamp, a pre-activation), the
// IR must show exactly that step. Their outputs are checked against the
// interpreter in test_agreement.cpp.
#include <doctest/doctest.h>

#include "emit.hpp"
#include "import.hpp"
#include "vhdl_text.hpp"

using namespace cnn;

namespace {

Network load(const std::string& rel) { return load_network(std::string(CNN_SOURCE_DIR) + "/models/" + rel); }

// Same package (weights) and the same top but for the model's name.
void same_hardware(const std::string& a, const std::string& b) {
    CAPTURE(a);
    CAPTURE(b);
    Network na = load(a), nb = load(b);
    nb.name = na.name;
    Design da = build_design(na), db = build_design(nb);
    CHECK(test::vhdl_body(da.package_vhdl) == test::vhdl_body(db.package_vhdl));
    CHECK(test::vhdl_body(da.top_vhdl) == test::vhdl_body(db.top_vhdl));
    CHECK(da.expected_cycles == db.expected_cycles);
}

}  // namespace

TEST_CASE("spellings of the same computation lower to the same hardware") {
    // ReduceMean(2, 3) is a GlobalAveragePool.
    same_hardware("spellings/reducemean_gap.onnx", "zoo/conv3_mp2_gap10.onnx");
    // A float tail with no QuantizeLinear rounds with its DequantizeLinear's
    // scale, which the zoo model's final QuantizeLinear repeats.
    same_hardware("spellings/gap_float_tail.onnx", "zoo/conv3_mp2_gap10.onnx");
    same_hardware("spellings/relu_maxpool_float_tail.onnx", "zoo/conv3_s1_p1_relu_mp2.onnx");
    // Relu directly on the int8 tensor (opset 14) is the relu of the output stage.
    same_hardware("spellings/qlinear_relu_int8.onnx", "zoo/conv3_s1_p1_relu_mp2.onnx");
    // x.view(x.size(0), -1), Identity and Dropout change nothing.
    same_hardware("spellings/lenet_view_dropout.onnx", "lenet.onnx");
}

TEST_CASE("spellings that add a step show exactly that step in the IR") {
    SUBCASE("Clip(0, 1.5) after a conv at 2^-5 is a clamp at 48 in its output stage") {
        Network net = load("spellings/clip_relu6.onnx");
        REQUIRE(net.layers.size() == 4);
        CHECK(net.layers[0].act == Activation::Relu);
        CHECK(net.layers[0].f_out == 5);
        CHECK(net.layers[0].clamp_hi == 48);
        for (size_t i = 1; i < net.layers.size(); ++i) CHECK(net.layers[i].clamp_hi == 127);
    }
    SUBCASE("LeakyRelu -> GlobalAveragePool in one segment is the pool's pre-activation") {
        Network net = load("spellings/leaky_gap_segment.onnx");
        REQUIRE(net.layers.size() == 4);
        const Layer& gap = net.layers[3];
        CHECK(gap.kind == LayerKind::GlobalAvgPool);
        CHECK(gap.pre_act == Activation::Leaky);
        CHECK(gap.pre_leaky_k == 3);
        CHECK(gap.act == Activation::None);
        CHECK(gap.e_in() == gap.f_in + 3);  // the leaky values' extra bits reach the rounding
    }
    SUBCASE("LeakyRelu -> AveragePool in one segment likewise") {
        Network net = load("spellings/leaky_avgpool_segment.onnx");
        REQUIRE(net.layers.size() == 4);
        CHECK(net.layers[2].act == Activation::None);  // the conv no longer rounds the leaky ReLU
        CHECK(net.layers[3].kind == LayerKind::AvgPool);
        CHECK(net.layers[3].pre_act == Activation::Leaky);
        CHECK(net.layers[3].pre_leaky_k == 3);
    }
}
