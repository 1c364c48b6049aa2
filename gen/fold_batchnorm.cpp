// BatchNormalization folding and removal of inference no-ops (see quantize.hpp).
//
// Also MatMul followed by an Add of a constant becomes one Gemm (the bias).
//
// y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta
//   = conv'(x) with  W'[o] = W[o] * k[o],  b'[o] = (b[o] - mean[o]) * k[o] + beta[o],
//   k = gamma / sqrt(var + eps),
// computed in double; the folded tensors stay double in memory (they are
// quantized next, never written as float).
#include <cmath>
#include <map>

#include "error.hpp"
#include "normalize.hpp"
#include "quantize.hpp"

namespace cnn {

onnx::Graph fold_batchnorm(const onnx::Graph& graph) {
    using graph::constant;
    using graph::node_ref;
    using graph::use_count;
    onnx::Graph g = graph;
    fold_constants(g);     // Constant nodes become initializers
    remove_identities(g);
    std::vector<onnx::Node> kept;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        onnx::Node n = g.nodes[i];
        if (n.op_type == "Add" && n.inputs.size() == 2 && !kept.empty() && kept.back().op_type == "MatMul" &&
            kept.back().outputs[0] == n.inputs[0] && use_count(g, n.inputs[0]) == 1 &&
            constant(g, n.inputs[1]) && constant(g, kept.back().inputs.size() > 1 ? kept.back().inputs[1] : "")) {
            // MatMul(x, W) -> Add(b) is Gemm(x, W, b).
            onnx::Node& mm = kept.back();
            mm.op_type = "Gemm";
            mm.inputs.resize(2);
            mm.inputs.push_back(n.inputs[1]);
            mm.outputs[0] = n.outputs[0];
            mm.name += "+" + n.name;
            continue;
        }
        if (n.op_type != "BatchNormalization") {
            kept.push_back(std::move(n));
            continue;
        }
        const std::string where = node_ref(n);
        if (n.inputs.size() < 5) throw Error(where, "needs 5 inputs (X, scale, B, mean, var)");
        if (n.attr_int("training_mode", 0) != 0) throw Error(where, "training_mode 1 is not supported");
        // The Conv that produces X, among the nodes kept so far.
        onnx::Node* conv = nullptr;
        for (onnx::Node& k : kept)
            if (!k.outputs.empty() && k.outputs[0] == n.inputs[0]) conv = &k;
        if (!conv || (conv->op_type != "Conv" && conv->op_type != "Gemm"))
            throw Error(where, "does not follow a Conv or Gemm: only BatchNormalization after a convolution or a "
                               "fully connected layer can be folded");
        const bool gemm = conv->op_type == "Gemm";
        if (gemm && (conv->attr_float("alpha", 1.0) != 1.0 || conv->attr_float("beta", 1.0) != 1.0))
            throw Error(node_ref(*conv), "alpha or beta is not 1: a BatchNormalization after it cannot be folded");
        // Gemm weights are [K][N] (transB 0: output o is column o) or [N][K].
        const bool columns = gemm && conv->attr_int("transB", 0) == 0;
        if (use_count(g, n.inputs[0]) != 1)
            throw Error(where, "its input '" + n.inputs[0] + "' feeds other nodes too; it cannot be folded");
        const onnx::Tensor* w = constant(g, conv->inputs.size() > 1 ? conv->inputs[1] : "");
        if (!w || w->dims.empty()) throw Error(node_ref(*conv), "weights are not a constant tensor");
        if (gemm && w->dims.size() != 2) throw Error(node_ref(*conv), "weights are not a matrix");
        const int64_t oc = columns ? w->dims[1] : w->dims[0];
        const size_t per = w->data.size() / size_t(oc);
        const onnx::Tensor* b = conv->inputs.size() > 2 && !conv->inputs[2].empty()
                                    ? constant(g, conv->inputs[2]) : nullptr;
        if (conv->inputs.size() > 2 && !conv->inputs[2].empty() && !b)
            throw Error(node_ref(*conv), "bias is not a constant tensor");
        const onnx::Tensor* p[4];
        const char* what[4] = {"scale", "B", "mean", "var"};
        for (int k = 0; k < 4; ++k) {
            p[k] = constant(g, n.inputs[size_t(k) + 1]);
            if (!p[k] || p[k]->data.size() != size_t(oc))
                throw Error(where, std::string(what[k]) + " is not a constant of " + std::to_string(oc) + " values");
        }
        const double eps = n.attr_float("epsilon", 1e-5);
        onnx::Tensor w2 = *w, b2;
        w2.name = conv->name + "_W_bnfolded";
        w2.dtype = onnx::DType::Double;
        b2.name = conv->name + "_B_bnfolded";
        b2.dtype = onnx::DType::Double;
        b2.dims = {oc};
        b2.data.assign(size_t(oc), 0.0);
        for (int64_t o = 0; o < oc; ++o) {
            const double k = p[0]->data[size_t(o)] / std::sqrt(p[3]->data[size_t(o)] + eps);
            for (size_t j = 0; j < per; ++j) w2.data[columns ? j * size_t(oc) + size_t(o) : size_t(o) * per + j] *= k;
            const double bias = b ? b->data[size_t(o)] : 0.0;
            b2.data[size_t(o)] = (bias - p[2]->data[size_t(o)]) * k + p[1]->data[size_t(o)];
        }
        g.initializers[w2.name] = w2;
        g.initializers[b2.name] = b2;
        conv->inputs.resize(3);
        conv->inputs[1] = w2.name;
        conv->inputs[2] = b2.name;
        conv->outputs[0] = n.outputs[0];
        conv->name += "+" + n.name;
    }
    g.nodes = std::move(kept);
    return g;
}

}  // namespace cnn
