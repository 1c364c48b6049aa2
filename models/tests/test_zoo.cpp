// The model zoo: the generator is deterministic, the committed files are what
// it writes today, and the zoo covers what SPEC §1 promises to accept.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "interp.hpp"
#include "onnx_graph.hpp"
#include "zoo.hpp"

namespace fs = std::filesystem;
using cnn::onnx::DType;
using cnn::onnx::Graph;
using cnn::onnx::Node;

namespace {

const fs::path kZooDir = fs::path(CNN_SOURCE_DIR) / "models" / "zoo";

// A fresh directory under the system temp dir, removed on destruction.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "zoo_test_XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) names.insert(e.path().filename().string());
    return names;
}

std::vector<fs::path> committed_models() {
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(kZooDir))
        if (e.path().extension() == ".onnx") paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    return paths;
}

bool is_pow2(double v) {
    int e = 0;
    return v > 0 && std::frexp(v, &e) == 0.5;
}

// What the coverage test counts over the whole zoo.
struct Coverage {
    std::set<int64_t> conv_k, conv_s, conv_p;
    std::set<std::pair<int64_t, int64_t>> maxpool;  // (kernel, stride), either spelling
    std::set<int64_t> avgpool_k;
    int gap = 0, relu = 0, conv_plain = 0;          // conv_plain: no activation after it
    std::set<double> leaky_alpha;
    bool non_square = false, odd_sized = false, colour = false, odd_channels = false;
    bool mono = false, int8_input = false, uint8_input = false, maxpool_int8 = false, maxpool_dq = false;
    size_t max_convs = 0;
    bool big = false;
    int min_shift = 1000;                            // f_x + f_w - f_y of a conv
};

// Check one loaded model against the QLinear-form rules the generator
// promises (scales 2^-f, zero points 0, int8 weights, int32 bias, int8
// output) and add what it contains to `cov`.
void check_model(const Graph& g, const std::string& file, Coverage& cov) {
    INFO("model " << file);
    CHECK(g.opset == 13);
    REQUIRE(g.inputs.size() == 1);
    REQUIRE(g.outputs.size() == 1);
    const auto& in = g.inputs[0];
    CHECK(in.dtype == DType::Float);
    REQUIRE(in.dims.size() == 4);
    CHECK(in.dims[0] == 1);
    const int64_t C = in.dims[1], H = in.dims[2], W = in.dims[3];
    CHECK(g.outputs[0].dtype == DType::Float);
    REQUIRE(!g.nodes.empty());
    CHECK(g.nodes.front().op_type == "QuantizeLinear");
    CHECK(g.nodes.front().inputs[0] == in.name);
    CHECK(g.nodes.back().op_type == "DequantizeLinear");
    CHECK(g.nodes.back().outputs[0] == g.outputs[0].name);

    std::set<std::string> names;
    std::map<std::string, const Node*> consumer;  // single chain: one consumer per tensor
    for (const auto& n : g.nodes) {
        CHECK_MESSAGE(names.insert(n.name).second, "duplicate node name " << n.name);
        CHECK(!n.name.empty());
        if (!n.inputs.empty()) consumer[n.inputs[0]] = &n;
    }

    auto scale_ok = [&](const std::string& name) {
        const auto* t = g.initializer(name);
        REQUIRE_MESSAGE(t, "missing initializer " << name);
        CHECK(t->dtype == DType::Float);
        CHECK_MESSAGE(is_pow2(t->data.at(0)), name << " = " << t->data.at(0) << " is not a power of two");
    };
    auto zero_point = [&](const std::string& name) {
        const auto* t = g.initializer(name);
        REQUIRE_MESSAGE(t, "missing initializer " << name);
        CHECK(t->data.at(0) == 0.0);
        return t->dtype;
    };

    // Element types along the chain.
    std::map<std::string, DType> type{{in.name, DType::Float}};
    size_t convs = 0;
    bool all_one_channel = C == 1;
    std::vector<int64_t> conv_channels;
    for (const auto& n : g.nodes) {
        INFO("node " << n.name << " (" << n.op_type << ")");
        REQUIRE(type.count(n.inputs[0]));
        const DType x = type[n.inputs[0]];
        DType y = DType::Float;
        if (n.op_type == "QuantizeLinear") {
            CHECK(x == DType::Float);
            scale_ok(n.inputs[1]);
            y = zero_point(n.inputs[2]);
            CHECK((y == DType::Int8 || (y == DType::UInt8 && &n == &g.nodes.front())));
            if (&n == &g.nodes.front()) (y == DType::UInt8 ? cov.uint8_input : cov.int8_input) = true;
        } else if (n.op_type == "DequantizeLinear") {
            CHECK((x == DType::Int8 || x == DType::UInt8));
            scale_ok(n.inputs[1]);
            CHECK(zero_point(n.inputs[2]) == x);
        } else if (n.op_type == "QLinearConv") {
            REQUIRE(n.inputs.size() == 9);
            CHECK((x == DType::Int8 || x == DType::UInt8));
            scale_ok(n.inputs[1]);
            CHECK(zero_point(n.inputs[2]) == x);
            const auto* w = g.initializer(n.inputs[3]);
            REQUIRE(w);
            CHECK(w->dtype == DType::Int8);
            REQUIRE(w->dims.size() == 4);
            scale_ok(n.inputs[4]);
            CHECK(zero_point(n.inputs[5]) == DType::Int8);
            scale_ok(n.inputs[6]);
            y = zero_point(n.inputs[7]);
            CHECK(y == DType::Int8);
            const auto* b = g.initializer(n.inputs[8]);
            REQUIRE(b);
            CHECK(b->dtype == DType::Int32);
            CHECK(b->dims == std::vector<int64_t>{w->dims[0]});

            const auto k = n.attr_ints("kernel_shape"), s = n.attr_ints("strides"), p = n.attr_ints("pads");
            REQUIRE(k.size() == 2);
            CHECK(k[0] == k[1]);
            CHECK(w->dims[2] == k[0]);
            CHECK(w->dims[3] == k[1]);
            REQUIRE(s.size() == 2);
            CHECK(s[0] == s[1]);
            REQUIRE(p.size() == 4);
            CHECK((p[0] == p[1] && p[1] == p[2] && p[2] == p[3]));
            CHECK(n.attr_ints("dilations") == std::vector<int64_t>{1, 1});
            CHECK(n.attr_int("group", 1) == 1);
            auto frac = [&](const std::string& scale) { return -std::ilogb(g.initializer(scale)->data.at(0)); };
            cov.min_shift = std::min(cov.min_shift, frac(n.inputs[1]) + frac(n.inputs[4]) - frac(n.inputs[6]));
            cov.conv_k.insert(k[0]);
            cov.conv_s.insert(s[0]);
            cov.conv_p.insert(p[0]);
            cov.odd_channels |= w->dims[0] % 2 == 1 && w->dims[0] > 1;
            all_one_channel &= w->dims[0] == 1;
            conv_channels.push_back(w->dims[0]);
            ++convs;
            // Activated when the output goes through DequantizeLinear -> Relu | LeakyRelu.
            const Node* dq = consumer.count(n.outputs[0]) ? consumer[n.outputs[0]] : nullptr;
            const Node* act = dq && consumer.count(dq->outputs[0]) ? consumer[dq->outputs[0]] : nullptr;
            if (!act || (act->op_type != "Relu" && act->op_type != "LeakyRelu")) ++cov.conv_plain;
        } else if (n.op_type == "MaxPool") {
            y = x;  // int8 in int8 out, or float in the DQ -> MaxPool -> Q spelling
            CHECK((x == DType::Int8 || x == DType::Float));
            (x == DType::Int8 ? cov.maxpool_int8 : cov.maxpool_dq) = true;
            const auto k = n.attr_ints("kernel_shape"), s = n.attr_ints("strides");
            REQUIRE(k.size() == 2);
            REQUIRE(s.size() == 2);
            CHECK(k[0] == k[1]);
            CHECK(s[0] == s[1]);
            cov.maxpool.insert({k[0], s[0]});
        } else if (n.op_type == "AveragePool") {
            CHECK(x == DType::Float);
            const auto k = n.attr_ints("kernel_shape");
            REQUIRE(k.size() == 2);
            CHECK(k[0] == k[1]);
            cov.avgpool_k.insert(k[0]);
        } else if (n.op_type == "GlobalAveragePool") {
            CHECK(x == DType::Float);
            ++cov.gap;
        } else if (n.op_type == "Relu") {
            CHECK(x == DType::Float);
            ++cov.relu;
        } else if (n.op_type == "LeakyRelu") {
            CHECK(x == DType::Float);
            const double alpha = n.attr_float("alpha", 0.01);
            CHECK(is_pow2(alpha));
            cov.leaky_alpha.insert(alpha);
        } else {
            FAIL("unexpected op " << n.op_type);
        }
        type[n.outputs[0]] = y;
    }
    CHECK_MESSAGE(type[g.nodes.back().inputs[0]] == DType::Int8, "the final tensor must be int8");

    cov.non_square |= H != W;
    cov.odd_sized |= H % 2 == 1 || W % 2 == 1;
    cov.colour |= C == 3;
    cov.mono |= all_one_channel && convs >= 2;
    cov.max_convs = std::max(cov.max_convs, convs);
    cov.big |= H == 48 && W == 24 && conv_channels == std::vector<int64_t>{16, 32, 64};
}

}  // namespace

TEST_CASE("zoo generation is deterministic: two runs write the same bytes") {
    TempDir a, b;
    const auto files_a = cnn::zoo::write_zoo(a.path.string(), cnn::zoo::build_zoo());
    const auto files_b = cnn::zoo::write_zoo(b.path.string(), cnn::zoo::build_zoo());
    CHECK(files_a == files_b);
    CHECK(files_in(a.path) == files_in(b.path));
    for (const auto& f : files_a) {
        INFO("file " << f);
        const std::string bytes = read_bytes(a.path / f);
        CHECK(!bytes.empty());
        CHECK(bytes == read_bytes(b.path / f));
    }
}

TEST_CASE("committed models/zoo equals a fresh generation (else run `make zoo`)") {
    REQUIRE_MESSAGE(fs::is_directory(kZooDir), kZooDir.string() << " is missing: run `make zoo`");
    TempDir fresh;
    const auto files = cnn::zoo::write_zoo(fresh.path.string(), cnn::zoo::build_zoo());
    CHECK_MESSAGE(files_in(kZooDir) == files_in(fresh.path),
                  "models/zoo holds other files than the generator writes: run `make zoo`, "
                  "remove stale files");
    for (const auto& f : files) {
        INFO("models/zoo/" << f << " differs from a fresh generation: run `make zoo`");
        CHECK(read_bytes(kZooDir / f) == read_bytes(fresh.path / f));
    }
}

TEST_CASE("every committed model loads, is well-formed QLinear form, and the zoo covers SPEC §1") {
    const auto paths = committed_models();
    REQUIRE(paths.size() >= 12);
    Coverage cov;
    for (const auto& p : paths) {
        const Graph g = cnn::onnx::load_model(p.string());
        check_model(g, p.filename().string(), cov);
    }
    CHECK(cov.conv_k.count(1));
    CHECK(cov.conv_k.count(2));
    CHECK(cov.conv_k.count(3));
    CHECK(cov.conv_k.count(5));
    CHECK(cov.conv_s == std::set<int64_t>{1, 2, 3});
    CHECK(cov.conv_p == std::set<int64_t>{0, 1});
    for (int64_t k : {2, 3})
        for (int64_t s : {1, 2, 3}) CHECK_MESSAGE(cov.maxpool.count({k, s}), "no max pool " << k << "/" << s);
    CHECK(cov.maxpool_int8);
    CHECK(cov.maxpool_dq);
    CHECK((cov.avgpool_k.count(2) || cov.avgpool_k.count(3)));
    CHECK(cov.gap >= 1);
    CHECK(cov.relu >= 1);
    CHECK(cov.conv_plain >= 1);
    CHECK(cov.leaky_alpha.count(0.125));
    CHECK(cov.leaky_alpha.size() >= 2);
    CHECK(cov.non_square);
    CHECK(cov.odd_sized);
    CHECK(cov.colour);
    CHECK(cov.odd_channels);
    CHECK(cov.mono);
    CHECK(cov.int8_input);
    CHECK(cov.uint8_input);
    CHECK(cov.max_convs >= 4);
    CHECK(cov.big);
    CHECK(cov.min_shift < 0);  // the left-shift branch of SPEC §2
}

TEST_CASE("outputs are spread: under 5% saturated per layer, small models stay small") {
    for (const auto& m : cnn::zoo::build_zoo()) {
        INFO("model " << m.spec.name);
        for (const auto& l : m.layers) {
            INFO("layer " << l.name);
            CHECK(l.saturated < 0.05);
            CHECK(l.zero < 0.75);  // not collapsed to zero either
            CHECK(l.shift == l.f_in + l.f_w - l.f_out);
        }
        if (m.spec.name.rfind("big_", 0) != 0) CHECK(m.macs() < 40000);
    }
}

TEST_CASE("under the ONNX interpreter, every committed conv saturates under 5% of outputs on random images") {
    std::mt19937 rng(2024);  // the sequence is fixed by the standard
    for (const auto& p : committed_models()) {
        const Graph g = cnn::onnx::load_model(p.string());
        std::map<std::string, int64_t> saturated, total;
        for (int image = 0; image < 4; ++image) {
            cnn::onnx::Tensor in;
            in.name = g.inputs[0].name;
            in.dtype = DType::Float;
            in.dims = g.inputs[0].dims;
            in.data.resize(in.size());
            for (auto& v : in.data) v = double(float(double(rng() % 256) / 255.0));  // SPEC §2: p / 255
            const auto values = cnn::onnx::run(g, {{in.name, in}}, true);
            for (const auto& n : g.nodes)
                if (n.op_type == "QLinearConv")
                    for (double v : values.at(n.outputs[0]).data) {
                        saturated[n.name] += v == 127 || v == -128;
                        ++total[n.name];
                    }
        }
        for (const auto& [conv, n] : total) {
            INFO(p.filename().string() << " " << conv << ": " << saturated[conv] << " of " << n << " at +-127/-128");
            CHECK(saturated[conv] * 20 < n);
        }
    }
}
