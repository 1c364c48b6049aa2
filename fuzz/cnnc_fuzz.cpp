// libFuzzer target over what `cnnc check` and `cnnc emit` do, in memory:
//   bytes -> onnx::parse_model (reader, ONNX checker, shape inference)
//         -> import_network + run_passes (importer, legality, lowering)
//         -> guard_network (resource guard)
//         -> plan_parallelism + build_design (VHDL top, package, manifest)
// A cnn::Error anywhere is a clean refusal; anything else (another
// exception, a crash, a sanitizer report, > 10 s) is a finding.
//
// Mutation: a quarter of the time libFuzzer's byte mutations; else a
// structure-aware one on the decoded graph (dims, attributes, element types,
// scales, node inputs and op types), re-serialised. Seeds: the zoo.
// Built and run by `make fuzz` (see the Makefile and fuzz/README.md).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "emit.hpp"
#include "error.hpp"
#include "import.hpp"
#include "onnx_graph.hpp"
#include "passes.hpp"
#include "resource_guard.hpp"

using namespace cnn;

namespace {

// How far inputs got, printed at exit: the figures of the closing note.
struct Counts {
    uint64_t inputs = 0, parsed = 0, checked = 0, emitted = 0;
    ~Counts() {
        std::fprintf(stderr,
                     "fuzz-counts: inputs %llu, read by the reader %llu, accepted by check %llu, emitted %llu\n",
                     (unsigned long long)inputs, (unsigned long long)parsed, (unsigned long long)checked,
                     (unsigned long long)emitted);
    }
} counts;

[[noreturn]] void finding(const char* what, const char* detail) {
    std::fprintf(stderr, "fuzz: %s: %s\n", what, detail);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ++counts.inputs;
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        onnx::Graph g = onnx::parse_model(bytes, "fuzz.onnx");
        ++counts.parsed;
        Network net = import_network(g, "fuzz.onnx");
        run_passes(net);
        guard_network(net, ResourceLimits{}, true);
        ++counts.checked;
        plan_parallelism(net);
        Design d = build_design(net);
        if (d.top_vhdl.empty() || d.manifest_json.empty()) finding("emit", "an empty design");
        ++counts.emitted;
    } catch (const Error&) {
        // a clean refusal: what cnnc prints as one line with exit 1
    } catch (const std::exception& e) {
        finding("internal error (an exception other than cnn::Error)", e.what());
    }
    return 0;
}

// ---------------------------------------------------------------- structure-aware mutation

namespace {

using Rng = std::mt19937_64;

template <class T>
const T& pick(Rng& rng, const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool coin(Rng& rng, int one_in) { return std::uniform_int_distribution<int>(0, one_in - 1)(rng) == 0; }

int64_t interesting_int(Rng& rng) {
    static const std::vector<int64_t> v = {0,  1,  2,  3,  4,  5,  7,  8,  11, 12, 16, 255, 256, -1, -2, 65535,
                                           int64_t(1) << 31, (int64_t(1) << 31) - 1, (int64_t(1) << 32) + 1,
                                           -(int64_t(1) << 31), INT64_MAX, INT64_MIN, 100000, 1000};
    if (coin(rng, 4)) return std::uniform_int_distribution<int64_t>(-16, 64)(rng);
    return pick(rng, v);
}

double interesting_scale(Rng& rng) {
    static const std::vector<double> v = {0.0, -1.0, 1.0, 0.5, 0.3, 1e-45, 1e-30, 1e30, 3.4e38, 0.0078125,
                                          0.00390625, 2.0, 1.0 / 3, std::nan(""), INFINITY, -INFINITY};
    if (coin(rng, 3)) return std::ldexp(1.0, std::uniform_int_distribution<int>(-40, 10)(rng));
    return pick(rng, v);
}

// Fits v into t's type (the writer refuses values that do not fit).
double fit(double v, onnx::DType t) {
    if (std::isnan(v)) v = 0;
    auto clampd = [&](double lo, double hi) { return std::floor(std::min(std::max(v, lo), hi)); };
    switch (t) {
        case onnx::DType::Int8: return clampd(-128, 127);
        case onnx::DType::UInt8: return clampd(0, 255);
        case onnx::DType::Bool: return clampd(0, 1);
        case onnx::DType::Int32: return clampd(-2147483648.0, 2147483647.0);
        case onnx::DType::Int64: return clampd(-9.2e18, 9.2e18);
        default: return v;
    }
}

// Element counts kept small so that mutated tensors stay small inputs.
constexpr int64_t kMaxMutatedElements = 1 << 16;

void resize_data(onnx::Tensor& t, Rng& rng) {
    int64_t n = 1;
    for (int64_t d : t.dims) {
        if (d < 0 || d > kMaxMutatedElements || (d && n > kMaxMutatedElements / d)) {
            n = -1;
            break;
        }
        n *= d;
    }
    if (n < 0 || n > kMaxMutatedElements) {  // keep the hostile dims, give them a wrapped-size body
        size_t wrapped = t.size();
        t.data.assign(wrapped <= size_t(kMaxMutatedElements) ? wrapped : 0, 0.0);
        if (wrapped > size_t(kMaxMutatedElements)) t.dims = {0};
        return;
    }
    const size_t old = t.data.size();
    t.data.resize(size_t(n));
    for (size_t i = old; i < t.data.size(); ++i)
        t.data[i] = fit(double(std::uniform_int_distribution<int>(-128, 127)(rng)), t.dtype);
}

std::vector<std::string> value_names(const onnx::Graph& g) {
    std::vector<std::string> v = {""};
    for (const auto& in : g.inputs) v.push_back(in.name);
    for (const auto& [name, t] : g.initializers) v.push_back(name);
    for (const auto& n : g.nodes)
        for (const auto& o : n.outputs) v.push_back(o);
    return v;
}

void mutate_graph(onnx::Graph& g, Rng& rng) {
    static const std::vector<std::string> ops = {
        "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "Conv", "MatMul", "Gemm",
        "Relu", "LeakyRelu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape",
        "Squeeze", "Add", "QLinearAdd", "Softmax", "Identity", "Dropout", "Pad", "ReduceMean", "Constant",
        "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearLeakyRelu", "BatchNormalization", "Concat"};
    static const std::vector<std::string> attrs = {"strides", "pads", "kernel_shape", "dilations", "group",
                                                   "alpha", "beta", "axis", "transA", "transB", "auto_pad",
                                                   "ceil_mode", "count_include_pad", "keepdims", "axes"};
    static const std::vector<onnx::DType> dtypes = {onnx::DType::Float, onnx::DType::Int8, onnx::DType::UInt8,
                                                    onnx::DType::Int32, onnx::DType::Int64, onnx::DType::Double,
                                                    onnx::DType::Bool};
    const int what = std::uniform_int_distribution<int>(0, 9)(rng);
    if (what <= 1 && !g.initializers.empty()) {  // a dim of an initializer
        auto it = std::next(g.initializers.begin(),
                            long(std::uniform_int_distribution<size_t>(0, g.initializers.size() - 1)(rng)));
        onnx::Tensor& t = it->second;
        if (t.dims.empty() || coin(rng, 8)) t.dims.push_back(interesting_int(rng));
        else t.dims[std::uniform_int_distribution<size_t>(0, t.dims.size() - 1)(rng)] = interesting_int(rng);
        resize_data(t, rng);
    } else if (what == 2 && !g.inputs.empty()) {  // a dim of the graph input
        auto& dims = g.inputs[0].dims;
        if (dims.empty() || coin(rng, 8)) dims.push_back(interesting_int(rng));
        else dims[std::uniform_int_distribution<size_t>(0, dims.size() - 1)(rng)] = interesting_int(rng);
    } else if (what <= 4 && !g.nodes.empty()) {  // an attribute
        onnx::Node& n = g.nodes[std::uniform_int_distribution<size_t>(0, g.nodes.size() - 1)(rng)];
        const std::string name = pick(rng, attrs);
        onnx::Attribute& a = n.attrs[name];
        switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
            case 0: a = onnx::Attribute::integer(interesting_int(rng)); break;
            case 1: a = onnx::Attribute::real(interesting_scale(rng)); break;
            case 2: {
                std::vector<int64_t> v(std::uniform_int_distribution<size_t>(0, 5)(rng));
                for (auto& x : v) x = interesting_int(rng);
                a = onnx::Attribute::integers(v);
                break;
            }
            default: {
                a.kind = onnx::Attribute::Kind::String;
                static const std::vector<std::string> s = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "", "\xff\n"};
                a.s = pick(rng, s);
            }
        }
    } else if (what == 5 && !g.initializers.empty()) {  // an element type
        auto it = std::next(g.initializers.begin(),
                            long(std::uniform_int_distribution<size_t>(0, g.initializers.size() - 1)(rng)));
        it->second.dtype = pick(rng, dtypes);
        for (double& v : it->second.data) v = fit(v, it->second.dtype);
    } else if (what == 6 && !g.initializers.empty()) {  // a scale / value
        auto it = std::next(g.initializers.begin(),
                            long(std::uniform_int_distribution<size_t>(0, g.initializers.size() - 1)(rng)));
        onnx::Tensor& t = it->second;
        if (!t.data.empty()) {
            double& v = t.data[std::uniform_int_distribution<size_t>(0, t.data.size() - 1)(rng)];
            v = fit(t.dtype == onnx::DType::Float || t.dtype == onnx::DType::Double ? interesting_scale(rng)
                                                                                   : double(interesting_int(rng)),
                    t.dtype);
        }
    } else if (what == 7 && !g.nodes.empty()) {  // a node input
        onnx::Node& n = g.nodes[std::uniform_int_distribution<size_t>(0, g.nodes.size() - 1)(rng)];
        const auto names = value_names(g);
        if (n.inputs.empty() || coin(rng, 4)) n.inputs.push_back(pick(rng, names));
        else if (coin(rng, 3)) n.inputs.pop_back();
        else n.inputs[std::uniform_int_distribution<size_t>(0, n.inputs.size() - 1)(rng)] = pick(rng, names);
    } else if (what == 8 && !g.nodes.empty()) {  // an op type
        g.nodes[std::uniform_int_distribution<size_t>(0, g.nodes.size() - 1)(rng)].op_type = pick(rng, ops);
    } else if (!g.nodes.empty()) {  // a node removed, duplicated or renamed
        const size_t i = std::uniform_int_distribution<size_t>(0, g.nodes.size() - 1)(rng);
        switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
            case 0: g.nodes.erase(g.nodes.begin() + long(i)); break;
            case 1: g.nodes.insert(g.nodes.begin() + long(i), g.nodes[i]); break;
            default: g.nodes[i].name = coin(rng, 2) ? std::string("\xc3\x28\n\x01name") : std::string(300, 'n');
        }
    }
}

// CNN_FUZZ_MODE=legal: mutations that keep a legal model legal (the values of
// the integer weights and biases, a LeakyRelu's alpha among 2^-1..2^-7), so
// that nearly every input goes the whole way through emit: ROM packing,
// saturation, rounding edges, the planner on new weights.
void mutate_legal(onnx::Graph& g, Rng& rng) {
    std::vector<onnx::Tensor*> ints;
    for (auto& [name, t] : g.initializers)
        if ((t.dtype == onnx::DType::Int8 || t.dtype == onnx::DType::Int32) && t.data.size() > 1) ints.push_back(&t);
    if (!ints.empty()) {
        onnx::Tensor& t = *pick(rng, ints);
        const int n = std::uniform_int_distribution<int>(1, 16)(rng);
        for (int i = 0; i < n; ++i) {
            double& v = t.data[std::uniform_int_distribution<size_t>(0, t.data.size() - 1)(rng)];
            v = t.dtype == onnx::DType::Int8 ? double(std::uniform_int_distribution<int>(-128, 127)(rng))
                                             : fit(double(interesting_int(rng)) * 1000, t.dtype);
        }
    }
    for (auto& n : g.nodes)
        if (n.op_type == "LeakyRelu" && coin(rng, 4))
            n.attrs["alpha"] = onnx::Attribute::real(std::ldexp(1.0, -std::uniform_int_distribution<int>(1, 7)(rng)));
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
    Rng rng(seed);
    static const bool legal = std::getenv("CNN_FUZZ_MODE") && std::string(std::getenv("CNN_FUZZ_MODE")) == "legal";
    if (!legal && coin(rng, 4)) return LLVMFuzzerMutate(data, size, max_size);
    try {
        onnx::Graph g = onnx::parse_model(std::string(reinterpret_cast<const char*>(data), size), "mutant",
                                          /*onnx_checks=*/false);
        if (legal) {
            mutate_legal(g, rng);
            const std::string out = onnx::serialize_model(g);
            if (out.size() > max_size) return size;
            std::memcpy(data, out.data(), out.size());
            return out.size();
        }
        const int rounds = std::uniform_int_distribution<int>(1, 3)(rng);
        for (int i = 0; i < rounds; ++i) mutate_graph(g, rng);
        // The stated output shape would make shape inference refuse most
        // mutants before the importer sees them: leave it to inference.
        if (!coin(rng, 5))
            for (auto& out : g.outputs)
                for (int64_t& d : out.dims) d = -1;
        const std::string out = onnx::serialize_model(g);
        if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
        std::memcpy(data, out.data(), out.size());
        return out.size();
    } catch (const std::exception&) {
        return LLVMFuzzerMutate(data, size, max_size);
    }
}
