// Pass 2: Identity and Dropout (inference: the identity; its mask output must
// be unused) are removed; their readers read the input directly. So is a Cast
// to the type its input already has (PyTorch writes QuantizeLinear -> Cast to
// uint8 -> DequantizeLinear), known from ONNX's shape inference.
#include "error.hpp"
#include "normalize.hpp"

namespace cnn {

namespace {

// ONNX's TensorProto.DataType numbers of the types a Cast may keep.
onnx::DType cast_target(int64_t to) {
    switch (to) {
        case 1: return onnx::DType::Float;
        case 2: return onnx::DType::UInt8;
        case 3: return onnx::DType::Int8;
        case 6: return onnx::DType::Int32;
        case 7: return onnx::DType::Int64;
        case 11: return onnx::DType::Double;
        default: return onnx::DType::Other;
    }
}

bool same_type_cast(const onnx::Graph& g, const onnx::Node& n) {
    if (n.op_type != "Cast" || n.inputs.empty() || n.outputs.empty()) return false;
    const onnx::DType to = cast_target(n.attr_int("to", 0));
    if (to == onnx::DType::Other) return false;
    auto it = g.value_info.find(n.inputs[0]);
    if (it != g.value_info.end()) return it->second.dtype == to;
    for (const onnx::ValueInfo& in : g.inputs)
        if (in.name == n.inputs[0]) return in.dtype == to;
    return false;
}

}  // namespace

void remove_identities(onnx::Graph& g) {
    std::vector<bool> dead(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const onnx::Node& n = g.nodes[i];
        if (n.op_type != "Identity" && n.op_type != "Dropout" && !same_type_cast(g, n)) continue;
        if (n.inputs.empty() || n.outputs.empty()) throw Error(graph::node_ref(n), "needs an input and an output");
        if (n.op_type == "Dropout") {
            if (n.outputs.size() > 1 && !n.outputs[1].empty() && graph::use_count(g, n.outputs[1]) > 0)
                throw Error(graph::node_ref(n), "its mask output is used: only inference Dropout is accepted");
            if (n.inputs.size() > 2 && graph::constant(g, n.inputs[2]) &&
                graph::constant(g, n.inputs[2])->data.at(0) != 0.0)
                throw Error(graph::node_ref(n), "training_mode is true: only inference Dropout is accepted");
        }
        graph::replace_uses(g, n.outputs[0], n.inputs[0]);
        dead[i] = true;
    }
    graph::erase_nodes(g, dead);
}

}  // namespace cnn
