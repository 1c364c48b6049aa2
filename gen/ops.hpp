// What each IR op is, side by side: its bit-exact reference, its analytical
// cycle model (the performance spec of the rtl/ blocks it becomes) and its
// VHDL emission. One file per op in gen/ops/; exec.cpp and emit.cpp dispatch
// through op_def().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "exec.hpp"
#include "ir.hpp"

namespace cnn {

// A PE's FPGA resources as the analytical model estimates them (a 7-series
// part as Yosys' synth_xilinx maps it: gen/resource_model.hpp).
struct FpgaResources {
    double lut = 0;      // LUT1..LUT6 of logic
    double lutram = 0;   // LUTs as distributed RAM / shift registers
    double ff = 0;       // flip-flops
    double dsp = 0;      // DSP48E1
    double bram36 = 0;   // RAMB36E1 + RAMB18E1 / 2
    FpgaResources& operator+=(const FpgaResources& o) {
        lut += o.lut, lutram += o.lutram, ff += o.ff, dsp += o.dsp, bram36 += o.bram36;
        return *this;
    }
};

// One processing element of the generated pipeline and its cycle model.
struct PeModel {
    std::string instance;     // VHDL instance name, e.g. "l0_conv1"
    std::string entity;       // rtl/ entity, e.g. "cnn_conv"
    int64_t cycles = 0;       // steady-state cycles per image (its initiation interval)
    int64_t in_beats = 0;     // input beats per image
    int64_t out_beats = 0;    // output beats per image
    FpgaResources res;        // its estimated resources
};

// Builds the generated top: link signals, weight constants, instances.
class VhdlBuilder {
public:
    // Declares <name>_valid/_ready/_data (8 * lanes bits: lanes values a
    // beat) and returns name.
    std::string link(const std::string& name, int lanes = 1);
    // The values a beat of link `name` carries.
    int lanes_of(const std::string& name) const;
    // A constant int_array in the weights package.
    void constant(const std::string& name, const std::vector<int64_t>& values);
    // The next stage of the chain: instance `name` of `entity` reads the link
    // `current` and writes a new link called `name`, which becomes `current`.
    // The new link's lanes come from the generics (OUT_LANES, else LANES,
    // else WIDTH / 8, else 1); the input's lanes must be what the generics
    // say it reads (IN_LANES, else LANES, else WIDTH / 8, else 1), or the
    // design is inconsistent and it throws.
    void append(const std::string& name, const std::string& entity,
                const std::vector<std::pair<std::string, std::string>>& generics);

    // The join of two streams: instance `name` of `entity` (ports a_*, b_*,
    // out_*) reads `current` and `current_b` and writes the link `name`.
    void join(const std::string& name, const std::string& entity,
              const std::vector<std::pair<std::string, std::string>>& generics);
    // rtl/cnn_fork: instance `name` copies `current` onto two new links,
    // <name>_a and <name>_b, which it returns.
    std::pair<std::string, std::string> fork(const std::string& name);

    std::string current;        // the link that feeds the next instance
    std::string current_b;      // a join's second input
    std::string signals;        // architecture declarations
    std::string body;           // architecture statements
    std::string package;        // weights package declarations
    std::vector<std::string> links;  // every link in stream order (for probes)
    std::vector<int> link_lanes;     // per link: values a beat
};

struct OpDef {
    QTensor (*reference)(const Layer&, const QTensor&);
    std::vector<PeModel> (*pes)(const Layer&, const std::string& prefix);
    void (*emit)(const Layer&, const std::string& prefix, VhdlBuilder&);
    // Two-input ops (Add): the reference on both inputs; null otherwise.
    QTensor (*join)(const Layer&, const QTensor&, const QTensor&) = nullptr;
};

const OpDef& op_def(LayerKind kind);
// The PEs of layer i of a network (instances l<i>_...), in stream order.
std::vector<PeModel> layer_pes(const Layer& l, size_t i);

// Shared pieces of the op files.
std::string vhdl_act(Activation a);                  // "ACT_NONE" ...
int output_shift(const Layer& l);                    // e_in - f_out
int64_t ceil_div(int64_t a, int64_t b);
// Generics of the output stage: SHIFT, ACT, LEAKY_K, CLAMP_HI.
std::vector<std::pair<std::string, std::string>> output_generics(const Layer& l);
// SPEC v2's part of the output stage of cnn_conv, cnn_dense and cnn_gap
// (rtl/cnn_mac.vhd, rtl/cnn_requant.vhd): ZP_OUT, CLAMP_LO, REQUANT_F32 and,
// for a float32 layer, SCALES, the constant <prefix>_scales of the scales'
// float32 bit patterns (one per output channel; GlobalAvgPool: one), which
// it adds to the weights package. Kept apart from output_generics(): the
// other PEs (cnn_act, cnn_maxpool, cnn_avgpool) have no such generics yet.
std::vector<std::pair<std::string, std::string>> requant_generics(const Layer& l, const std::string& prefix,
                                                                  VhdlBuilder& b);
// The float32 output stage's latency beyond the shift stage's, in cycles
// (cnn_requant's 5 stages for requant's 1): 4 when l.requant_f32, else 0.
int64_t requant_extra_latency(const Layer& l);

// The cycles per image of rtl/cnn_conv and rtl/cnn_dwconv (the cycle model in
// gen/ops/conv.cpp's comment): KKN issue cycles per output-channel group and
// pixel, par_out output channels per cycle. cnn_dwconv is cnn_conv's model with
// KKN = KH * KW and PAR_OUT = PAR.
int64_t conv_cycles(const Layer& l, int64_t kkn, int64_t par_out);

// rtl/cnn_zero_pad in front of a padded window layer (l.has_padding()): the
// padded input shape, the PE's model (instance <prefix>_pad; one output beat
// per cycle: cycles/image = the padded image's beats) and its instance, whose
// border is pad_value (int8: 0 for Conv and AvgPool, -128 for MaxPool).
Shape padded_shape(const Layer& l);
PeModel zero_pad_pe(const Layer& l, const std::string& prefix);
void emit_zero_pad(const Layer& l, const std::string& prefix, int pad_value, VhdlBuilder& b);

}  // namespace cnn
