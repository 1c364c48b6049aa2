// Act: a standalone activation / rescale, rtl/cnn_act (elementwise).
#include "ops.hpp"

namespace cnn {

namespace {

QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    for (size_t i = 0; i < in.data.size(); ++i) out.data[i] = output_stage(l, in.data[i], 1);
    return out;
}

// One beat per cycle: H * W * C.
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    return {{prefix + "_act", "cnn_act", l.in.size(), l.in.size(), l.out.size()}};
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    b.append(prefix + "_act", "cnn_act", output_generics(l));
}

}  // namespace

extern const OpDef act_op = {reference, pes, emit};

}  // namespace cnn
