// ONNX graph -> layer IR.
//
// The graph is walked as a chain from its input. Each value is either
// quantized (int8/uint8 integers that stand for scale * q) or float. Float
// values live between a DequantizeLinear and the next QuantizeLinear: such a
// "float segment" holds at most one rounding op (Conv, Gemm/MatMul, a pool or
// an activation), and is evaluated exactly and rounded once at its
// QuantizeLinear — which is what ONNX computes and what one IR layer does.
// A MaxPool after the compute op of a segment commutes with the rounding
// (RHE is monotonic), so it becomes a layer of its own at the output scale.
#include "import.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "error.hpp"
#include "passes.hpp"

namespace cnn {

namespace {

std::string node_ref(const onnx::Node& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }

// A constant operand: an initializer, or a DequantizeLinear / Identity of one.
struct Const {
    onnx::Tensor values;     // the stored numbers (integers when quantized)
    bool quantized = false;  // behind a DequantizeLinear
    QuantParam q;            // scale, zero point, dtype when quantized
};

const std::set<std::string> kChainOps = {
    "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "Conv",
    "Gemm", "MatMul", "Relu", "LeakyRelu", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Flatten", "Reshape", "Softmax", "Dropout", "Identity"};

class Importer {
public:
    Importer(const onnx::Graph& g, const std::string& source) : g_(g) {
        net_.source = source;
        auto slash = source.find_last_of('/');
        std::string file = slash == std::string::npos ? source : source.substr(slash + 1);
        net_.name = file.substr(0, file.rfind('.'));
    }

    Network run() {
        find_constants();
        read_input();
        walk_chain();
        return std::move(net_);
    }

private:
    const onnx::Graph& g_;
    Network net_;
    std::map<std::string, Const> consts_;
    std::map<std::string, std::vector<const onnx::Node*>> consumers_;

    // --- where we are in the chain ---
    bool quantized_ = false;  // the current value is integers (else float)
    QuantParam cur_q_;        // its quantization when quantized
    Shape shape_;
    bool flat_ = false;       // Flatten/Reshape seen since the last spatial op
    bool prequantized_input_pending_ = false;

    struct Segment {          // ops since the last DequantizeLinear
        QuantParam in_q;
        bool has_compute = false;
        Layer compute;        // Conv / Dense / a pool, without its "y"
        bool has_act = false;
        Activation act = Activation::None;
        double alpha = 0.0;
        std::string act_name;
        bool has_maxpool_after = false;
        Layer maxpool_after;
        std::string ops;      // op types, for messages and the layer's facts
    } seg_;

    std::string where_;       // the node being read, for messages

    [[noreturn]] void fail(const std::string& rule) const { throw Error(where_, rule); }

    // --- constants ---------------------------------------------------------

    void find_constants() {
        for (auto& [name, t] : g_.initializers) consts_[name].values = t;
        // Constant nodes come before their users in a valid model.
        for (const onnx::Node& n : g_.nodes) {
            for (const std::string& in : n.inputs)
                if (!in.empty()) consumers_[in].push_back(&n);
            bool all_const = !n.inputs.empty() || n.op_type == "Constant";
            for (const std::string& in : n.inputs)
                if (!in.empty() && !consts_.count(in)) all_const = false;
            if (!all_const || n.outputs.empty()) continue;
            where_ = node_ref(n);
            Const c;
            if (n.op_type == "Constant") {
                if (!n.has("value")) fail("Constant without a 'value' tensor is not supported");
                c.values = n.attrs.at("value").t;
            } else if (n.op_type == "DequantizeLinear") {
                c.values = consts_.at(n.inputs[0]).values;
                c.quantized = true;
                c.q = quant_param("", n, 1, 2, n.inputs[0]);
            } else if (n.op_type == "Identity") {
                c = consts_.at(n.inputs[0]);
            } else {
                fail("op " + n.op_type + " on constants is not supported");
            }
            consts_[n.outputs[0]] = c;
        }
    }

    double scalar(const std::string& name, const char* what) const {
        auto it = consts_.find(name);
        if (it == consts_.end()) fail(std::string(what) + " '" + name + "' is not a constant");
        const onnx::Tensor& t = it->second.values;
        if (t.data.empty()) fail(std::string(what) + " '" + name + "' is empty");
        for (double v : t.data)
            if (v != t.data[0])
                fail(std::string(what) + " '" + name + "' has " + std::to_string(t.data.size()) +
                     " different values: per-channel quantization is not supported");
        return t.data[0];
    }

    // The (scale, zero point) pair at inputs [si], [zi] of node n.
    QuantParam quant_param(const std::string& role, const onnx::Node& n, size_t si, size_t zi,
                           const std::string& tensor) const {
        QuantParam q;
        q.role = role;
        q.tensor = tensor;
        if (si >= n.inputs.size() || n.inputs[si].empty()) fail("missing scale input");
        q.scale = scalar(n.inputs[si], "scale");
        q.dtype = "uint8";  // ONNX's default when the zero point is omitted
        if (zi < n.inputs.size() && !n.inputs[zi].empty()) {
            q.zero_point = scalar(n.inputs[zi], "zero point");
            q.dtype = onnx::dtype_name(consts_.at(n.inputs[zi]).values.dtype);
        }
        return q;
    }

    const Const& constant(const onnx::Node& n, size_t i, const char* what) const {
        if (i >= n.inputs.size() || n.inputs[i].empty()) fail(std::string("missing ") + what);
        auto it = consts_.find(n.inputs[i]);
        if (it == consts_.end()) fail(std::string(what) + " '" + n.inputs[i] + "' is not a constant");
        return it->second;
    }

    // --- the graph input -----------------------------------------------------

    void read_input() {
        if (g_.inputs.size() != 1) {
            where_ = "graph '" + g_.name + "'";
            fail("has " + std::to_string(g_.inputs.size()) + " inputs; exactly one image input is accepted");
        }
        if (g_.outputs.size() != 1) {
            where_ = "graph '" + g_.name + "'";
            fail("has " + std::to_string(g_.outputs.size()) + " outputs; exactly one is accepted");
        }
        const onnx::ValueInfo& in = g_.inputs[0];
        where_ = "input '" + in.name + "'";
        net_.input_dims = in.dims;
        if (in.dims.size() != 4) fail("rank " + std::to_string(in.dims.size()) + "; [1, C, H, W] is accepted");
        for (int64_t d : in.dims)
            if (d <= 0) fail("has an unknown or symbolic dimension; [1, C, H, W] with fixed sizes is accepted");
        shape_ = Shape{int(in.dims[1]), int(in.dims[2]), int(in.dims[3])};
        net_.input = shape_;
        if (in.dtype == onnx::DType::Float) {
            quantized_ = false;
        } else if (in.dtype == onnx::DType::UInt8 || in.dtype == onnx::DType::Int8) {
            // Already quantized: its scale is the first QLinear node's x_scale.
            quantized_ = true;
            net_.input_prequantized = true;
            net_.input_unsigned = in.dtype == onnx::DType::UInt8;
            prequantized_input_pending_ = true;
        } else {
            fail(std::string("element type ") + onnx::dtype_name(in.dtype) + "; float, uint8 or int8 is accepted");
        }
    }

    // --- the chain -----------------------------------------------------------

    void walk_chain() {
        std::string cur = g_.inputs[0].name;
        const std::string& out = g_.outputs[0].name;
        std::set<const onnx::Node*> on_chain;
        while (cur != out) {
            auto it = consumers_.find(cur);
            std::vector<const onnx::Node*> users = it == consumers_.end() ? std::vector<const onnx::Node*>{} : it->second;
            if (users.empty()) {
                where_ = "value '" + cur + "'";
                fail("is not used and is not the graph output: the graph is not a single chain");
            }
            if (users.size() > 1) {
                where_ = "value '" + cur + "'";
                std::string names;
                for (auto* u : users) names += (names.empty() ? "" : ", ") + ("'" + u->name + "' (" + u->op_type + ")");
                fail("feeds " + std::to_string(users.size()) + " nodes (" + names +
                     "): branches and residual adds are not accepted, only a single chain");
            }
            const onnx::Node& n = *users[0];
            where_ = node_ref(n);
            for (size_t i = 1; i < n.inputs.size(); ++i)
                if (!n.inputs[i].empty() && !consts_.count(n.inputs[i]))
                    fail("takes two activations ('" + n.inputs[0] + "' and '" + n.inputs[i] +
                         "'): branches and residual adds are not accepted, only a single chain");
            if (n.inputs.empty() || n.inputs[0] != cur)
                fail("reads the chain's value '" + cur + "' as a non-data operand");
            if (!kChainOps.count(n.op_type) && n.op_type != "BatchNormalization")
                fail("op " + n.op_type + " is not supported");
            if (n.outputs.empty()) fail("has no output");
            step(n);
            on_chain.insert(&n);
            cur = n.outputs[0];
        }
        finish();
        // Anything not on the chain and not constant is a side branch.
        for (const onnx::Node& n : g_.nodes) {
            if (on_chain.count(&n) || (!n.outputs.empty() && consts_.count(n.outputs[0]))) continue;
            where_ = node_ref(n);
            fail("is not on the single chain from the graph input to its output");
        }
    }

    void step(const onnx::Node& n) {
        const std::string& op = n.op_type;
        if (op == "Dropout" || op == "Identity") return;
        if (op == "Flatten" || op == "Reshape") return flatten(n);
        if (op == "BatchNormalization")
            fail("BatchNormalization in a quantized graph: fold it into the convolution (quantize the float model with cnnc quantize)");
        if (quantized_) return step_quantized(n);
        return step_float(n);
    }

    void step_quantized(const onnx::Node& n) {
        const std::string& op = n.op_type;
        if (op == "QLinearConv") return qlinear_conv(n);
        if (op == "QLinearMatMul") return qlinear_matmul(n);
        if (op == "DequantizeLinear") {
            seg_ = Segment{};
            seg_.in_q = quant_param("x", n, 1, 2, n.inputs[0]);
            quantized_ = false;
            return;
        }
        if (op == "MaxPool" || op == "Relu") {
            // Integer ops on the quantized tensor: the scale is unchanged.
            Layer l = op == "MaxPool" ? pool_layer(n, LayerKind::MaxPool) : Layer{};
            if (op == "Relu") {
                l.kind = LayerKind::Act;
                l.act = Activation::Relu;
            }
            l.name = n.name;
            l.onnx.op = op;
            l.onnx.qparams = {with_role(cur_q_, "x"), with_role(cur_q_, "y")};
            push(l);
            return;
        }
        fail("op " + op + " needs a float input, but its input is quantized; put a DequantizeLinear before it");
    }

    void step_float(const onnx::Node& n) {
        const std::string& op = n.op_type;
        if (op == "QuantizeLinear") return close_segment(n);
        if (op == "Softmax") {
            net_.softmax = true;
            seg_.ops += "Softmax";
            return;
        }
        if (net_.softmax) fail("only the final DequantizeLinear may come before Softmax");
        if (!net_.layers.empty() || seg_.in_q.role == "x") {
            // inside a float segment
        } else {
            fail("the float graph input must pass through QuantizeLinear first");
        }
        if (op == "Conv" || op == "Gemm" || op == "MatMul") {
            if (seg_.has_compute || seg_.has_act || seg_.has_maxpool_after)
                fail("a second rounding op between DequantizeLinear and QuantizeLinear (after " + seg_.ops +
                     "): quantize in between");
            seg_.compute = op == "Conv" ? conv_layer(n, seg_.in_q) : dense_layer(n, seg_.in_q);
            seg_.has_compute = true;
        } else if (op == "MaxPool" && (seg_.has_compute || seg_.has_act)) {
            if (seg_.has_maxpool_after) fail("two MaxPools between DequantizeLinear and QuantizeLinear");
            seg_.maxpool_after = pool_layer(n, LayerKind::MaxPool);
            seg_.has_maxpool_after = true;
        } else if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool") {
            if (seg_.has_compute || seg_.has_act)
                fail("a second rounding op between DequantizeLinear and QuantizeLinear (after " + seg_.ops +
                     "): quantize in between");
            seg_.compute = op == "GlobalAveragePool" ? gap_layer(n)
                         : pool_layer(n, op == "MaxPool" ? LayerKind::MaxPool : LayerKind::AvgPool);
            seg_.has_compute = true;
        } else if (op == "Relu" || op == "LeakyRelu") {
            if (seg_.has_act) fail("two activations between DequantizeLinear and QuantizeLinear");
            if (seg_.has_maxpool_after) fail("an activation after MaxPool in one float segment: quantize in between");
            seg_.has_act = true;
            seg_.act = op == "Relu" ? Activation::Relu : Activation::Leaky;
            seg_.alpha = op == "LeakyRelu" ? n.attr_float("alpha", 0.01) : 0.0;
            seg_.act_name = n.name;
        } else {
            fail("op " + op + " is not supported on float values");
        }
        seg_.ops += (seg_.ops.empty() ? "" : "+") + op;
    }

    // A QuantizeLinear ends a float segment: its layers are made here.
    void close_segment(const onnx::Node& n) {
        QuantParam y = quant_param("y", n, 1, 2, n.outputs[0]);
        if (net_.layers.empty() && seg_.in_q.role.empty()) {
            // The graph input's QuantizeLinear.
            net_.input_q = with_role(y, "input");
            net_.input_unsigned = y.dtype == "uint8";
            set_quantized(y);
            return;
        }
        Layer l;
        if (seg_.has_compute) {
            l = seg_.compute;
            if (!l.has_weights()) l.onnx.qparams.push_back(seg_.in_q);  // pools: x is the segment's input
        } else {
            l.kind = LayerKind::Act;  // an activation alone, or a plain rescale
            l.in = l.out = shape_;
            l.name = seg_.has_act ? seg_.act_name : n.name;
            l.onnx.qparams.push_back(seg_.in_q);
        }
        l.onnx.op = seg_.ops.empty() ? "Rescale" : seg_.ops;
        if (seg_.has_act) {
            l.act = seg_.act;
            l.onnx.alpha = seg_.alpha;
            if (l.name != seg_.act_name) l.name += "+" + seg_.act_name;
        }
        l.onnx.qparams.push_back(y);
        push(l);
        if (seg_.has_maxpool_after) {
            Layer m = seg_.maxpool_after;
            m.onnx.qparams = {with_role(y, "x"), y};
            push(m);
        }
        set_quantized(y);
    }

    void set_quantized(const QuantParam& y) {
        quantized_ = true;
        cur_q_ = y;
        seg_ = Segment{};
    }

    static QuantParam with_role(QuantParam q, const char* role) {
        q.role = role;
        return q;
    }

    void push(Layer l) {
        if (l.out.size() == 0) fail("output shape " + to_string(l.out) + " is empty");
        shape_ = l.out;
        flat_ = false;
        net_.layers.push_back(std::move(l));
    }

    void flatten(const onnx::Node& n) {
        if (n.op_type == "Flatten" && n.attr_int("axis", 1) != 1)
            fail("axis " + std::to_string(n.attr_int("axis", 1)) + "; only axis 1 (keep the batch) is accepted");
        if (n.op_type == "Reshape") {
            const onnx::Tensor& t = constant(n, 1, "shape").values;
            bool ok = t.data.size() == 2 && (t.data[0] == 1 || t.data[0] == -1 || t.data[0] == 0) &&
                      (t.data[1] == -1 || t.data[1] == double(shape_.size()));
            if (!ok) fail("only a Reshape to [1, C*H*W] (a flatten) is accepted");
        }
        flat_ = true;
        if (!quantized_) seg_.ops += (seg_.ops.empty() ? "" : "+") + n.op_type;
    }

    void finish() {
        where_ = "graph output '" + g_.outputs[0].name + "'";
        if (net_.layers.empty()) fail("the graph has no layer the hardware runs");
        if (!quantized_) {
            if (seg_.has_compute || seg_.has_act || seg_.has_maxpool_after)
                fail("ends with float " + seg_.ops + " and no QuantizeLinear: the hardware's output is int8");
            net_.f_output = 0;  // set from the scale by assign_fractional_bits
            net_.output_q = seg_.in_q;
        } else {
            net_.output_q = cur_q_;
        }
        net_.output_name = g_.outputs[0].name;
    }

    // --- layer builders --------------------------------------------------------

    void conv_attrs(const onnx::Node& n, Layer& l, int kh, int kw) {
        l.onnx.kernel_h = kh;
        l.onnx.kernel_w = kw;
        auto ks = n.attr_ints("kernel_shape");
        if (!ks.empty() && (ks.size() != 2 || ks[0] != kh || ks[1] != kw))
            fail("kernel_shape disagrees with the weights");
        auto st = n.attr_ints("strides", {1, 1});
        auto di = n.attr_ints("dilations", {1, 1});
        auto pd = n.attr_ints("pads", {0, 0, 0, 0});
        if (st.size() != 2 || di.size() != 2 || pd.size() != 4) fail("only 2-D convolution and pooling are accepted");
        l.onnx.stride_h = int(st[0]);
        l.onnx.stride_w = int(st[1]);
        l.onnx.dilation_h = int(di[0]);
        l.onnx.dilation_w = int(di[1]);
        if (l.onnx.stride_h < 1 || l.onnx.stride_w < 1) fail("stride must be at least 1");
        std::string ap = n.attr_string("auto_pad", "NOTSET");
        if (ap == "NOTSET") {
            l.onnx.pad_t = int(pd[0]);
            l.onnx.pad_l = int(pd[1]);
            l.onnx.pad_b = int(pd[2]);
            l.onnx.pad_r = int(pd[3]);
        } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
            auto same = [&](int size, int k, int s, int d, int& lo, int& hi) {
                int out = (size + s - 1) / s;
                int total = std::max(0, (out - 1) * s + (k - 1) * d + 1 - size);
                lo = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
                hi = total - lo;
            };
            same(shape_.h, kh, l.onnx.stride_h, l.onnx.dilation_h, l.onnx.pad_t, l.onnx.pad_b);
            same(shape_.w, kw, l.onnx.stride_w, l.onnx.dilation_w, l.onnx.pad_l, l.onnx.pad_r);
        } else if (ap != "VALID") {
            fail("auto_pad " + ap + " is not supported");
        }
        l.kernel_h = kh;
        l.kernel_w = kw;
        l.stride_h = l.onnx.stride_h;
        l.stride_w = l.onnx.stride_w;
        l.pad_t = l.onnx.pad_t;
        l.pad_l = l.onnx.pad_l;
        l.pad_b = l.onnx.pad_b;
        l.pad_r = l.onnx.pad_r;
        auto out_dim = [&](int size, int lo, int hi, int k, int s, int d, bool ceil_mode) {
            int span = size + lo + hi - d * (k - 1) - 1;
            if (span < 0) fail("kernel larger than the padded input " + to_string(shape_));
            return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        };
        l.in = shape_;
        l.out.h = out_dim(shape_.h, l.onnx.pad_t, l.onnx.pad_b, kh, l.onnx.stride_h, l.onnx.dilation_h, l.onnx.ceil_mode);
        l.out.w = out_dim(shape_.w, l.onnx.pad_l, l.onnx.pad_r, kw, l.onnx.stride_w, l.onnx.dilation_w, l.onnx.ceil_mode);
    }

    // Weights [OC][IC][KH][KW] -> IR [oc][ky][kx][ic]; IC counts per group.
    void conv_weights(const onnx::Tensor& w, Layer& l) {
        if (w.dims.size() != 4) fail("weights of rank " + std::to_string(w.dims.size()) + "; 2-D convolution is accepted");
        int OC = int(w.dims[0]), IC = int(w.dims[1]), KH = int(w.dims[2]), KW = int(w.dims[3]);
        l.out.c = OC;
        if (l.onnx.group != 1) return;  // refused by the legality pass, which names the group
        if (IC != shape_.c)
            fail("weights expect " + std::to_string(IC) + " input channels, the input has " +
                 std::to_string(shape_.c));
        l.weights.assign(w.data.size(), 0);
        for (int oc = 0; oc < OC; ++oc)
            for (int ic = 0; ic < IC; ++ic)
                for (int ky = 0; ky < KH; ++ky)
                    for (int kx = 0; kx < KW; ++kx)
                        l.weights[((size_t(oc) * KH + ky) * KW + kx) * IC + ic] =
                            int8_t(int(std::clamp(w.data[((size_t(oc) * IC + ic) * KH + ky) * KW + kx], -128.0, 255.0)));
    }

    void read_bias(const onnx::Node& n, size_t i, Layer& l, double bias_scale) {
        l.bias.assign(size_t(l.out.c), 0);
        if (i >= n.inputs.size() || n.inputs[i].empty()) return;
        const Const& b = constant(n, i, "bias");
        if (b.values.data.size() != size_t(l.out.c))
            fail("bias has " + std::to_string(b.values.data.size()) + " values for " + std::to_string(l.out.c) + " outputs");
        QuantParam q = b.quantized ? b.q : QuantParam{};
        q.role = "bias";
        q.tensor = n.inputs[i];
        if (!b.quantized) q.scale = bias_scale;  // QLinear form: implied s_x * s_w
        q.dtype = onnx::dtype_name(b.values.dtype);
        l.onnx.qparams.push_back(q);
        for (size_t k = 0; k < l.bias.size(); ++k)
            l.bias[k] = int32_t(std::clamp(b.values.data[k], -2147483648.0, 2147483647.0));
    }

    void qlinear_conv(const onnx::Node& n) {
        Layer l;
        l.kind = LayerKind::Conv;
        l.name = n.name;
        l.onnx.op = "QLinearConv";
        QuantParam x = quant_param("x", n, 1, 2, n.inputs[0]);
        take_prequantized_input(x);
        const Const& w = constant(n, 3, "weights");
        QuantParam wq = quant_param("w", n, 4, 5, n.inputs[3]);
        wq.dtype = onnx::dtype_name(w.values.dtype);
        l.onnx.group = int(n.attr_int("group", 1));
        conv_attrs(n, l, int(w.values.dims.size() == 4 ? w.values.dims[2] : 0),
                   int(w.values.dims.size() == 4 ? w.values.dims[3] : 0));
        conv_weights(w.values, l);
        l.onnx.qparams = {x, wq};
        read_bias(n, 8, l, x.scale * wq.scale);
        l.onnx.qparams.push_back(quant_param("y", n, 6, 7, n.outputs[0]));
        push(l);
        cur_q_ = l.onnx.qparams.back();
    }

    void qlinear_matmul(const onnx::Node& n) {
        QuantParam x = quant_param("x", n, 1, 2, n.inputs[0]);
        take_prequantized_input(x);
        const Const& w = constant(n, 3, "weights");
        QuantParam wq = quant_param("w", n, 4, 5, n.inputs[3]);
        wq.dtype = onnx::dtype_name(w.values.dtype);
        Layer l = dense_from(n, w.values, false);
        l.onnx.op = "QLinearMatMul";
        l.onnx.qparams = {x, wq, quant_param("y", n, 6, 7, n.outputs[0])};
        l.bias.assign(size_t(l.out.c), 0);
        push(l);
        cur_q_ = l.onnx.qparams.back();
    }

    void take_prequantized_input(const QuantParam& x) {
        if (!prequantized_input_pending_) return;
        net_.input_q = with_role(x, "input");
        prequantized_input_pending_ = false;
    }

    Layer conv_layer(const onnx::Node& n, const QuantParam& x) {
        Layer l;
        l.kind = LayerKind::Conv;
        l.name = n.name;
        const Const& w = quantized_const(n, 1, "weights");
        l.onnx.group = int(n.attr_int("group", 1));
        conv_attrs(n, l, int(w.values.dims.size() == 4 ? w.values.dims[2] : 0),
                   int(w.values.dims.size() == 4 ? w.values.dims[3] : 0));
        conv_weights(w.values, l);
        weights_and_bias(n, w, x, l);
        return l;
    }

    Layer dense_layer(const onnx::Node& n, const QuantParam& x) {
        const Const& w = quantized_const(n, 1, "weights");
        bool trans_b = n.op_type == "Gemm" && n.attr_int("transB", 0) != 0;
        if (n.op_type == "Gemm" && n.attr_int("transA", 0) != 0) fail("transA=1 is not supported");
        Layer l = dense_from(n, w.values, trans_b);
        if (n.op_type == "Gemm") {
            l.onnx.gemm_alpha = n.attr_float("alpha", 1.0);
            l.onnx.gemm_beta = n.attr_float("beta", 1.0);
        }
        weights_and_bias(n, w, x, l);
        return l;
    }

    // QDQ form: the x and w quantization of a float Conv/Gemm, then its bias (input 2).
    void weights_and_bias(const onnx::Node& n, const Const& w, const QuantParam& x, Layer& l) {
        QuantParam wq = w.q;
        wq.role = "w";
        wq.dtype = onnx::dtype_name(w.values.dtype);
        l.onnx.qparams = {x, wq};
        read_bias(n, 2, l, x.scale * wq.scale);
    }

    const Const& quantized_const(const onnx::Node& n, size_t i, const char* what) {
        const Const& c = constant(n, i, what);
        if (!c.quantized)
            fail(std::string(what) + " '" + n.inputs[i] + "' are float: a quantized model needs int8 " + what +
                 " behind a DequantizeLinear");
        return c;
    }

    // Weights as [out][in] in ONNX's C-major flatten order (permute_dense_weights
    // reorders them to the stream's HWC order).
    Layer dense_from(const onnx::Node& n, const onnx::Tensor& w, bool trans_b) {
        if (!flat_ && !(shape_.h == 1 && shape_.w == 1))
            fail("fully connected layer on a " + to_string(shape_) + " tensor without Flatten");
        if (w.dims.size() != 2) fail("weights of rank " + std::to_string(w.dims.size()) + "; a matrix is accepted");
        int64_t K = trans_b ? w.dims[1] : w.dims[0], N = trans_b ? w.dims[0] : w.dims[1];
        if (K != shape_.size())
            fail("weights take " + std::to_string(K) + " inputs, the input " + to_string(shape_) + " has " +
                 std::to_string(shape_.size()));
        Layer l;
        l.kind = LayerKind::Dense;
        l.name = n.name;
        l.onnx.op = n.op_type;
        l.in = shape_;
        l.out = Shape{int(N), 1, 1};
        l.weights.assign(size_t(K * N), 0);
        for (int64_t o = 0; o < N; ++o)
            for (int64_t i = 0; i < K; ++i)
                l.weights[size_t(o * K + i)] =
                    int8_t(int(std::clamp(w.data[size_t(trans_b ? o * K + i : i * N + o)], -128.0, 255.0)));
        return l;
    }

    Layer pool_layer(const onnx::Node& n, LayerKind kind) {
        Layer l;
        l.kind = kind;
        l.name = n.name;
        l.onnx.op = n.op_type;
        auto ks = n.attr_ints("kernel_shape");
        if (ks.size() != 2) fail("kernel_shape must have 2 values");
        if (n.outputs.size() > 1 && !n.outputs[1].empty()) fail("the Indices output is not supported");
        l.onnx.ceil_mode = n.attr_int("ceil_mode", 0) != 0;
        if (kind == LayerKind::AvgPool && n.attr_int("count_include_pad", 0) != 0) {
            auto pd = n.attr_ints("pads", {0, 0, 0, 0});
            for (auto p : pd)
                if (p != 0) fail("count_include_pad with padding is not supported");
        }
        conv_attrs(n, l, int(ks[0]), int(ks[1]));
        l.out.c = shape_.c;
        return l;
    }

    Layer gap_layer(const onnx::Node& n) {
        Layer l;
        l.kind = LayerKind::GlobalAvgPool;
        l.name = n.name;
        l.onnx.op = n.op_type;
        l.in = shape_;
        l.out = Shape{shape_.c, 1, 1};
        return l;
    }
};

}  // namespace

bool is_float_model(const onnx::Graph& g) {
    for (const onnx::Node& n : g.nodes)
        if (n.op_type == "QuantizeLinear" || n.op_type == "QLinearConv" || n.op_type == "QLinearMatMul")
            return false;
    return true;
}

Network import_network(const onnx::Graph& graph, const std::string& source) {
    if (is_float_model(graph))
        throw Error(source, "a float model (no QuantizeLinear): quantize it first with `cnnc quantize`");
    return Importer(graph, source).run();
}

Network load_network(const std::string& path) {
    Network net = import_network(onnx::load_model(path), path);
    run_passes(net);
    return net;
}

}  // namespace cnn
