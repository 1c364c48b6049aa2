// What the hardware cannot hold although SPEC §1 allows it, judged once the
// fractional bits are known, so that `cnnc check` refuses what `cnnc emit`
// would: one line per layer, all collected.
#include "ops.hpp"
#include "passes.hpp"

namespace cnn {

// rtl/cnn_mac.vhd narrows the accumulator to 32 bits before its output stage,
// which holds for left shifts up to 22 (a larger one saturates every non-zero
// accumulator, a model no quantizer writes); refused here with the layer named
// rather than by an elaboration assert deep in GHDL's log.
constexpr int kMinMacShift = -22;

void check_hardware_limits(Network& net) {
    std::vector<std::string> lines;
    for (const Layer& l : net.layers)
        if (l.has_weights() && output_shift(l) < kMinMacShift)
            lines.push_back("layer '" + l.name + "': output shift " + std::to_string(output_shift(l)) +
                            " (f_in + f_w - f_out) is below the hardware's " + std::to_string(kMinMacShift));
    if (!lines.empty()) throw LegalityError(net.source, lines);
}

}  // namespace cnn
