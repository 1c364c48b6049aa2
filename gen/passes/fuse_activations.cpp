#include <algorithm>

#include "passes.hpp"

namespace cnn {

namespace {

// An Act layer that keeps the quantization (same scale and zero point) and
// applies Relu and clamps: both commute with the rounding before them
// (relu(RHE(v)) == RHE(relu(v)), min(RHE(v), c) == RHE(min(v, c)) for an
// integer c; likewise for onnxruntime's float32 rounding, which is monotone).
bool exact_clamp(const Layer& l) {
    if (l.kind != LayerKind::Act || l.act == Activation::Leaky || l.pre_act != Activation::None) return false;
    const QuantParam *x = nullptr, *y = nullptr;
    for (const QuantParam& q : l.onnx.qparams) {
        if (q.role == "x") x = &q;
        if (q.role == "y") y = &q;
    }
    return x && y && x->scale == y->scale && l.zp_in == l.zp_out && x->dtype == y->dtype;
}

// A table that is the identity clamped to [lo, hi] (a Relu or Clip between
// two equal quantizations, computed through floats).
bool clamp_table(const Layer& l, int* lo, int* hi) {
    if (l.kind != LayerKind::Lut || l.table.size() != 256) return false;
    *lo = l.table[128];  // the output for x = -128
    *hi = l.table[127];  // for x = 127
    for (int b = 0; b < 256; ++b)
        if (l.table[size_t(b)] != std::clamp<int>(int8_t(uint8_t(b)), *lo, *hi)) return false;
    return *lo <= *hi;
}

bool has_output_stage(const Layer& p) { return p.kind != LayerKind::Lut; }

}  // namespace

// Folds what commutes into the layer before it: a clamp (Act at an unchanged
// quantization, or a table that is a clamp) into that layer's output stage;
// a table after a table into one table. Only into a layer whose output
// nothing else reads (never across a fork).
void fuse_activations(Network& net) {
    net.link_chain();
    for (size_t i = 0; i < net.layers.size();) {
        Layer& l = net.layers[i];
        const int pi = l.inputs.size() == 1 ? l.inputs[0] : -1;
        if (pi < 0 || net.consumers(pi).size() != 1) {
            ++i;
            continue;
        }
        Layer* p = &net.layers[size_t(pi)];
        int lo = -128, hi = 127;
        bool fused = false;
        if (exact_clamp(l) && has_output_stage(*p)) {
            if (l.act == Activation::Relu && !p->requant_f32) p->act = Activation::Relu;  // relu(leaky(v)) = relu(v)
            lo = l.clamp_lo;
            hi = l.clamp_hi;
            fused = true;
        } else if (clamp_table(l, &lo, &hi) && has_output_stage(*p)) {
            fused = true;
        } else if (l.kind == LayerKind::Lut && p->kind == LayerKind::Lut) {
            for (int8_t& v : p->table) v = l.table[uint8_t(v)];
            fused = true;
        }
        if (!fused) {
            ++i;
            continue;
        }
        if (has_output_stage(*p)) {
            p->clamp_lo = std::max(p->clamp_lo, lo);
            p->clamp_hi = std::min(p->clamp_hi, hi);
            p->clamp_hi = std::max(p->clamp_hi, p->clamp_lo);  // an empty range is a constant
            // An Add's table is its values: the clamp applies to every entry.
            if (p->kind == LayerKind::Add)
                for (int8_t& v : p->table) v = int8_t(std::clamp<int>(v, p->clamp_lo, p->clamp_hi));
        }
        p->name += "+" + l.name;
        p->onnx.op += "+" + l.onnx.op;
        net.erase_layer(i);
    }
}

}  // namespace cnn
