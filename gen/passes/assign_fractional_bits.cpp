#include <cmath>

#include "passes.hpp"

namespace cnn {

namespace {

// scale = 2^-f exactly (legality has checked it).
int frac_bits(double scale) { return -std::ilogb(scale); }

}  // namespace

void assign_fractional_bits(Network& net) {
    net.f_input = frac_bits(net.input_q.scale);
    net.f_output = frac_bits(net.output_q.scale);
    if (!net.layers.empty()) net.layers.front().in_unsigned = net.input_unsigned;
    for (Layer& l : net.layers) {
        for (const QuantParam& q : l.onnx.qparams) {
            if (q.role == "x") l.f_in = frac_bits(q.scale);
            if (q.role == "w") l.f_w = frac_bits(q.scale);
            if (q.role == "y") l.f_out = frac_bits(q.scale);
        }
        if (l.act == Activation::Leaky) l.leaky_k = -std::ilogb(l.onnx.alpha);
        if (l.pre_act == Activation::Leaky) l.pre_leaky_k = -std::ilogb(l.onnx.pre_alpha);
    }
}

}  // namespace cnn
