// Pass 6: a Pad that only surrounds the spatial axes with the quantized zero,
// read by one Conv, QLinearConv or AveragePool, becomes that node's own
// padding (nn.ZeroPad2d, F.pad, TF's explicit SAME padding). The zero is 0.0
// before a float Conv/AveragePool and the input zero point before a
// QLinearConv. An AveragePool then counts the padded positions
// (count_include_pad = 1), as the separate Pad did; a MaxPool's padding never
// wins, so a zero Pad before it is not folded (the lowering refuses it).
// Pads are an input since opset 11 and an attribute before: fold_constants
// runs first.
#include "normalize.hpp"

namespace cnn {

namespace {

// The 8 pads of a rank-4 Pad (x1_begin .. x4_begin, x1_end .. x4_end) and its
// constant value, when they are constants and the mode is "constant".
bool read_pad(const onnx::Graph& g, const onnx::Node& n, std::vector<int64_t>& pads, double& value) {
    if (n.attr_string("mode", "constant") != "constant") return false;
    value = 0.0;
    if (g.opset < 11 || n.has("pads")) {
        pads = n.attr_ints("pads");
        value = n.attr_float("value", 0.0);
    } else {
        const onnx::Tensor* p = n.inputs.size() > 1 ? graph::constant(g, n.inputs[1]) : nullptr;
        if (!p) return false;
        pads.assign(p->data.begin(), p->data.end());
        if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
            const onnx::Tensor* v = graph::constant(g, n.inputs[2]);
            if (!v || v->data.size() != 1) return false;
            value = v->data[0];
        }
        if (n.inputs.size() > 3 && !n.inputs[3].empty()) return false;  // axes (opset 18): not folded
    }
    if (pads.size() != 8) return false;
    for (int64_t p : pads)
        if (p < 0) return false;
    return pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0;
}

// The zero the consumer's padding would insert.
bool zero_of(const onnx::Graph& g, const onnx::Node& c, double& zero) {
    zero = 0.0;
    if (c.op_type == "Conv" || c.op_type == "AveragePool") return true;
    if (c.op_type != "QLinearConv") return false;
    if (c.inputs.size() > 2 && !c.inputs[2].empty()) {
        const onnx::Tensor* z = graph::constant(g, c.inputs[2]);
        if (!z || z->data.size() != 1) return false;
        zero = z->data[0];
    }
    return true;
}

}  // namespace

void fold_pads(onnx::Graph& g) {
    std::vector<bool> dead(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const onnx::Node& pad = g.nodes[i];
        if (pad.op_type != "Pad" || pad.inputs.empty() || pad.outputs.empty()) continue;
        std::vector<int64_t> p;
        double value = 0.0, zero = 0.0;
        if (!read_pad(g, pad, p, value)) continue;
        onnx::Node* c = graph::sole_consumer(g, pad.outputs[0]);
        if (!c || c->inputs.empty() || c->inputs[0] != pad.outputs[0] || !zero_of(g, *c, zero) || value != zero)
            continue;
        const std::string ap = c->attr_string("auto_pad", "NOTSET");
        if (ap != "NOTSET" && ap != "VALID") continue;
        std::vector<int64_t> own = c->attr_ints("pads", {0, 0, 0, 0});
        if (own.size() != 4) continue;
        if (c->op_type == "AveragePool") {
            bool own_pads = own != std::vector<int64_t>{0, 0, 0, 0};
            if (own_pads && c->attr_int("count_include_pad", 0) == 0) continue;  // two kinds of padding
            c->attrs["count_include_pad"] = onnx::Attribute::integer(1);
        }
        // ONNX conv pads: [top, left, bottom, right]; Pad's: [.., top, left, .., .., bottom, right].
        c->attrs["pads"] = onnx::Attribute::integers({own[0] + p[2], own[1] + p[3], own[2] + p[6], own[3] + p[7]});
        c->attrs.erase("auto_pad");
        c->inputs[0] = pad.inputs[0];
        dead[i] = true;
    }
    graph::erase_nodes(g, dead);
}

void normalize_graph(onnx::Graph& g) {
    fold_constants(g);
    remove_identities(g);
    normalize_clip(g);
    reduce_mean_to_gap(g);
    reshape_to_flatten(g);
    fold_pads(g);
}

}  // namespace cnn
