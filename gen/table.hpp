// The layer table: what a model becomes, layer by layer.
#pragma once

#include <ostream>

#include "ir.hpp"

namespace cnn {

// Per layer: op, shapes, kernel/stride/pad, fractional bits, activation,
// weight count, MACs, and the fraction of outputs clamped by saturation over
// `images` random images (seeded, uniform pixels).
void print_layer_table(const Network& net, std::ostream& os, int images = 16);

}  // namespace cnn
