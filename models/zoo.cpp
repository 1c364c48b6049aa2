// The model zoo generator: see zoo.hpp.
//
// Each model is a chain of QLinearConv layers in QLinear form (SPEC §1,
// spelling 1). Weights and biases come from a splitmix64 generator seeded by
// the model's name, so adding or changing one model leaves the others' bytes
// alone, and nothing depends on the standard library's distributions.
//
// Scales: every scale is a power of two. The graph input is quantized at
// 2^-8 (uint8) or 2^-7 (int8), weights at 2^-7. A layer's output scale is
// chosen by running random images through an integer evaluation of the layer
// (SPEC §2 arithmetic) and taking the smallest right shift at which at most
// 1% of the conv outputs saturate (plus the spec's optional headroom bits):
// outputs use the int8 range without being mostly clamped. Biases are drawn
// within half the mean accumulator magnitude, in the accumulator's units.

#include "zoo.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "error.hpp"

namespace cnn::zoo {
namespace {

constexpr uint64_t kZooSeed = 0x2024'5EED'C0DE'0001ULL;
constexpr int kOpset = 13;
constexpr int kCalibImages = 8;      // random images used to choose scales
constexpr int kMaxSaturatedPct = 1;  // at most 1% of conv outputs may clamp
constexpr int kWeightFrac = 7;       // weights at scale 2^-7 (real range [-1, 1))
constexpr int kMinShift = -8, kMaxShift = 40;

// ---------------------------------------------------------------------------
// Deterministic randomness.

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, same on every platform.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform integer in [lo, hi]. The modulo bias (< 2^-40 here) is irrelevant;
    // what matters is that the result is the same everywhere.
    int64_t uniform(int64_t lo, int64_t hi) {
        return lo + int64_t(next() % uint64_t(hi - lo + 1));
    }

private:
    uint64_t state_;
};

// FNV-1a of the model name mixed with the zoo seed.
uint64_t name_seed(const std::string& name) {
    uint64_t h = 0xCBF29CE484222325ULL;
    for (unsigned char ch : name) h = (h ^ ch) * 0x100000001B3ULL;
    return h ^ kZooSeed;
}

// ---------------------------------------------------------------------------
// A small integer evaluator (SPEC §2), used only to choose output scales and
// to report how the outputs spread. Tensors are CHW.

struct ITensor {
    int c = 0, h = 0, w = 0;
    std::vector<int64_t> v;
    ITensor() = default;
    ITensor(int c_, int h_, int w_) : c(c_), h(h_), w(w_), v(size_t(c_) * h_ * w_, 0) {}
    int64_t& at(int ch, int y, int x) { return v[(size_t(ch) * h + y) * w + x]; }
    int64_t at(int ch, int y, int x) const { return v[(size_t(ch) * h + y) * w + x]; }
};

// Round half to even of v / n, n > 0.
int64_t rhe_div(int64_t v, int64_t n) {
    int64_t q = v / n, r = v % n;
    if (r < 0) { r += n; --q; }  // floor division
    if (2 * r > n || (2 * r == n && (q & 1))) ++q;
    return q;
}

int64_t sat8(int64_t v) { return std::clamp<int64_t>(v, -128, 127); }

// acc * 2^-shift with round half to even (not saturated).
int64_t rescale(int64_t acc, int shift) {
    return shift > 0 ? rhe_div(acc, int64_t(1) << shift) : acc * (int64_t(1) << -shift);
}

// How many accumulators clamp when rescaled by 2^-shift to int8.
int64_t saturated_count(const std::vector<ITensor>& accs, int shift) {
    int64_t n = 0;
    for (const auto& a : accs)
        for (int64_t v : a.v) n += rescale(v, shift) != sat8(rescale(v, shift));
    return n;
}

int out_size(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

// Accumulators of a conv without bias: weights are [O][C][k][k] (ONNX order).
ITensor conv_acc(const ITensor& x, const std::vector<int>& w, const ConvSpec& l) {
    ITensor y(l.out_c, out_size(x.h, l.k, l.stride, l.pad), out_size(x.w, l.k, l.stride, l.pad));
    for (int o = 0; o < y.c; ++o)
        for (int oy = 0; oy < y.h; ++oy)
            for (int ox = 0; ox < y.w; ++ox) {
                int64_t acc = 0;
                for (int ci = 0; ci < x.c; ++ci)
                    for (int ky = 0; ky < l.k; ++ky)
                        for (int kx = 0; kx < l.k; ++kx) {
                            int iy = oy * l.stride - l.pad + ky, ix = ox * l.stride - l.pad + kx;
                            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;  // zero padding
                            acc += x.at(ci, iy, ix) * w[((size_t(o) * x.c + ci) * l.k + ky) * l.k + kx];
                        }
                y.at(o, oy, ox) = acc;
            }
    return y;
}

int64_t activate(int64_t y, const ConvSpec& l) {
    switch (l.act) {
    case Act::None: return y;
    case Act::Relu: return std::max<int64_t>(y, 0);
    case Act::Leaky: return y < 0 ? rhe_div(y, int64_t(1) << l.leaky_k) : y;
    }
    return y;
}

// Pools keep the scale of their input (the QuantizeLinear after a DQ-form
// pool reuses the conv's output scale), so average = RHE(sum / N).
ITensor pool(const ITensor& x, const ConvSpec& l) {
    if (l.pool == Pool::None) return x;
    if (l.pool == Pool::Global) {
        ITensor y(x.c, 1, 1);
        for (int ch = 0; ch < x.c; ++ch) {
            int64_t sum = 0;
            for (int iy = 0; iy < x.h; ++iy)
                for (int ix = 0; ix < x.w; ++ix) sum += x.at(ch, iy, ix);
            y.at(ch, 0, 0) = sat8(rhe_div(sum, int64_t(x.h) * x.w));
        }
        return y;
    }
    ITensor y(x.c, out_size(x.h, l.pool_k, l.pool_s, 0), out_size(x.w, l.pool_k, l.pool_s, 0));
    for (int ch = 0; ch < y.c; ++ch)
        for (int oy = 0; oy < y.h; ++oy)
            for (int ox = 0; ox < y.w; ++ox) {
                int64_t mx = -129, sum = 0;
                for (int ky = 0; ky < l.pool_k; ++ky)
                    for (int kx = 0; kx < l.pool_k; ++kx) {
                        int64_t v = x.at(ch, oy * l.pool_s + ky, ox * l.pool_s + kx);
                        mx = std::max(mx, v);
                        sum += v;
                    }
                y.at(ch, oy, ox) = l.pool == Pool::Avg ? sat8(rhe_div(sum, l.pool_k * l.pool_k)) : mx;
            }
    return y;
}

// Random calibration images, quantized as the harness does (SPEC §2):
// x = p / 255, q = RHE(x * 2^f) clamped to uint8 (f = 8) or int8 (f = 7).
std::vector<ITensor> calibration_images(const ModelSpec& m, int f_in) {
    Rng rng(name_seed(m.name) ^ 0xCA11'B4A7'10A5ULL);
    std::vector<ITensor> imgs;
    for (int i = 0; i < kCalibImages; ++i) {
        ITensor t(m.c, m.h, m.w);
        for (auto& q : t.v) {
            int64_t p = rng.uniform(0, 255);
            q = rhe_div(p << f_in, 255);
            q = m.uint8_input ? std::clamp<int64_t>(q, 0, 255) : sat8(q);
        }
        imgs.push_back(std::move(t));
    }
    return imgs;
}

// ---------------------------------------------------------------------------
// ONNX graph construction helpers.

void add_init(onnx::Graph& g, onnx::Tensor t) {
    std::string name = t.name;
    g.initializers[name] = std::move(t);
}

// A scale initializer 2^-f (a float scalar; exact for |f| < 127).
void add_scale(onnx::Graph& g, const std::string& name, int f) {
    add_init(g, onnx::Tensor::make(name, onnx::DType::Float, {}, {std::ldexp(1.0, -f)}));
}

void add_zero_point(onnx::Graph& g, const std::string& name, onnx::DType dt) {
    add_init(g, onnx::Tensor::make(name, dt, {}, {0.0}));
}

onnx::Node& add_node(onnx::Graph& g, const std::string& name, const std::string& op,
                     std::vector<std::string> inputs, std::vector<std::string> outputs) {
    onnx::Node n;
    n.name = name;
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
}

// A quantized tensor flowing along the chain: its name and the names of its
// scale and zero-point initializers.
struct QValue {
    std::string name, scale, zp;
};

// `DequantizeLinear -> <op> -> QuantizeLinear` at the scale of x; returns the
// QuantizeLinear's output. The float op is named `name`, the other two
// `name_dq` and `name_q`.
QValue float_op(onnx::Graph& g, const QValue& x, const std::string& name, const std::string& op,
                std::map<std::string, onnx::Attribute> attrs) {
    add_node(g, name + "_dq", "DequantizeLinear", {x.name, x.scale, x.zp}, {name + "_in"});
    add_node(g, name, op, {name + "_in"}, {name + "_out_f"}).attrs = std::move(attrs);
    add_node(g, name + "_q", "QuantizeLinear", {name + "_out_f", x.scale, x.zp}, {name + "_out"});
    return {name + "_out", x.scale, x.zp};
}

std::string act_text(const ConvSpec& l) {
    switch (l.act) {
    case Act::None: return "";
    case Act::Relu: return " relu";
    case Act::Leaky: return " leaky(2^-" + std::to_string(l.leaky_k) + ")";
    }
    return "";
}

std::string pool_text(const ConvSpec& l) {
    std::string ks = std::to_string(l.pool_k) + "/s" + std::to_string(l.pool_s);
    switch (l.pool) {
    case Pool::None: return "";
    case Pool::Max: return " maxpool" + ks;
    case Pool::MaxDQ: return " maxpool" + ks + "(dq)";
    case Pool::Avg: return " avgpool" + ks;
    case Pool::Global: return " globalavgpool";
    }
    return "";
}

// ---------------------------------------------------------------------------
// The model list.

// A fluent spelling of one layer: C(8, 3, 1, 1).relu().maxpool(2, 2).
struct C {
    ConvSpec s;
    C(int out_c, int k, int stride, int pad) {
        s.out_c = out_c;
        s.k = k;
        s.stride = stride;
        s.pad = pad;
    }
    C& relu() { s.act = Act::Relu; return *this; }
    C& leaky(int k) { s.act = Act::Leaky; s.leaky_k = k; return *this; }
    C& maxpool(int k, int st) { s.pool = Pool::Max; s.pool_k = k; s.pool_s = st; return *this; }
    C& maxpool_dq(int k, int st) { s.pool = Pool::MaxDQ; s.pool_k = k; s.pool_s = st; return *this; }
    C& avgpool(int k, int st) { s.pool = Pool::Avg; s.pool_k = k; s.pool_s = st; return *this; }
    C& gap() { s.pool = Pool::Global; return *this; }
    C& weights(int wmax) { s.wmax = wmax; return *this; }
    C& headroom(int bits) { s.headroom = bits; return *this; }
    operator ConvSpec() const { return s; }
};

ModelSpec model(std::string name, int c, int h, int w, bool uint8_input, std::vector<ConvSpec> layers) {
    ModelSpec m;
    m.name = std::move(name);
    m.c = c;
    m.h = h;
    m.w = w;
    m.uint8_input = uint8_input;
    m.layers = std::move(layers);
    return m;
}

}  // namespace

int64_t Model::macs() const {
    int64_t n = 0;
    for (const auto& l : layers) n += l.macs;
    return n;
}

std::vector<ModelSpec> zoo_specs() {
    const bool u8 = true, i8 = false;
    return {
        // The basic block: 3x3 same-padding conv, ReLU, 2x2 max pool.
        model("conv3_s1_p1_relu_mp2", 1, 16, 16, u8, {C(8, 3, 1, 1).relu().maxpool(2, 2)}),
        // Pointwise conv on a colour, odd-sized, non-square image; no activation.
        model("conv1_rgb_9x7", 3, 9, 7, u8, {C(5, 1, 1, 0)}),
        // 2x2 kernels: stride 2 unpadded, then stride 1 with padding 1 (grows by one).
        model("conv2_s2_10x14_relu", 1, 10, 14, u8, {C(6, 2, 2, 0).relu(), C(4, 2, 1, 1)}),
        // 5x5 kernel, leaky ReLU 1/8, 3x3 max pool stride 3.
        model("conv5_s1_p0_leaky8_mp3s3", 1, 14, 14, u8,
              {C(6, 5, 1, 0).leaky(3).maxpool(3, 3), C(4, 1, 1, 0)}),
        // 5x5 stride 2 padded, colour int8 input, leaky ReLU 1/2, 2x2 max pool stride 1.
        model("conv5_s2_p1_rgb_15x11_leaky2_mp2s1", 3, 15, 11, i8,
              {C(7, 5, 2, 1).leaky(1).maxpool(2, 1)}),
        // Stride 3 conv, 2x2 max pool stride 3.
        model("conv3_s3_p1_relu_mp2s3", 1, 25, 25, u8,
              {C(6, 3, 3, 1).relu().maxpool(2, 3), C(4, 1, 1, 0)}),
        // Overlapping 3x3 max pools, stride 2 and stride 1.
        model("conv3_relu_mp3s2_mp3s1", 1, 16, 16, u8,
              {C(4, 3, 1, 1).relu().maxpool(3, 2), C(6, 3, 1, 1).relu().maxpool(3, 1), C(3, 1, 1, 0)}),
        // Average pools 2x2/2 and 3x3/1, colour int8 input.
        model("conv3_rgb_relu_ap2_leaky8_ap3s1", 3, 10, 10, i8,
              {C(6, 3, 1, 1).relu().avgpool(2, 2), C(8, 3, 1, 1).leaky(3).avgpool(3, 1)}),
        // A tiny classifier: global average pool to 10 values.
        model("conv3_mp2_gap10", 1, 12, 12, u8, {C(4, 3, 1, 1).relu().maxpool(2, 2), C(10, 3, 1, 1).gap()}),
        // One channel everywhere, four layers, odd non-square. conv3 leaves two
        // bits of headroom (outputs within about +-32) and conv4's weights are
        // in [-1, 1], so conv4's shift is negative: the SPEC §2 left shift.
        model("mono_9x11_stack4", 1, 9, 11, u8,
              {C(1, 3, 1, 1).relu(), C(1, 5, 1, 1).leaky(2), C(1, 2, 1, 0).relu().maxpool(2, 1).headroom(2),
               C(1, 1, 1, 0).weights(1)}),
        // Five layers, leaky ReLU 1/8 and 1/4, odd channel counts, a stride 2.
        model("stack5_leaky", 1, 8, 8, u8,
              {C(3, 3, 1, 1).leaky(3), C(5, 3, 1, 1).leaky(3), C(3, 3, 1, 1).leaky(2),
               C(5, 3, 2, 1).leaky(3), C(3, 3, 1, 1)}),
        // Smallest case: one unpadded conv, int8 input, no activation.
        model("conv3_p0_int8in_7x5", 1, 7, 5, i8, {C(3, 3, 1, 0)}),
        // Max pool spelled DequantizeLinear -> MaxPool -> QuantizeLinear.
        model("conv3_rgb_relu_mp2s1dq_conv2s2", 3, 8, 8, u8,
              {C(5, 3, 1, 1).relu().maxpool_dq(2, 1), C(3, 2, 2, 0).leaky(3)}),
        // The largest kernel the contract accepts.
        model("conv7_s1_p0_relu_13x13", 1, 13, 13, u8, {C(4, 7, 1, 0).relu()}),
        // The larger model: H = 48, W = 24, channels 16-32-64.
        model("big_48x24_16_32_64", 1, 48, 24, u8,
              {C(16, 3, 1, 1).relu().maxpool(2, 2), C(32, 3, 1, 1).relu().maxpool(2, 2),
               C(64, 3, 1, 1).relu().maxpool(2, 2)}),
    };
}

Model build_model(const ModelSpec& spec) {
    Model m;
    m.spec = spec;
    onnx::Graph& g = m.graph;
    g.name = spec.name;
    g.opset = kOpset;

    Rng rng(name_seed(spec.name));
    const onnx::DType in_type = spec.uint8_input ? onnx::DType::UInt8 : onnx::DType::Int8;
    int f = spec.uint8_input ? 8 : 7;  // fractional bits of the current tensor
    std::vector<ITensor> xs = calibration_images(spec, f);

    // Graph input and the first QuantizeLinear.
    g.inputs.push_back({"input", onnx::DType::Float, {1, spec.c, spec.h, spec.w}});
    add_scale(g, "input_scale", f);
    add_zero_point(g, "input_zp", in_type);
    add_node(g, "quant_in", "QuantizeLinear", {"input", "input_scale", "input_zp"}, {"input_q"});
    QValue x{"input_q", "input_scale", "input_zp"};

    for (size_t li = 0; li < spec.layers.size(); ++li) {
        const ConvSpec& l = spec.layers[li];
        const std::string n = std::to_string(li + 1), conv = "conv" + n;
        const int in_c = xs[0].c;
        LayerReport rep;
        rep.name = conv;
        rep.in_c = in_c;
        rep.in_h = xs[0].h;
        rep.in_w = xs[0].w;
        if (l.k > xs[0].h + 2 * l.pad || l.k > xs[0].w + 2 * l.pad)
            throw Error(spec.name + " " + conv, "kernel larger than its padded input");

        // Weights: [-wmax, wmax], the full [-128, 127] for wmax = 127.
        // A tensor that comes out all zero (possible for a tiny wmax) is
        // redrawn: its outputs would be the bias alone.
        std::vector<int> w(size_t(l.out_c) * in_c * l.k * l.k);
        do {
            for (auto& v : w) v = int(rng.uniform(l.wmax == 127 ? -128 : -l.wmax, l.wmax));
        } while (std::all_of(w.begin(), w.end(), [](int v) { return v == 0; }));

        // Accumulators without bias over the calibration images.
        std::vector<ITensor> accs;
        int64_t abs_sum = 0, count = 0;
        for (const auto& xi : xs) {
            accs.push_back(conv_acc(xi, w, l));
            for (int64_t a : accs.back().v) abs_sum += std::abs(a);
            count += int64_t(accs.back().v.size());
        }
        // Bias: uniform within half the mean accumulator magnitude, so it
        // shifts outputs noticeably without dominating them.
        const int64_t bias_max = std::max<int64_t>(1, abs_sum / count / 2);
        std::vector<int64_t> bias(size_t(l.out_c));
        for (auto& b : bias) b = rng.uniform(-bias_max, bias_max);
        for (auto& a : accs)
            for (int o = 0; o < a.c; ++o)
                for (size_t i = 0; i < size_t(a.h) * a.w; ++i) a.v[size_t(o) * a.h * a.w + i] += bias[size_t(o)];

        // The smallest shift with at most kMaxSaturatedPct % of outputs
        // clamped, plus any headroom the spec asks for.
        int shift = kMinShift;
        while (shift < kMaxShift && saturated_count(accs, shift) * 100 > count * kMaxSaturatedPct) ++shift;
        shift += l.headroom;
        const int64_t saturated = saturated_count(accs, shift);
        const int f_out = f + kWeightFrac - shift;

        // Evaluate the layer for the next one.
        int64_t zeros = 0, outs = 0;
        std::vector<ITensor> ys;
        for (auto& a : accs) {
            for (auto& v : a.v) v = activate(sat8(rescale(v, shift)), l);
            ys.push_back(pool(a, l));
            for (int64_t v : ys.back().v) zeros += v == 0;
            outs += int64_t(ys.back().v.size());
        }

        rep.macs = int64_t(accs[0].v.size()) * in_c * l.k * l.k;
        rep.f_in = f;
        rep.f_w = kWeightFrac;
        rep.f_out = f_out;
        rep.shift = shift;
        rep.saturated = double(saturated) / double(count);
        rep.zero = double(zeros) / double(outs);
        rep.out_c = ys[0].c;
        rep.out_h = ys[0].h;
        rep.out_w = ys[0].w;
        m.layers.push_back(rep);

        // The ONNX nodes: QLinearConv, then the activation and pool.
        std::vector<double> wd(w.begin(), w.end()), bd(bias.begin(), bias.end());
        add_init(g, onnx::Tensor::make(conv + "_w", onnx::DType::Int8, {l.out_c, in_c, l.k, l.k}, wd));
        add_scale(g, conv + "_w_scale", kWeightFrac);
        add_zero_point(g, conv + "_w_zp", onnx::DType::Int8);
        // The bias has no scale input: QLinearConv implies x_scale * w_scale.
        add_init(g, onnx::Tensor::make(conv + "_b", onnx::DType::Int32, {l.out_c}, bd));
        add_scale(g, conv + "_y_scale", f_out);
        add_zero_point(g, conv + "_y_zp", onnx::DType::Int8);
        add_node(g, conv, "QLinearConv",
                 {x.name, x.scale, x.zp, conv + "_w", conv + "_w_scale", conv + "_w_zp",
                  conv + "_y_scale", conv + "_y_zp", conv + "_b"},
                 {conv + "_out"})
            .attrs = {{"kernel_shape", onnx::Attribute::integers({l.k, l.k})},
                      {"strides", onnx::Attribute::integers({l.stride, l.stride})},
                      {"pads", onnx::Attribute::integers({l.pad, l.pad, l.pad, l.pad})},
                      {"dilations", onnx::Attribute::integers({1, 1})},
                      {"group", onnx::Attribute::integer(1)}};
        x = {conv + "_out", conv + "_y_scale", conv + "_y_zp"};

        if (l.act == Act::Relu) x = float_op(g, x, "relu" + n, "Relu", {});
        if (l.act == Act::Leaky)
            x = float_op(g, x, "leaky" + n, "LeakyRelu", {{"alpha", onnx::Attribute::real(std::ldexp(1.0, -l.leaky_k))}});

        const std::map<std::string, onnx::Attribute> window = {
            {"kernel_shape", onnx::Attribute::integers({l.pool_k, l.pool_k})}, {"strides", onnx::Attribute::integers({l.pool_s, l.pool_s})}};
        switch (l.pool) {
        case Pool::None: break;
        case Pool::Max:  // int8 in, int8 out: no dequantization needed
            add_node(g, "pool" + n, "MaxPool", {x.name}, {"pool" + n + "_out"}).attrs = window;
            x.name = "pool" + n + "_out";
            break;
        case Pool::MaxDQ: x = float_op(g, x, "pool" + n, "MaxPool", window); break;
        case Pool::Avg: x = float_op(g, x, "pool" + n, "AveragePool", window); break;
        case Pool::Global: x = float_op(g, x, "gap" + n, "GlobalAveragePool", {}); break;
        }

        f = f_out;
        xs = std::move(ys);
    }

    add_node(g, "dequant_out", "DequantizeLinear", {x.name, x.scale, x.zp}, {"output"});
    g.outputs.push_back({"output", onnx::DType::Float, {1, xs[0].c, xs[0].h, xs[0].w}});
    return m;
}

namespace {

// README.md of the zoo directory: one line per model, one per layer.
std::string readme(const std::vector<Model>& models) {
    std::ostringstream os;
    os << "# Model zoo\n\n"
          "Generated by `models/zoo.cpp` (`make zoo`); do not edit. QLinear-form ONNX\n"
          "(opset 13), every scale a power of two `2^-f`, zero points 0. Inputs are\n"
          "`[1, C, H, W]` float, quantized to uint8 at `2^-8` or int8 at `2^-7`; the\n"
          "output is the last int8 tensor behind a DequantizeLinear. `shift` is\n"
          "`f_in + f_w - f_out`; `sat` the share of conv outputs clamped to int8 and\n"
          "`zero` the share of zero outputs (after activation and pool), both on\n"
          "random images.\n\n"
          "| model | input (CxHxW) | output | MACs | layer | f_in f_w f_out | shift | sat | zero |\n"
          "| --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: |\n";
    char buf[64];
    for (const auto& m : models) {
        const auto& s = m.spec;
        const auto& last = m.layers.back();
        for (size_t i = 0; i < m.layers.size(); ++i) {
            const auto& r = m.layers[i];
            const auto& l = s.layers[i];
            if (i == 0)
                os << "| `" << s.name << ".onnx` | " << s.c << "x" << s.h << "x" << s.w
                   << (s.uint8_input ? " u8" : " i8") << " | " << last.out_c << "x" << last.out_h << "x"
                   << last.out_w << " | " << m.macs() << " | ";
            else
                os << "| | | | | ";
            os << r.name << ": " << l.out_c << "ch k" << l.k << " s" << l.stride << " p" << l.pad
               << act_text(l) << pool_text(l)
               << (l.headroom ? " headroom " + std::to_string(l.headroom) : std::string()) << " | " << r.f_in << " " << r.f_w << " " << r.f_out << " | "
               << r.shift << " | ";
            std::snprintf(buf, sizeof buf, "%.1f%% | %.1f%% |\n", 100.0 * r.saturated, 100.0 * r.zero);
            os << buf;
        }
    }
    return os.str();
}

}  // namespace

std::vector<Model> build_zoo() {
    std::vector<Model> models;
    for (const auto& spec : zoo_specs()) models.push_back(build_model(spec));
    return models;
}

std::vector<std::string> write_zoo(const std::string& dir, const std::vector<Model>& models) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir, "cannot create directory: " + ec.message());

    std::vector<std::string> files;
    for (const auto& m : models) {
        onnx::save_model(m.graph, (fs::path(dir) / (m.spec.name + ".onnx")).string());
        files.push_back(m.spec.name + ".onnx");
    }
    const std::string readme_path = (fs::path(dir) / "README.md").string();
    std::ofstream out(readme_path, std::ios::binary | std::ios::trunc);
    out << readme(models);
    if (!out.flush()) throw Error(readme_path, "cannot write");
    files.push_back("README.md");
    return files;
}

}  // namespace cnn::zoo
