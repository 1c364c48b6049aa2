// onnxruntime as the third reference (SPEC §2: the hardware equals
// onnxruntime's CPU result, default session options). scripts/ort/run.js runs
// each model file in onnxruntime-node; the same 8-bit images (random ones plus
// an all-0 and an all-255 image) go to the project's own references:
//
//   * quantized models (every zoo model, models/lenet.onnx, lenet_qdq.onnx):
//     the integer golden model (load_network, quantize_input, run_network).
//     onnxruntime's float output after the final DequantizeLinear must equal
//     float32((q - zero_point) * scale) of the golden int output, bit for bit.
//   * float PyTorch models (models/pytorch/*.onnx): the float interpreter
//     (interp.hpp) within a small tolerance; then the model is quantized as
//     `cnnc quantize` does (quantize_model, random calibration images, both
//     spellings), and the quantized file is compared exactly as above.
//
// Where onnxruntime has no kernel for a spelling (its QLinearConv takes
// uint8 -> uint8 and int8 -> int8, not the uint8 -> int8 of the zoo), the
// model is rewritten into the op's ONNX definition (DequantizeLinear x, w, bias
// -> Conv -> QuantizeLinear) and that runs in onnxruntime instead; the test
// says so for each such model.
//
// Graph input (SPEC §2): pixel p -> x = float32(p / 255) NCHW for a float
// input; p itself for a uint8 input (int8: min(p, 127), as quantize_input).
//
// Each case prints its figures (models, images, values compared, differences).
// Every difference fails, naming model, image, output index and both values.
// A PyTorch model that the importer or quantizer refuses today is listed in
// kKnownRefusals with the refusal it gets; a listed refusal that no longer
// happens fails too, so the list only shrinks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "exec.hpp"
#include "import.hpp"
#include "interp.hpp"
#include "quantize.hpp"
#include "requant.hpp"
#include "run_command.hpp"
#include "images.hpp"
#include "jobs.hpp"

namespace fs = std::filesystem;
using namespace cnn;

namespace {

constexpr int kRandomImages = 6;  // per model, plus all-0 and all-255
constexpr int kCalibImages = 32;  // calibration images for the PyTorch models
// Float outputs of the interpreter (double inside) against onnxruntime (float32):
// |ort - interp| <= kAbsTol + kRelTol * |interp|.
constexpr double kAbsTol = 1e-5, kRelTol = 1e-4;

// (model stem, stage) -> a substring of the refusal it gets today. Stages:
// "interp" (the float interpreter), "quantize" (quantize_model, either spelling).
// Today's importer and quantizer (before the front-door rewrite) refuse these.
const std::map<std::pair<std::string, std::string>, std::string> kKnownRefusals = {};

fs::path source(const std::string& rel) { return fs::path(CNN_SOURCE_DIR) / rel; }

fs::path scratch_dir() {
    fs::path d = fs::path(CNN_BINARY_DIR) / "ort_tests";
    fs::create_directories(d);
    return d;
}

std::vector<std::string> onnx_files(const fs::path& dir) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".onnx") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

// kRandomImages seeded random images, then all-0 and all-255; HWC pixels.
std::vector<std::vector<uint8_t>> test_images(size_t pixels, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::vector<uint8_t>> imgs;
    for (int i = 0; i < kRandomImages + 2; ++i) {
        std::vector<uint8_t> px(pixels);
        for (auto& p : px) p = i == kRandomImages ? 0 : i == kRandomImages + 1 ? 255 : uint8_t(rng() & 0xff);
        imgs.push_back(std::move(px));
    }
    return imgs;
}

// A value with every digit a float32 or a double needs.
std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string image_name(size_t i) {
    if (i == size_t(kRandomImages)) return "all-0";
    if (i == size_t(kRandomImages) + 1) return "all-255";
    return "random " + std::to_string(i);
}

// What run.js returned: per image, per graph output, the values (as double:
// exact for every float32 and 8-bit value).
struct OrtResult {
    int code = 0;             // run.js exit code: 0 ran, 3 onnxruntime refused the model
    std::string message;      // its output on failure
    std::vector<std::string> output_names;
    std::vector<std::vector<int64_t>> output_dims;
    std::vector<std::vector<std::vector<double>>> values;  // [image][output][index]
};

template <typename T>
double read_as(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return double(v);
}

// Run `model` in onnxruntime on images given as HWC pixels of a [1, C, H, W]
// input whose element type is in_dtype.
OrtResult run_ort(const std::string& model, onnx::DType in_dtype, int C, int H, int W,
                  const std::vector<std::vector<uint8_t>>& images) {
    const fs::path dir = scratch_dir();
    const std::string stem = fs::path(model).stem().string();
    const fs::path in_file = dir / (stem + ".in.bin"), out_file = dir / (stem + ".out.bin");
    {
        std::ofstream os(in_file, std::ios::binary);
        for (const auto& px : images)
            for (int c = 0; c < C; ++c)
                for (int y = 0; y < H; ++y)
                    for (int x = 0; x < W; ++x) {
                        const uint8_t p = px[(size_t(y) * W + x) * C + c];
                        if (in_dtype == onnx::DType::Float) {
                            const float v = float(p * (1.0 / 255.0));
                            os.write(reinterpret_cast<const char*>(&v), sizeof v);
                        } else {
                            const char b = in_dtype == onnx::DType::Int8 ? char(std::min<int>(p, 127)) : char(p);
                            os.put(b);
                        }
                    }
    }
    OrtResult r;
    const std::string cmd = "node '" + source("scripts/ort/run.js").string() + "' '" + model + "' '" +
                            in_file.string() + "' '" + out_file.string() + "'";
    // The capture file carries the pid: other builds may run this test at the same time.
    auto res = test::run_command(cmd, "cnn_ort_" + std::to_string(::getpid()) + "_" + stem + ".log");
    r.code = res.code;
    r.message = res.out;
    if (r.code != 0) return r;
    const auto meta = nlohmann::json::parse(res.out.substr(0, res.out.find('\n')));
    std::ifstream is(out_file, std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
    size_t at = 0;
    r.values.resize(size_t(meta.at("images").get<int>()));
    for (auto& per_image : r.values)
        for (const auto& o : meta.at("outputs")) {
            const std::string type = o.at("type");
            size_t n = 1;
            std::vector<int64_t> dims;
            for (const auto& d : o.at("dims")) {
                dims.push_back(d.get<int64_t>());
                n *= size_t(d.get<int64_t>());
            }
            if (&per_image == &r.values.front()) {
                r.output_names.push_back(o.at("name"));
                r.output_dims.push_back(dims);
            }
            const size_t width = type == "float32" || type == "int32" ? 4 : type == "uint8" || type == "int8" ? 1 : 0;
            REQUIRE_MESSAGE(width != 0, model << ": output type " << type << " not handled by the test");
            REQUIRE(at + n * width <= raw.size());
            std::vector<double> v(n);
            for (size_t i = 0; i < n; ++i, at += width) {
                const char* p = raw.data() + at;
                v[i] = type == "float32" ? read_as<float>(p)
                       : type == "int32" ? read_as<int32_t>(p)
                       : type == "uint8" ? read_as<uint8_t>(p)
                                         : read_as<int8_t>(p);
            }
            per_image.push_back(std::move(v));
        }
    CHECK(at == raw.size());
    return r;
}

// The figures of one test case.
struct Figures {
    int models = 0, images = 0;
    int64_t values = 0, differences = 0;
    std::vector<std::string> notes;

    void print(const std::string& what) const {
        std::cout << "onnxruntime vs " << what << ": " << models << " models, " << images << " images, " << values
                  << " values compared, " << differences << " differences\n";
        for (const auto& n : notes) std::cout << "  " << n << "\n";
    }
};

// Every QLinearConv replaced by its ONNX definition: DequantizeLinear of x and
// w (and of the int32 bias at scale x_scale * w_scale, zero point 0) -> Conv
// with the same attributes -> QuantizeLinear at y_scale, y_zero_point.
// Per-tensor scales only (the zoo's); anything else fails the test.
onnx::Graph qlinearconv_as_qdq(const onnx::Graph& g) {
    onnx::Graph out = g;
    out.nodes.clear();
    for (const onnx::Node& n : g.nodes) {
        if (n.op_type != "QLinearConv") {
            out.nodes.push_back(n);
            continue;
        }
        const auto& in = n.inputs;  // x x_s x_zp w w_s w_zp y_s y_zp [B]
        REQUIRE(in.size() >= 8);
        const onnx::Tensor* xs = g.initializer(in[1]);
        const onnx::Tensor* ws = g.initializer(in[4]);
        REQUIRE(xs);
        REQUIRE(ws);
        REQUIRE_MESSAGE(ws->size() == 1, n.name << ": per-channel weight scales not handled by the rewrite");
        auto dq = [&](const std::string& name, std::vector<std::string> ins) {
            onnx::Node d;
            d.name = n.name + "_" + name;
            d.op_type = "DequantizeLinear";
            d.inputs = std::move(ins);
            d.outputs = {d.name};
            out.nodes.push_back(d);
            return d.outputs[0];
        };
        onnx::Node conv;
        conv.name = n.name + "_conv";
        conv.op_type = "Conv";
        conv.attrs = n.attrs;
        conv.inputs = {dq("dqx", {in[0], in[1], in[2]}), dq("dqw", {in[3], in[4], in[5]})};
        if (in.size() > 8 && !in[8].empty()) {
            const std::string bs = n.name + "_bias_scale", bz = n.name + "_bias_zp";
            out.initializers[bs] = onnx::Tensor::make(bs, onnx::DType::Float, {}, {double(float(xs->data[0] * ws->data[0]))});
            out.initializers[bz] = onnx::Tensor::make(bz, onnx::DType::Int32, {}, {0.0});
            conv.inputs.push_back(dq("dqb", {in[8], bs, bz}));
        }
        conv.outputs = {conv.name};
        out.nodes.push_back(conv);
        onnx::Node q;
        q.name = n.name + "_q";
        q.op_type = "QuantizeLinear";
        q.inputs = {conv.name, in[6], in[7]};
        q.outputs = n.outputs;
        out.nodes.push_back(q);
    }
    out.value_info.clear();
    return out;
}

// A quantized model file against the golden model, exactly. Returns false
// (with the reason in f.notes) when onnxruntime cannot run it even rewritten.
void compare_quantized(const std::string& file, const std::string& label, unsigned seed, Figures& f) {
    CAPTURE(label);
    const Network net = load_network(file);
    const onnx::Graph g = onnx::load_model(file);
    const auto images = test_images(size_t(net.input.size()), seed);

    // The float tensor after the final DequantizeLinear; made a graph output
    // when something (a Softmax) follows it.
    // (PyTorch puts a Cast to the same type between them.)
    std::string dq_out, q_out = net.output_q.tensor;
    for (const auto& n : g.nodes)
        if (n.op_type == "Cast" && !n.inputs.empty() && n.inputs[0] == q_out) q_out = n.outputs.at(0);
    for (const auto& n : g.nodes)
        if (n.op_type == "DequantizeLinear" && !n.inputs.empty() &&
            (n.inputs[0] == net.output_q.tensor || n.inputs[0] == q_out))
            dq_out = n.outputs.at(0);
    REQUIRE_MESSAGE(!dq_out.empty(), label << ": no DequantizeLinear of " << net.output_q.tensor);
    // A float tail (SPEC §2: float ops after the last DequantizeLinear, no
    // QuantizeLinear) ends in onnxruntime's float value, which the hardware
    // rounds once at the DequantizeLinear's scale: compared as
    // q == clamp(RNE(value / scale) + zero_point) instead of bit for bit.
    bool float_tail = false;
    for (const auto& n : g.nodes)
        if (!n.inputs.empty() && n.inputs[0] == dq_out && n.op_type != "Softmax") float_tail = true;
    if (float_tail) dq_out = g.outputs.at(0).name;
    onnx::Graph for_ort = g;
    bool rewritten = false;
    if (g.outputs.at(0).name != dq_out) {
        onnx::ValueInfo vi{dq_out, onnx::DType::Float, {}};
        if (g.value_info.count(dq_out)) vi = g.value_info.at(dq_out);
        for_ort.outputs = {vi};
    }
    const fs::path path = scratch_dir() / (label + ".ort.onnx");
    onnx::save_model(for_ort, path.string());
    const onnx::DType in_dtype = g.inputs.at(0).dtype;
    OrtResult ort = run_ort(path.string(), in_dtype, net.input.c, net.input.h, net.input.w, images);
    if (ort.code == 3 && ort.message.find("Could not find an implementation for QLinearConv") != std::string::npos) {
        for_ort = qlinearconv_as_qdq(for_ort);
        onnx::save_model(for_ort, path.string());
        ort = run_ort(path.string(), in_dtype, net.input.c, net.input.h, net.input.w, images);
        rewritten = true;
    }
    REQUIRE_MESSAGE(ort.code == 0, label << ": onnxruntime: " << ort.message);
    if (rewritten) {
        std::string types;  // the element types of the first QLinearConv, as shape inference states them
        for (const auto& n : g.nodes)
            if (n.op_type == "QLinearConv" && types.empty()) {
                auto dt = [&](const std::string& v) {
                    return g.value_info.count(v) ? onnx::dtype_name(g.value_info.at(v).dtype) : "?";
                };
                types = std::string(dt(n.inputs[0])) + " x, " + dt(n.inputs[3]) + " w -> " + dt(n.outputs[0]) + " y";
            }
        f.notes.push_back(label + ": onnxruntime has no QLinearConv kernel for " + types +
                          "; compared on QLinearConv's ONNX definition DequantizeLinear -> Conv -> QuantizeLinear");
    }
    const size_t out_idx = size_t(std::find(ort.output_names.begin(), ort.output_names.end(), dq_out) -
                                  ort.output_names.begin());
    REQUIRE(out_idx < ort.output_names.size());

    ++f.models;
    int64_t model_diffs = 0;
    for (size_t i = 0; i < images.size(); ++i) {
        const QTensor q = run_network(net, quantize_input(net, images[i])).back();
        const std::vector<double>& got = ort.values.at(i).at(out_idx);
        REQUIRE_MESSAGE(got.size() == q.data.size(), label << ": onnxruntime gives " << got.size()
                                                           << " values, the golden model " << q.data.size());
        const Shape s = q.shape;
        for (int c = 0; c < s.c; ++c)
            for (int y = 0; y < s.h; ++y)
                for (int x = 0; x < s.w; ++x) {
                    const size_t idx = (size_t(c) * s.h + y) * s.w + x;  // NCHW, as onnxruntime
                    // The stream carries a uint8 output as u - 128.
                    const int qv = q.at(y, x, c) + (net.output_unsigned ? 128 : 0);
                    const float want = float(float(qv - net.output_q.zero_point) * float(net.output_q.scale));
                    const double rounded = std::clamp(onnx::round_half_even(got[idx] / net.output_q.scale) +
                                                          net.output_q.zero_point,
                                                      net.output_unsigned ? 0.0 : -128.0,
                                                      net.output_unsigned ? 255.0 : 127.0);
                    ++f.values;
                    if (float_tail ? rounded != qv : float(got[idx]) != want) {
                        ++f.differences;
                        if (model_diffs++ < 8)
                            FAIL_CHECK(label << ", image " << image_name(i) << ", output index " << idx
                                             << " (channel " << c << " row " << y << " col " << x
                                             << "): onnxruntime " << num(got[idx]) << ", golden model " << num(want)
                                             << " (q = " << qv << ")");
                    }
                }
    }
    f.images += int(images.size());
}

// A float-scale model written by the quantizer (its final DequantizeLinear is
// named output_dq) in onnxruntime against the interpreter on the same graph,
// on `images`: the output of that DequantizeLinear in units of its scale.
// Adds to values / exact (|difference| < 1e-3 steps); returns the largest
// difference in steps.
double ort_against_interpreter(const std::string& qfile, const std::string& label,
                               const std::vector<std::vector<uint8_t>>& images, int64_t& values, int64_t& exact) {
    const onnx::Graph g = onnx::load_model(qfile);  // ONNX's shape inference states every shape
    const onnx::Node* dq = nullptr;
    for (const auto& n : g.nodes)
        if (n.name == "output_dq") dq = &n;
    REQUIRE_MESSAGE(dq, label << ": no node output_dq");
    REQUIRE(g.value_info.count(dq->outputs[0]));
    const double out_scale = g.initializer(dq->inputs[1])->data.at(0);
    onnx::Graph for_ort = g;
    for_ort.outputs = {g.value_info.at(dq->outputs[0])};
    const std::string ort_file = (scratch_dir() / (label + ".ort.onnx")).string();
    onnx::save_model(for_ort, ort_file);
    const int C = int(g.inputs[0].dims[1]), H = int(g.inputs[0].dims[2]), W = int(g.inputs[0].dims[3]);
    const OrtResult ort = run_ort(ort_file, onnx::DType::Float, C, H, W, images);
    REQUIRE_MESSAGE(ort.code == 0, label << ": onnxruntime: " << ort.message);
    double worst = 0.0;
    for (size_t i = 0; i < images.size(); ++i) {
        const auto v = onnx::run(g, {{g.inputs[0].name, float_graph_input(g, images[i])}}, true);
        const std::vector<double>& want = v.at(dq->outputs[0]).data;
        const std::vector<double>& got = ort.values.at(i).at(0);
        REQUIRE(want.size() == got.size());
        for (size_t k = 0; k < want.size(); ++k) {
            const double d = std::fabs(got[k] - want[k]) / out_scale;  // in quantization steps
            worst = std::max(worst, d);
            ++values;
            exact += d < 1e-3;
        }
    }
    return worst;
}

}  // namespace

TEST_CASE("ort: onnxruntime equals the golden model bit for bit on every zoo model, spelling model and LeNet") {
    std::vector<std::string> files = onnx_files(source("models/zoo"));
    REQUIRE(files.size() >= 10);
    const std::vector<std::string> spellings = onnx_files(source("models/spellings"));
    REQUIRE(spellings.size() >= 8);
    files.insert(files.end(), spellings.begin(), spellings.end());
    const std::vector<std::string> quantized = onnx_files(source("models/quantized"));
    REQUIRE(quantized.size() >= 4);
    files.insert(files.end(), quantized.begin(), quantized.end());
    // MLPerf-Tiny-class networks (residual, depthwise) quantized by cnnc quantize.
    for (const std::string& m : onnx_files(source("models/mlperf")))
        if (m.find("_q_") != std::string::npos) files.push_back(m);
    files.push_back(source("models/lenet.onnx").string());
    files.push_back(source("models/lenet_qdq.onnx").string());
    Figures f;
    unsigned seed = 100;
    for (const auto& file : files) compare_quantized(file, fs::path(file).stem().string(), seed++, f);
    f.print("golden model (zoo, spellings, LeNet)");
    CHECK(f.models == int(files.size()));
    CHECK(f.differences == 0);
}

TEST_CASE("ort: PyTorch float models against the interpreter, quantized ones against the golden model") {
    std::vector<std::string> files = onnx_files(source("models/pytorch"));
    REQUIRE(files.size() >= 7);
    files.push_back(source("models/lenet_float.onnx").string());  // exported by models/train_lenet.py
    Figures ff, fq;
    std::vector<std::string> table;
    std::map<std::pair<std::string, std::string>, bool> refusal_seen;
    unsigned seed = 500;
    double worst = 0.0;
    for (const auto& file : files) {
        const std::string stem = fs::path(file).stem().string();
        CAPTURE(stem);
        const onnx::Graph g = onnx::load_model(file);
        REQUIRE(g.inputs.size() == 1);
        REQUIRE(g.inputs[0].dims.size() == 4);
        const int C = int(g.inputs[0].dims[1]), H = int(g.inputs[0].dims[2]), W = int(g.inputs[0].dims[3]);
        const auto images = test_images(size_t(C) * H * W, seed++);
        std::vector<std::string> failures;
        // A refusal: expected when listed (the reason must match), a failure otherwise.
        auto refused = [&](const std::string& stage, const std::string& what) {
            failures.push_back(stage + ": " + what);
            auto it = kKnownRefusals.find({stem, stage});
            if (it == kKnownRefusals.end()) {
                FAIL_CHECK(stem << ": " << stage << " refuses it: " << what);
            } else {
                refusal_seen[it->first] = true;
                CHECK_MESSAGE(what.find(it->second) != std::string::npos,
                              stem << ": " << stage << " refuses it with '" << what << "', listed as '" << it->second
                                   << "'");
            }
        };

        // 1. float: onnxruntime against the interpreter.
        OrtResult ort = run_ort(file, g.inputs[0].dtype, C, H, W, images);
        REQUIRE_MESSAGE(ort.code == 0, stem << ": onnxruntime: " << ort.message);
        try {
            ++ff.models;
            for (size_t i = 0; i < images.size(); ++i) {
                auto out = onnx::run(g, {{g.inputs[0].name, float_graph_input(g, images[i])}});
                const std::vector<double>& want = out.at(g.outputs.at(0).name).data;
                const std::vector<double>& got = ort.values.at(i).at(0);
                REQUIRE(want.size() == got.size());
                for (size_t k = 0; k < want.size(); ++k) {
                    ++ff.values;
                    const double d = std::fabs(got[k] - want[k]);
                    worst = std::max(worst, d / (kAbsTol + kRelTol * std::fabs(want[k])));
                    if (d > kAbsTol + kRelTol * std::fabs(want[k])) {
                        ++ff.differences;
                        FAIL_CHECK(stem << ", image " << image_name(i) << ", output index " << k << ": onnxruntime "
                                        << num(got[k]) << ", interpreter " << num(want[k]));
                    }
                }
                ++ff.images;
            }
        } catch (const Error& e) {
            --ff.models;
            refused("interp", e.what());
        }

        // 2. quantized as `cnnc quantize` does, both spellings: onnxruntime against the golden model.
        std::mt19937 rng(seed * 7);
        std::vector<std::vector<uint8_t>> calib(kCalibImages, std::vector<uint8_t>(size_t(C) * H * W));
        for (auto& im : calib)
            for (auto& p : im) p = uint8_t(rng() & 0xff);
        for (bool qdq : {false, true}) {
            const std::string label = stem + (qdq ? "_qdq" : "_qlinear");
            QuantizeOptions opt;
            opt.qdq = qdq;
            std::string qfile = (scratch_dir() / (label + ".onnx")).string();
            try {
                QuantizeResult r = quantize_model(g, calib, opt, file);
                onnx::save_model(r.graph, qfile);
            } catch (const Error& e) {
                refused("quantize", std::string(qdq ? "--qdq: " : "") + e.what());
                qfile.clear();
            }
            if (!qfile.empty()) compare_quantized(qfile, label, seed * 13 + qdq, fq);
        }
        std::string line = stem + ": " + (failures.empty() ? "pass" : "FAIL (refused; listed in kKnownRefusals)");
        for (const auto& why : failures) line += "\n      " + why;
        table.push_back(line);
    }
    for (const auto& [key, reason] : kKnownRefusals)
        CHECK_MESSAGE(refusal_seen.count(key), key.first << ": listed as refused by " << key.second
                                                         << " but it is not (any more): remove it from the list");
    char buf[96];
    std::snprintf(buf, sizeof buf, "worst float difference %.3g of the tolerance", worst);
    ff.notes.push_back(buf);
    ff.print("float interpreter (PyTorch models)");
    fq.print("golden model (PyTorch models quantized, QLinear and QDQ)");
    std::cout << "PyTorch models:\n";
    for (const auto& line : table) std::cout << "  " << line << "\n";
    CHECK(ff.differences == 0);
    CHECK(fq.differences == 0);
}

// The float-scale modes of the quantizer (quantize.hpp: --scales float,
// --per-channel, --activations, --asymmetric, --calibration) on every PyTorch
// model and the float LeNet: onnxruntime must load and run each written
// file. Its output (the tensor after the final DequantizeLinear, in units of
// that scale) is compared with the interpreter's on the same QDQ graph (the
// interpreter evaluates float segments in double and QuantizeLinear in
// float32, as onnxruntime: on these files every value agrees, which is
// required). Every file the importer takes (those the hardware can build) is
// also compared bit for bit with the golden model, as every quantized model
// is above; the others are listed with the importer's refusal.
TEST_CASE("ort: every float-scale quantizer mode loads and runs in onnxruntime") {
    std::vector<std::string> files = onnx_files(source("models/pytorch"));
    REQUIRE(files.size() >= 7);
    files.push_back(source("models/lenet_float.onnx").string());
    struct Mode {
        const char* name;
        bool per_channel, u8, asym;
        Calibration method;
    };
    const Mode modes[] = {{"pt_int8_sym_minmax", false, false, false, Calibration::Max},
                          {"pc_uint8_asym_percentile", true, true, true, Calibration::Percentile},
                          {"pc_int8_asym_entropy", true, false, true, Calibration::Entropy},
                          {"pt_uint8_sym_mse", false, true, false, Calibration::Mse}};
    Figures fg;  // against the golden model, once the importer reads them
    int runs = 0, imported = 0;
    int64_t values = 0, exact = 0;
    std::map<std::string, int64_t> mode_exact, mode_values;
    double worst = 0.0;
    unsigned seed = 900;
    for (const auto& file : files) {
        const std::string stem = fs::path(file).stem().string();
        const onnx::Graph g = onnx::load_model(file);
        const int C = int(g.inputs[0].dims[1]), H = int(g.inputs[0].dims[2]), W = int(g.inputs[0].dims[3]);
        const auto images = test_images(size_t(C) * H * W, seed++);
        std::mt19937 rng(seed * 7);
        std::vector<std::vector<uint8_t>> calib(kCalibImages, std::vector<uint8_t>(size_t(C) * H * W));
        for (auto& im : calib)
            for (auto& p : im) p = uint8_t(rng() & 0xff);
        for (const Mode& m : modes) {
            const std::string label = stem + "_" + m.name;
            CAPTURE(label);
            QuantizeOptions opt;
            opt.scales = ScaleKind::Float;
            opt.per_channel = m.per_channel;
            opt.activations_uint8 = m.u8;
            opt.asymmetric = m.asym;
            opt.method = m.method;
            const QuantizeResult r = quantize_graph(g, calib, opt, file);
            const std::string qfile = (scratch_dir() / (label + ".onnx")).string();
            onnx::save_model(r.graph, qfile);
            int64_t model_exact = 0, model_values = 0;
            worst = std::max(worst, ort_against_interpreter(qfile, label, images, model_values, model_exact));
            ++runs;
            values += model_values;
            exact += model_exact;
            CHECK_MESSAGE(model_exact == model_values,
                          label << ": only " << model_exact << " of " << model_values << " values equal");
            mode_exact[m.name] += model_exact;
            mode_values[m.name] += model_values;
            // Bit for bit against the golden model once the importer reads the file.
            bool loads = true;
            try {
                (void)load_network(qfile);
            } catch (const Error& e) {
                loads = false;
                fg.notes.push_back(label + ": not imported: " + std::string(e.what()).substr(0, 160));
            }
            if (loads) {
                ++imported;
                compare_quantized(qfile, label, seed * 17, fg);
            }
        }
    }
    std::cout << "onnxruntime vs interpreter (float-scale quantizer modes): " << runs << " models ran, " << values
              << " values compared, " << exact << " equal, largest difference " << worst << " steps\n";
    for (const Mode& m : modes)
        std::cout << "  " << m.name << ": " << mode_exact[m.name] << " of " << mode_values[m.name] << " equal\n";
    if (imported == 0)
        std::cout << "  golden model: not compared (the importer does not read float scales yet)\n";
    else
        fg.print("golden model (float-scale quantizer modes)");
    CHECK(runs == int(files.size() * std::size(modes)));
    CHECK(worst < 0.01);
    CHECK(imported * 2 >= runs);
    CHECK(fg.differences == 0);
}

// The committed Fashion-MNIST model (make fashion: float scales, per-channel
// weights, uint8 asymmetric activations) runs in onnxruntime and equals the
// interpreter on every value of 8 images (random, all-0, all-255).
TEST_CASE("ort: models/fashion.onnx (float-scale quantizer mode) runs in onnxruntime, equal to the interpreter") {
    const std::string file = source("models/fashion.onnx").string();
    int64_t values = 0, exact = 0;
    const double worst = ort_against_interpreter(file, "fashion", test_images(28 * 28, 77), values, exact);
    std::cout << "onnxruntime vs interpreter (models/fashion.onnx): " << values << " values compared, " << exact
              << " equal, largest difference " << worst << " steps\n";
    CHECK(values == 8 * 10);
    CHECK(exact == values);
}

// `make ort-check MODEL=... REPORT=...`: the hardware's output values in a
// simulation report (sim's JSON, every image) against onnxruntime on the same
// images, value by value, without the golden model in between. Not a CTest
// case (it needs a report); CI runs it after simulating a model.
TEST_CASE("report: a simulation report's outputs equal onnxruntime's, image by image") {
    const char* report_path = std::getenv("CNN_ORT_REPORT");
    const char* model = std::getenv("CNN_ORT_MODEL");
    if (!report_path || !model) {
        MESSAGE("set CNN_ORT_REPORT and CNN_ORT_MODEL (make ort-check MODEL=... REPORT=...)");
        return;
    }
    std::ifstream in(report_path);
    REQUIRE_MESSAGE(in, "cannot read " << report_path);
    const nlohmann::json report = nlohmann::json::parse(in);
    const Network net = load_network(model);
    const onnx::Graph g = onnx::load_model(model);
    const nlohmann::json& results = report.at("results");
    REQUIRE(!results.empty());

    // The images the report names ("file#index" for IDX entries, or a file).
    std::map<std::string, std::vector<Image>> files;
    std::vector<std::vector<uint8_t>> images;
    for (const auto& r : results) {
        const std::string id = r.at("image").get<std::string>();
        // The simulator's seeded random images ("random#SEED.I", "all-0",
        // "all-255", sim/jobs.cpp) are made again; image I does not depend
        // on how many were asked for.
        if (id == "all-0" || id == "all-255") {
            images.emplace_back(size_t(net.input.size()), uint8_t(id == "all-0" ? 0 : 255));
            continue;
        }
        if (id.rfind("random#", 0) == 0) {
            const size_t dot = id.find('.', 7);
            const uint64_t seed = std::stoull(id.substr(7, dot - 7));
            const int i = std::stoi(id.substr(dot + 1));
            images.push_back(sim::random_images(net.input, i + 3, seed)[size_t(i)].pixels);
            continue;
        }
        const size_t hash = id.rfind('#');
        const std::string file = hash == std::string::npos ? id : id.substr(0, hash);
        REQUIRE_MESSAGE(fs::exists(file), "image " << id << " is no file");
        if (!files.count(file)) files[file] = load_images(file, ImageSpec{net.input.c, net.input.h, net.input.w});
        const auto& list = files.at(file);
        size_t k = 0;
        if (hash != std::string::npos) k = size_t(std::stoul(id.substr(hash + 1)));
        else
            for (k = 0; k < list.size() && list[k].id != id; ++k) {}
        REQUIRE_MESSAGE(k < list.size(), "image " << id << " not found");
        images.push_back(list[k].pixels);
    }
    // The compared value is the model's output, the final DequantizeLinear's.
    REQUIRE_MESSAGE(g.nodes.back().op_type == "DequantizeLinear",
                    model << " ends in " << g.nodes.back().op_type << ": compared only where the output is the "
                          "final DequantizeLinear's");
    OrtResult ort = run_ort(model, g.inputs.at(0).dtype, net.input.c, net.input.h, net.input.w, images);
    if (ort.code == 3 && ort.message.find("Could not find an implementation for QLinearConv") != std::string::npos) {
        const fs::path path = scratch_dir() / "report_check.ort.onnx";
        onnx::save_model(qlinearconv_as_qdq(g), path.string());
        ort = run_ort(path.string(), g.inputs.at(0).dtype, net.input.c, net.input.h, net.input.w, images);
        MESSAGE("onnxruntime has no QLinearConv kernel for this model's types: run on its ONNX definition");
    }
    REQUIRE_MESSAGE(ort.code == 0, "onnxruntime: " << ort.message);
    REQUIRE(ort.values.size() == images.size());
    int64_t values = 0, differences = 0;
    const Shape s = net.output();
    for (size_t i = 0; i < images.size(); ++i) {
        const std::vector<int> hw = results[i].at("output").get<std::vector<int>>();
        const std::vector<double>& got = ort.values[i].at(0);
        REQUIRE(hw.size() == got.size());
        for (int c = 0; c < s.c; ++c)
            for (int y = 0; y < s.h; ++y)
                for (int x = 0; x < s.w; ++x) {
                    const size_t hwc = (size_t(y) * s.w + x) * s.c + c, nchw = (size_t(c) * s.h + y) * s.w + x;
                    // The report holds the output in its own type (uint8 0..255 for a uint8 output).
                    const float want = float(float(hw[hwc] - net.output_q.zero_point) * float(net.output_q.scale));
                    ++values;
                    if (float(got[nchw]) != want && differences++ < 8)
                        FAIL_CHECK(results[i].at("image").get<std::string>()
                                   << " output " << nchw << ": onnxruntime " << num(got[nchw]) << ", hardware "
                                   << hw[hwc] << " (" << num(want) << ")");
                }
    }
    std::cout << "hardware (" << report_path << ") vs onnxruntime: " << images.size() << " images, " << values
              << " values compared, " << differences << " differences\n";
    CHECK(differences == 0);
}

// onnxruntime's QLinearAdd (the DQ, DQ -> Add -> Q it fuses) on all 65536
// input pairs against gen/requant.cpp's qlinear_add. The scales and zero
// points were searched for (a random search) so that each case tells apart
// the ways the fixed part float(zc) - (rA * za + rB * zb) could be rounded
// (contracted into one fma either way round, or two products and a sum) and
// the unfused float path: only one of them matches onnxruntime everywhere.
TEST_CASE("ort: QLinearAdd on every input pair equals qlinear_add") {
    struct Case { float sa; int za; float sb; int zb; float sc; int zc; };
    const Case cases[] = {{0.020891875f, 225, 0.0276617184f, 213, 0.0497574992f, 85},
                          {0.00607480481f, 133, 0.00700746104f, 35, 0.0437550023f, 77},
                          {0.0148214065f, 254, 0.0288320314f, 180, 0.0407531261f, 250},
                          {0.00625738315f, 238, 0.0131071098f, 124, 0.0180225f, 133},
                          {0.0173f, 121, 0.0091f, 37, 0.0213f, 14}};
    // Pixel (y, x): channel 0 = a = y, channel 1 = b = x.
    std::vector<uint8_t> px(size_t(256) * 256 * 2);
    for (int y = 0; y < 256; ++y)
        for (int x = 0; x < 256; ++x) {
            px[(size_t(y) * 256 + x) * 2] = uint8_t(y);
            px[(size_t(y) * 256 + x) * 2 + 1] = uint8_t(x);
        }
    int64_t differences = 0, pairs = 0;
    for (size_t k = 0; k < std::size(cases); ++k) {
        const Case& c = cases[k];
        onnx::Graph g;
        g.name = "qladd";
        g.opset = 14;
        using onnx::DType;
        auto add_init = [&](const std::string& n, DType t, double v) { g.initializers[n] = onnx::Tensor::make(n, t, {}, {v}); };
        add_init("sa", DType::Float, c.sa);
        add_init("sb", DType::Float, c.sb);
        add_init("sc", DType::Float, c.sc);
        add_init("za", DType::UInt8, c.za);
        add_init("zb", DType::UInt8, c.zb);
        add_init("zc", DType::UInt8, c.zc);
        g.initializers["split"] = onnx::Tensor::make("split", DType::Int64, {2}, {1, 1});
        auto node = [&](const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
            onnx::Node n;
            n.name = op + std::to_string(g.nodes.size());
            n.op_type = op;
            n.inputs = std::move(in);
            n.outputs = std::move(out);
            g.nodes.push_back(n);
            return &g.nodes.back();
        };
        node("Split", {"x", "split"}, {"a", "b"})->attrs["axis"] = onnx::Attribute::integer(1);
        node("DequantizeLinear", {"a", "sa", "za"}, {"fa"});
        node("DequantizeLinear", {"b", "sb", "zb"}, {"fb"});
        node("Add", {"fa", "fb"}, {"s"});
        node("QuantizeLinear", {"s", "sc", "zc"}, {"y"});
        g.inputs = {{"x", DType::UInt8, {1, 2, 256, 256}}};
        g.outputs = {{"y", DType::UInt8, {1, 1, 256, 256}}};
        const fs::path file = scratch_dir() / ("qladd" + std::to_string(k) + ".onnx");
        onnx::save_model(g, file.string());
        const OrtResult ort = run_ort(file.string(), DType::UInt8, 2, 256, 256, {px});
        REQUIRE_MESSAGE(ort.code == 0, ort.message);
        const std::vector<double>& y = ort.values.at(0).at(0);
        REQUIRE(y.size() == 65536);
        for (int a = 0; a < 256; ++a)
            for (int b = 0; b < 256; ++b, ++pairs)
                differences += qlinear_add(a, c.sa, c.za, b, c.sb, c.zb, c.sc, c.zc, 0, 255) != int(y[size_t(a) * 256 + b]);
    }
    std::cout << "onnxruntime QLinearAdd vs qlinear_add: " << pairs << " pairs, " << differences << " differences\n";
    CHECK(differences == 0);
}
