// Pass 1: constants. A Constant node, and any node whose inputs are all
// constants, becomes an initializer holding its value, computed by the
// interpreter: the shape arithmetic PyTorch writes for x.view(x.size(0), -1)
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) and a QuantizeLinear of
// float weights both fold away. A Shape node reads the shape ONNX's shape
// inference gave its input. DequantizeLinear of a constant stays: the lowering
// reads its scale and zero point (a quantized weight is integers behind a
// DequantizeLinear).
#include <algorithm>

#include "error.hpp"
#include "interp.hpp"
#include "normalize.hpp"

namespace cnn {

namespace {

// Shape of a value whose shape inference knows every dimension.
bool fold_shape(const onnx::Graph& g, const onnx::Node& n, onnx::Tensor& out) {
    auto it = g.value_info.find(n.inputs.at(0));
    if (it == g.value_info.end()) return false;
    const std::vector<int64_t>& d = it->second.dims;
    if (std::any_of(d.begin(), d.end(), [](int64_t v) { return v < 0; })) return false;  // symbolic
    const int64_t r = int64_t(d.size());
    int64_t start = n.attr_int("start", 0), end = n.attr_int("end", r);  // opset 15
    start = std::clamp(start < 0 ? start + r : start, int64_t(0), r);
    end = std::clamp(end < 0 ? end + r : end, int64_t(0), r);
    out.dtype = onnx::DType::Int64;
    out.data.clear();
    for (int64_t i = start; i < end; ++i) out.data.push_back(double(d[size_t(i)]));
    out.dims = {int64_t(out.data.size())};
    return true;
}

}  // namespace

void fold_constants(onnx::Graph& g) {
    std::vector<bool> dead(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const onnx::Node& n = g.nodes[i];
        if (n.outputs.empty() || n.op_type == "DequantizeLinear") continue;
        std::vector<onnx::Tensor> out(1);
        if (n.op_type == "Shape") {
            if (n.inputs.empty() || !fold_shape(g, n, out[0])) continue;
        } else {
            std::vector<const onnx::Tensor*> in;
            bool all_const = n.op_type == "Constant" || !n.inputs.empty();
            for (const std::string& name : n.inputs) {
                in.push_back(graph::constant(g, name));
                if (!name.empty() && !in.back()) all_const = false;
            }
            if (!all_const) continue;
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
