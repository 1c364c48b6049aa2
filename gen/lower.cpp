// Level 2 of the front end: the normalised ONNX graph (normalize.hpp) -> the
// layer IR. See lower.hpp for what is read; the steps:
//
//   1. constants: initializers, and DequantizeLinear of an initializer (a
//      quantized weight or bias, with its scale and zero point);
//   2. the chain: the nodes from the graph input to its output, each value
//      read by exactly one node (no fan-out: residual blocks are a later
//      spelling), every other operand a constant;
//   3. units: the chain cut where the value changes domain. A QLinear node is
//      one unit; a float segment runs from a DequantizeLinear to the next
//      QuantizeLinear (or the graph output); an integer op (MaxPool, Relu,
//      Clip, Flatten) on a quantized tensor is a unit of its own;
//   4. each unit -> layers (lower_unit): at most one op that needs rounding
//      (Conv, Gemm/MatMul, AveragePool, GlobalAveragePool) is its core; the
//      exact value of the whole unit is rounded once, at its end (SPEC §2).
//      Around the core:
//        - activations after it compose into its output stage (Relu, LeakyRelu,
//          Clip(0, max) as a clamp);
//        - a MaxPool commutes with every monotone step (activation, rounding),
//          so it becomes a MaxPool layer of its own on the quantized tensor;
//        - before a pool core, a LeakyRelu or Relu is its pre-activation (the
//          pool sums the leaky values with their extra fractional bits);
//        - before a Conv/Gemm core, Relu / Clip are exact on the quantized
//          input (an Act layer at the input scale); a LeakyRelu is refused.
//      A unit without a core is one Act layer (activation and/or rescale).
#include "lower.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <array>
#include <map>
#include <set>

#include "error.hpp"
#include "normalize.hpp"
#include "requant.hpp"

namespace cnn {

namespace {

using onnx::Node;
using graph::node_ref;

// A constant operand: an initializer, or a DequantizeLinear of one.
struct Const {
    const onnx::Tensor* values = nullptr;  // the stored numbers (integers when quantized)
    bool quantized = false;                // behind a DequantizeLinear
    QuantParam q;                          // its scale, zero point, dtype when quantized
};

// A number read from the file that becomes an int of the IR: refused when it
// does not fit (no narrowing: 2^32 + 1 must not read as 1).
int small_int(int64_t v, const std::string& what, const std::string& where) {
    if (v < -(int64_t(1) << 31) + 1 || v > (int64_t(1) << 31) - 1)
        throw Error(where, what + " " + std::to_string(v) + " is out of range");
    return int(v);
}

// What an op does to the unit's value.
enum class Role { Core, MaxPool, Act, Flatten, Other };

Role role_of(const std::string& op) {
    if (op == "Conv" || op == "Gemm" || op == "MatMul" || op == "AveragePool" || op == "GlobalAveragePool" ||
        op == "QLinearConv" || op == "QLinearMatMul" || op == "QLinearAveragePool" ||
        op == "QLinearGlobalAveragePool")
        return Role::Core;
    if (op == "MaxPool") return Role::MaxPool;
    if (op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "QLinearLeakyRelu" || op == "HardSigmoid" ||
        op == "HardSwish")
        return Role::Act;
    if (op == "Flatten") return Role::Flatten;
    return Role::Other;  // Softmax (only last, taken off before) and everything SPEC §1 does not list
}

// The activation of an output stage, composed step by step: relu, leaky (alpha)
// and clamps (in real units, applied after them) in the order ONNX applies
// them. `table_only` names a step no output stage composes (HardSigmoid,
// HardSwish, a Clip before a LeakyRelu ...): the unit is then only possible
// as a lookup table, which needs it to stand alone (no Conv, Gemm or pool).
struct ActState {
    Activation act = Activation::None;
    double alpha = 0.0;
    double lo = -INFINITY, hi = INFINITY;
    std::string names, ops;  // "+name" / "+Op" per step, for the layer's name and facts
    std::string table_only;
    std::vector<const Node*> nodes;
};

// One float op of a segment on one value, as onnxruntime's CPU kernels
// compute it in float32 (core/providers/cpu/activation/activations.h: Relu,
// LeakyRelu `x >= 0 ? x : alpha * x`, HardSigmoid `max(0, min(1, alpha * x +
// beta))`; math/clip.cc; HardSwish `x * hardsigmoid(x)` with 1/6, 1/2).
float float_op(const Node& n, float v, float lo, float hi) {
    const std::string& op = n.op_type;
    if (op == "Relu") return std::max(v, 0.0f);
    if (op == "LeakyRelu" || op == "QLinearLeakyRelu") {
        const float a = float(n.attr_float("alpha", 0.01));
        return v >= 0 ? v : float(a * v);
    }
    if (op == "Clip") return std::min(std::max(v, lo), hi);
    if (op == "HardSigmoid" || op == "HardSwish") {
        const float a = op == "HardSwish" ? 1.0f / 6.0f : float(n.attr_float("alpha", 0.2));
        const float b = op == "HardSwish" ? 0.5f : float(n.attr_float("beta", 0.5));
        volatile float ax = a * v;
        volatile float axb = ax + b;
        const float h = std::max(0.0f, std::min(1.0f, float(axb)));
        return op == "HardSwish" ? float(v * h) : h;
    }
    throw Error(node_ref(n), "op " + op + " has no float form here");
}

// A stream byte (0..255) as the quantized integer of a tensor of dtype: the
// stream carries int8 bits; a uint8 value u travels as u - 128.
int from_stream(int byte, const std::string& dtype) {
    const int s = int(int8_t(uint8_t(byte)));
    return dtype == "uint8" ? s + 128 : s;
}
int to_stream(int q, const std::string& dtype) { return dtype == "uint8" ? q - 128 : q; }
int qmin(const std::string& dtype) { return dtype == "uint8" ? 0 : -128; }
int qmax(const std::string& dtype) { return dtype == "uint8" ? 255 : 127; }

class Lowering {
public:
    Lowering(const onnx::Graph& g, const std::string& source) : g_(g) {
        net_.source = source;
        auto slash = source.find_last_of('/');
        std::string file = slash == std::string::npos ? source : source.substr(slash + 1);
        net_.name = file.substr(0, file.rfind('.'));
    }

    Network run() {
        find_constants();
        read_input();
        lower_graph();
        return std::move(net_);
    }

private:
    const onnx::Graph& g_;
    Network net_;
    std::map<std::string, Const> consts_;
    std::string where_;
    Shape shape_;
    bool flat_ = false;         // a Flatten since the last spatial layer
    QuantParam cur_q_;          // the quantization of the current (quantized) value
    bool pending_input_ = false;  // a quantized graph input: its scale is the first node's

    [[noreturn]] void fail(const std::string& rule) const { throw Error(where_, rule); }

    // --- 1. constants -------------------------------------------------------

    void find_constants() {
        for (const auto& [name, t] : g_.initializers) consts_[name].values = &t;
        for (const Node& n : g_.nodes) {
            if (n.op_type != "DequantizeLinear" || n.inputs.empty() || n.outputs.empty()) continue;
            auto it = consts_.find(n.inputs[0]);
            if (it == consts_.end() || it->second.quantized) continue;
            where_ = node_ref(n);
            Const c;
            c.values = it->second.values;
            c.quantized = true;
            c.q = quant_param("", n, 1, 2, n.inputs[0], true);
            c.q.axis = int(n.attr_int("axis", 1));
            c.q.dtype = onnx::dtype_name(c.values->dtype);
            consts_[n.outputs[0]] = c;
        }
    }

    const Const* find_const(const std::string& name) const {
        auto it = consts_.find(name);
        return it == consts_.end() ? nullptr : &it->second;
    }

    // The values of a constant; one value unless per_channel allows a vector.
    const std::vector<double>& values(const std::string& name, const char* what, bool per_channel) const {
        const Const* c = find_const(name);
        if (!c) fail(std::string(what) + " '" + name + "' is not a constant");
        const onnx::Tensor& t = *c->values;
        if (t.data.empty()) fail(std::string(what) + " '" + name + "' is empty");
        if (!per_channel)
            for (double v : t.data)
                if (v != t.data[0])
                    fail(std::string(what) + " '" + name + "' has " + std::to_string(t.data.size()) +
                         " different values: one per tensor is accepted here (per channel only for weights and bias)");
        return t.data;
    }

    double scalar(const std::string& name, const char* what) const { return values(name, what, false)[0]; }

    // The (scale, zero point) pair at inputs [si], [zi] of node n; per_channel:
    // a weight's or bias' 1-D scale (zero points must then all be equal: the
    // legality pass requires 0).
    QuantParam quant_param(const std::string& role, const Node& n, size_t si, size_t zi,
                           const std::string& tensor, bool per_channel = false) const {
        QuantParam q;
        q.role = role;
        q.tensor = tensor;
        if (si >= n.inputs.size() || n.inputs[si].empty()) fail("missing scale input");
        const std::vector<double>& sv = values(n.inputs[si], "scale", per_channel);
        q.scale = sv[0];
        if (sv.size() > 1) q.channel_scales = sv;
        q.dtype = "uint8";  // ONNX's default when the zero point is omitted
        if (zi < n.inputs.size() && !n.inputs[zi].empty()) {
            const std::vector<double>& zv = values(n.inputs[zi], "zero point", per_channel);
            for (double z : zv)
                if (z != zv[0]) fail("zero point '" + n.inputs[zi] + "' differs between channels; weights need zero point 0");
            q.zero_point = zv[0];
            q.dtype = onnx::dtype_name(find_const(n.inputs[zi])->values->dtype);
        }
        return q;
    }

    const Const& constant(const Node& n, size_t i, const char* what) const {
        if (i >= n.inputs.size() || n.inputs[i].empty()) fail(std::string("missing ") + what);
        const Const* c = find_const(n.inputs[i]);
        if (!c) fail(std::string(what) + " '" + n.inputs[i] + "' is not a constant");
        return *c;
    }

    const Const& quantized_const(const Node& n, size_t i, const char* what) const {
        const Const& c = constant(n, i, what);
        if (!c.quantized)
            fail(std::string(what) + " '" + n.inputs[i] + "' are float: a quantized model needs int8 " + what +
                 " behind a DequantizeLinear");
        return c;
    }

    // --- 2. the chain -------------------------------------------------------

    void read_input() {
        where_ = "graph '" + g_.name + "'";
        if (g_.inputs.size() != 1)
            fail("has " + std::to_string(g_.inputs.size()) + " inputs; exactly one image input is accepted");
        if (g_.outputs.size() != 1)
            fail("has " + std::to_string(g_.outputs.size()) + " outputs; exactly one is accepted");
        const onnx::ValueInfo& in = g_.inputs[0];
        where_ = "input '" + in.name + "'";
        net_.input_dims = in.dims;
        if (in.dims.size() != 4) fail("rank " + std::to_string(in.dims.size()) + "; [1, C, H, W] is accepted");
        for (int64_t d : in.dims)
            if (d <= 0) fail("has an unknown or symbolic dimension; [1, C, H, W] with fixed sizes is accepted");
        // The reader has bounded every dim by 2^31 - 1; the resource guard judges the size.
        shape_ = Shape{small_int(in.dims[1], "channels", where_), small_int(in.dims[2], "height", where_),
                       small_int(in.dims[3], "width", where_)};
        net_.input = shape_;
        if (in.dtype == onnx::DType::UInt8 || in.dtype == onnx::DType::Int8) {
            net_.input_prequantized = true;
            net_.input_unsigned = in.dtype == onnx::DType::UInt8;
            pending_input_ = true;
        } else if (in.dtype != onnx::DType::Float) {
            fail(std::string("element type ") + onnx::dtype_name(in.dtype) + "; float, uint8 or int8 is accepted");
        }
    }

    // --- 2. the graph: streams, forks and joins -------------------------------
    //
    // Every quantized value is a stream: the graph input (quantized), the
    // output of a QuantizeLinear, of a QLinear op or of an integer op. The
    // walk starts at the graph input and lowers each unit that reads a stream
    // as soon as its inputs exist (an Add waits for both), depth first, so the
    // layers come out in topological order. A stream read by two units is a
    // fork (SPEC §1: both paths must rejoin in one Add); a DequantizeLinear
    // whose float output feeds two nodes counts as one per consumer.

    struct Stream {
        int producer = -1;    // layer index, -1 the graph input
        Shape shape;
        QuantParam q;
        bool flat = false;
    };
    // One input of an Add waiting for the other.
    struct AddInput {
        std::string stream;
        QuantParam q;
        bool set = false;
    };

    std::map<std::string, std::vector<const Node*>> consumers_;
    std::map<std::string, Stream> streams_;
    std::map<const Node*, std::array<AddInput, 2>> adds_;
    std::set<const Node*> done_;
    std::vector<std::string> work_;   // streams whose readers are still to lower
    int cur_producer_ = -1;
    bool have_output_ = false;        // the graph output has been lowered
    int output_producer_ = -1;        // the layer that computes it

    void index_consumers() {
        for (const Node& n : g_.nodes)
            for (const std::string& in : n.inputs)
                if (!in.empty() && !find_const(in)) consumers_[in].push_back(&n);
    }

    const std::vector<const Node*>& users(const std::string& v) const {
        static const std::vector<const Node*> none;
        auto it = consumers_.find(v);
        return it == consumers_.end() ? none : it->second;
    }

    bool is_output(const std::string& v) const { return v == g_.outputs[0].name; }

    // The state of the lowering is the stream being read.
    void enter(const std::string& name) {
        const Stream& s = streams_.at(name);
        shape_ = s.shape;
        flat_ = s.flat;
        cur_q_ = s.q;
        cur_producer_ = s.producer;
    }

    // The value `name` is now a stream: what the lowering just produced.
    void produce(const std::string& name) {
        if (streams_.count(name)) fail("value '" + name + "' is produced twice");
        streams_[name] = Stream{cur_producer_, shape_, cur_q_, flat_};
        if (is_output(name)) {
            have_output_ = true;
            output_producer_ = cur_producer_;
            net_.output_q = cur_q_;
        }
        work_.push_back(name);
    }

    void mark(const Node& n) {
        where_ = node_ref(n);
        if (!done_.insert(&n).second) fail("is reached twice: the graph has a cycle");
        if (!n.domain.empty() && n.domain != "com.microsoft") fail("domain '" + n.domain + "' is not supported");
        for (size_t i = 1; i < n.outputs.size(); ++i)
            if (!n.outputs[i].empty() && !users(n.outputs[i]).empty())
                fail("its output " + std::to_string(i) + " ('" + n.outputs[i] + "') is used; only the first is accepted");
        if (n.outputs.empty() || n.outputs[0].empty()) fail("has no output");
    }

    void lower_graph() {
        index_consumers();
        const std::string& in = g_.inputs[0].name;
        where_ = "graph output '" + g_.outputs[0].name + "'";
        if (is_output(in)) fail("is the graph input: the graph has no layer the hardware runs");
        if (net_.input_prequantized) {
            streams_[in] = Stream{-1, shape_, QuantParam{}, false};
            work_.push_back(in);
        } else {
            // The float graph input must pass through one QuantizeLinear first.
            const auto& u = users(in);
            where_ = "input '" + in + "'";
            if (u.empty()) fail("is not used");
            for (const Node* n : u)
                if (n->op_type != "QuantizeLinear") {
                    where_ = node_ref(*n);
                    fail("the float graph input must pass through QuantizeLinear first");
                }
            if (u.size() > 1) fail("is quantized by " + std::to_string(u.size()) + " nodes; one QuantizeLinear is accepted");
            const Node& q = *u[0];
            mark(q);
            net_.input_q = quant_param("input", q, 1, 2, q.outputs[0]);
            net_.input_unsigned = net_.input_q.dtype == "uint8";
            cur_q_ = with_role(net_.input_q, "y");
            produce(q.outputs[0]);
        }
        while (!work_.empty()) {
            const std::string v = work_.back();
            work_.pop_back();
            read_stream(v);
        }
        for (const Node& n : g_.nodes) {
            if (done_.count(&n) || (!n.outputs.empty() && find_const(n.outputs[0]))) continue;
            where_ = node_ref(n);
            if (adds_.count(&n)) fail("has only one of its two inputs on a path from the graph input");
            fail("is not on a path from the graph input to its output");
        }
        where_ = "graph output '" + g_.outputs[0].name + "'";
        if (net_.layers.empty()) fail("the graph has no layer the hardware runs");
        if (!have_output_) fail("is not reached from the graph input");
        // Every layer's output is read, and the last one is the graph's output.
        const int last = int(net_.layers.size()) - 1;
        if (output_producer_ != last) fail("is not the last layer's output");
        for (int i = 0; i < last; ++i)
            if (net_.consumers(i).empty()) {
                where_ = "layer '" + net_.layers[size_t(i)].name + "'";
                fail("its output is not used: a branch that does not rejoin the graph (SPEC §1: a tensor may feed "
                     "two nodes only when both paths rejoin in one Add)");
            }
        net_.output_name = g_.outputs[0].name;
    }

    // Lowers every unit that reads the stream v.
    void read_stream(const std::string& v) {
        std::vector<const Node*> readers;
        for (const Node* n : users(v)) {
            // A DequantizeLinear whose float value feeds k nodes reads v k times.
            if (n->op_type == "DequantizeLinear" && users(n->outputs.empty() ? "" : n->outputs[0]).size() > 1)
                for (size_t k = 0; k < users(n->outputs[0]).size(); ++k) readers.push_back(n);
            else
                readers.push_back(n);
        }
        where_ = "value '" + v + "'";
        if (readers.empty() && !is_output(v)) fail("is not used and is not the graph output");
        if (readers.size() > 2)
            fail("feeds " + std::to_string(readers.size()) +
                 " nodes; a tensor may feed two (a residual fork whose paths rejoin in one Add)");
        if (!readers.empty() && is_output(v)) fail("is the graph output and also feeds other nodes");
        size_t dq_branch = 0;
        const Node* prev = nullptr;
        for (const Node* n : readers) {
            dq_branch = n == prev ? dq_branch + 1 : 0;
            prev = n;
            enter(v);
            read_unit(*n, v, dq_branch);
        }
    }

    // One unit that starts at node n reading stream v (branch: which consumer
    // of a shared DequantizeLinear's float output).
    void read_unit(const Node& n, const std::string& v, size_t branch) {
        where_ = node_ref(n);
        const std::string& op = n.op_type;
        if (n.inputs.empty() || n.inputs[0] != v) {
            if (op == "QLinearAdd" && n.inputs.size() > 3 && n.inputs[3] == v) return join_qlinear_add(n, v, 1);
            fail("reads the value '" + v + "' as a non-data operand");
        }
        if (op == "BatchNormalization")
            fail("BatchNormalization in a quantized graph: fold it into the convolution (quantize the float "
                 "model with cnnc quantize)");
        if (op == "QLinearAdd") return join_qlinear_add(n, v, 0);
        if (op == "DequantizeLinear") {
            if (branch == 0 && !done_.count(&n)) mark(n);
            return float_segment(n, v, branch);
        }
        for (size_t i = 1; i < n.inputs.size(); ++i)
            if (!n.inputs[i].empty() && !find_const(n.inputs[i]))
                fail("takes two activations ('" + n.inputs[0] + "' and '" + n.inputs[i] +
                     "'); only Add joins two tensors (after a DequantizeLinear of each)");
        mark(n);
        if (op == "QuantizeLinear") fail("QuantizeLinear of a value that is already quantized");
        if (is_quantized_op(op) || op == "MaxPool" || op == "Relu" || op == "Clip" || op == "Flatten") {
            lower_quantized(n);
            return produce(n.outputs[0]);
        }
        fail("op " + op + " needs a float input, but its input is quantized; put a DequantizeLinear before it");
    }

    // A float segment from the DequantizeLinear dq (reading stream v): the
    // float ops up to the next QuantizeLinear, the graph output, or an Add.
    void float_segment(const Node& dq, const std::string& v, size_t branch) {
        QuantParam in_q = quant_param("x", dq, 1, 2, dq.inputs[0]);
        // Without a zero point, DequantizeLinear reads 0 of its input's type.
        if ((dq.inputs.size() < 3 || dq.inputs[2].empty()) && !cur_q_.dtype.empty()) in_q.dtype = cur_q_.dtype;
        take_pending_input(in_q);
        std::vector<const Node*> ops;
        std::string f = dq.outputs[0];
        const auto& first = users(f);
        if (first.empty() && !is_output(f)) fail("its output is not used: a branch must rejoin the graph in an Add");
        const Node* next = first.empty() ? nullptr : first[std::min(branch, first.size() - 1)];
        while (next) {
            const Node& n = *next;
            where_ = node_ref(n);
            if (n.op_type == "Add") return join_add(n, f, v, in_q, ops);
            if (n.inputs.empty() || n.inputs[0] != f) fail("reads the float value '" + f + "' as a non-data operand");
            for (size_t i = 1; i < n.inputs.size(); ++i)
                if (!n.inputs[i].empty() && !find_const(n.inputs[i]))
                    fail("takes two activations ('" + n.inputs[0] + "' and '" + n.inputs[i] +
                         "'); only Add joins two tensors");
            mark(n);
            if (n.op_type == "QuantizeLinear") {
                QuantParam y = quant_param("y", n, 1, 2, n.outputs[0]);
                lower_unit(ops, in_q, y, dq.name);
                return produce(n.outputs[0]);
            }
            if (n.op_type == "DequantizeLinear") fail("DequantizeLinear of a float value");
            ops.push_back(&n);
            f = n.outputs[0];
            const auto& u = users(f);
            if (u.size() > 1)
                fail("its float output feeds " + std::to_string(u.size()) +
                     " nodes: quantize a tensor before it forks (QuantizeLinear, then a DequantizeLinear per path)");
            next = u.empty() ? nullptr : u[0];
        }
        if (!is_output(f)) fail("its output is not used: a branch must rejoin the graph in an Add");
        // The model's float output: rounded with this DequantizeLinear's scale.
        while (!ops.empty() && ops.back()->op_type == "Softmax") {
            net_.softmax = true;
            ops.pop_back();
        }
        for (const Node* s : ops)
            if (s->op_type == "Softmax") {
                where_ = node_ref(*s);
                fail("only the model's last op may be Softmax");
            }
        lower_unit(ops, in_q, with_role(in_q, "y"), dq.name);
        have_output_ = true;
        output_producer_ = cur_producer_;
        net_.output_q = cur_q_;
    }

    // One input of a QDQ Add (f, the DequantizeLinear's output of stream v).
    void join_add(const Node& add, const std::string& f, const std::string& v, const QuantParam& q,
                  const std::vector<const Node*>& ops) {
        if (!ops.empty())
            fail("an op (" + ops.back()->op_type + ") between DequantizeLinear and the Add: quantize in between");
        if (add.inputs.size() != 2) fail("Add needs two inputs");
        const size_t k = add.inputs[0] == f ? 0 : 1;
        if (add.inputs[k] != f) fail("reads '" + f + "' as a non-data operand");
        auto& slot = adds_[&add];
        if (add.inputs[0] == add.inputs[1] && slot[0].set) {
            slot[1] = {v, with_role(q, "x_b"), true};
        } else {
            if (slot[k].set) fail("input " + std::to_string(k) + " reached twice");
            slot[k] = {v, with_role(q, k == 0 ? "x" : "x_b"), true};
        }
        if (!slot[0].set || !slot[1].set) return;  // the other input comes later
        mark(add);
        // After the Add: activations, then its QuantizeLinear.
        std::vector<const Node*> post;
        std::string out = add.outputs[0];
        const Node* q_node = nullptr;
        while (true) {
            const auto& u = users(out);
            if (u.size() != 1)
                fail(u.empty() ? "the Add's float output must be quantized (QuantizeLinear) before the graph output"
                               : "the Add's float output feeds " + std::to_string(u.size()) +
                                     " nodes: quantize it before it forks");
            const Node& n = *u[0];
            mark(n);
            if (n.op_type == "QuantizeLinear") {
                q_node = &n;
                break;
            }
            if (role_of(n.op_type) != Role::Act || n.op_type == "QLinearLeakyRelu")
                fail("op " + n.op_type + " after an Add in one float segment: quantize in between (an activation "
                     "may follow the Add)");
            if (n.inputs.empty() || n.inputs[0] != out) fail("reads the float value '" + out + "' as a non-data operand");
            post.push_back(&n);
            out = n.outputs[0];
        }
        QuantParam y = quant_param("y", *q_node, 1, 2, q_node->outputs[0]);
        lower_add(add, slot[0], slot[1], post, y);
        produce(q_node->outputs[0]);
    }

    // onnxruntime's com.microsoft QLinearAdd (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp).
    void join_qlinear_add(const Node& n, const std::string& v, size_t k) {
        if (n.inputs.size() < 7) fail("QLinearAdd needs 7 or 8 inputs");
        auto& slot = adds_[&n];
        QuantParam q = quant_param(k == 0 ? "x" : "x_b", n, 3 * k + 1, 3 * k + 2, v);
        if (n.inputs[0] == n.inputs[3] && slot[0].set) k = 1;
        if (slot[k].set) fail("input reached twice");
        slot[k] = {v, q, true};
        if (!slot[0].set || !slot[1].set) return;
        mark(n);
        QuantParam y = quant_param("y", n, 6, 7, n.outputs[0]);
        lower_add(n, slot[0], slot[1], {}, y);
        produce(n.outputs[0]);
    }

    // The Add layer: both inputs' streams, the activations after it, the output
    // quantization. Its table is onnxruntime's arithmetic on every pair.
    void lower_add(const Node& add, const AddInput& a, const AddInput& b, const std::vector<const Node*>& post,
                   const QuantParam& y) {
        where_ = node_ref(add);
        const Stream& sa = streams_.at(a.stream);
        const Stream& sb = streams_.at(b.stream);
        if (!(sa.shape == sb.shape))
            fail("adds a " + to_string(sa.shape) + " and a " + to_string(sb.shape) +
                 " tensor; both must have one shape (no broadcasting)");
        if (sa.producer == -1 || sb.producer == -1) {
            // The uint8 graph input travels raw: keep it out of a join.
            if (net_.input_unsigned) fail("an Add that reads the uint8 graph input directly is not supported");
        }
        ActState act;
        for (const Node* n : post) {
            where_ = node_ref(*n);
            compose(act, *n);
        }
        where_ = node_ref(add);
        if (!act.table_only.empty()) fail(act.table_only + " after an Add: quantize in between");
        Layer l;
        l.kind = LayerKind::Add;
        l.name = add.name + act.names;
        l.onnx.op = add.op_type + act.ops;
        l.in = l.out = sa.shape;
        l.inputs = {sa.producer, sb.producer};
        l.onnx.qparams = {a.q, b.q, with_role(y, "y")};
        if (act.lo > -INFINITY) l.clamp_lo = clamp_bound(act.lo, y);
        if (act.hi < INFINITY) l.clamp_hi = clamp_bound(act.hi, y);
        if (l.clamp_lo > l.clamp_hi) fail("the activations' bounds leave no value: the output is constant");
        l.table = add_table(a.q, b.q, y, act);
        shape_ = sa.shape;
        flat_ = sa.flat;
        push(l);
    }

    // onnxruntime's Add on every pair of stream bytes. The graph optimizer
    // fuses DQ, DQ -> Add -> Q (same element type everywhere) into QLinearAdd
    // after removing a Relu or Clip the QuantizeLinear makes redundant (its
    // ReluQuantFusion / ClipQuantFusion); what is left unfused runs in float.
    std::vector<int8_t> add_table(const QuantParam& a, const QuantParam& b, const QuantParam& y,
                                  const ActState& act) const {
        bool fused = a.dtype == b.dtype && b.dtype == y.dtype;
        const float lo_y = float((qmin(y.dtype) - y.zero_point) * y.scale);
        const float hi_y = float((qmax(y.dtype) - y.zero_point) * y.scale);
        for (const Node* n : act.nodes) {
            if (n->op_type == "Relu") fused = fused && y.zero_point == qmin(y.dtype);
            else if (n->op_type == "Clip")
                fused = fused && clip_bound(*n, 1, -INFINITY) <= lo_y && clip_bound(*n, 2, INFINITY) >= hi_y;
            else fused = false;
        }
        std::vector<int8_t> t(65536);
        for (int ia = 0; ia < 256; ++ia)
            for (int ib = 0; ib < 256; ++ib) {
                const int qa = from_stream(ia, a.dtype), qb = from_stream(ib, b.dtype);
                int r;
                if (fused) {
                    r = qlinear_add(qa, float(a.scale), int(a.zero_point), qb, float(b.scale), int(b.zero_point),
                                    float(y.scale), int(y.zero_point), qmin(y.dtype), qmax(y.dtype));
                } else {
                    // DequantizeLinear, Add and the activations in float32, QuantizeLinear.
                    const float fa = float(qa - int(a.zero_point)) * float(a.scale);
                    const float fb = float(qb - int(b.zero_point)) * float(b.scale);
                    float v = fa + fb;
                    for (const Node* n : act.nodes) {
                        const float lo = n->op_type == "Clip" ? float(clip_bound(*n, 1, -INFINITY)) : 0.0f;
                        const float hi = n->op_type == "Clip" ? float(clip_bound(*n, 2, INFINITY)) : 0.0f;
                        v = float_op(*n, v, lo, hi);
                    }
                    r = quantize_f32(v, float(y.scale), int(y.zero_point), qmin(y.dtype), qmax(y.dtype));
                }
                t[size_t(ia * 256 + ib)] = int8_t(to_stream(r, y.dtype));
            }
        return t;
    }

    // --- 3. units -----------------------------------------------------------

    static bool is_quantized_op(const std::string& op) {
        return op.rfind("QLinear", 0) == 0;
    }

    void take_pending_input(const QuantParam& x) {
        if (!pending_input_) return;
        net_.input_q = with_role(x, "input");
        pending_input_ = false;
    }

    // A node on a quantized tensor (QLinear ops, or integer ops that keep the scale).
    void lower_quantized(const Node& n) {
        const std::string& op = n.op_type;
        if (op == "Flatten") return flatten(n);
        if (op == "QLinearConv" || op == "QLinearMatMul") {
            QuantParam x = quant_param("x", n, 1, 2, n.inputs[0]);
            take_pending_input(x);
            QuantParam w = quant_param("w", n, 4, 5, n.inputs[3], true);
            w.axis = op == "QLinearConv" ? 0 : 1;
            QuantParam y = quant_param("y", n, 6, 7, n.outputs[0]);
            Layer l = op == "QLinearConv" ? conv_layer(n, x, w, 3, 8) : dense_layer(n, x, w, 3, -1);
            push(l);
            return;
        }
        if (op == "QLinearAveragePool" || op == "QLinearGlobalAveragePool" || op == "QLinearLeakyRelu") {
            // onnxruntime's contrib ops: (X, x_scale, x_zp, y_scale, y_zp).
            if (n.attr_int("channels_last", 0) != 0) fail("channels_last 1; only NCHW (channels_last 0) is accepted");
            QuantParam x = quant_param("x", n, 1, 2, n.inputs[0]);
            take_pending_input(x);
            QuantParam y = quant_param("y", n, 3, 4, n.outputs[0]);
            lower_unit({&n}, x, y, n.name);
            return;
        }
        // Integer ops: the scale is unchanged, no rounding.
        QuantParam q = cur_q_;
        if (op == "MaxPool") {
            Layer l = pool_layer(n, LayerKind::MaxPool);
            l.onnx.qparams = {with_role(q, "x"), with_role(q, "y")};
            return push(l);
        }
        // Relu and Clip on the integers themselves (bounds in the tensor's own
        // integer domain), as clamps in the stream domain.
        Layer l = act_layer(n.name, q, q);
        l.onnx.op = op;
        l.act = Activation::Relu;
        double lo = 0.0, hi = INFINITY;
        if (op == "Clip") {
            lo = clip_bound(n, 1, -INFINITY);
            hi = clip_bound(n, 2, INFINITY);
            if (lo != q.zero_point) fail("Clip with min " + fmt_num(lo) + " on the quantized tensor; min must be its zero point");
        }
        auto bound = [&](double v) {
            return to_stream(int(std::clamp(v, double(qmin(q.dtype)), double(qmax(q.dtype)))), q.dtype);
        };
        l.clamp_lo = bound(lo);
        l.clamp_hi = bound(hi);
        push(l);
    }

    // --- 4. one unit -> layers ------------------------------------------------

    // ops: the unit's ops in order (a float segment's, or one QLinear op), x its
    // input quantization, y the one rounding's.
    void lower_unit(const std::vector<const Node*>& ops, const QuantParam& x, const QuantParam& y,
                    const std::string& dq_name) {
        size_t core = ops.size();
        for (size_t k = 0; k < ops.size(); ++k) {
            where_ = node_ref(*ops[k]);
            const Role r = role_of(ops[k]->op_type);
            if (r == Role::Other) fail("op " + ops[k]->op_type + " is not supported");
            if (r != Role::Core) continue;
            if (core != ops.size())
                fail("a second rounding op between DequantizeLinear and QuantizeLinear (after " +
                     ops[core]->op_type + " '" + ops[core]->name + "'): quantize in between");
            core = k;
        }
        // Before the core: exact integer steps at the input scale, or a pool's pre-activation.
        Activation pre = Activation::None;
        double pre_alpha = 0.0;
        std::string pre_names;
        const bool pool_core =
            core < ops.size() && (ops[core]->op_type.find("AveragePool") != std::string::npos);
        const size_t pre_end = core < ops.size() ? core : 0;
        for (size_t k = 0; k < pre_end; ++k) {
            const Node& n = *ops[k];
            where_ = node_ref(n);
            const Role r = role_of(n.op_type);
            if (r == Role::Flatten) {
                flatten(n);
            } else if (r == Role::MaxPool) {
                if (pre != Activation::None) fail("a MaxPool after an activation before the pool: quantize in between");
                Layer m = pool_layer(n, LayerKind::MaxPool);
                m.onnx.qparams = {with_role(x, "x"), with_role(x, "y")};
                push(m);
            } else if (pool_core && (n.op_type == "LeakyRelu" || n.op_type == "Relu")) {
                if (pre != Activation::None) fail("two activations before the pool: quantize in between");
                pre = n.op_type == "Relu" ? Activation::Relu : Activation::Leaky;
                pre_alpha = n.op_type == "LeakyRelu" ? n.attr_float("alpha", 0.01) : 0.0;
                pre_names += "+" + n.name;
            } else if (n.op_type == "Relu" || n.op_type == "Clip") {
                // Exact on the quantized input when the bound is on its grid.
                Layer a = act_layer(n.name, with_role(x, "x"), with_role(x, "y"));
                a.onnx.op = n.op_type;
                a.act = Activation::Relu;
                a.clamp_lo = to_stream(int(x.zero_point), x.dtype);
                if (n.op_type == "Clip") a.clamp_hi = exact_clip_hi(n, x);
                push(a);
            } else {
                fail("op " + n.op_type + " before the " + ops[core]->op_type +
                     " in one float segment: quantize in between");
            }
        }
        // The rounding layer: the core, or an Act layer.
        Layer l;
        std::vector<const Node*> post;
        if (core < ops.size()) {
            where_ = node_ref(*ops[core]);
            l = core_layer(*ops[core], x);
            if (pre != Activation::None) {
                l.pre_act = pre;
                l.onnx.pre_alpha = pre_alpha;  // judged by legality, read by assign_quantization
                l.name += pre_names;
                l.onnx.op = (pre == Activation::Leaky ? "LeakyRelu+" : "Relu+") + l.onnx.op;
            }
            post.assign(ops.begin() + long(core) + 1, ops.end());
        } else {
            l = act_layer(dq_name, with_role(x, "x"), y);
            l.onnx.op = "Rescale";
            post = ops;
        }
        // After it: activations compose into its output stage; MaxPools follow
        // it on the rounded tensor (max commutes with every monotone step).
        ActState act;
        std::vector<const Node*> maxpools_after;
        const Node* flatten_after = nullptr;
        for (const Node* n : post) {
            where_ = node_ref(*n);
            const Role r = role_of(n->op_type);
            if (r == Role::MaxPool) {
                if (flatten_after) fail("a MaxPool after a Flatten");
                maxpools_after.push_back(n);
            } else if (r == Role::Flatten) {
                flatten_after = n;
            } else if (r == Role::Act) {
                compose(act, *n);
            } else {
                fail("op " + n->op_type + " is not supported here");
            }
        }
        if (!act.names.empty()) {
            // A unit without a core is named after its activations.
            l.name = core < ops.size() ? l.name + act.names : act.names.substr(1);
            l.onnx.op = core < ops.size() ? l.onnx.op + act.ops : act.ops.substr(1);
        }
        if (!act.table_only.empty() && core < ops.size())
            fail(act.table_only + " after the " + ops[core]->op_type +
                 " in one float segment has no integer output stage: quantize in between");
        l.act = act.act;
        l.onnx.alpha = act.alpha;
        l.onnx.table_only = act.table_only;
        if (act.lo > -INFINITY) l.clamp_lo = clamp_bound(act.lo, y);
        if (act.hi < INFINITY) l.clamp_hi = clamp_bound(act.hi, y);
        if (l.clamp_lo > l.clamp_hi) fail("the activations' bounds leave no value: the output is constant");
        if (l.onnx.qparams.empty() || l.onnx.qparams.back().role != "y") l.onnx.qparams.push_back(y);
        if (l.kind == LayerKind::Act) {
            l.table = unit_table(act, x, y);
            // MaxPools commute with a monotone table only (not with HardSwish).
            if (!maxpools_after.empty())
                for (size_t b = 1; b < 256; ++b)
                    if (l.table[(b + 128) % 256] < l.table[(b + 127) % 256])
                        fail("a MaxPool after a non-monotone op (" + act.ops.substr(1) +
                             ") in one float segment: quantize in between");
        }
        // A no-op rescale (same quantization, nothing to apply) is no layer at all.
        const bool identity = l.kind == LayerKind::Act && l.act == Activation::None && l.clamp_hi == 127 &&
                              l.clamp_lo == -128 && act.table_only.empty() && x.scale == y.scale &&
                              x.zero_point == y.zero_point && x.dtype == y.dtype;
        if (identity && (!maxpools_after.empty() || !net_.layers.empty())) {
            cur_q_ = y;
        } else {
            push(l);
        }
        for (const Node* n : maxpools_after) {
            where_ = node_ref(*n);
            Layer m = pool_layer(*n, LayerKind::MaxPool);
            m.onnx.qparams = {with_role(y, "x"), y};
            push(m);
        }
        if (flatten_after) flatten(*flatten_after);
    }

    void compose(ActState& s, const Node& n) {
        const std::string& op = n.op_type;
        s.names += "+" + n.name;
        s.ops += "+" + op;
        s.nodes.push_back(&n);
        if (op == "Relu") {
            if (s.act == Activation::None && s.lo > -INFINITY && s.lo < 0) s.table_only = "a Relu after a Clip";
            s.act = Activation::Relu;  // relu(leaky(v)) = relu(v)
            s.lo = std::max(s.lo, 0.0);
        } else if (op == "LeakyRelu" || op == "QLinearLeakyRelu") {
            if (s.act == Activation::Leaky) s.table_only = "two LeakyRelus";
            if (s.act == Activation::None && s.lo > -INFINITY) s.table_only = "a LeakyRelu after a Clip";
            if (s.act == Activation::None) {  // after a Relu or Clip(0, m) there is nothing negative left
                s.act = Activation::Leaky;
                s.alpha = n.attr_float("alpha", 0.01);
            }
        } else if (op == "Clip") {
            const double lo = clip_bound(n, 1, -INFINITY), hi = clip_bound(n, 2, INFINITY);
            if (!(lo < hi)) fail("Clip with min " + fmt_num(lo) + " not below max " + fmt_num(hi));
            if (lo == 0.0 && s.act == Activation::None) s.act = Activation::Relu;
            s.lo = std::max(s.lo, lo);
            s.hi = std::min(s.hi, hi);
        } else {
            s.table_only = op;
        }
    }

    // The 256-entry table of a unit without a core: every stream byte of the
    // input dequantized as onnxruntime does (x_scale * (x - zp) in float), the
    // unit's float ops in order, then QuantizeLinear (qlinear_lookup_table.cc
    // builds its tables the same way).
    std::vector<int8_t> unit_table(const ActState& s, const QuantParam& x, const QuantParam& y) const {
        std::vector<int8_t> t(256);
        for (int b = 0; b < 256; ++b) {
            const int q = from_stream(b, x.dtype);
            float v = float(x.scale) * float(q - int(x.zero_point));
            for (const Node* n : s.nodes) {
                const float lo = n->op_type == "Clip" ? float(clip_bound(*n, 1, -INFINITY)) : 0.0f;
                const float hi = n->op_type == "Clip" ? float(clip_bound(*n, 2, INFINITY)) : 0.0f;
                v = float_op(*n, v, lo, hi);
            }
            const int yq = quantize_f32(v, float(y.scale), int(y.zero_point), qmin(y.dtype), qmax(y.dtype));
            t[size_t(b)] = int8_t(to_stream(yq, y.dtype));
        }
        return t;
    }

    double clip_bound(const Node& n, size_t i, double dflt) const {
        if (i >= n.inputs.size() || n.inputs[i].empty()) return dflt;
        return scalar(n.inputs[i], i == 1 ? "Clip min" : "Clip max");
    }

    // The clamp of a real bound at the output quantization y, in the stream's
    // int8 domain: QuantizeLinear is monotone, so Q(min(v, hi)) = min(Q(v),
    // Q(hi)) and likewise for a lower bound.
    int clamp_bound(double bound, const QuantParam& y) const {
        const float b = float(std::clamp(bound, -3.0e38, 3.0e38));
        return to_stream(quantize_f32(b, float(y.scale), int(y.zero_point), qmin(y.dtype), qmax(y.dtype)), y.dtype);
    }

    // A Clip on the quantized input of a Conv/Gemm: exact only on the grid.
    int exact_clip_hi(const Node& n, const QuantParam& x) const {
        const double lo = clip_bound(n, 1, -INFINITY), hi = clip_bound(n, 2, INFINITY);
        if (lo != 0.0) fail("Clip with min " + fmt_num(lo) + "; only Clip(0, max) (ReLU6-like) is accepted");
        const double q = hi / x.scale;
        if (std::isfinite(q) && q != std::nearbyint(q))
            fail("Clip max " + fmt_num(hi) + " is not a multiple of the input scale " + fmt_num(x.scale) +
                 ", so it cannot be applied before the next layer without rounding: quantize in between");
        return to_stream(int(std::clamp(q + x.zero_point, double(qmin(x.dtype)), double(qmax(x.dtype)))), x.dtype);
    }

    static std::string fmt_num(double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.7g", v);
        return buf;
    }

    static QuantParam with_role(QuantParam q, const char* role) {
        q.role = role;
        return q;
    }

    void push(Layer l) {
        if (l.out.size() == 0) fail("output shape " + to_string(l.out) + " is empty");
        if (l.inputs.empty()) l.inputs = {cur_producer_};
        cur_producer_ = int(net_.layers.size());
        shape_ = l.out;
        flat_ = false;
        for (const QuantParam& q : l.onnx.qparams)
            if (q.role == "y") cur_q_ = q;
        net_.layers.push_back(std::move(l));
    }

    Layer act_layer(const std::string& name, const QuantParam& x, const QuantParam& y) const {
        Layer l;
        l.kind = LayerKind::Act;
        l.name = name;
        l.in = l.out = shape_;
        l.onnx.qparams = {with_role(x, "x"), y};
        return l;
    }

    void flatten(const Node& n) {
        where_ = node_ref(n);
        if (n.op_type == "Flatten" && n.attr_int("axis", 1) != 1)
            fail("axis " + std::to_string(n.attr_int("axis", 1)) + "; only axis 1 (keep the batch) is accepted");
        flat_ = true;
    }

    // --- layer builders ------------------------------------------------------

    Layer core_layer(const Node& n, const QuantParam& x) {
        const std::string& op = n.op_type;
        if (op == "Conv" || op == "Gemm" || op == "MatMul") {
            const Const& w = quantized_const(n, 1, "weights");
            QuantParam wq = w.q;
            wq.role = "w";
            wq.tensor = n.inputs[1];
            return op == "Conv" ? conv_layer(n, x, wq, 1, 2) : dense_layer(n, x, wq, 1, op == "Gemm" ? 2 : -1);
        }
        Layer l = op.find("GlobalAveragePool") != std::string::npos ? gap_layer(n) : pool_layer(n, LayerKind::AvgPool);
        l.onnx.qparams = {with_role(x, "x")};
        return l;
    }

    // Conv / QLinearConv with weights at input wi, bias at bi.
    Layer conv_layer(const Node& n, const QuantParam& x, QuantParam wq, size_t wi, size_t bi) {
        Layer l;
        l.kind = LayerKind::Conv;
        l.name = n.name;
        l.onnx.op = n.op_type;
        const Const& w = constant(n, wi, "weights");
        wq.dtype = onnx::dtype_name(w.values->dtype);
        l.onnx.group = small_int(n.attr_int("group", 1), "group", where_);
        const auto& d = w.values->dims;
        if (d.size() != 4) fail("weights of rank " + std::to_string(d.size()) + "; 2-D convolution is accepted");
        window_attrs(n, l, small_int(d[2], "kernel height", where_), small_int(d[3], "kernel width", where_));
        conv_weights(*w.values, l);
        channel_axis(wq, 0, l.out.c);
        l.onnx.qparams = {x, wq};
        read_bias(n, bi, l, x, wq);
        if (n.op_type == "QLinearConv") l.onnx.qparams.push_back(quant_param("y", n, 6, 7, n.outputs[0]));
        return l;
    }

    // Gemm / MatMul / QLinearMatMul with weights at input wi, bias at bi (-1: none).
    Layer dense_layer(const Node& n, const QuantParam& x, QuantParam wq, size_t wi, int bi) {
        const Const& wc = constant(n, wi, "weights");
        wq.dtype = onnx::dtype_name(wc.values->dtype);
        const onnx::Tensor& w = *wc.values;
        bool trans_b = n.op_type == "Gemm" && n.attr_int("transB", 0) != 0;
        if (n.op_type == "Gemm" && n.attr_int("transA", 0) != 0) fail("transA=1 is not supported");
        if (!flat_ && !(shape_.h == 1 && shape_.w == 1))
            fail("fully connected layer on a " + to_string(shape_) + " tensor without Flatten");
        if (w.dims.size() != 2) fail("weights of rank " + std::to_string(w.dims.size()) + "; a matrix is accepted");
        const int64_t K = trans_b ? w.dims[1] : w.dims[0], N = trans_b ? w.dims[0] : w.dims[1];
        if (K != shape_.size())
            fail("weights take " + std::to_string(K) + " inputs, the input " + to_string(shape_) + " has " +
                 std::to_string(shape_.size()));
        Layer l;
        l.kind = LayerKind::Dense;
        l.name = n.name;
        l.onnx.op = n.op_type;
        l.in = shape_;
        l.out = Shape{small_int(N, "output count", where_), 1, 1};
        l.weights.assign(size_t(K * N), 0);
        for (int64_t o = 0; o < N; ++o)
            for (int64_t i = 0; i < K; ++i)
                l.weights[size_t(o * K + i)] = weight8(w.data[size_t(trans_b ? o * K + i : i * N + o)]);
        if (n.op_type == "Gemm") {
            l.onnx.gemm_alpha = n.attr_float("alpha", 1.0);
            l.onnx.gemm_beta = n.attr_float("beta", 1.0);
        }
        channel_axis(wq, trans_b ? 0 : 1, l.out.c);
        l.onnx.qparams = {x, wq};
        if (bi >= 0) read_bias(n, size_t(bi), l, x, wq);
        else l.bias.assign(size_t(l.out.c), 0);
        if (n.op_type == "QLinearMatMul") l.onnx.qparams.push_back(quant_param("y", n, 6, 7, n.outputs[0]));
        return l;
    }

    static int8_t weight8(double v) { return int8_t(int(std::clamp(v, -128.0, 255.0))); }

    // Weights [OC][IC][KH][KW] -> IR [oc][ky][kx][ic].
    void conv_weights(const onnx::Tensor& w, Layer& l) {
        const int64_t OC = w.dims[0], IC = w.dims[1], KH = w.dims[2], KW = w.dims[3];
        l.out.c = small_int(OC, "output channels", where_);
        if (l.onnx.group != 1) {
            // Depthwise (group = C_in, C_out = M * C_in, weights [OC][1][KH][KW]):
            // output channel oc reads input channel oc / M. Any other group
            // stays a Conv that the legality pass refuses, naming the group.
            if (l.onnx.group != shape_.c || OC % shape_.c != 0 || IC != 1) return;
            l.kind = LayerKind::DwConv;
            l.weights.assign(w.data.size(), 0);
            for (int64_t i = 0; i < OC * KH * KW; ++i) l.weights[size_t(i)] = weight8(w.data[size_t(i)]);
            return;
        }
        if (IC != shape_.c)
            fail("weights expect " + std::to_string(IC) + " input channels, the input has " + std::to_string(shape_.c));
        l.weights.assign(w.data.size(), 0);
        for (int64_t oc = 0; oc < OC; ++oc)
            for (int64_t ic = 0; ic < IC; ++ic)
                for (int64_t ky = 0; ky < KH; ++ky)
                    for (int64_t kx = 0; kx < KW; ++kx)
                        l.weights[size_t(((oc * KH + ky) * KW + kx) * IC + ic)] =
                            weight8(w.data[size_t(((oc * IC + ic) * KH + ky) * KW + kx)]);
    }

    // Per-channel weight scales must run along the output channels.
    void channel_axis(const QuantParam& w, int axis, int channels) const {
        if (!w.per_channel()) return;
        if (w.axis != axis)
            fail("weights '" + w.tensor + "' are quantized per channel along axis " + std::to_string(w.axis) +
                 "; per-channel scales must follow the output channels (axis " + std::to_string(axis) + ")");
        if (w.channel_scales.size() != size_t(channels))
            fail("weights '" + w.tensor + "' have " + std::to_string(w.channel_scales.size()) + " scales for " +
                 std::to_string(channels) + " output channels");
    }

    void read_bias(const Node& n, size_t i, Layer& l, const QuantParam& x, const QuantParam& w) {
        l.bias.assign(size_t(l.out.c), 0);
        if (i >= n.inputs.size() || n.inputs[i].empty()) return;
        const Const& b = constant(n, i, "bias");
        if (b.values->data.size() != size_t(l.out.c))
            fail("bias has " + std::to_string(b.values->data.size()) + " values for " + std::to_string(l.out.c) +
                 " outputs");
        QuantParam q = b.quantized ? b.q : QuantParam{};
        q.role = "bias";
        q.tensor = n.inputs[i];
        if (!b.quantized) {  // QLinear form: implied s_x * s_w (per channel with the weights)
            q.scale = x.scale * w.scale;
            if (w.per_channel())
                for (double ws : w.channel_scales) q.channel_scales.push_back(x.scale * ws);
        }
        q.dtype = onnx::dtype_name(b.values->dtype);
        l.onnx.qparams.push_back(q);
        for (size_t k = 0; k < l.bias.size(); ++k)
            l.bias[k] = int32_t(std::clamp(b.values->data[k], -2147483648.0, 2147483647.0));
    }

    Layer pool_layer(const Node& n, LayerKind kind) {
        Layer l;
        l.kind = kind;
        l.name = n.name;
        l.onnx.op = n.op_type;
        auto ks = n.attr_ints("kernel_shape");
        if (ks.size() != 2) fail("kernel_shape must have 2 values");
        if (n.outputs.size() > 1 && !n.outputs[1].empty()) fail("the Indices output is not supported");
        l.onnx.ceil_mode = n.attr_int("ceil_mode", 0) != 0;
        l.count_include_pad = n.attr_int("count_include_pad", 0) != 0;
        window_attrs(n, l, small_int(ks[0], "kernel height", where_), small_int(ks[1], "kernel width", where_));
        l.out.c = shape_.c;
        return l;
    }

    Layer gap_layer(const Node& n) {
        Layer l;
        l.kind = LayerKind::GlobalAvgPool;
        l.name = n.name;
        l.onnx.op = n.op_type;
        l.in = shape_;
        l.out = Shape{shape_.c, 1, 1};
        return l;
    }

    // Kernel, strides, dilations, pads (explicit or auto_pad), output size.
    void window_attrs(const Node& n, Layer& l, int kh, int kw) {
        l.onnx.kernel_h = kh;
        l.onnx.kernel_w = kw;
        auto ks = n.attr_ints("kernel_shape");
        if (!ks.empty() && (ks.size() != 2 || ks[0] != kh || ks[1] != kw)) fail("kernel_shape disagrees with the weights");
        if (kh < 1 || kw < 1) fail("kernel " + std::to_string(kh) + "x" + std::to_string(kw) + " is empty");
        auto st = n.attr_ints("strides", {1, 1});
        auto di = n.attr_ints("dilations", {1, 1});
        auto pd = n.attr_ints("pads", {0, 0, 0, 0});
        if (st.size() != 2 || di.size() != 2 || pd.size() != 4) fail("only 2-D convolution and pooling are accepted");
        OnnxFacts& f = l.onnx;
        f.stride_h = small_int(st[0], "stride", where_);
        f.stride_w = small_int(st[1], "stride", where_);
        f.dilation_h = small_int(di[0], "dilation", where_);
        f.dilation_w = small_int(di[1], "dilation", where_);
        if (f.stride_h < 1 || f.stride_w < 1) fail("stride must be at least 1");
        if (f.dilation_h < 1 || f.dilation_w < 1) fail("dilation must be at least 1");
        const std::string ap = n.attr_string("auto_pad", "NOTSET");
        if (ap == "NOTSET") {
            f.pad_t = small_int(pd[0], "pad", where_);
            f.pad_l = small_int(pd[1], "pad", where_);
            f.pad_b = small_int(pd[2], "pad", where_);
            f.pad_r = small_int(pd[3], "pad", where_);
            if (f.pad_t < 0 || f.pad_l < 0 || f.pad_b < 0 || f.pad_r < 0) fail("negative pads are not accepted");
        } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
            // In int64: sizes, kernels, strides and dilations are each below
            // 2^31, so no product or sum here leaves int64 (found by the fuzzer:
            // a stride of 2^31 - 1 overflowed int).
            auto same = [&](int64_t size, int64_t k, int64_t s, int64_t d, int& lo, int& hi) {
                const int64_t out = (size + s - 1) / s;
                const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - size);
                lo = small_int(ap == "SAME_UPPER" ? total / 2 : total - total / 2, "pad", where_);
                hi = small_int(total - (ap == "SAME_UPPER" ? total / 2 : total - total / 2), "pad", where_);
            };
            same(shape_.h, kh, f.stride_h, f.dilation_h, f.pad_t, f.pad_b);
            same(shape_.w, kw, f.stride_w, f.dilation_w, f.pad_l, f.pad_r);
        } else if (ap != "VALID") {
            fail("auto_pad " + ap + " is not supported");
        }
        l.kernel_h = kh;
        l.kernel_w = kw;
        l.stride_h = f.stride_h;
        l.stride_w = f.stride_w;
        l.pad_t = f.pad_t;
        l.pad_l = f.pad_l;
        l.pad_b = f.pad_b;
        l.pad_r = f.pad_r;
        auto out_dim = [&](int64_t size, int64_t lo, int64_t hi, int64_t k, int64_t s, int64_t d) {
            const int64_t span = size + lo + hi - d * (k - 1) - 1;
            if (span < 0) fail("kernel larger than the padded input " + to_string(shape_));
            return int((f.ceil_mode ? (span + s - 1) / s : span / s) + 1);
        };
        l.in = shape_;
        l.out.h = out_dim(shape_.h, f.pad_t, f.pad_b, kh, f.stride_h, f.dilation_h);
        l.out.w = out_dim(shape_.w, f.pad_l, f.pad_r, kw, f.stride_w, f.dilation_w);
    }
};

}  // namespace

Network lower_to_layers(const onnx::Graph& graph, const std::string& source) {
    return Lowering(graph, source).run();
}

}  // namespace cnn
