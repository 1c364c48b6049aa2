// The ONNX reader and writer: a saved graph reads back identical, and every
// malformed file (missing, not ONNX, truncated) is a cnn::Error naming it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

#include "error.hpp"
#include "onnx_graph.hpp"

namespace fs = std::filesystem;
using namespace cnn::onnx;

namespace {

// A fresh path in the temporary directory, removed when the object dies.
struct TempFile {
    fs::path path;
    explicit TempFile(const std::string& name)
        : path(fs::temp_directory_path() /
               ("cnn_onnx_io_" + std::to_string(::getpid()) + "_" + name)) {}
    ~TempFile() { fs::remove(path); }
    std::string str() const { return path.string(); }
};

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small QLinear-form graph with initializers of every integer width and
// attributes of every kind.
Graph sample_graph() {
    Graph g;
    g.name = "sample";
    g.opset = 13;
    g.inputs.push_back({"x", DType::Float, {-1, 1, 4, 4}});
    g.outputs.push_back({"y", DType::Float, {-1, 2, 4, 4}});
    g.initializers["s"] = Tensor::make("s", DType::Float, {}, {0.0078125});
    g.initializers["zp"] = Tensor::make("zp", DType::Int8, {}, {0});
    g.initializers["w"] = Tensor::make("w", DType::Int8, {2, 1, 3, 3},
                                 {-128, -1, 0, 1, 127, 5, -5, 64, -64, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    g.initializers["b"] = Tensor::make("b", DType::Int32, {2}, {-2147483648.0, 2147483647.0});
    g.initializers["u"] = Tensor::make("u", DType::UInt8, {3}, {0, 128, 255});
    g.initializers["shape"] = Tensor::make("shape", DType::Int64, {2}, {-1, 9007199254740992.0});
    g.initializers["d"] = Tensor::make("d", DType::Double, {2}, {0.1, -1e300});

    Node q;
    q.name = "quant";
    q.op_type = "QuantizeLinear";
    q.inputs = {"x", "s", "zp"};
    q.outputs = {"xq"};
    Node c;
    c.name = "conv";
    c.op_type = "QLinearConv";
    c.inputs = {"xq", "s", "zp", "w", "s", "zp", "s", "zp", "b"};
    c.outputs = {"yq"};
    c.attrs["pads"].kind = Attribute::Kind::Ints;
    c.attrs["pads"].ints = {1, 1, 1, 1};
    c.attrs["group"].kind = Attribute::Kind::Int;
    c.attrs["group"].i = 1;
    c.attrs["auto_pad"].kind = Attribute::Kind::String;
    c.attrs["auto_pad"].s = "NOTSET";
    c.attrs["alphas"].kind = Attribute::Kind::Floats;
    c.attrs["alphas"].floats = {0.5, 0.125};
    c.attrs["beta"].kind = Attribute::Kind::Float;
    c.attrs["beta"].f = 0.25;
    c.attrs["value"].kind = Attribute::Kind::Tensor;
    c.attrs["value"].t = Tensor::make("v", DType::Int8, {2}, {-3, 3});
    Node d;
    d.name = "dequant";
    d.op_type = "DequantizeLinear";
    d.inputs = {"yq", "s", "zp"};
    d.outputs = {"y"};
    g.nodes = {q, c, d};
    return g;
}

void check_same(const Tensor& a, const Tensor& b) {
    CHECK(a.name == b.name);
    CHECK(a.dtype == b.dtype);
    CHECK(a.dims == b.dims);
    CHECK(a.data == b.data);
}

void check_same(const ValueInfo& a, const ValueInfo& b) {
    CHECK(a.name == b.name);
    CHECK(a.dtype == b.dtype);
    CHECK(a.dims == b.dims);
}

// The message of the cnn::Error that loading `path` throws ("" if none).
std::string load_error(const std::string& path) {
    try {
        load_model(path);
    } catch (const cnn::Error& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("save_model then load_model gives back the same graph") {
    const Graph g = sample_graph();
    TempFile f("roundtrip.onnx");
    save_model(g, f.str());
    const Graph h = load_model(f.str(), /*onnx_checks=*/false);

    CHECK(h.name == g.name);
    CHECK(h.opset == 13);
    REQUIRE(h.inputs.size() == 1);
    REQUIRE(h.outputs.size() == 1);
    check_same(h.inputs[0], g.inputs[0]);
    check_same(h.outputs[0], g.outputs[0]);
    REQUIRE(h.initializers.size() == g.initializers.size());
    for (const auto& [name, t] : g.initializers) {
        REQUIRE(h.initializer(name) != nullptr);
        check_same(*h.initializer(name), t);
    }
    REQUIRE(h.nodes.size() == g.nodes.size());
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node &a = g.nodes[i], &b = h.nodes[i];
        CHECK(b.name == a.name);
        CHECK(b.op_type == a.op_type);
        CHECK(b.inputs == a.inputs);
        CHECK(b.outputs == a.outputs);
        CHECK(b.attrs.size() == a.attrs.size());
    }
    const Node& c = h.nodes[1];
    CHECK(c.attr_ints("pads") == std::vector<int64_t>{1, 1, 1, 1});
    CHECK(c.attr_int("group", 0) == 1);
    CHECK(c.attr_string("auto_pad", "") == "NOTSET");
    CHECK(c.attr_float("beta", 0) == 0.25);
    CHECK(c.attrs.at("alphas").floats == std::vector<double>{0.5, 0.125});
    check_same(c.attrs.at("value").t, g.nodes[1].attrs.at("value").t);
    CHECK_THROWS_AS(c.attr_int("auto_pad", 0), cnn::Error);  // a string, not an int
}

TEST_CASE("load_model names empty nodes <op>_<index> and defaults the opset to 13 on save") {
    Graph g = sample_graph();
    g.opset = 0;
    g.nodes[2].name.clear();
    TempFile f("unnamed.onnx");
    save_model(g, f.str());
    const Graph h = load_model(f.str(), /*onnx_checks=*/false);
    CHECK(h.opset == 13);
    CHECK(h.nodes[2].name == "DequantizeLinear_2");
}

TEST_CASE("save_model refuses values that do not fit the tensor's type") {
    Graph g = sample_graph();
    g.initializers["w"].data[0] = -129;
    TempFile f("bad_value.onnx");
    CHECK_THROWS_AS(save_model(g, f.str()), cnn::Error);
    g = sample_graph();
    CHECK_THROWS_AS(save_model(g, "/nonexistent-dir/x.onnx"), cnn::Error);
}

TEST_CASE("load_model: a missing file is a cnn::Error naming it") {
    const std::string msg = load_error("/nonexistent-dir/missing.onnx");
    CHECK(msg.find("/nonexistent-dir/missing.onnx") != std::string::npos);
}

TEST_CASE("load_model: text, an image and an empty file are not ONNX models") {
    TempFile text("text.onnx"), png("image.onnx"), empty("empty.onnx");
    write_bytes(text.str(), "This is not a model.\nJust some text, 1 2 3.\n");
    // The PNG signature and the start of an IHDR chunk.
    const char png_start[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02";
    write_bytes(png.str(), std::string(png_start, sizeof png_start - 1));
    write_bytes(empty.str(), "");
    for (const TempFile* f : {&text, &png, &empty}) {
        const std::string msg = load_error(f->str());
        CHECK_MESSAGE(msg.find(f->str()) != std::string::npos, "message: " << msg);
        CHECK_MESSAGE(msg.find("not an ONNX model") != std::string::npos, "message: " << msg);
    }
}

TEST_CASE("load_model: a model cut at any length is a cnn::Error naming the file") {
    TempFile whole("whole.onnx"), cut("cut.onnx");
    save_model(sample_graph(), whole.str());
    const std::string bytes = read_bytes(whole.str());
    REQUIRE(bytes.size() > 100);
    for (size_t n = 0; n < bytes.size(); ++n) {
        write_bytes(cut.str(), bytes.substr(0, n));
        const std::string msg = load_error(cut.str());
        CHECK_MESSAGE(msg.find(cut.str()) != std::string::npos,
                      "cut at " << n << " of " << bytes.size() << ": '" << msg << "'");
    }
}

TEST_CASE("load_tensor reads a node-test tensor and refuses text") {
    const fs::path dir = fs::path(ONNX_NODE_TESTS) / "test_qlinearconv";
    REQUIRE(fs::is_directory(dir));
    const Tensor x = load_tensor((dir / "test_data_set_0" / "input_0.pb").string());
    CHECK(x.dtype == DType::UInt8);
    CHECK(x.dims == std::vector<int64_t>{1, 1, 7, 7});
    CHECK(x.data.size() == 49);

    TempFile text("tensor.pb");
    write_bytes(text.str(), "not a tensor at all");
    CHECK_THROWS_AS(load_tensor(text.str()), cnn::Error);
}
