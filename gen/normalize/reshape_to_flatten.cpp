// Pass 5: the ways a CNN's tensor is flattened before its classifier, as
// Flatten(axis 1): a Reshape of a [1, C, H, W] tensor to [1, C*H*W], [1, -1],
// [0, -1] or [-1, C*H*W], and a Squeeze of [1, C, 1, 1] to [1, C].
#include "normalize.hpp"

namespace cnn {

namespace {

bool is_flatten_shape(const std::vector<double>& s, int64_t n) {
    if (s.size() != 2) return false;
    const bool batch = s[0] == 1 || s[0] == 0 || (s[0] == -1 && s[1] == double(n));
    return batch && (s[1] == -1 || s[1] == double(n));
}

}  // namespace

void reshape_to_flatten(onnx::Graph& g) {
    for (onnx::Node& n : g.nodes) {
        if ((n.op_type != "Reshape" && n.op_type != "Squeeze") || n.inputs.empty()) continue;
        auto vi = g.value_info.find(n.inputs[0]);
        if (vi == g.value_info.end()) continue;
        const std::vector<int64_t>& d = vi->second.dims;
        if (d.size() != 4 || d[0] != 1) continue;
        const int64_t size = d[1] * d[2] * d[3];
        bool flat = false;
        if (n.op_type == "Reshape") {
            const onnx::Tensor* s = n.inputs.size() > 1 ? graph::constant(g, n.inputs[1]) : nullptr;
            flat = s && n.attr_int("allowzero", 0) == 0 && is_flatten_shape(s->data, size);
        } else {
            auto out = g.value_info.find(n.outputs.at(0));
            flat = d[2] == 1 && d[3] == 1 && out != g.value_info.end() &&
                   out->second.dims == std::vector<int64_t>{1, d[1]};
        }
        if (!flat) continue;
        n.op_type = "Flatten";
        n.inputs.resize(1);
        n.attrs.clear();
        n.attrs["axis"] = onnx::Attribute::integer(1);
    }
}

}  // namespace cnn
