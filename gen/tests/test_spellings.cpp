// The spelling models (models/spellings, written by make_spellings.py from
// zoo models by graph surgery) against the models they were made from: where
// the two files compute the same thing, the front end must lower both to the
// same hardware; where a spelling adds a step (a clamp, a pre-activation), the
// IR must show exactly that step. Their outputs are checked against the
// interpreter in test_agreement.cpp.
#include <doctest/doctest.h>

#include <filesystem>

#include "emit.hpp"
#include "error.hpp"
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

namespace {

onnx::Graph graph_of(const std::string& rel) {
    return onnx::load_model(std::string(CNN_SOURCE_DIR) + "/models/" + rel);
}

onnx::Node& writer_of(onnx::Graph& g, const std::string& value) {
    for (onnx::Node& n : g.nodes)
        if (!n.outputs.empty() && n.outputs[0] == value) return n;
    throw Error(value, "no node writes it");
}

// Inserts `op` reading `value`; every other reader of value reads its output.
onnx::Node& insert_on(onnx::Graph& g, const std::string& value, const std::string& op) {
    for (onnx::Node& n : g.nodes)
        for (std::string& in : n.inputs)
            if (in == value) in = value + "_" + op;
    onnx::Node n;
    n.name = "inserted_" + op;
    n.op_type = op;
    n.inputs = {value};
    n.outputs = {value + "_" + op};
    size_t at = 0;
    while (at < g.nodes.size() && (g.nodes[at].outputs.empty() || g.nodes[at].outputs[0] != value)) ++at;
    g.nodes.insert(g.nodes.begin() + long(at) + 1, n);
    return g.nodes[at + 1];
}

// The one-line refusal of loading g ("" when accepted); its output shape is
// left to shape inference (the insertions may change it).
std::string refusal(onnx::Graph g, const std::string& name) {
    for (int64_t& d : g.outputs[0].dims) d = -1;
    const std::string p = (std::filesystem::temp_directory_path() / ("cnn_spelling_" + name + ".onnx")).string();
    onnx::save_model(g, p);
    try {
        load_network(p);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("float segments the hardware cannot round once are refused naming the node and the rule") {
    SUBCASE("two rounding ops between DequantizeLinear and QuantizeLinear") {
        onnx::Graph g = graph_of("zoo/conv3_mp2_gap10.onnx");
        onnx::Node& avg = insert_on(g, "gap2_in", "AveragePool");
        avg.attrs["kernel_shape"] = onnx::Attribute::integers({2, 2});
        const std::string msg = refusal(g, "two_cores");
        CHECK(msg.find("a second rounding op between DequantizeLinear and QuantizeLinear") != std::string::npos);
        CHECK(msg.find("'inserted_AveragePool'") != std::string::npos);
    }
    SUBCASE("a LeakyRelu before a Gemm in one segment") {
        onnx::Graph g = graph_of("lenet_qdq.onnx");
        const std::string in = writer_of(g, "/fc1/Gemm_out").inputs[0];
        insert_on(g, in, "LeakyRelu").attrs["alpha"] = onnx::Attribute::real(0.125);
        CHECK(refusal(g, "leaky_gemm").find("op LeakyRelu before the Gemm in one float segment: quantize in between") !=
              std::string::npos);
    }
    SUBCASE("a HardSigmoid after a Gemm in one segment (a table, but not an output stage)") {
        onnx::Graph g = graph_of("lenet_qdq.onnx");
        insert_on(g, "/fc1/Gemm_out", "HardSigmoid");
        const std::string msg = refusal(g, "hardsigmoid_gemm");
        CAPTURE(msg);
        CHECK(msg.find("HardSigmoid after the Gemm in one float segment has no integer output stage: quantize in "
                       "between") != std::string::npos);
    }
    SUBCASE("a zero Pad before a MaxPool (which padding never wins) is not folded") {
        onnx::Graph g = graph_of("spellings/relu_maxpool_float_tail.onnx");
        g.initializers["pads"] = onnx::Tensor::make("pads", onnx::DType::Int64, {8}, {0, 0, 1, 1, 0, 0, 1, 1});
        insert_on(g, "relu1_out_f", "Pad").inputs.push_back("pads");
        CHECK(refusal(g, "pad_maxpool").find("node 'inserted_Pad' (Pad): op Pad is not supported") != std::string::npos);
    }
    SUBCASE("an op outside SPEC §1 in a segment") {
        onnx::Graph g = graph_of("spellings/relu_maxpool_float_tail.onnx");
        insert_on(g, "relu1_out_f", "Tanh");
        CHECK(refusal(g, "tanh").find("node 'inserted_Tanh' (Tanh): op Tanh is not supported") != std::string::npos);
    }
}
