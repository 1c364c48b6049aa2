// Dense (Flatten -> Gemm/MatMul): rtl/cnn_dense, over the whole input in stream order.
#include <algorithm>

#include "ops.hpp"

namespace cnn {

namespace {

QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const size_t n = in.data.size();
    for (int o = 0; o < l.out.c; ++o) {
        int64_t acc = l.bias[o];
        const int8_t* w = &l.weights[size_t(o) * n];
        for (size_t i = 0; i < n; ++i) acc += int64_t(in.data[i]) * w[i];
        out.data[o] = output_stage(l, acc, 1, o);
    }
    return out;
}

// rtl/cnn_dense.vhd: max(N_IN, N_OUT * ceil(N_IN / PAR)) (double-buffered input).
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    const int64_t n_in = l.in.size(), n_out = l.out.c;
    return {{prefix + "_dense", "cnn_dense", std::max(n_in, n_out * ceil_div(n_in, l.par_in)), n_in, n_out}};
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    b.constant(prefix + "_weights", std::vector<int64_t>(l.weights.begin(), l.weights.end()));
    b.constant(prefix + "_bias", std::vector<int64_t>(l.bias.begin(), l.bias.end()));
    std::vector<std::pair<std::string, std::string>> g = {
        {"N_IN", std::to_string(l.in.size())}, {"N_OUT", std::to_string(l.out.c)},
        {"PAR", std::to_string(l.par_in)},     {"WEIGHTS", prefix + "_weights"},
        {"BIAS", prefix + "_bias"},            {"IN_SIGNED", l.in_unsigned ? "false" : "true"}};
    for (auto& kv : output_generics(l)) g.push_back(kv);
    for (auto& kv : requant_generics(l, prefix, b)) g.push_back(kv);
    b.append(prefix + "_dense", "cnn_dense", g);
}

}  // namespace

extern const OpDef dense_op = {reference, pes, emit};

}  // namespace cnn
