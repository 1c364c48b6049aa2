#include <algorithm>

#include "passes.hpp"

namespace cnn {

// An Act layer that does not change the quantization applies Relu and an
// upper clamp to integers: both commute with the rounding before them
// (relu(RHE(v)) == RHE(relu(v)), min(RHE(v), c) == RHE(min(v, c)) for an
// integer c), so they fold into the output stage of the layer before.
void fuse_activations(Network& net) {
    std::vector<Layer> out;
    for (Layer& l : net.layers) {
        const bool exact = l.kind == LayerKind::Act && l.f_in == l.f_out && l.act != Activation::Leaky &&
                           l.pre_act == Activation::None;
        if (exact && !out.empty() && out.back().f_out == l.f_in) {
            Layer& p = out.back();
            if (l.act == Activation::Relu) p.act = Activation::Relu;  // relu(leaky(v)) = relu(v)
            p.clamp_hi = std::min(p.clamp_hi, l.clamp_hi);
            p.name += "+" + l.name;
            p.onnx.op += "+" + l.onnx.op;
            continue;
        }
        out.push_back(std::move(l));
    }
    net.layers.swap(out);
}

}  // namespace cnn
