// The small graph-editing helpers the normalisation passes share.
#include <set>

#include "normalize.hpp"

namespace cnn::graph {

std::string node_ref(const onnx::Node& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }

const onnx::Tensor* constant(const onnx::Graph& g, const std::string& value) {
    return value.empty() ? nullptr : g.initializer(value);
}

int use_count(const onnx::Graph& g, const std::string& value) {
    int uses = 0;
    for (const onnx::Node& n : g.nodes)
        for (const std::string& in : n.inputs) uses += in == value;
    for (const onnx::ValueInfo& o : g.outputs) uses += o.name == value;
    return uses;
}

onnx::Node* sole_consumer(onnx::Graph& g, const std::string& value) {
    onnx::Node* found = nullptr;
    for (onnx::Node& n : g.nodes)
        for (const std::string& in : n.inputs)
            if (in == value) {
                if (found) return nullptr;
                found = &n;
            }
    for (const onnx::ValueInfo& o : g.outputs)
        if (o.name == value) return nullptr;
    return found;
}

void replace_uses(onnx::Graph& g, const std::string& from, const std::string& to) {
    for (onnx::Node& n : g.nodes)
        for (std::string& in : n.inputs)
            if (in == from) in = to;
    for (onnx::ValueInfo& o : g.outputs)
        if (o.name == from) o.name = to;
}

std::string fresh_name(const onnx::Graph& g, const std::string& base) {
    std::set<std::string> used;
    for (const auto& [name, t] : g.initializers) used.insert(name);
    for (const onnx::ValueInfo& v : g.inputs) used.insert(v.name);
    for (const onnx::Node& n : g.nodes)
        for (const std::string& o : n.outputs) used.insert(o);
    std::string name = base;
    for (int i = 2; used.count(name); ++i) name = base + "_" + std::to_string(i);
    return name;
}

std::string add_constant(onnx::Graph& g, const std::string& base, onnx::DType t, std::vector<int64_t> dims,
                         std::vector<double> data) {
    const std::string name = fresh_name(g, base);
    g.initializers[name] = onnx::Tensor::make(name, t, std::move(dims), std::move(data));
    return name;
}

void erase_nodes(onnx::Graph& g, const std::vector<bool>& dead) {
    std::vector<onnx::Node> kept;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
    g.nodes.swap(kept);
}

}  // namespace cnn::graph
