// Add: the join of a residual block, rtl/cnn_add. Both input streams carry
// one tensor's beats in the same (HWC) order; the PE takes one beat of each
// and emits their sum. Its values are the layer's table: onnxruntime's
// QLinearAdd, or its float Add where the graph keeps one, on every pair of
// input bytes (built by gen/lower.cpp). The shift path (power-of-two scales,
// chosen by assign_quantization only when it reproduces all 65536 entries)
// computes them with two shifts, one rounding and a clamp; otherwise the
// hardware holds the table (a 64K x 8 ROM: 16 RAMB36 on a 7-series part).
#include "error.hpp"
#include "ops.hpp"

namespace cnn {

namespace {

QTensor reference(const Layer& l, const QTensor&) {
    throw Error("layer '" + l.name + "'", "an Add has two inputs");
}

QTensor join(const Layer& l, const QTensor& a, const QTensor& b) {
    if (l.table.size() != 65536)
        throw Error("layer '" + l.name + "'", "Add table has " + std::to_string(l.table.size()) + " entries, needs 65536");
    if (!(a.shape == l.in) || !(b.shape == l.in))
        throw Error("layer '" + l.name + "'", "inputs " + to_string(a.shape) + " and " + to_string(b.shape) +
                                                  " do not match the layer's " + to_string(l.in));
    QTensor out(l.out);
    for (size_t i = 0; i < a.data.size(); ++i)
        out.data[i] = l.table[size_t(uint8_t(a.data[i])) * 256 + uint8_t(b.data[i])];
    return out;
}

// One beat of each input and one result per cycle: H * W * C.
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    return {{prefix + "_add", "cnn_add", l.in.size(), l.in.size(), l.out.size()}};
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    std::vector<std::pair<std::string, std::string>> g;
    if (l.requant_f32) {
        b.constant(prefix + "_table", std::vector<int64_t>(l.table.begin(), l.table.end()));
        g = {{"MODE_TABLE", "true"}, {"TABLE", prefix + "_table"}};
    } else {
        const int m = std::max(l.f_in, l.f_in_b);
        g = {{"MODE_TABLE", "false"},
             {"ZP_A", std::to_string(l.zp_in)},
             {"ZP_B", std::to_string(l.zp_in_b)},
             {"SHIFT_A", std::to_string(m - l.f_in)},
             {"SHIFT_B", std::to_string(m - l.f_in_b)},
             {"SHIFT", std::to_string(m - l.f_out)},
             {"ZP_OUT", std::to_string(l.zp_out)},
             {"CLAMP_LO", std::to_string(l.clamp_lo)},
             {"CLAMP_HI", std::to_string(l.clamp_hi)}};
    }
    b.join(prefix + "_add", "cnn_add", g);
}

}  // namespace

extern const OpDef add_op = {reference, pes, emit, join};

}  // namespace cnn
