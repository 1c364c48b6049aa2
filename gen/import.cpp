// ONNX graph -> layer IR: normalisation passes (normalize.hpp), then the
// lowering (lower.hpp).
#include "import.hpp"

#include "error.hpp"
#include "lower.hpp"
#include "normalize.hpp"
#include "passes.hpp"

namespace cnn {

bool is_float_model(const onnx::Graph& g) {
    for (const onnx::Node& n : g.nodes)
        if (n.op_type == "QuantizeLinear" || n.op_type.rfind("QLinear", 0) == 0) return false;
    return true;
}

Network import_network(const onnx::Graph& graph, const std::string& source) {
    if (is_float_model(graph))
        throw Error(source, "a float model (no QuantizeLinear): quantize it first with `cnnc quantize`");
    onnx::Graph g = graph;
    normalize_graph(g);
    return lower_to_layers(g, source);
}

Network load_network(const std::string& path) {
    Network net = import_network(onnx::load_model(path), path);
    run_passes(net);
    return net;
}

}  // namespace cnn
