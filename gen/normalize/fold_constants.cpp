// Pass 1: constants. A Constant node, and any node whose inputs are all
// constants, becomes an initializer holding its value: the shape arithmetic
// PyTorch writes for x.view(x.size(0), -1) (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape) and a QuantizeLinear of float weights both fold away. A
// Shape node reads the shape ONNX's shape inference gave its input.
// DequantizeLinear of a constant stays: the lowering reads its scale and zero
// point (a quantized weight is integers behind a DequantizeLinear).
#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "interp.hpp"
#include "normalize.hpp"

namespace cnn {

namespace {

using onnx::DType;
using onnx::Node;
using onnx::Tensor;

Tensor make(DType t, std::vector<int64_t> dims, std::vector<double> data) {
    Tensor x;
    x.dtype = t;
    x.dims = std::move(dims);
    x.data = std::move(data);
    return x;
}

// TensorProto.DataType codes of Cast's 'to'.
DType cast_type(int64_t to, const Node& n) {
    switch (to) {
        case 1: return DType::Float;
        case 2: return DType::UInt8;
        case 3: return DType::Int8;
        case 6: return DType::Int32;
        case 7: return DType::Int64;
        case 9: return DType::Bool;
        case 11: return DType::Double;
        default: throw Error(graph::node_ref(n), "Cast to element type " + std::to_string(to) + " is not supported");
    }
}

double cast_value(double v, DType t) {
    switch (t) {
        case DType::Float: return double(float(v));
        case DType::Bool: return v != 0.0;
        case DType::Double: return v;
        default: return std::trunc(v);
    }
}

// The axes of Unsqueeze/Squeeze: an attribute before opset 13, input 1 since.
std::vector<int64_t> axes_of(const onnx::Graph& g, const Node& n) {
    if (n.has("axes")) return n.attr_ints("axes");
    if (n.inputs.size() > 1)
        if (const Tensor* t = graph::constant(g, n.inputs[1])) return std::vector<int64_t>(t->data.begin(), t->data.end());
    return {};
}

int64_t norm_axis(int64_t a, int64_t rank, const Node& n) {
    if (a < -rank || a >= rank) throw Error(graph::node_ref(n), "axis " + std::to_string(a) + " out of range");
    return a < 0 ? a + rank : a;
}

// The shape ops, evaluated here (the interpreter has no reason to know them).
// Returns false when the node is not one of them.
bool shape_op(const onnx::Graph& g, const Node& n, std::vector<const Tensor*>& in, Tensor& out) {
    const std::string& op = n.op_type;
    const std::string where = graph::node_ref(n);
    if (op == "Constant") {
        if (n.has("value")) out = n.attrs.at("value").t;
        else if (n.has("value_int")) out = make(DType::Int64, {}, {double(n.attr_int("value_int", 0))});
        else if (n.has("value_float")) out = make(DType::Float, {}, {n.attr_float("value_float", 0)});
        else if (n.has("value_ints")) {
            auto v = n.attr_ints("value_ints");
            out = make(DType::Int64, {int64_t(v.size())}, std::vector<double>(v.begin(), v.end()));
        } else if (n.has("value_floats")) {
            const auto& v = n.attrs.at("value_floats").floats;
            out = make(DType::Float, {int64_t(v.size())}, v);
        } else {
            throw Error(where, "a Constant without value, value_int(s) or value_float(s) is not supported");
        }
        return true;
    }
    if (op == "Shape") {
        auto it = g.value_info.find(n.inputs[0]);
        if (it == g.value_info.end()) return false;
        std::vector<int64_t> d = it->second.dims;
        if (std::any_of(d.begin(), d.end(), [](int64_t v) { return v < 0; })) return false;  // symbolic
        const int64_t r = int64_t(d.size());
        int64_t start = n.attr_int("start", 0), end = n.attr_int("end", r);
        start = std::clamp(start < 0 ? start + r : start, int64_t(0), r);
        end = std::clamp(end < 0 ? end + r : end, int64_t(0), r);
        std::vector<double> v;
        for (int64_t i = start; i < end; ++i) v.push_back(double(d[size_t(i)]));
        out = make(DType::Int64, {int64_t(v.size())}, v);
        return true;
    }
    for (const Tensor* t : in)
        if (!t) return false;  // an omitted optional input: leave it to the interpreter
    if (op == "Gather" && in.size() == 2 && in[0]->dims.size() == 1) {
        const Tensor &data = *in[0], &idx = *in[1];
        const int64_t len = data.dims[0];
        std::vector<double> v;
        for (double i : idx.data) v.push_back(data.data[size_t(norm_axis(int64_t(i), len, n))]);
        out = make(data.dtype, idx.dims, v);
        return true;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
        std::vector<int64_t> d = in[0]->dims, axes = axes_of(g, n);
        if (op == "Unsqueeze") {
            const int64_t r = int64_t(d.size() + axes.size());
            for (int64_t& a : axes) a = norm_axis(a, r, n);
            std::sort(axes.begin(), axes.end());
            for (int64_t a : axes) d.insert(d.begin() + a, 1);
        } else {
            const int64_t r = int64_t(d.size());
            std::vector<int64_t> kept;
            for (int64_t i = 0; i < r; ++i) {
                bool drop = axes.empty() ? d[size_t(i)] == 1
                                         : std::any_of(axes.begin(), axes.end(),
                                                       [&](int64_t a) { return norm_axis(a, r, n) == i; });
                if (!drop) kept.push_back(d[size_t(i)]);
            }
            d = kept;
        }
        out = make(in[0]->dtype, d, in[0]->data);
        return true;
    }
    if (op == "Concat" && !in.empty()) {
        const size_t r = in[0]->dims.size();
        if (r != 1) return false;
        std::vector<double> v;
        for (const Tensor* t : in) {
            if (t->dims.size() != 1) throw Error(where, "inputs of different ranks");
            v.insert(v.end(), t->data.begin(), t->data.end());
        }
        out = make(in[0]->dtype, {int64_t(v.size())}, v);
        return true;
    }
    if (op == "Cast") {
        const DType t = cast_type(n.attr_int("to", 1), n);
        out = *in[0];
        out.dtype = t;
        for (double& v : out.data) v = cast_value(v, t);
        return true;
    }
    return false;
}

}  // namespace

void fold_constants(onnx::Graph& g) {
    std::vector<bool> dead(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        if (n.outputs.empty() || n.op_type == "DequantizeLinear") continue;
        std::vector<const Tensor*> in;
        bool all_const = true;
        for (const std::string& name : n.inputs) {
            const Tensor* t = graph::constant(g, name);
            if (!name.empty() && !t) all_const = false;
            in.push_back(t);
        }
        if (n.op_type != "Shape" && (!all_const || (n.inputs.empty() && n.op_type != "Constant"))) continue;
        std::vector<Tensor> out(1);
        if (!shape_op(g, n, in, out[0])) {
            if (n.op_type == "Shape") continue;
            try {
                out = onnx::run_node(n, in, g.opset);
            } catch (const onnx::Unsupported&) {
                continue;  // left for the lowering, which names it
            }
        }
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            if (n.outputs[k].empty()) continue;
            if (k >= out.size()) throw Error(graph::node_ref(n), "output " + std::to_string(k) + " is not computed");
            out[k].name = n.outputs[k];
            g.initializers[n.outputs[k]] = out[k];
        }
        dead[i] = true;
    }
    graph::erase_nodes(g, dead);
}

}  // namespace cnn
