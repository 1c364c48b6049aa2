// Pass 4: x.mean((2, 3)) -> GlobalAveragePool. ReduceMean over exactly the
// two spatial axes of a rank-4 tensor (axes an attribute before opset 18, an
// input since) is a global average pool; with keepdims = 0 a Flatten follows.
#include <algorithm>

#include "normalize.hpp"

namespace cnn {

void reduce_mean_to_gap(onnx::Graph& g) {
    std::vector<onnx::Node> extra;
    for (onnx::Node& n : g.nodes) {
        if (n.op_type != "ReduceMean" || n.inputs.empty() || n.outputs.empty()) continue;
        auto vi = g.value_info.find(n.inputs[0]);
        if (vi == g.value_info.end() || vi->second.dims.size() != 4) continue;
        std::vector<int64_t> axes = n.attr_ints("axes");
        if (!n.has("axes") && n.inputs.size() > 1)
            if (const onnx::Tensor* t = graph::constant(g, n.inputs[1])) axes.assign(t->data.begin(), t->data.end());
        for (int64_t& a : axes) a = a < 0 ? a + 4 : a;
        std::sort(axes.begin(), axes.end());
        if (axes != std::vector<int64_t>{2, 3}) continue;
        const bool keep = n.attr_int("keepdims", 1) != 0;
        const std::string out = n.outputs[0];
        n.op_type = "GlobalAveragePool";
        n.inputs.resize(1);
        n.attrs.clear();
        if (!keep) {
            n.outputs[0] = graph::fresh_name(g, out + "_pooled");
            onnx::Node f;
            f.name = n.name + "_flatten";
            f.op_type = "Flatten";
            f.inputs = {n.outputs[0]};
            f.outputs = {out};
            f.attrs["axis"] = onnx::Attribute::integer(1);
            extra.push_back(std::move(f));
        }
    }
    // Each Flatten right after its pool (nodes stay in topological order).
    for (onnx::Node& f : extra) {
        auto at = std::find_if(g.nodes.begin(), g.nodes.end(),
                               [&](const onnx::Node& n) { return !n.outputs.empty() && n.outputs[0] == f.inputs[0]; });
        g.nodes.insert(at + 1, std::move(f));
    }
}

}  // namespace cnn
