// Pass 3: Clip in one form. Opset 6..10 states min and max as attributes,
// opset 11+ as optional inputs: the bounds become inputs (initializers), and a
// Clip that only bounds below at 0 is a Relu.
#include <cmath>

#include "normalize.hpp"

namespace cnn {

void normalize_clip(onnx::Graph& g) {
    for (onnx::Node& n : g.nodes) {
        if (n.op_type != "Clip") continue;
        if (n.has("min") || n.has("max") || g.opset < 11) {
            const double lo = n.attr_float("min", -INFINITY), hi = n.attr_float("max", INFINITY);
            n.attrs.erase("min");
            n.attrs.erase("max");
            n.inputs.resize(1);
            n.inputs.push_back(graph::add_constant(g, n.name + "_min", onnx::DType::Float, {}, {lo}));
            n.inputs.push_back(graph::add_constant(g, n.name + "_max", onnx::DType::Float, {}, {hi}));
        }
        const onnx::Tensor* lo = n.inputs.size() > 1 ? graph::constant(g, n.inputs[1]) : nullptr;
        const bool no_max = n.inputs.size() < 3 || n.inputs[2].empty() ||
                            (graph::constant(g, n.inputs[2]) && graph::constant(g, n.inputs[2])->data.size() == 1 &&
                             std::isinf(graph::constant(g, n.inputs[2])->data[0]) &&
                             graph::constant(g, n.inputs[2])->data[0] > 0);
        if (lo && lo->data.size() == 1 && lo->data[0] == 0.0 && no_max && lo->dtype == onnx::DType::Float) {
            n.op_type = "Relu";
            n.inputs.resize(1);
        }
    }
}

}  // namespace cnn
