// GlobalAvgPool: rtl/cnn_gap. Shift path: per-channel sums of pre_act(x),
// exact division by H*W. requant_f32: onnxruntime's QLinearGlobalAveragePool
// (mlas/lib/qlgavgpool.cpp): the int32 sum of x - zp_in over the channel,
// requantised with x_scale / (y_scale * N).
#include "ops.hpp"

namespace cnn {

namespace {

QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int64_t n = int64_t(l.in.h) * l.in.w;
    for (int c = 0; c < l.in.c; ++c) {
        int64_t sum = 0;
        for (int y = 0; y < l.in.h; ++y)
            for (int x = 0; x < l.in.w; ++x) sum += pre_activation(l, in.at(y, x, c));
        out.data[c] = l.requant_f32 ? output_stage(l, sum - l.zp_in * n, 1, 0) : output_stage(l, sum, n);
    }
    return out;
}

// One input beat per cycle: H * W * C.
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    return {{prefix + "_gap", "cnn_gap", l.in.size(), l.in.size(), l.out.size()}};
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    std::vector<std::pair<std::string, std::string>> g = {
        {"C", std::to_string(l.in.c)},         {"H", std::to_string(l.in.h)},
        {"W", std::to_string(l.in.w)},         {"PRE_ACT", vhdl_act(l.pre_act)},
        {"PRE_LEAKY_K", std::to_string(l.pre_leaky_k)}};
    for (auto& kv : output_generics(l)) g.push_back(kv);
    for (auto& kv : requant_generics(l, prefix, b)) g.push_back(kv);
    g.push_back({"ZP_IN", std::to_string(l.zp_in)});  // acc = sum - zp_in * N
    b.append(prefix + "_gap", "cnn_gap", g);
}

}  // namespace

extern const OpDef gap_op = {reference, pes, emit};

}  // namespace cnn
