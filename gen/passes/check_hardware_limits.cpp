// What the hardware cannot hold although SPEC §1 allows it, judged once the
// fractional bits are known, so that `cnnc check` refuses what `cnnc emit`
// would: one line per layer, all collected.
#include <cmath>
#include <cstdio>

#include "ops.hpp"
#include "passes.hpp"

namespace cnn {

// rtl/cnn_mac.vhd narrows the accumulator to 32 bits before its output stage,
// which holds for left shifts up to 22 (a larger one saturates every non-zero
// accumulator, a model no quantizer writes); refused here with the layer named
// rather than by an elaboration assert deep in GHDL's log.
constexpr int kMinMacShift = -22;

// rtl/cnn_requant.vhd takes multipliers in [2^-32, 2^8): below, every int32
// accumulator rounds to 0; from 2^8 up, every non-zero one saturates (the
// range onnxruntime's own QLinearGlobalAveragePool enforces).
bool requant_range(float s) { return s >= std::ldexp(1.0f, -32) && s < 256.0f; }

// No float32 adder in rtl/: onnxruntime's AveragePool off the global path
// sums floats, which only the golden model reproduces.
void check_hardware_limits(Network& net) {
    std::vector<std::string> lines;
    for (const Layer& l : net.layers) {
        const std::string where = "layer '" + l.name + "': ";
        if (l.requant_f32 && l.kind == LayerKind::AvgPool) {
            lines.push_back(where + "AveragePool with non-power-of-two scales or a zero point: onnxruntime sums it "
                                    "in float32, which the hardware has no adder for (a pool over the whole input "
                                    "is a GlobalAveragePool and is taken)");
            continue;
        }
        for (float s : l.scale)
            if (!requant_range(s)) {
                char b[32];
                std::snprintf(b, sizeof b, "%.7g", double(s));
                lines.push_back(where + "requantisation multiplier " + b +
                                " is outside the hardware's [2^-32, 256) (every output would be constant)");
                break;
            }
        if (l.has_weights() && !l.requant_f32 && output_shift(l) < kMinMacShift)
            lines.push_back("layer '" + l.name + "': output shift " + std::to_string(output_shift(l)) +
                            " (f_in + f_w - f_out) is below the hardware's " + std::to_string(kMinMacShift));
    }
    if (!lines.empty()) throw LegalityError(net.source, lines);
}

}  // namespace cnn
