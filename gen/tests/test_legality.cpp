// Every rule of SPEC §1 that a model can break is refused with one line that
// names the node, the rule and the value found — from the library and from
// the cnnc command line (exit code 1, never a crash).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "import.hpp"
#include "passes.hpp"
#include "run_command.hpp"
#include "test_graphs.hpp"
#include "zoo.hpp"

namespace fs = std::filesystem;
using namespace cnn;

namespace {

// A small valid model: conv + relu + maxpool + conv, QLinear form.
onnx::Graph good_graph() { return test::small_graph("legality_base"); }
using test::first;

// A conv's kernel becomes kh x kw (its weight initializer resized to match).
void set_kernel(onnx::Graph& g, onnx::Node& conv, int kh, int kw) {
    conv.attrs["kernel_shape"] = onnx::Attribute::integers({kh, kw});
    onnx::Tensor& w = g.initializers.at(conv.inputs[3]);
    w.dims[2] = kh;
    w.dims[3] = kw;
    w.data.resize(size_t(w.dims[0] * w.dims[1] * kh * kw), 1.0);
}

fs::path temp_dir() {
    fs::path d = fs::temp_directory_path() / "cnn_legality_tests";
    fs::create_directories(d);
    return d;
}

// The error text of loading the graph, "" when accepted. The output's shape
// is left to ONNX's shape inference (the mutations change it).
std::string refusal(onnx::Graph g, const std::string& name) {
    for (int64_t& d : g.outputs[0].dims) d = -1;
    fs::path p = temp_dir() / (name + ".onnx");
    onnx::save_model(g, p.string());
    try {
        load_network(p.string());
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

cnn::test::CommandResult run_cnnc(const std::string& args) {
    return cnn::test::run_command(std::string(CNN_BINARY_DIR) + "/gen/cnnc " + args, "cnn_legality_cli.txt");
}

}  // namespace

TEST_CASE("a valid QLinear model is accepted and lowered") {
    onnx::Graph g = good_graph();
    CHECK(refusal(g, "good") == "");
    Network net = load_network((temp_dir() / "good.onnx").string());
    REQUIRE(net.layers.size() == 3);  // conv+relu (fused), maxpool, conv
    CHECK(net.layers[0].kind == LayerKind::Conv);
    CHECK(net.layers[0].act == Activation::Relu);
    CHECK(net.layers[0].pad_t == 1);
    CHECK(net.layers[1].kind == LayerKind::MaxPool);
    CHECK(net.layers[2].out == Shape{2, 4, 3});
}

TEST_CASE("each SPEC §1 violation is named with node, rule and value") {
    SUBCASE("a scale that is no float32") {
        onnx::Graph g = good_graph();
        g.initializers.at(first(g, "QLinearConv").inputs[6]).data = {-0.3};
        auto msg = refusal(g, "scale");
        CHECK(msg.find("scale -0.3 is not a positive, finite, normal float32") != std::string::npos);
        CHECK(msg.find("(QLinearConv)") != std::string::npos);
    }
    SUBCASE("a weight zero point other than 0") {
        onnx::Graph g = good_graph();
        g.initializers.at(first(g, "QLinearConv").inputs[5]).data = {3};
        CHECK(refusal(g, "zp").find("zero point 3 is not 0") != std::string::npos);
    }

    SUBCASE("unsupported op") {
        onnx::Graph g = good_graph();
        first(g, "Relu").op_type = "Tanh";
        CHECK(refusal(g, "op").find("op Tanh is not supported") != std::string::npos);
    }
    SUBCASE("a tensor feeding three nodes") {
        onnx::Graph g = good_graph();
        onnx::Node add;
        add.name = "residual";
        add.op_type = "Add";
        add.inputs = {first(g, "Relu").inputs[0], first(g, "Relu").inputs[0]};
        add.outputs = {"sum"};
        g.nodes.push_back(add);
        auto msg = refusal(g, "branch3");
        CHECK(msg.find("'conv1_out': feeds 3 nodes; a tensor may feed two (a residual fork") != std::string::npos);
    }
    SUBCASE("a float value feeding two nodes") {
        onnx::Graph g = good_graph();
        const std::string x = first(g, "Relu").inputs[0], r = first(g, "Relu").outputs[0];
        onnx::Node add;
        add.name = "residual";
        add.op_type = "Add";
        add.inputs = {x, r};
        add.outputs = {"sum"};
        g.nodes.push_back(add);
        auto msg = refusal(g, "int_add");
        CHECK(msg.find("node 'relu1' (Relu): its float output feeds 2 nodes: quantize a tensor before it forks") !=
              std::string::npos);
    }
    SUBCASE("a branch that does not rejoin") {
        onnx::Graph g = good_graph();
        onnx::Node side;
        side.name = "side";
        side.op_type = "Relu";
        side.inputs = {first(g, "Relu").inputs[0]};
        side.outputs = {"dangling"};
        g.nodes.push_back(side);
        auto msg = refusal(g, "dangling");
        CHECK(msg.find("node 'side' (Relu): its output is not used: a branch must rejoin the graph in an Add") !=
              std::string::npos);
    }
    SUBCASE("dilation") {
        onnx::Graph g = good_graph();
        first(g, "QLinearConv").attrs["dilations"] = onnx::Attribute::integers({2, 2});
        auto msg = refusal(g, "dilation");
        CHECK(msg.find("dilation 2,2; only dilation 1 is accepted") != std::string::npos);
    }
    SUBCASE("groups") {
        onnx::Graph g = good_graph();
        onnx::Node& conv = first(g, "QLinearConv");
        conv.attrs["group"] = onnx::Attribute::integer(2);
        onnx::Tensor& w = g.initializers.at(conv.inputs[3]);
        w.dims[1] = 1;  // [OC, C/group, K, K]
        w.data.resize(size_t(w.dims[0] * w.dims[1] * w.dims[2] * w.dims[3]));
        // C_in = 2 but C_out = 3 is no multiple of it: not depthwise.
        CHECK(refusal(g, "group").find("group 2; only 1 or C_in (depthwise) is accepted") != std::string::npos);
    }
    SUBCASE("groups that are neither 1 nor C_in") {
        onnx::Graph g = test::small_graph("legality_group2of4", 4, 8, 7, 4);
        onnx::Node& conv = first(g, "QLinearConv");
        conv.attrs["group"] = onnx::Attribute::integer(2);
        onnx::Tensor& w = g.initializers.at(conv.inputs[3]);
        w.dims[1] = 2;  // [OC, C/group, K, K]
        w.data.resize(size_t(w.dims[0] * w.dims[1] * w.dims[2] * w.dims[3]));
        CHECK(refusal(g, "group2of4").find("group 2; only 1 or C_in (depthwise) is accepted") != std::string::npos);
    }
    SUBCASE("batch 2") {
        onnx::Graph g = good_graph();
        g.inputs[0].dims[0] = 2;
        CHECK(refusal(g, "batch").find("batch 2; one image (batch 1)") != std::string::npos);
    }
    SUBCASE("kernel 12") {
        onnx::Graph g = good_graph();
        onnx::Node& conv = first(g, "QLinearConv");
        g.inputs[0].dims = {1, 2, 8, 16};
        set_kernel(g, conv, 3, 12);
        conv.attrs["pads"] = onnx::Attribute::integers({1, 0, 1, 0});
        auto msg = refusal(g, "kernel12");
        CHECK(msg.find("kernel 12 (columns) outside 1..11") != std::string::npos);
        CHECK(msg.find("(QLinearConv)") != std::string::npos);
    }
    SUBCASE("stride 5") {
        onnx::Graph g = good_graph();
        first(g, "QLinearConv").attrs["strides"] = onnx::Attribute::integers({5, 1});
        CHECK(refusal(g, "stride5").find("stride 5 (rows) outside 1..4") != std::string::npos);
    }
    SUBCASE("pad as large as the kernel") {
        onnx::Graph g = good_graph();
        first(g, "QLinearConv").attrs["pads"] = onnx::Attribute::integers({1, 3, 1, 1});
        CHECK(refusal(g, "pad3").find("pad 3 (columns) outside 0..kernel-1 = 0..2") != std::string::npos);
    }
    SUBCASE("pad of a 1-wide kernel axis") {
        onnx::Graph g = good_graph();
        onnx::Node& conv = first(g, "QLinearConv");
        set_kernel(g, conv, 1, 3);
        CHECK(refusal(g, "pad1x3").find("pad 1 (rows) outside 0..kernel-1 = 0..0") != std::string::npos);
    }
}

TEST_CASE("a LeakyRelu of any alpha between two quantizations is a 256-entry table") {
    onnx::Graph g = good_graph();
    onnx::Node& relu = first(g, "Relu");
    relu.op_type = "LeakyRelu";
    relu.attrs["alpha"] = onnx::Attribute::real(0.1);
    REQUIRE(refusal(g, "alpha") == "");
    Network net = load_network((temp_dir() / "alpha.onnx").string());
    REQUIRE(net.layers.size() == 4);
    const Layer& lut = net.layers[1];
    CHECK(lut.kind == LayerKind::Lut);
    REQUIRE(lut.table.size() == 256);
    // Equal quantization on both sides: x >= 0 stays, x < 0 becomes RNE(0.1 x).
    CHECK(lut.table[50] == 50);
    CHECK(lut.table[127] == 127);
    CHECK(lut.table[uint8_t(-20)] == -2);
    CHECK(lut.table[uint8_t(-128)] == -13);
    CHECK(net.layers[0].requant_f32 == false);  // the conv keeps its shift path
}

TEST_CASE("conv geometry of SPEC v2: non-square kernels, per-axis strides, asymmetric pads") {
    SUBCASE("asymmetric padding (TF's SAME)") {
        onnx::Graph g = good_graph();
        first(g, "QLinearConv").attrs["pads"] = onnx::Attribute::integers({1, 1, 0, 0});
        CHECK(refusal(g, "pads") == "");
        Network net = load_network((temp_dir() / "pads.onnx").string());
        const Layer& l = net.layers[0];
        CHECK((l.pad_t == 1 && l.pad_l == 1 && l.pad_b == 0 && l.pad_r == 0));
        CHECK(l.out == Shape{3, 7, 6});
    }
    SUBCASE("kernel 3x5, strides 2x1, pads 0,2,1,2") {
        onnx::Graph g = good_graph();
        onnx::Node& conv = first(g, "QLinearConv");
        set_kernel(g, conv, 3, 5);
        conv.attrs["strides"] = onnx::Attribute::integers({2, 1});
        conv.attrs["pads"] = onnx::Attribute::integers({0, 2, 1, 2});
        CHECK(refusal(g, "k3x5") == "");
        Network net = load_network((temp_dir() / "k3x5.onnx").string());
        const Layer& l = net.layers[0];
        CHECK((l.kernel_h == 3 && l.kernel_w == 5 && l.stride_h == 2 && l.stride_w == 1));
        CHECK(l.out == Shape{3, 4, 7});  // rows (8+1-3)/2+1, columns 7+4-5+1
    }
    SUBCASE("kernel 11x1, stride 4 per axis") {
        onnx::Graph g = good_graph();
        onnx::Node& conv = first(g, "QLinearConv");
        g.inputs[0].dims = {1, 2, 16, 8};
        set_kernel(g, conv, 11, 1);
        conv.attrs["strides"] = onnx::Attribute::integers({4, 4});
        conv.attrs["pads"] = onnx::Attribute::integers({5, 0, 5, 0});
        CHECK(refusal(g, "k11x1") == "");
    }
}

TEST_CASE("broken files are refused with the file named") {
    fs::path good = temp_dir() / "whole.onnx";
    onnx::save_model(good_graph(), good.string());
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});

    fs::path cut = temp_dir() / "truncated.onnx";
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    CHECK_THROWS_AS(load_network(cut.string()), Error);

    fs::path text = temp_dir() / "text.onnx";
    std::ofstream(text) << "this is not a model\n";
    CHECK_THROWS_AS(load_network(text.string()), Error);
    CHECK_THROWS_AS(load_network((temp_dir() / "missing.onnx").string()), Error);
}

TEST_CASE("check refuses what emit cannot build: a MAC output shift below -22") {
    onnx::Graph g = good_graph();
    onnx::Node* conv = nullptr;  // the last one, whose y scale only the output reads
    for (onnx::Node& n : g.nodes)
        if (n.op_type == "QLinearConv") conv = &n;
    REQUIRE(conv);
    auto own_scale = [&](size_t input, double v) {
        onnx::Tensor t = g.initializers.at(conv->inputs[input]);
        t.name = conv->inputs[input] + "_own";
        t.data = {v};
        g.initializers[t.name] = t;
        conv->inputs[input] = t.name;
    };
    own_scale(4, 1024.0);                 // w scale 2^10
    own_scale(6, std::ldexp(1.0, -35));  // y scale 2^-35
    conv->inputs.resize(8);               // no bias (its scale would be x * w)
    const std::string msg = refusal(g, "shift");
    CHECK(msg.find("layer 'conv2': output shift -40 (f_in + f_w - f_out) is below the hardware's -22") != std::string::npos);
    fs::path p = temp_dir() / "shift.onnx";
    auto r = run_cnnc("check " + p.string());
    CHECK(r.code == 1);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    r = run_cnnc("emit " + p.string() + " --out " + (temp_dir() / "shift_out").string());
    CHECK(r.code == 1);
}

TEST_CASE("cnnc prints one line per violation and exits 1") {
    onnx::Graph g = good_graph();
    first(g, "QLinearConv").attrs["dilations"] = onnx::Attribute::integers({2, 2});
    for (int64_t& d : g.outputs[0].dims) d = -1;  // left to shape inference
    fs::path bad = temp_dir() / "cli_bad.onnx";
    onnx::save_model(g, bad.string());
    auto r = run_cnnc("table " + bad.string());
    CHECK(r.code == 1);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK(r.out.find("dilation 2,2") != std::string::npos);

    fs::path text = temp_dir() / "cli_text.onnx";
    std::ofstream(text) << "garbage";
    r = run_cnnc("table " + text.string());
    CHECK(r.code == 1);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK(r.out.find(text.string()) != std::string::npos);

    r = run_cnnc("table " + (temp_dir() / "good.onnx").string());
    CHECK(r.code == 0);
    CHECK(r.out.find("MACs") != std::string::npos);
}

// A depthwise conv (group = C_in, C_out = M * C_in, weights [C_out, 1, KH, KW])
// becomes a DwConv whose weights keep ONNX's [oc][ky][kx] order.
TEST_CASE("a depthwise conv (group = C_in) lowers to DwConv, M = 1 and M = 2") {
    for (int m : {1, 2}) {
        CAPTURE(m);
        const std::string name = "depthwise_m" + std::to_string(m);
        onnx::Graph g = test::small_graph(name, 3, 8, 7, 3 * m);
        onnx::Node& conv = first(g, "QLinearConv");
        conv.attrs["group"] = onnx::Attribute::integer(3);
        onnx::Tensor& w = g.initializers.at(conv.inputs[3]);
        w.dims[1] = 1;
        w.data.resize(size_t(w.dims[0] * w.dims[2] * w.dims[3]));
        REQUIRE(refusal(g, name) == "");
        Network net = load_network((temp_dir() / (name + ".onnx")).string());
        const Layer& l = net.layers[0];
        CHECK(l.kind == LayerKind::DwConv);
        CHECK(std::string(kind_name(l.kind)) == "DwConv");
        CHECK(l.out == Shape{3 * m, 8, 7});
        CHECK(l.macs() == int64_t(3 * m) * 8 * 7 * 9);
        REQUIRE(l.weights.size() == size_t(3 * m * 9));
        for (size_t i = 0; i < l.weights.size(); ++i) CHECK(double(l.weights[i]) == w.data[i]);
        CHECK((l.par_in == 1 && l.par_out == 1));
    }
}
