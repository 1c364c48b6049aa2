// Pass 2: Identity and Dropout (inference: the identity; its mask output must
// be unused) are removed; their readers read the input directly.
#include "error.hpp"
#include "normalize.hpp"

namespace cnn {

void remove_identities(onnx::Graph& g) {
    std::vector<bool> dead(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const onnx::Node& n = g.nodes[i];
        if (n.op_type != "Identity" && n.op_type != "Dropout") continue;
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
