// The ONNX backend node tests of every op the interpreter claims, run through
// cnn::onnx::run and compared with the expected outputs shipped by ONNX.
//
// Comparison: integer outputs exactly; float outputs within
// |got - want| <= 1e-5 + 1e-4 * |want| (the interpreter computes in double,
// the references are float32). Shapes and element types must match.
//
// Nothing is skipped silently: a node test that cannot run is printed with
// its reason, and the set of such tests must equal kKnownNotRun below.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "interp.hpp"
#include "onnx_graph.hpp"

namespace fs = std::filesystem;
using namespace cnn::onnx;

namespace {

// The ops whose node tests are run. A test is selected when one of its nodes
// is one of these (by op_type, not by directory name).
const std::set<std::string> kClaimed = {
    "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Relu", "LeakyRelu", "Gemm",
    "MatMul", "Flatten", "Softmax", "BatchNormalization", "QuantizeLinear", "DequantizeLinear",
    "QLinearConv", "QLinearMatMul", "Reshape", "Dropout", "Identity",
    "Constant", "Clip", "ReduceMean", "Pad", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat",
    "Slice", "Transpose", "Cast", "ConstantOfShape"};

// Selected node tests that are known not to run, with why. The test case fails
// when the tests that do not run differ from this list (a new failure to run,
// or a listed test that now runs and should be removed from here).
const std::map<std::string, std::string> kKnownNotRun = {
    {"test_training_dropout", "training-mode dropout is random"},
    {"test_training_dropout_default", "training-mode dropout is random"},
    {"test_training_dropout_default_mask", "training-mode dropout is random"},
    {"test_training_dropout_mask", "training-mode dropout is random"},
    {"test_identity_opt", "optional-typed input"},
    {"test_identity_sequence", "sequence-typed input"},
    {"test_cast_BFLOAT16_to_FLOAT", "float16/bfloat16 tensors"},
    {"test_castlike_BFLOAT16_to_FLOAT_expanded", "float16/bfloat16 tensors"},
    {"test_cast_DOUBLE_to_FLOAT16", "float16/bfloat16 tensors"},
    {"test_castlike_DOUBLE_to_FLOAT16_expanded", "float16/bfloat16 tensors"},
    {"test_cast_FLOAT16_to_DOUBLE", "float16/bfloat16 tensors"},
    {"test_castlike_FLOAT16_to_DOUBLE_expanded", "float16/bfloat16 tensors"},
    {"test_cast_FLOAT16_to_FLOAT", "float16/bfloat16 tensors"},
    {"test_castlike_FLOAT16_to_FLOAT_expanded", "float16/bfloat16 tensors"},
    {"test_cast_FLOAT_to_BFLOAT16", "float16/bfloat16 tensors"},
    {"test_castlike_FLOAT_to_BFLOAT16_expanded", "float16/bfloat16 tensors"},
    {"test_cast_FLOAT_to_FLOAT16", "float16/bfloat16 tensors"},
    {"test_castlike_FLOAT_to_FLOAT16_expanded", "float16/bfloat16 tensors"},
    {"test_cast_FLOAT_to_STRING", "string tensors"},
    {"test_castlike_FLOAT_to_STRING_expanded", "string tensors"},
    {"test_cast_STRING_to_FLOAT", "string tensors"},
    {"test_castlike_STRING_to_FLOAT_expanded", "string tensors"},
    {"test_edge_pad", "Pad mode edge (only constant)"},
    {"test_reflect_pad", "Pad mode reflect (only constant)"},
};

// Models that use a claimed op together with ops the interpreter does not
// implement (the expanded function bodies of other ops): they test those
// other ops, so they are listed but not counted as node tests of ours.
bool all_implemented(const Graph& g) {
    return std::all_of(g.nodes.begin(), g.nodes.end(),
                       [](const Node& n) { return kClaimed.count(n.op_type) != 0; });
}

bool is_float(DType t) { return t == DType::Float || t == DType::Double; }

std::string shape_text(const std::vector<int64_t>& d) {
    std::string s = "[";
    for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
    return s + "]";
}

// Empty when equal, else the first difference.
std::string compare(const Tensor& got, const Tensor& want) {
    if (got.dims != want.dims) return "shape " + shape_text(got.dims) + " != " + shape_text(want.dims);
    if (got.dtype != want.dtype)
        return std::string("type ") + dtype_name(got.dtype) + " != " + dtype_name(want.dtype);
    for (size_t i = 0; i < want.data.size(); ++i) {
        const double g = got.data[i], w = want.data[i];
        const bool ok = is_float(want.dtype)
                            ? (std::isnan(w) ? std::isnan(g) : std::fabs(g - w) <= 1e-5 + 1e-4 * std::fabs(w))
                            : g == w;
        if (!ok) return "element " + std::to_string(i) + ": " + std::to_string(g) + " != " + std::to_string(w);
    }
    return {};
}

// Why a model's declared inputs/outputs cannot be read, or empty.
std::string unreadable_types(const Graph& g) {
    for (const auto* list : {&g.inputs, &g.outputs})
        for (const ValueInfo& v : *list)
            if (v.dtype == DType::Other) return "'" + v.name + "' is not a tensor of a supported type";
    return {};
}

}  // namespace

TEST_CASE("ONNX node tests of the claimed ops match the ONNX reference outputs") {
    const fs::path root = ONNX_NODE_TESTS;
    REQUIRE_MESSAGE(fs::is_directory(root), "no ONNX node tests at " << root);

    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
        if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());

    int passed = 0;
    std::map<std::string, std::string> not_run, failed;
    std::vector<std::string> other_ops;
    for (const fs::path& dir : dirs) {
        const std::string test = dir.filename().string();
        Graph g;
        try {
            g = load_model((dir / "model.onnx").string());
        } catch (const cnn::Error& e) {
            failed[test] = e.what();
            continue;
        }
        if (!std::any_of(g.nodes.begin(), g.nodes.end(), [](const Node& n) { return kClaimed.count(n.op_type); }))
            continue;  // a node test of other ops
        if (!all_implemented(g)) {
            other_ops.push_back(test);
            continue;
        }
        if (std::string why = unreadable_types(g); !why.empty()) {
            not_run[test] = why;
            continue;
        }
        try {
            int sets = 0;
            for (int s = 0; fs::is_directory(dir / ("test_data_set_" + std::to_string(s))); ++s, ++sets) {
                const fs::path data = dir / ("test_data_set_" + std::to_string(s));
                std::map<std::string, Tensor> inputs;
                for (size_t i = 0; i < g.inputs.size(); ++i) {
                    const fs::path f = data / ("input_" + std::to_string(i) + ".pb");
                    if (fs::exists(f)) inputs[g.inputs[i].name] = load_tensor(f.string());
                }
                const auto out = run(g, inputs);
                for (size_t i = 0; i < g.outputs.size(); ++i) {
                    const Tensor want = load_tensor((data / ("output_" + std::to_string(i) + ".pb")).string());
                    const std::string diff = compare(out.at(g.outputs[i].name), want);
                    if (!diff.empty())
                        throw cnn::Error(data.string(), "output '" + g.outputs[i].name + "' " + diff);
                }
            }
            if (sets == 0) throw cnn::Error(dir.string(), "no test_data_set_0");
            ++passed;
        } catch (const Unsupported& e) {
            not_run[test] = e.rule() + " (" + e.where() + ")";
        } catch (const cnn::Error& e) {
            failed[test] = e.what();
        }
    }

    std::cout << "ONNX node tests: " << passed << " passed, " << failed.size() << " failed, "
              << not_run.size() << " not run (unsupported):\n";
    for (const auto& [t, why] : not_run) std::cout << "  not run  " << t << ": " << why << "\n";
    for (const auto& [t, why] : failed) std::cout << "  FAILED   " << t << ": " << why << "\n";
    std::cout << "  not ours " << other_ops.size()
              << " models that use a claimed op inside the expanded body of another op:";
    for (const std::string& t : other_ops) std::cout << " " << t;
    std::cout << "\n";

    for (const auto& [t, why] : failed) CHECK_MESSAGE(false, t << ": " << why);
    for (const auto& [t, why] : not_run)
        CHECK_MESSAGE(kKnownNotRun.count(t), t << " does not run and is not in kKnownNotRun: " << why);
    for (const auto& [t, why] : kKnownNotRun)
        if (fs::exists(root / t))
            CHECK_MESSAGE(not_run.count(t), t << " is in kKnownNotRun but now runs: remove it from the list");
    CHECK(passed > 0);
}

// ---------------------------------------------------------------- hand-made cases
// What the ONNX node tests do not cover: int8 outputs, ties of the rounding,
// saturation, padding in a max pool over negative values, refusals.

namespace {

Node make_node(const std::string& op, std::vector<std::string> in) {
    Node n;
    n.name = "n1";
    n.op_type = op;
    n.inputs = std::move(in);
    n.outputs = {"y"};
    return n;
}

Tensor run_one(const Node& n, const std::vector<Tensor>& in) {
    std::vector<const Tensor*> args;
    for (const Tensor& t : in) args.push_back(&t);
    return run_node(n, args, 13).at(0);
}

}  // namespace

TEST_CASE("QuantizeLinear to int8 rounds half to even and saturates") {
    const Node n = make_node("QuantizeLinear", {"x", "s", "zp"});
    const Tensor y = run_one(n, {Tensor::make("", DType::Float, {8}, {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1000, -1000}),
                                 Tensor::make("", DType::Float, {}, {1.0}), Tensor::make("", DType::Int8, {}, {0})});
    CHECK(y.dtype == DType::Int8);
    CHECK(y.data == std::vector<double>{-2, -2, 0, 0, 2, 2, 127, -128});
}

TEST_CASE("QLinearConv int8 with power-of-two scales: exact sums, ties to even, saturation") {
    const Node n = make_node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"});
    const Tensor x = Tensor::make("", DType::Int8, {1, 1, 2, 2}, {-12, 12, 20, 127});
    const Tensor w = Tensor::make("", DType::Int8, {1, 1, 1, 1}, {1});
    const Tensor one = Tensor::make("", DType::Float, {}, {1.0}), eighth = Tensor::make("", DType::Float, {}, {0.125});
    const Tensor z = Tensor::make("", DType::Int8, {}, {0});
    // factor 1 * 0.125 / 1: -1.5 -> -2, 1.5 -> 2, 2.5 -> 2, 15.875 -> 16
    CHECK(run_one(n, {x, one, z, w, eighth, z, one, z}).data == std::vector<double>{-2, 2, 2, 16});
    // factor 4: -48, 48, 80, 508 -> 127
    const Tensor ys = Tensor::make("", DType::Float, {}, {0.03125});
    CHECK(run_one(n, {x, one, z, w, eighth, z, ys, z}).data == std::vector<double>{-48, 48, 80, 127});
}

TEST_CASE("MaxPool: zero padding never wins over negative values") {
    Node n = make_node("MaxPool", {"x"});
    n.attrs["kernel_shape"].kind = Attribute::Kind::Ints;
    n.attrs["kernel_shape"].ints = {2, 2};
    n.attrs["pads"].kind = Attribute::Kind::Ints;
    n.attrs["pads"].ints = {1, 1, 1, 1};
    const Tensor y = run_one(n, {Tensor::make("", DType::Int8, {1, 1, 2, 2}, {-5, -3, -7, -9})});
    CHECK(y.dims == std::vector<int64_t>{1, 1, 3, 3});
    CHECK(y.data == std::vector<double>{-5, -3, -3, -5, -3, -3, -7, -7, -9});
}

TEST_CASE("run: Unsupported names the node, a missing input is an Error, intermediates are kept") {
    Graph g;
    g.name = "g";
    g.opset = 13;
    g.inputs.push_back({"x", DType::Float, {1, 2}});
    g.outputs.push_back({"z", DType::Float, {1, 2}});
    Node relu = make_node("Relu", {"x"});
    relu.name = "act";
    Node id = make_node("Identity", {"y"});
    id.name = "copy";
    id.outputs = {"z"};
    g.nodes = {relu, id};

    const auto all = run(g, {{"x", Tensor::make("", DType::Float, {1, 2}, {-1.0, 2.0})}}, true);
    CHECK(all.at("y").data == std::vector<double>{0.0, 2.0});
    CHECK(all.at("z").data == std::vector<double>{0.0, 2.0});
    CHECK_THROWS_AS(run(g, {}), cnn::Error);
    CHECK_THROWS_AS(run(g, {{"x", Tensor::make("", DType::Float, {2, 2}, {1, 2, 3, 4})}}), cnn::Error);

    g.nodes[0].op_type = "Tanh";
    try {
        run(g, {{"x", Tensor::make("", DType::Float, {1, 2}, {-1.0, 2.0})}});
        FAIL("an unknown op must throw Unsupported");
    } catch (const Unsupported& e) {
        CHECK(e.where() == "node 'act' (Tanh)");
    }
}
