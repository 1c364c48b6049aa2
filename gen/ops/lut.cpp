// Lut: an elementwise op as a 256-entry table, rtl/cnn_lut. The table is
// built by the lowering (gen/lower.cpp) as onnxruntime builds the tables of
// its QLinearLeakyRelu / QLinearSigmoid (contrib_ops/cpu/quantization/
// qlinear_lookup_table.cc: dequantize each of the 256 codes, the float op,
// MlasQuantizeLinear), and for the float ops it leaves unfused (HardSigmoid,
// HardSwish, Clip, Relu between two different quantizations) the same way.
#include "error.hpp"
#include "ops.hpp"

namespace cnn {

namespace {

QTensor reference(const Layer& l, const QTensor& in) {
    if (l.table.size() != 256) throw Error("layer '" + l.name + "'", "Lut table has " +
                                                                        std::to_string(l.table.size()) +
                                                                        " entries, needs 256");
    QTensor out(l.out);
    for (size_t i = 0; i < in.data.size(); ++i) out.data[i] = l.table[uint8_t(in.data[i])];
    return out;
}

// rtl/cnn_lut.vhd: one beat per cycle, H * W * C cycles per image.
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    return {{prefix + "_lut", "cnn_lut", l.in.size(), l.in.size(), l.out.size()}};
}

// TABLE(i) is y for the input byte i (0..255, the int8 x = i - 256 for i >= 128).
void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    b.constant(prefix + "_table", std::vector<int64_t>(l.table.begin(), l.table.end()));
    b.append(prefix + "_lut", "cnn_lut", {{"TABLE", prefix + "_table"}});
}

}  // namespace

extern const OpDef lut_op = {reference, pes, emit};

}  // namespace cnn
