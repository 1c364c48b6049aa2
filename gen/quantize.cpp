// The quantizer: see quantize.hpp.
#include "quantize.hpp"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "error.hpp"
#include "exec.hpp"
#include "import.hpp"
#include "interp.hpp"
#include "normalize.hpp"
#include "passes.hpp"
#include "requant.hpp"
#include "strings.hpp"

namespace cnn {

namespace {

using onnx::DType;
using onnx::Graph;
using onnx::Node;
using onnx::Tensor;

constexpr int kInputFrac = 8;                // x = p / 255 in [0, 1] -> uint8 at 2^-8
constexpr int kMseExtraBits = 8;             // Mse searches f_max .. f_max + 8
constexpr int kPercentileExtraBits = 12;     // a percentile never gives more than f_max + 12
constexpr size_t kMaxSamples = size_t(1) << 22;  // calibration values kept per point
constexpr int kEntropyBins = 2048;           // the histogram of |v| for Calibration::Entropy
constexpr int kEntropyLevels = 128;          // ... and the levels it is quantized to
constexpr size_t kMseSamples = size_t(1) << 18;  // float Mse: values scored per candidate range

using graph::node_ref;

// After normalize_graph every constant is an initializer.
const Tensor* constant_tensor(const Graph& g, const std::string& name) { return graph::constant(g, name); }

// sat8(RHE(v * 2^f)), the int8 value of a real v at scale 2^-f.
double quantize_value(double v, int f) {
    return std::clamp(onnx::round_half_even(std::ldexp(v, f)), -128.0, 127.0);
}

// The largest f with a * 2^f <= 127 (a > 0).
int largest_fitting_f(double a) {
    int f = int(std::floor(std::log2(127.0 / a)));
    while (std::ldexp(a, f + 1) <= 127.0) ++f;
    while (std::ldexp(a, f) > 127.0) --f;
    return f;
}

// --- the float graph, as steps ------------------------------------------------

// A chain of steps in topological order, with residual blocks: a value may feed
// two steps when their paths meet again in one Add (SPEC §1).
enum class StepKind { Conv, Dense, MaxPool, AvgPool, GlobalAvgPool, Act, Flatten, Add };

struct Step {
    StepKind kind = StepKind::Act;
    std::string name;                 // the source node's name
    const Node* node = nullptr;       // in the folded graph
    int in = -1, in2 = -1;            // the steps whose outputs it reads (-1: the graph input); in2: Add only
    std::string out;                  // its output value (after an absorbed activation)
    Activation act = Activation::None;
    double alpha = 0.0;
    double clip_hi = INFINITY;        // Clip(0, clip_hi) (ReLU6): act is Relu
    std::string act_name;             // the activation node's name
    std::vector<int64_t> wdims;       // Conv [OC, IC/group, KH, KW]; Dense [N, K]
    std::vector<double> w, b;         // float weights and bias (double)
    std::string stat;                 // float value whose statistics choose f_out; "" keeps f_in
    std::string stat_act;             // Conv + LeakyRelu: the activation's output (float scales)
    int f_in = 0, f_in2 = 0, f_w = 0, f_out = 0;
    QParams q_out, q_act;             // float scales: the output (and a conv's LeakyRelu output)
};

struct Chain {
    std::vector<Step> steps;          // the last one produces the graph output (or the Softmax's input)
    const Node* softmax = nullptr;
};

class ChainReader {
public:
    // pow2_alpha: a LeakyRelu alpha must be 2^-k (the power-of-two hardware).
    ChainReader(const Graph& g, bool pow2_alpha) : g_(g), pow2_alpha_(pow2_alpha) {
        for (const Node& n : g.nodes)
            for (const std::string& in : n.inputs)
                if (!in.empty()) consumers_[in].push_back(&n);
    }

    Chain read() {
        if (g_.inputs.size() != 1 || g_.outputs.size() != 1)
            throw Error("graph '" + g_.name + "'", "needs exactly one input and one output, has " +
                                                       std::to_string(g_.inputs.size()) + " and " +
                                                       std::to_string(g_.outputs.size()));
        const onnx::ValueInfo& in = g_.inputs[0];
        if (in.dtype != DType::Float) throw Error("input '" + in.name + "'", "is not float: not a float model");
        if (in.dims.size() != 4 || in.dims[0] != 1 || in.dims[1] <= 0 || in.dims[2] <= 0 || in.dims[3] <= 0)
            throw Error("input '" + in.name + "'", "must be [1, C, H, W] with fixed sizes");
        Chain chain;
        std::map<std::string, int> producer{{in.name, -1}};  // value -> the step that computes it
        const std::string& out = g_.outputs[0].name;
        // ONNX nodes are in topological order: every data operand is computed before it is read.
        for (const Node& n : g_.nodes) {
            if (absorbed_.count(&n)) continue;
            if (chain.softmax) throw Error(node_ref(*chain.softmax), "only the graph output may follow Softmax");
            const std::string& op = n.op_type;
            if (n.outputs.empty()) throw Error(node_ref(n), "has no output");
            Step s;
            s.name = n.name;
            s.node = &n;
            s.in = data_input(n, 0, producer);
            std::string cur = n.outputs[0];
            if (op == "Add") {
                s.kind = StepKind::Add;
                if (n.inputs.size() != 2) throw Error(node_ref(n), "needs two inputs");
                if (constant_tensor(g_, n.inputs[1]))
                    throw Error(node_ref(n), "adds a constant: only an Add of two activations (a residual join) "
                                             "or the bias of a MatMul is supported");
                s.in2 = data_input(n, 1, producer);
                cur = absorb_act(cur, s, {"Relu", "Clip"});
            } else {
                for (size_t i = 1; i < n.inputs.size(); ++i)
                    if (!n.inputs[i].empty() && !constant_tensor(g_, n.inputs[i]))
                        throw Error(node_ref(n), "input '" + n.inputs[i] + "' is not a constant: only an Add may "
                                                 "read two activations");
            }
            if (op == "Add") {
            } else if (op == "Conv") {
                s.kind = StepKind::Conv;
                const Tensor& w = weight(n, 1);
                if (w.dims.size() != 4) throw Error(node_ref(n), "only 2-D convolutions are supported");
                const int64_t group = n.attr_int("group", 1);
                if (group != 1 && (w.dims[1] != 1 || group <= 0 || w.dims[0] % group != 0))
                    throw Error(node_ref(n), fmt("group %lld with %lld input channels per group: only group 1 or "
                                                 "depthwise (group = C_in, C_out a multiple of it) is supported",
                                                 (long long)group, (long long)w.dims[1]));
                s.wdims = w.dims;
                s.w = w.data;
                s.b = bias(n, 2, size_t(w.dims[0]));
                cur = absorb_act(cur, s, {"Relu", "LeakyRelu", "Clip"});
            } else if (op == "Gemm" || op == "MatMul") {
                s.kind = StepKind::Dense;
                dense(n, s);
                cur = absorb_act(cur, s, {"Relu", "LeakyRelu", "Clip"});
            } else if (op == "Relu" || op == "LeakyRelu" || op == "Clip") {
                s.kind = StepKind::Act;
                set_act(n, s);
            } else if (op == "MaxPool") {
                s.kind = StepKind::MaxPool;
            } else if (op == "AveragePool" || op == "GlobalAveragePool") {
                s.kind = op == "AveragePool" ? StepKind::AvgPool : StepKind::GlobalAvgPool;
                s.stat = cur;
            } else if (op == "Flatten" || op == "Reshape") {
                if (op == "Flatten" && n.attr_int("axis", 1) != 1)
                    throw Error(node_ref(n), "only Flatten with axis 1 is supported");
                s.kind = StepKind::Flatten;  // a Reshape is checked to be [1, N] during calibration
            } else if (op == "Softmax") {
                if (n.outputs[0] != out) throw Error(node_ref(n), "only the graph output may follow Softmax");
                if (s.in != int(chain.steps.size()) - 1 || s.in < 0)
                    throw Error(node_ref(n), "must read the last layer's output");
                chain.softmax = &n;
                continue;
            } else if (op == "BatchNormalization") {
                throw Error(node_ref(n), "could not be folded (fold_batchnorm runs first)");
            } else {
                throw Error(node_ref(n), "op " + op + " is not supported by the quantizer");
            }
            s.out = cur;
            producer[cur] = int(chain.steps.size());
            chain.steps.push_back(std::move(s));
        }
        if (chain.steps.empty()) throw Error("graph '" + g_.name + "'", "has no layer to quantize");
        if (!chain.softmax && chain.steps.back().out != out)
            throw Error("output '" + out + "'", "is not computed by the last node");
        check_forks(chain);
        return chain;
    }

private:
    const Graph& g_;
    bool pow2_alpha_;
    std::map<std::string, std::vector<const Node*>> consumers_;
    std::set<const Node*> absorbed_;   // activations folded into the step before them

    // The step computing node input i (which must be an activation, not a constant).
    int data_input(const Node& n, size_t i, const std::map<std::string, int>& producer) {
        if (i >= n.inputs.size() || n.inputs[i].empty()) throw Error(node_ref(n), "has no data input");
        auto it = producer.find(n.inputs[i]);
        if (it != producer.end()) return it->second;
        if (constant_tensor(g_, n.inputs[i]))
            throw Error(node_ref(n), "reads the constant '" + n.inputs[i] + "' as its data input");
        throw Error(node_ref(n), "reads '" + n.inputs[i] + "', which no earlier node computes (the nodes must be in "
                                 "topological order, from the graph input)");
    }

    // Every step's output feeds one step, or two whose paths (chains of single
    // steps) meet again in one Add: a residual block; either path may be empty
    // (an identity shortcut). The last step feeds the graph output (or Softmax).
    static void check_forks(const Chain& chain) {
        const std::vector<Step>& st = chain.steps;
        const int n = int(st.size());
        std::vector<std::vector<int>> users(size_t(n) + 1);  // users[p + 1]: the steps reading step p (-1: input)
        for (int i = 0; i < n; ++i) {
            users[size_t(st[size_t(i)].in + 1)].push_back(i);
            if (st[size_t(i)].kind == StepKind::Add) users[size_t(st[size_t(i)].in2 + 1)].push_back(i);
        }
        auto value = [&](int p) { return p < 0 ? std::string("the graph input") : "value '" + st[size_t(p)].out + "'"; };
        std::set<int> joins;
        for (int p = -1; p < n; ++p) {
            const std::vector<int>& u = users[size_t(p + 1)];
            if (p == n - 1) {
                if (!u.empty()) throw Error(value(p), "is the graph output and may feed nothing else");
                continue;
            }
            if (u.empty()) throw Error(value(p), "is not used and is not the graph output");
            if (u.size() == 1) continue;
            if (u.size() > 2)
                throw Error(value(p), fmt("feeds %zu nodes: only a residual fork (two paths that meet again in one "
                                          "Add) is supported", u.size()));
            // Follow each path to its first Add.
            int end[2];
            for (int k = 0; k < 2; ++k) {
                int c = u[size_t(k)];
                while (st[size_t(c)].kind != StepKind::Add) {
                    if (users[size_t(c + 1)].size() != 1)
                        throw Error(value(p), "feeds 2 nodes ('" + st[size_t(u[0])].name + "', '" + st[size_t(u[1])].name +
                                                  "') whose paths do not meet again in one Add: a branch must "
                                                  "rejoin in an Add (residual block)");
                    c = users[size_t(c + 1)][0];
                }
                end[k] = c;
            }
            if (end[0] != end[1])
                throw Error(value(p), "feeds 2 nodes ('" + st[size_t(u[0])].name + "', '" + st[size_t(u[1])].name +
                                          "') whose paths do not meet again in one Add: a branch must rejoin in an "
                                          "Add (residual block)");
            joins.insert(end[0]);
        }
        for (int i = 0; i < n; ++i)
            if (st[size_t(i)].kind == StepKind::Add && !joins.count(i))
                throw Error(node_ref(*st[size_t(i)].node), "does not join the two paths of one fork: only residual "
                                                           "blocks (a fork that rejoins in an Add) are supported");
    }

    // The single consumer of value when it has one of the op types, else null.
    const Node* peek(const std::string& value, const std::set<std::string>& ops) {
        if (value == g_.outputs[0].name) return nullptr;
        auto it = consumers_.find(value);
        if (it == consumers_.end() || it->second.size() != 1) return nullptr;
        const Node* n = it->second[0];
        if (n->inputs.empty() || n->inputs[0] != value) return nullptr;
        return ops.count(n->op_type) ? n : nullptr;
    }

    const Tensor& weight(const Node& n, size_t i) {
        const Tensor* t = i < n.inputs.size() ? constant_tensor(g_, n.inputs[i]) : nullptr;
        if (!t) throw Error(node_ref(n), "weights are not a constant tensor");
        return *t;
    }

    std::vector<double> bias(const Node& n, size_t i, size_t count) {
        if (i >= n.inputs.size() || n.inputs[i].empty()) return std::vector<double>(count, 0.0);
        const Tensor* t = constant_tensor(g_, n.inputs[i]);
        if (!t) throw Error(node_ref(n), "bias is not a constant tensor");
        if (t->data.size() == 1) return std::vector<double>(count, t->data[0]);
        if (t->data.size() != count)
            throw Error(node_ref(n), "bias has " + std::to_string(t->data.size()) + " values for " +
                                         std::to_string(count) + " outputs");
        return t->data;
    }

    // Gemm / MatMul -> W [N][K] (row o = output o) and bias.
    void dense(const Node& n, Step& s) {
        const Tensor& b = weight(n, 1);
        if (b.dims.size() != 2) throw Error(node_ref(n), "weights must be a matrix");
        bool trans_b = false;
        double alpha = 1.0, beta = 1.0;
        if (n.op_type == "Gemm") {
            if (n.attr_int("transA", 0) != 0) throw Error(node_ref(n), "transA = 1 is not supported");
            trans_b = n.attr_int("transB", 0) != 0;
            alpha = n.attr_float("alpha", 1.0);
            beta = n.attr_float("beta", 1.0);
        }
        const int64_t K = trans_b ? b.dims[1] : b.dims[0], N = trans_b ? b.dims[0] : b.dims[1];
        s.wdims = {N, K};
        s.w.assign(size_t(N * K), 0.0);
        for (int64_t o = 0; o < N; ++o)
            for (int64_t i = 0; i < K; ++i)
                s.w[size_t(o * K + i)] = alpha * b.data[size_t(trans_b ? o * K + i : i * N + o)];
        s.b = n.op_type == "Gemm" ? bias(n, 2, size_t(N)) : std::vector<double>(size_t(N), 0.0);
        for (double& v : s.b) v *= beta;
        s.stat = n.outputs[0];
    }

    void set_act(const Node& n, Step& s) {
        s.act_name = n.name;
        if (n.op_type == "Relu") {
            s.act = Activation::Relu;
            return;
        }
        if (n.op_type == "Clip") {  // normalize_clip gave it its bounds as inputs
            const Tensor* lo = n.inputs.size() > 1 ? constant_tensor(g_, n.inputs[1]) : nullptr;
            const Tensor* hi = n.inputs.size() > 2 ? constant_tensor(g_, n.inputs[2]) : nullptr;
            if (!lo || lo->data.size() != 1 || lo->data[0] != 0.0 || !hi || hi->data.size() != 1 || !(hi->data[0] > 0))
                throw Error(node_ref(n), "only Clip(0, max) with constant bounds (ReLU6-like) is supported");
            s.act = Activation::Relu;
            s.clip_hi = hi->data[0];
            return;
        }
        s.act = Activation::Leaky;
        s.alpha = n.attr_float("alpha", 0.01);
        if (!pow2_alpha_) return;
        int e = 0;
        double m = std::frexp(s.alpha, &e);
        int k = 1 - e;
        if (m != 0.5 || k < 1 || k > 7)
            throw Error(node_ref(n), fmt("LeakyRelu alpha %g is not 2^-k with k in 1..7, which the hardware needs "
                                         "(retrain with e.g. alpha = 0.125)", s.alpha));
    }

    // Conv/Dense/Add followed by its activation. The quantization point: after
    // a Relu its output (negative values become 0 anyway); before a LeakyRelu
    // of a conv the conv output (rounded to int8 before the activation, so the
    // negative side must fit as well); after a LeakyRelu of a dense layer its
    // output (one rounding after the activation).
    std::string absorb_act(const std::string& cur, Step& s, const std::set<std::string>& ops) {
        s.stat = cur;
        const Node* a = peek(cur, ops);
        if (!a) return cur;
        for (size_t i = 1; i < a->inputs.size(); ++i)
            if (!a->inputs[i].empty() && !constant_tensor(g_, a->inputs[i]))
                throw Error(node_ref(*a), "input '" + a->inputs[i] + "' is not a constant");
        absorbed_.insert(a);
        set_act(*a, s);
        if (s.act == Activation::Relu || s.kind == StepKind::Dense) s.stat = a->outputs[0];
        else s.stat_act = a->outputs[0];
        return a->outputs[0];
    }
};

// --- calibration -------------------------------------------------------------

// The p-quantile (q in [0, 1]) of a: the ceil(q * n)-th smallest value.
float quantile(std::vector<float> a, double q) {
    double rank = std::ceil(q * double(a.size()));
    size_t k = std::min(a.size() - 1, size_t(std::max(1.0, rank)) - 1);
    std::nth_element(a.begin(), a.begin() + long(k), a.end());
    return a[k];
}

struct Range {
    double lo = 0.0, hi = 0.0;
};

// The values seen at one quantization point: the exact minimum, maximum and
// maximum magnitude, and a uniform sample of at most kMaxSamples values
// (reservoir sampling, seeded).
struct Stats {
    double max_abs = 0.0, min_v = INFINITY, max_v = -INFINITY;
    int64_t seen = 0;
    std::vector<float> sample;
    std::mt19937_64 rng{0x5eed};

    void add(double v) {
        max_abs = std::max(max_abs, std::abs(v));
        min_v = std::min(min_v, v);
        max_v = std::max(max_v, v);
        ++seen;
        if (sample.size() < kMaxSamples) {
            sample.push_back(float(v));
        } else {
            uint64_t j = rng() % uint64_t(seen);
            if (j < kMaxSamples) sample[size_t(j)] = float(v);
        }
    }

    double clipped(int f) const {
        int64_t n = 0;
        for (float v : sample) {
            double r = onnx::round_half_even(std::ldexp(double(v), f));
            n += r > 127.0 || r < -128.0;
        }
        return sample.empty() ? 0.0 : double(n) / double(sample.size());
    }

    // Float scales: the fraction outside [qmin, qmax] after RNE(v / scale) + zp.
    double clipped(const QParams& q) const {
        int64_t n = 0;
        for (float v : sample) {
            volatile float d = v / q.scale;
            double r = onnx::round_half_even(double(d)) + q.zero_point;
            n += r > q.qmax() || r < q.qmin();
        }
        return sample.empty() ? 0.0 : double(n) / double(sample.size());
    }

    std::vector<float> magnitudes() const {
        std::vector<float> a(sample.size());
        for (size_t i = 0; i < a.size(); ++i) a[i] = std::abs(sample[i]);
        return a;
    }

    // The entropy threshold over the sample's |v| in kEntropyBins bins up to
    // max_abs. Exact zeros (a Relu's output is half zeros) are left out: 0 is
    // exact at every threshold (every range holds it, as its zero point), and
    // their spike in bin 0 would otherwise outweigh the rest of the
    // distribution in the first group of every candidate.
    double entropy() const {
        if (max_abs == 0.0 || sample.empty()) return 0.0;
        const double width = max_abs / kEntropyBins;
        std::vector<double> hist(kEntropyBins, 0.0);
        for (float v : sample)
            if (v != 0.0f) hist[std::min(size_t(kEntropyBins - 1), size_t(std::abs(double(v)) / width))] += 1.0;
        return entropy_threshold(hist, width, kEntropyLevels);
    }

    int choose_f(const QuantizeOptions& opt) const {
        if (max_abs == 0.0) return 0;
        const int f_max = largest_fitting_f(max_abs);
        switch (opt.method) {
        case Calibration::Max: return f_max;
        case Calibration::Percentile: {
            double q = quantile(magnitudes(), opt.percentile / 100.0);
            if (q <= 0.0) return f_max + kPercentileExtraBits;
            return std::min(largest_fitting_f(q), f_max + kPercentileExtraBits);
        }
        case Calibration::Entropy: {
            double t = entropy();
            if (t <= 0.0) return f_max + kPercentileExtraBits;
            return std::min(largest_fitting_f(t), f_max + kPercentileExtraBits);
        }
        case Calibration::Mse: {
            int best = f_max;
            double best_err = INFINITY;
            for (int f = f_max; f <= f_max + kMseExtraBits; ++f) {
                double err = 0.0;
                for (float v : sample) {
                    double d = double(v) - std::ldexp(quantize_value(v, f), -f);
                    err += d * d;
                }
                if (err < best_err) {
                    best_err = err;
                    best = f;
                }
            }
            return best;
        }
        }
        return f_max;
    }

    // Float scales: the calibrated range [lo, hi] (see Calibration).
    Range choose_range(const QuantizeOptions& opt) const {
        if (seen == 0) return {};
        const bool symmetric = !opt.asymmetric;
        auto within = [&](double lo, double hi) { return Range{std::max(min_v, lo), std::min(max_v, hi)}; };
        switch (opt.method) {
        case Calibration::Max: return {min_v, max_v};
        case Calibration::Percentile: {
            if (symmetric) {
                const double t = quantile(magnitudes(), opt.percentile / 100.0);
                return within(-t, t);
            }
            const double cut = (100.0 - opt.percentile) / 200.0;
            return within(quantile(sample, cut), quantile(sample, 1.0 - cut));
        }
        case Calibration::Entropy: {
            const double t = entropy();
            return within(-t, t);
        }
        case Calibration::Mse: {
            // Every (kMseSamples-th part of the) sample against each candidate range.
            const size_t step = std::max<size_t>(1, sample.size() / kMseSamples);
            Range best{min_v, max_v};
            double best_err = INFINITY;
            for (int k = 100; k >= 10; --k) {
                const Range r{min_v * k / 100.0, max_v * k / 100.0};
                const QParams q = activation_qparams(float(r.lo), float(r.hi), opt.activations_uint8, symmetric);
                double err = 0.0;
                for (size_t i = 0; i < sample.size(); i += step) {
                    const float v = sample[i];
                    const int32_t y = quantize_f32(v, q.scale, q.zero_point, q.qmin(), q.qmax());
                    const double d = double(v) - double(y - q.zero_point) * double(q.scale);
                    err += d * d;
                }
                if (err < best_err) {
                    best_err = err;
                    best = r;
                }
            }
            return best;
        }
        }
        return {min_v, max_v};
    }
};

// --- writing the quantized graph ---------------------------------------------

struct QValue {
    std::string name;
    int f = 0;
    bool u8 = false;
    // Float scales: the parameters and the initializers that hold them.
    QParams q;
    std::string scale_name, zp_name;
};

// A power-of-two value: 2^-f, zero point 0.
QValue qv(std::string name, int f, bool u8) {
    QValue v;
    v.name = std::move(name);
    v.f = f;
    v.u8 = u8;
    return v;
}

class Writer {
public:
    Graph g;
    std::map<std::string, double> clipped;  // quantized tensor -> float clip fraction

    // reserved: the graph input and output names, which no other value may take.
    Writer(const Graph& src, bool qdq, std::set<std::string> reserved) : used_(std::move(reserved)), qdq_(qdq) {
        g.name = src.name.empty() ? "quantized" : src.name;
        g.opset = std::max<int64_t>(13, src.opset);
    }

    // A value or initializer name not used yet: base, else base_2, base_3...
    std::string fresh(const std::string& base) {
        std::string name = base;
        for (int i = 2; used_.count(name); ++i) name = base + "_" + std::to_string(i);
        used_.insert(name);
        return name;
    }

    std::string scale(int f) {
        std::string& name = scales_[f];
        if (name.empty()) name = add_init(f < 0 ? "scale_2^" + std::to_string(-f) : "scale_2^-" + std::to_string(f),
                                          DType::Float, {}, {std::ldexp(1.0, -f)});
        return name;
    }

    std::string zp(DType t) {
        std::string& name = zero_points_[t];
        if (name.empty()) name = add_init(std::string("zero_") + onnx::dtype_name(t), t, {}, {0.0});
        return name;
    }

    std::string add_init(const std::string& base, DType t, std::vector<int64_t> dims, std::vector<double> data) {
        const std::string name = fresh(base);
        g.initializers[name] = Tensor::make(name, t, std::move(dims), std::move(data));
        return name;
    }

    // A node; out is a base name made unique, except the reserved graph output
    // (is_output) which is taken as it is.
    Node& node(const std::string& name, const std::string& op, std::vector<std::string> in, std::string out,
               bool is_output = false) {
        Node n;
        if (!is_output) out = fresh(out);
        n.name = name;
        n.op_type = op;
        n.inputs = std::move(in);
        n.outputs = {std::move(out)};
        g.nodes.push_back(std::move(n));
        return g.nodes.back();
    }

    std::string zp_of(const QValue& x) { return zp(x.u8 ? DType::UInt8 : DType::Int8); }

    std::string dq(const QValue& x, const std::string& name) {
        if (!x.scale_name.empty())
            return node(name + "_dq", "DequantizeLinear", {x.name, x.scale_name, x.zp_name}, name + "_in").outputs[0];
        return node(name + "_dq", "DequantizeLinear", {x.name, scale(x.f), zp_of(x)}, name + "_in").outputs[0];
    }

    QValue q(const std::string& value, int f, const std::string& name, double clip) {
        QValue y = qv(node(name + "_q", "QuantizeLinear", {value, scale(f), zp(DType::Int8)}, name + "_q").outputs[0], f,
                      false);
        if (clip >= 0.0) clipped[y.name] = clip;
        return y;
    }

    // An activation node on a float value; returns its output.
    std::string act(const Step& s, const std::string& value) {
        if (std::isfinite(s.clip_hi)) {
            const std::string lo = add_init(s.act_name + "_min", DType::Float, {}, {0.0});
            const std::string hi = add_init(s.act_name + "_max", DType::Float, {}, {double(float(s.clip_hi))});
            return node(s.act_name, "Clip", {value, lo, hi}, s.act_name + "_out").outputs[0];
        }
        Node& n = node(s.act_name, s.act == Activation::Relu ? "Relu" : "LeakyRelu", {value}, s.act_name + "_out");
        if (s.act == Activation::Leaky) n.attrs["alpha"] = onnx::Attribute::real(s.alpha);
        return n.outputs[0];
    }

    // int8 weights at 2^-f_w and int32 bias at 2^-(f_in + f_w) as initializers.
    std::pair<std::string, std::string> weights(const Step& s) {
        std::vector<double> wq(s.w.size()), bq(s.b.size());
        for (size_t i = 0; i < wq.size(); ++i) wq[i] = quantize_value(s.w[i], s.f_w);
        for (size_t i = 0; i < bq.size(); ++i)
            bq[i] = std::clamp(onnx::round_half_even(std::ldexp(s.b[i], s.f_in + s.f_w)), -2147483648.0, 2147483647.0);
        return {add_init(s.name + "_W_q", DType::Int8, s.wdims, wq),
                add_init(s.name + "_B_q", DType::Int32, {s.wdims[0]}, bq)};
    }

    // DequantizeLinear of the weights and bias (the QDQ spelling of constants).
    std::pair<std::string, std::string> dq_weights(const Step& s) {
        auto [w, b] = weights(s);
        return {node(s.name + "_W_dq", "DequantizeLinear", {w, scale(s.f_w), zp(DType::Int8)}, s.name + "_W").outputs[0],
                node(s.name + "_B_dq", "DequantizeLinear", {b, scale(s.f_in + s.f_w), zp(DType::Int32)}, s.name + "_B")
                    .outputs[0]};
    }

    QValue emit(const Step& s, const QValue& x, double clip) {
        switch (s.kind) {
        case StepKind::Conv: return conv(s, x, clip);
        case StepKind::Dense: {
            auto [w, b] = dq_weights(s);
            std::string xf = dq(x, s.name);
            Node& n = node(s.name, "Gemm", {xf, w, b}, s.name + "_out");
            n.attrs["transB"] = onnx::Attribute::integer(1);
            std::string v = n.outputs[0];
            if (s.act != Activation::None) v = act(s, v);
            return q(v, s.f_out, s.name, clip);
        }
        case StepKind::MaxPool:
            if (!qdq_) {
                Node& n = node(s.name, "MaxPool", {x.name}, s.name + "_out");
                n.attrs = s.node->attrs;
                return qv(n.outputs[0], x.f, false);
            }
            [[fallthrough]];
        case StepKind::AvgPool:
        case StepKind::GlobalAvgPool: {
            std::string xf = dq(x, s.name);
            Node& n = node(s.name, s.node->op_type, {xf}, s.name + "_out");
            n.attrs = s.node->attrs;
            QValue y = q(n.outputs[0], s.f_out, s.name, clip);
            if (s.kind == StepKind::MaxPool) clipped.erase(y.name);
            return y;
        }
        case StepKind::Act: return q(act(s, dq(x, s.act_name)), s.f_out, s.act_name, clip);
        case StepKind::Add: break;  // emit_add
        case StepKind::Flatten: {
            Node& n = node(s.name, "Flatten", {x.name}, s.name + "_out");
            n.attrs["axis"] = onnx::Attribute::integer(1);
            return qv(n.outputs[0], x.f, false);
        }
        }
        return x;
    }

    // QLinear: QLinearConv [-> DequantizeLinear -> act -> QuantizeLinear].
    // QDQ: DequantizeLinear -> Conv [-> Relu] -> QuantizeLinear, and for a
    // LeakyRelu the conv is quantized before it as in the QLinear spelling.
    QValue conv(const Step& s, const QValue& x, double clip) {
        QValue y;
        if (!qdq_) {
            auto [w, b] = weights(s);
            Node& n = node(s.name, "QLinearConv",
                           {x.name, scale(x.f), zp_of(x), w, scale(s.f_w), zp(DType::Int8), scale(s.f_out),
                            zp(DType::Int8), b},
                           s.name + "_out");
            copy_conv_attrs(n);
            y = qv(n.outputs[0], s.f_out, false);
            if (clip >= 0.0) clipped[y.name] = clip;
        } else {
            auto [w, b] = dq_weights(s);
            std::string xf = dq(x, s.name);
            Node& n = node(s.name, "Conv", {xf, w, b}, s.name + "_out");
            copy_conv_attrs(n);
            std::string v = n.outputs[0];
            if (s.act == Activation::Relu) return q(act(s, v), s.f_out, s.name, clip);
            y = q(v, s.f_out, s.name, clip);
        }
        if (s.act == Activation::None) return y;
        return q(act(s, dq(y, s.act_name)), s.f_out, s.act_name, clip);
    }

    // A residual join at 2^-f_out. QLinear: com.microsoft QLinearAdd (as
    // onnxruntime's optimizer writes it). QDQ: DequantizeLinear of each input
    // -> Add -> QuantizeLinear (what onnxruntime fuses into QLinearAdd). An
    // activation after it: DequantizeLinear -> Relu / Clip -> QuantizeLinear
    // at the same scale (exact: a clamp of the int8 value).
    QValue emit_add(const Step& s, const QValue& a, const QValue& b, double clip) {
        QValue y;
        if (!qdq_) {
            if (a.u8 != b.u8)
                throw Error(node_ref(*s.node), "adds the uint8 graph input to an int8 value, which QLinearAdd cannot "
                                               "take: use --qdq");
            Node& n = node(s.name, "QLinearAdd",
                           {a.name, scale(a.f), zp_of(a), b.name, scale(b.f), zp_of(b), scale(s.f_out), zp(DType::Int8)},
                           s.name + "_out");
            n.domain = "com.microsoft";
            y = qv(n.outputs[0], s.f_out, false);
            if (clip >= 0.0) clipped[y.name] = clip;
        } else {
            const std::string af = dq(a, s.name + "_a"), bf = dq(b, s.name + "_b");
            y = q(node(s.name, "Add", {af, bf}, s.name + "_out").outputs[0], s.f_out, s.name, clip);
        }
        if (s.act == Activation::None) return y;
        QValue z = q(act(s, dq(y, s.act_name)), s.f_out, s.act_name, -1.0);
        return z;
    }

    // --- float scales (always QDQ) ---

    std::vector<QuantPointReport> points;
    bool per_channel = false;

    // QuantizeLinear of a float value at q, with its own scale and zero point
    // initializers (or those of `same`, which it shares: MaxPool).
    QValue qf(const std::string& value, const QParams& q, const std::string& name, const Stats* st, Range r,
              const QValue* same = nullptr) {
        QValue y;
        y.q = q;
        if (same) {
            y.scale_name = same->scale_name;
            y.zp_name = same->zp_name;
        } else {
            y.scale_name = add_init(name + "_y_scale", DType::Float, {}, {double(q.scale)});
            y.zp_name = add_init(name + "_y_zero_point", q.is_uint8 ? DType::UInt8 : DType::Int8, {}, {double(q.zero_point)});
        }
        y.name = node(name + "_q", "QuantizeLinear", {value, y.scale_name, y.zp_name}, name + "_q").outputs[0];
        if (st) {
            QuantPointReport p;
            p.tensor = y.name;
            p.at = name;
            p.lo = r.lo;
            p.hi = r.hi;
            p.q = q;
            p.clipped = st->clipped(q);
            clipped[y.name] = p.clipped;
            points.push_back(p);
        }
        return y;
    }

    // int8 weights (per tensor or per output channel, symmetric) and int32
    // bias at f32(s_x * s_w[oc]), each behind its DequantizeLinear.
    std::pair<std::string, std::string> dq_weights_f(const Step& s, const QValue& x) {
        const size_t oc = size_t(s.wdims[0]), per = s.w.size() / oc;
        std::vector<double> ws(per_channel ? oc : 1), wq(s.w.size()), bs(ws.size()), bq(oc);
        for (size_t g = 0; g < ws.size(); ++g) {
            const size_t from = per_channel ? g * per : 0, to = per_channel ? from + per : s.w.size();
            float lo = 0.0f, hi = 0.0f;
            for (size_t i = from; i < to; ++i) {
                lo = std::min(lo, float(s.w[i]));
                hi = std::max(hi, float(s.w[i]));
            }
            ws[g] = weight_scale(lo, hi);
            bs[g] = bias_scale(x.q.scale, float(ws[g]));
        }
        for (size_t i = 0; i < wq.size(); ++i) wq[i] = quantize_weight(float(s.w[i]), float(ws[per_channel ? i / per : 0]));
        for (size_t o = 0; o < oc; ++o) bq[o] = double(quantize_bias(float(s.b[o]), float(bs[per_channel ? o : 0])));
        const std::vector<int64_t> sdims = per_channel ? std::vector<int64_t>{int64_t(oc)} : std::vector<int64_t>{};
        const std::vector<double> zeros(ws.size(), 0.0);
        const std::string w = add_init(s.name + "_W_q", DType::Int8, s.wdims, wq);
        const std::string w_s = add_init(s.name + "_W_scale", DType::Float, sdims, ws);
        const std::string w_z = add_init(s.name + "_W_zero_point", DType::Int8, sdims, zeros);
        const std::string b = add_init(s.name + "_B_q", DType::Int32, {int64_t(oc)}, bq);
        const std::string b_s = add_init(s.name + "_B_scale", DType::Float, sdims, bs);
        const std::string b_z = add_init(s.name + "_B_zero_point", DType::Int32, sdims, zeros);
        Node& wn = node(s.name + "_W_dq", "DequantizeLinear", {w, w_s, w_z}, s.name + "_W");
        if (per_channel) wn.attrs["axis"] = onnx::Attribute::integer(0);
        const std::string w_out = wn.outputs[0];
        Node& bn = node(s.name + "_B_dq", "DequantizeLinear", {b, b_s, b_z}, s.name + "_B");
        if (per_channel) bn.attrs["axis"] = onnx::Attribute::integer(0);
        return {w_out, bn.outputs[0]};
    }

    // A Relu / Clip(0, max) before a QuantizeLinear at q does nothing the
    // QuantizeLinear's clamp does not: dropped (quantize.hpp).
    static bool act_redundant(const Step& s, const QParams& q) {
        if (s.act != Activation::Relu || q.zero_point != q.qmin()) return false;
        if (!std::isfinite(s.clip_hi)) return true;
        volatile float top = float(q.qmax() - q.zero_point) * q.scale;
        return double(top) <= double(float(s.clip_hi));
    }

    // The float-scale spelling of one step; st / st_act are the statistics of
    // its quantization points (null for MaxPool and Flatten).
    QValue emit_float(const Step& s, const QValue& x, const Stats* st, Range r, const Stats* st_act, Range r_act) {
        switch (s.kind) {
        case StepKind::Conv:
        case StepKind::Dense: {
            auto [w, b] = dq_weights_f(s, x);
            const std::string xf = dq(x, s.name);
            Node& n = node(s.name, s.kind == StepKind::Conv ? "Conv" : "Gemm", {xf, w, b}, s.name + "_out");
            if (s.kind == StepKind::Conv) copy_conv_attrs(n);
            else n.attrs["transB"] = onnx::Attribute::integer(1);
            std::string v = n.outputs[0];
            if (s.act == Activation::Relu) {
                if (!act_redundant(s, s.q_out)) v = act(s, v);
                return qf(v, s.q_out, s.name, st, r);
            }
            if (s.act == Activation::Leaky && s.kind == StepKind::Conv) {
                QValue y = qf(v, s.q_out, s.name, st, r);
                return qf(act(s, dq(y, s.act_name)), s.q_act, s.act_name, st_act, r_act);
            }
            if (s.act == Activation::Leaky) v = act(s, v);
            return qf(v, s.q_out, s.name, st, r);
        }
        case StepKind::MaxPool: {
            Node& n = node(s.name, "MaxPool", {dq(x, s.name)}, s.name + "_out");
            n.attrs = s.node->attrs;
            return qf(n.outputs[0], x.q, s.name, nullptr, {}, &x);
        }
        case StepKind::AvgPool:
        case StepKind::GlobalAvgPool: {
            Node& n = node(s.name, s.node->op_type, {dq(x, s.name)}, s.name + "_out");
            n.attrs = s.node->attrs;
            return qf(n.outputs[0], s.q_out, s.name, st, r);
        }
        case StepKind::Act: return qf(act(s, dq(x, s.act_name)), s.q_out, s.act_name, st, r);
        case StepKind::Add: break;  // emit_add_float
        case StepKind::Flatten: {
            Node& n = node(s.name, "Flatten", {x.name}, s.name + "_out");
            n.attrs["axis"] = onnx::Attribute::integer(1);
            QValue y = x;
            y.name = n.outputs[0];
            return y;
        }
        }
        return x;
    }

    // A residual join, float scales: DequantizeLinear of each input -> Add ->
    // QuantizeLinear at the join's calibrated point (after its activation). An
    // activation is dropped when that QuantizeLinear's clamp does it
    // (act_redundant, as for a Conv); else it follows the QuantizeLinear as
    // DequantizeLinear -> Relu / Clip -> QuantizeLinear with the same scale and
    // zero point, so that DQ, DQ -> Add -> Q stays the group onnxruntime fuses
    // into QLinearAdd.
    QValue emit_add_float(const Step& s, const QValue& a, const QValue& b, const Stats* st, Range r) {
        const std::string af = dq(a, s.name + "_a"), bf = dq(b, s.name + "_b");
        QValue y = qf(node(s.name, "Add", {af, bf}, s.name + "_out").outputs[0], s.q_out, s.name, st, r);
        if (s.act == Activation::None || act_redundant(s, s.q_out)) return y;
        return qf(act(s, dq(y, s.act_name)), s.q_out, s.act_name, nullptr, {}, &y);
    }

    const Step* cur_ = nullptr;

    void copy_conv_attrs(Node& n) {
        for (const char* a : {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"})
            if (cur_->node->has(a)) n.attrs[a] = cur_->node->attrs.at(a);
    }

private:
    std::set<std::string> used_;
    std::map<int, std::string> scales_;
    std::map<DType, std::string> zero_points_;
    bool qdq_;
};

}  // namespace

const char* calibration_name(Calibration c) {
    switch (c) {
    case Calibration::Max: return "max";
    case Calibration::Percentile: return "percentile";
    case Calibration::Mse: return "mse";
    case Calibration::Entropy: return "entropy";
    }
    return "?";
}

Calibration parse_calibration(const std::string& s, const std::string& opt) {
    if (s == "max" || s == "minmax") return Calibration::Max;
    if (s == "percentile") return Calibration::Percentile;
    if (s == "mse") return Calibration::Mse;
    if (s == "entropy") return Calibration::Entropy;
    throw Error(opt, "'" + s + "' is not one of minmax (max), percentile, entropy, mse");
}

ScaleKind parse_scales(const std::string& s) {
    if (s == "pow2") return ScaleKind::Pow2;
    if (s == "float") return ScaleKind::Float;
    throw Error("--scales", "'" + s + "' is not one of pow2, float");
}

void QuantizeOptions::validate() const {
    if (scales == ScaleKind::Float) return;
    if (per_channel) throw Error("--per-channel", "needs --scales float (power-of-two weights are one scale per tensor)");
    if (activations_uint8)
        throw Error("--activations uint8", "needs --scales float (power-of-two activations are int8, zero point 0)");
    if (asymmetric) throw Error("--asymmetric", "needs --scales float (power-of-two activations have zero point 0)");
}

// compute_scale_zp as onnxruntime's quantizer states it: the range widened to
// include 0 in float32, made symmetric, its width in float32 divided in
// double by qmax - qmin, the zero point from the double scale, the scale
// stored as float32.
QParams activation_qparams(float rmin, float rmax, bool is_uint8, bool symmetric) {
    QParams q;
    q.is_uint8 = is_uint8;
    const int qmin = is_uint8 ? 0 : symmetric ? -127 : -128, qmax = is_uint8 ? 255 : 127;
    rmin = std::min(rmin, 0.0f);
    rmax = std::max(rmax, 0.0f);
    if (symmetric) {
        const float a = std::max(std::abs(rmin), std::abs(rmax));
        rmin = -a;
        rmax = a;
    }
    volatile float width = rmax - rmin;
    const double scale = double(width) / double(qmax - qmin);
    if (!(scale >= double(FLT_MIN))) return q;  // scale 1, zero point 0
    if (symmetric) {
        q.zero_point = int(onnx::round_half_even((qmin + qmax) / 2.0));
    } else {
        q.zero_point = int(onnx::round_half_even(double(qmin) - double(rmin) / scale));
        q.zero_point = std::clamp(q.zero_point, qmin, qmax);
    }
    q.scale = float(scale);
    return q;
}

float weight_scale(float rmin, float rmax) { return activation_qparams(rmin, rmax, false, true).scale; }

int quantize_weight(float w, float scale) {
    volatile float v = w / scale;
    return int(std::clamp(onnx::round_half_even(double(v)), -127.0, 127.0));
}

float bias_scale(float x_scale, float w_scale) {
    volatile float s = x_scale * w_scale;
    return s;
}

int64_t quantize_bias(float b, float scale) {
    volatile float v = b / scale;
    return int64_t(std::clamp(onnx::round_half_even(double(v)), -2147483648.0, 2147483647.0));
}

double entropy_threshold(const std::vector<double>& hist, double bin_width, int levels) {
    const size_t n = hist.size(), L = size_t(std::max(1, levels));
    double total = 0.0;
    for (double h : hist) total += h;
    if (n <= L || total <= 0.0) return double(n) * bin_width;
    // suffix[i] = the count of bins >= i (what clipping at bin i moves into bin i - 1).
    std::vector<double> suffix(n + 1, 0.0);
    for (size_t i = n; i-- > 0;) suffix[i] = suffix[i + 1] + hist[i];
    size_t best = n;
    double best_kl = INFINITY;
    std::vector<double> p(n), q(n);
    for (size_t i = L; i <= n; ++i) {
        if (hist[i - 1] == 0.0 && suffix[i] == 0.0) continue;  // the same clipping as a smaller i
        std::copy(hist.begin(), hist.begin() + long(i), p.begin());
        p[i - 1] += suffix[i];
        // Q: hist[0, i) (without the clipped counts) in `L` groups, group j =
        // [j * i / L, (j + 1) * i / L), each group's count spread evenly over
        // its bins where P is non-zero.
        double q_total = 0.0;
        for (size_t j = 0; j < L; ++j) {
            const size_t from = j * i / L, to = (j + 1) * i / L;
            double sum = 0.0;
            size_t nonzero = 0;
            for (size_t k = from; k < to; ++k) {
                sum += hist[k];
                nonzero += p[k] > 0.0;
            }
            for (size_t k = from; k < to; ++k) q[k] = p[k] > 0.0 ? sum / double(nonzero) : 0.0;
            q_total += sum;
        }
        // KL(P || Q), each normalised; a bin where P has mass and Q none is infinite.
        double kl = 0.0;
        for (size_t k = 0; k < i && kl < INFINITY; ++k)
            if (p[k] > 0.0) kl += q[k] > 0.0 ? p[k] / total * std::log((p[k] / total) / (q[k] / q_total)) : INFINITY;
        if (kl < best_kl) {
            best_kl = kl;
            best = i;
        }
    }
    return double(best) * bin_width;
}

onnx::Tensor float_graph_input(const Graph& g, const std::vector<uint8_t>& hwc) {
    const onnx::ValueInfo& in = g.inputs.at(0);
    if (in.dims.size() != 4) throw Error("input '" + in.name + "'", "must be [1, C, H, W]");
    const int64_t C = in.dims[1], H = in.dims[2], W = in.dims[3];
    if (int64_t(hwc.size()) != C * H * W)
        throw Error("input '" + in.name + "'", fmt("an image of %zu pixels for a %lldx%lldx%lld input", hwc.size(),
                                                   (long long)C, (long long)H, (long long)W));
    Tensor t;
    t.name = in.name;
    t.dtype = DType::Float;
    t.dims = {1, C, H, W};
    t.data.resize(hwc.size());
    for (int64_t c = 0; c < C; ++c)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x)
                t.data[size_t((c * H + y) * W + x)] = double(float(hwc[size_t((y * W + x) * C + c)] * (1.0 / 255.0)));
    return t;
}

QuantizeResult quantize_graph(const Graph& float_model, const std::vector<std::vector<uint8_t>>& images,
                              const QuantizeOptions& opt, const std::string& source) {
    opt.validate();
    const bool fl = opt.scales == ScaleKind::Float;
    if (images.empty()) throw Error(source, "no calibration images");
    if (!is_float_model(float_model))
        throw Error(source, "is already quantized (it has QuantizeLinear or QLinear nodes)");
    Graph normalized = float_model;
    normalize_graph(normalized);
    const Graph g = fold_batchnorm(normalized);
    Chain chain = ChainReader(g, !fl).read();

    // Calibration: every quantization point's float values over the images.
    std::map<std::string, Stats> stats;
    for (const Step& s : chain.steps) {
        if (!s.stat.empty()) stats[s.stat];
        if (fl && !s.stat_act.empty()) stats[s.stat_act];
    }
    for (const auto& px : images) {
        auto values = onnx::run(g, {{g.inputs[0].name, float_graph_input(g, px)}}, true);
        for (auto& [name, st] : stats)
            for (double v : values.at(name).data) st.add(v);
        for (const Step& s : chain.steps) {
            if (s.kind != StepKind::Flatten) continue;
            const Tensor& t = values.at(s.node->outputs[0]);
            if (t.dims.size() != 2 || t.dims[0] != 1)
                throw Error(node_ref(*s.node), "is not a flatten to [1, N]: only Flatten / Reshape to [1, C*H*W] is supported");
        }
    }

    const onnx::ValueInfo& in = float_model.inputs[0];
    onnx::ValueInfo out = float_model.outputs[0];
    Writer w(g, opt.qdq || fl, {in.name, out.name});
    w.g.inputs.push_back(in);
    QValue x;
    if (fl) {
        // Float scales: each point's parameters from its calibrated range.
        const bool symmetric = !opt.asymmetric;
        auto qparams = [&](const std::string& stat, Range* r) {
            *r = stats.at(stat).choose_range(opt);
            return activation_qparams(float(r->lo), float(r->hi), opt.activations_uint8, symmetric);
        };
        w.per_channel = opt.per_channel;
        // The graph input x = p / 255 lies in [0, 1].
        const QParams q_in = activation_qparams(0.0f, 1.0f, opt.activations_uint8, symmetric);
        x.q = q_in;
        x.scale_name = w.add_init("input_scale", DType::Float, {}, {double(q_in.scale)});
        x.zp_name = w.add_init("input_zero_point", q_in.is_uint8 ? DType::UInt8 : DType::Int8, {}, {double(q_in.zero_point)});
        x.name = w.node("input_q", "QuantizeLinear", {in.name, x.scale_name, x.zp_name}, in.name + "_q").outputs[0];
        std::vector<QValue> outs;  // each step's quantized output
        for (Step& s : chain.steps) {
            w.cur_ = &s;
            Range r, r_act;
            const Stats* st = s.stat.empty() ? nullptr : &stats.at(s.stat);
            const Stats* st_act = s.stat_act.empty() ? nullptr : &stats.at(s.stat_act);
            if (st) s.q_out = qparams(s.stat, &r);
            if (st_act) s.q_act = qparams(s.stat_act, &r_act);
            const QValue& a = s.in < 0 ? x : outs[size_t(s.in)];
            if (s.kind == StepKind::Add)
                outs.push_back(w.emit_add_float(s, a, s.in2 < 0 ? x : outs[size_t(s.in2)], st, r));
            else
                outs.push_back(w.emit_float(s, a, st, r, st_act, r_act));
        }
        x = outs.back();
    } else {
        // Fractional bits, layer by layer (each step's input is an earlier step's output).
        auto f_of = [&](int step) { return step < 0 ? kInputFrac : chain.steps[size_t(step)].f_out; };
        for (Step& s : chain.steps) {
            s.f_in = f_of(s.in);
            if (s.kind == StepKind::Add) s.f_in2 = f_of(s.in2);
            if (s.kind == StepKind::Conv || s.kind == StepKind::Dense) {
                double m = 0.0;
                for (double v : s.w) m = std::max(m, std::abs(v));
                s.f_w = m == 0.0 ? 0 : largest_fitting_f(m);
            }
            s.f_out = s.stat.empty() ? s.f_in : stats.at(s.stat).choose_f(opt);
        }
        x = qv(w.node("input_q", "QuantizeLinear", {in.name, w.scale(kInputFrac), w.zp(DType::UInt8)}, in.name + "_q")
                   .outputs[0],
               kInputFrac, true);
        std::vector<QValue> outs;
        for (const Step& s : chain.steps) {
            w.cur_ = &s;
            const double clip = s.stat.empty() ? -1.0 : stats.at(s.stat).clipped(s.f_out);
            const QValue& a = s.in < 0 ? x : outs[size_t(s.in)];
            if (s.kind == StepKind::Add) outs.push_back(w.emit_add(s, a, s.in2 < 0 ? x : outs[size_t(s.in2)], clip));
            else outs.push_back(w.emit(s, a, clip));
        }
        x = outs.back();
    }
    out.dtype = DType::Float;
    std::vector<std::string> last = fl ? std::vector<std::string>{x.name, x.scale_name, x.zp_name}
                                       : std::vector<std::string>{x.name, w.scale(x.f), w.zp(DType::Int8)};
    if (chain.softmax) {
        std::string v = w.node("output_dq", "DequantizeLinear", last, "output_dq_out").outputs[0];
        w.node(chain.softmax->name, "Softmax", {v}, out.name, true).attrs = chain.softmax->attrs;
    } else {
        w.node("output_dq", "DequantizeLinear", last, out.name, true);
    }
    w.g.outputs.push_back(out);

    QuantizeResult r;
    r.graph = std::move(w.g);
    r.points = std::move(w.points);
    r.clipped = std::move(w.clipped);
    r.images = int(images.size());
    return r;
}

void import_back(QuantizeResult& r, const std::vector<std::vector<uint8_t>>& images, const std::string& source) {
    r.network = import_network(r.graph, source);
    run_passes(r.network);

    // The report: saturation from the integer executor, clipping from the float values.
    const Network& net = r.network;
    std::vector<QTensor> inputs;
    for (const auto& px : images) inputs.push_back(quantize_input(net, px));
    const std::vector<Saturation> sat = measure_saturation(net, inputs);
    r.layers.clear();
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        QuantLayerReport rep;
        rep.name = l.name;
        rep.kind = kind_name(l.kind);
        rep.act = l.act_string();
        rep.has_weights = l.has_weights();
        rep.f_in = l.f_in;
        rep.f_w = l.f_w;
        rep.f_out = l.f_out;
        rep.saturated = sat[i].fraction();
        for (const QuantParam& q : l.onnx.qparams)
            if (q.role == "y") {
                rep.scale_out = q.scale;
                rep.zp_out = q.zero_point;
                if (l.kind != LayerKind::MaxPool && r.clipped.count(q.tensor)) rep.clipped = r.clipped.at(q.tensor);
            }
        r.layers.push_back(rep);
    }
    r.imported = true;
}

QuantizeResult quantize_model(const Graph& float_model, const std::vector<std::vector<uint8_t>>& images,
                              const QuantizeOptions& opt, const std::string& source) {
    QuantizeResult r = quantize_graph(float_model, images, opt, source);
    import_back(r, images, source);
    return r;
}

static std::string options_line(const QuantizeResult& r, const QuantizeOptions& opt) {
    std::string s = fmt("calibration: %d images, method %s", r.images, calibration_name(opt.method));
    if (opt.method == Calibration::Percentile) s += fmt(" (%g%% of |values| fit in int8)", opt.percentile);
    if (opt.scales == ScaleKind::Pow2) return s + fmt("; spelling %s\n", opt.qdq ? "QDQ" : "QLinear");
    return s + fmt("; float scales, weights %s int8, activations %s %s; spelling QDQ\n",
                   opt.per_channel ? "per channel" : "per tensor", opt.activations_uint8 ? "uint8" : "int8",
                   opt.asymmetric ? "asymmetric" : "symmetric");
}

void print_quantize_points(const QuantizeResult& r, const QuantizeOptions& opt, std::ostream& os) {
    os << options_line(r, opt);
    if (opt.scales != ScaleKind::Float) return;
    os << fmt("%-3s %-24s %-25s %-13s %5s %9s\n", "#", "quantized at", "calibrated range", "scale", "zp", "clip%");
    for (size_t i = 0; i < r.points.size(); ++i) {
        const QuantPointReport& p = r.points[i];
        std::string name = p.at.size() > 24 ? p.at.substr(0, 21) + "..." : p.at;
        std::string range = fmt("[%.5g, %.5g]", p.lo, p.hi);
        os << fmt("%-3zu %-24s %-25s %-13.6g %5d %9.4f\n", i, name.c_str(), range.c_str(), double(p.q.scale),
                  p.q.zero_point, 100.0 * p.clipped);
    }
    os << "clip%: calibration values outside the quantized range (they saturate).\n";
}

void print_quantize_report(const QuantizeResult& r, const QuantizeOptions& opt, std::ostream& os) {
    if (opt.scales == ScaleKind::Float) {  // the points came first (print_quantize_points)
        os << fmt("%-3s %-22s %-14s %-9s %-13s %5s %9s %9s\n", "#", "layer", "op", "act", "scale out", "zp",
                  "sat%", "clip%");
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const QuantLayerReport& l = r.layers[i];
            std::string clip = l.clipped < 0 ? "-" : fmt("%.4f", 100.0 * l.clipped);
            std::string name = l.name.size() > 22 ? l.name.substr(0, 19) + "..." : l.name;
            os << fmt("%-3zu %-22s %-14s %-9s %-13.6g %5.0f %9.4f %9s\n", i, name.c_str(), l.kind.c_str(),
                      l.act.c_str(), l.scale_out, l.zp_out, 100.0 * l.saturated, clip.c_str());
        }
        os << "sat%: outputs clamped by saturation (integer executor, calibration images).\n";
        return;
    }
    os << options_line(r, opt);
    os << fmt("input uint8, f=%d (x = p/255)\n", r.network.f_input);
    os << fmt("%-3s %-22s %-14s %-9s %-10s %9s %9s\n", "#", "layer", "op", "act", "f in/w/out", "sat%", "clip%");
    for (size_t i = 0; i < r.layers.size(); ++i) {
        const QuantLayerReport& l = r.layers[i];
        std::string f = l.has_weights ? fmt("%d/%d/%d", l.f_in, l.f_w, l.f_out) : fmt("%d/-/%d", l.f_in, l.f_out);
        std::string clip = l.clipped < 0 ? "-" : fmt("%.4f", 100.0 * l.clipped);
        std::string name = l.name.size() > 22 ? l.name.substr(0, 19) + "..." : l.name;
        os << fmt("%-3zu %-22s %-14s %-9s %-10s %9.4f %9s\n", i, name.c_str(), l.kind.c_str(), l.act.c_str(),
                  f.c_str(), 100.0 * l.saturated, clip.c_str());
    }
    os << "sat%: int8 outputs clamped by saturation (integer executor, calibration images).\n"
          "clip%: float values at the layer's quantization point outside the int8 range at f_out\n"
          "       (calibration images).\n";
}

}  // namespace cnn
