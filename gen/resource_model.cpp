#include "resource_model.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace cnn {

namespace {

double cdiv(double a, double b) { return std::ceil(a / b); }
double clog2(double n) { return n <= 1 ? 0 : std::ceil(std::log2(n)); }

// Logic and registers of a PE beyond its memories and multipliers:
//   base + per_lane * lanes + per_mult * multipliers + per_bit * log2 terms.
// Fitted on Yosys 0.23 runs (rtl/flow/resources.sh, xc7z020) over the CI
// models (docs/resources.md, "The analytical model"): each coefficient says
// what it stands for.
struct Logic {
    double lut, ff;
};
FpgaResources logic(Logic base, Logic per_lane, double lanes, Logic per_mult, double mults) {
    FpgaResources r;
    r.lut = base.lut + per_lane.lut * lanes + per_mult.lut * mults;
    r.ff = base.ff + per_lane.ff * lanes + per_mult.ff * mults;
    return r;
}

// Counters and address registers of a PE: a register and about one LUT a bit
// (incrementer in CARRY4, compare) per counter of range n.
Logic counter(double n) { return {clog2(n) + 2, clog2(n) + 1}; }
Logic operator+(Logic a, Logic b) { return {a.lut + b.lut, a.ff + b.ff}; }

// cnn_mac per lane (accumulator of ACC_W >= 33 bits in CARRY4s, its narrowing
// and the shift requantisation, activation, clamps, the bias register):
// fitted 119 LUT, 118 FF (least squares over the 20 convs of lenet,
// conv3_mp2_gap10, probe_requant_perchannel, u8_dscnn_depthwise,
// s8_asym_leaky_hardsigmoid_hardswish, s8_resnet_pow2,
// conv3_rgb_relu_ap2_leaky8_ap3s1, conv3_s1_p1_relu_mp2: lanes 1..8,
// products 1..64). REQUANT_F32 adds cnn_requant (its header: 471 LUT, 147 FF
// + 25 SRL16E, 2 DSP48E1 alone; cnn_mac with it 526 LUT, 351 FF against the
// shift stage's 142, 120; fitted +452 LUT, +231 FF a lane) and a scale ROM
// of 31 bits a group.
const Logic kMacLane{119, 118};
const Logic kRequantF32{452, 231};
FpgaResources requant_f32() { return FpgaResources{kRequantF32.lut, 25, kRequantF32.ff, 2, 0}; }

// rtl/cnn_div_rhe (the average pools' and cnn_gap's exact division by
// n_div): two constant (or table) products, hi * M and q * D, each a DSP48E1
// at these widths, but only shifts when the divisor is a power of two (an
// unpadded 2x2 pool: no DSP on conv3_rgb_relu_ap2_leaky8_ap3s1); a second
// divider for the negative side under ACT_LEAKY. `table`: one divisor per
// window (padding not counted), never a shift.
FpgaResources dividers(const Layer& l, int64_t n_div, bool table) {
    const double n = l.act == Activation::Leaky ? 2 : 1;
    const bool pow2 = !table && (n_div & (n_div - 1)) == 0;
    return FpgaResources{90 * n, 0, 0, pow2 ? 0 : 2 * n, 0};
}

// Per 8 x 9 product beyond its DSP48E1: the fit finds nothing (-1 LUT, -3 FF
// a product): the DSP holds the product's registers (M, P) and the adder
// tree's share is in the lane's figure.
const Logic kProduct{0, 0};

// The credit FIFO of conv, dwconv, dense: D = 8 (+4 float) entries of `width`
// bits (rtl/cnn_credit_fifo, cnn_fifo below RAM_MIN_BITS = 1024: LUT-RAM
// with a combinational read; from 1024 bits a registered RAM of D - 1 words).
FpgaResources credit_fifo(int64_t depth, int64_t width) {
    const bool ram = depth * width >= 1024;
    FpgaResources r = estimate_memory(ram ? depth - 1 : depth, width, ram, false);
    r.lut += 12 + width / 2.0;   // pointers, count, the serialiser's lane mux
    r.ff += 12;
    return r;
}

// A weight or bias ROM of one lane: `words` x `width` bits, registered read.
FpgaResources rom(int64_t words, int64_t width) { return estimate_memory(words, width, true, true); }

FpgaResources scaled(FpgaResources r, double n) {
    r.lut *= n, r.lutram *= n, r.ff *= n, r.dsp *= n, r.bram36 *= n;
    return r;
}

// The bit columns of a table that are not the same in every entry: Yosys
// drops a constant column before mapping (u8_resnet_float's 64K x 8 Add
// tables hold 8 varying bits: it changes nothing there).
int64_t varying_bits(const std::vector<int8_t>& table) {
    int64_t n = 0;
    for (int b = 0; b < 8; ++b) {
        const auto bit = [b](int8_t v) { return (uint8_t(v) >> b) & 1; };
        if (std::any_of(table.begin(), table.end(), [&](int8_t v) { return bit(v) != bit(table.front()); })) ++n;
    }
    return table.empty() ? 8 : n;
}

FpgaResources operator+(FpgaResources a, const FpgaResources& b) { return a += b; }

// The output side of conv, dwconv and dense: per lane a bias ROM of
// max(groups, 2) x 32 bits, with REQUANT_F32 a cnn_requant and a scale ROM
// of max(groups, 2) x 31; the credit FIFO of 8 (+4 float) entries of a group.
// With one group the ROMs are read at address 0 only: constants, folded.
FpgaResources output_side(const Layer& l, int64_t lanes, int64_t groups) {
    const double n = double(lanes);
    FpgaResources r = credit_fifo(8 + (l.requant_f32 ? 4 : 0), 8 * lanes);
    if (groups > 1) r += scaled(rom(groups, 32), n);
    if (l.requant_f32) {
        r += scaled(requant_f32(), n);
        if (groups > 1) r += scaled(rom(groups, 31), n);
    }
    return r;
}

// The counters of a window PE over the padded input p (channel, column, row,
// row slot, ky, kx, output group, output column).
Logic window_counters(const Layer& l, const Shape& p, int64_t nrows, int64_t nog) {
    return counter(l.in.c) + counter(p.w) + counter(p.h) + counter(nrows) + counter(l.kernel_h) +
           counter(l.kernel_w) + counter(nog) + counter(l.out.w);
}

}  // namespace

// Block RAM (registered read, >= kBramMinBits, as resources.sh forces it):
// the fewest blocks over the 7-series simple dual-port shapes, RAMB18E1
// (16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18, 512x36: 0.5 each) and RAMB36E1 (32Kx1 ...
// 512x72: 1 each), words and width split into whole blocks. The block absorbs
// the read register.
// LUT-RAM (a write port, not block RAM): the fewest LUTs of RAM32M (32 words
// x 6 bits in 4 LUTs), RAM64M (64 x 3 in 4), RAM128X1D (128 x 1 in 4),
// RAM256X1D (256 x 1 in 8), plus one LUT a bit per 4 blocks of depth for the
// read multiplexer (MUXF7/F8 take 2..4).
// A ROM not in block RAM is logic: a LUT6 per 64 words of every bit (MUXF7/F8
// join 4 of them), a LUT per bit of depth multiplexer beyond 256 words, its
// read register in FFs. Constant bits (the salt, zero high bits) are folded
// by Yosys and not modelled.
FpgaResources estimate_memory(int64_t words, int64_t width, bool registered_read, bool rom) {
    FpgaResources r;
    const double w = double(words), b = double(width);
    if (registered_read && w * b >= kBramMinBits) {
        static const double shapes[][3] = {                 // words, bits, RAMB36 equivalents
            {16384, 1, 0.5}, {8192, 2, 0.5}, {4096, 4, 0.5}, {2048, 9, 0.5}, {1024, 18, 0.5}, {512, 36, 0.5},
            {32768, 1, 1}, {16384, 2, 1}, {8192, 4, 1}, {4096, 9, 1}, {2048, 18, 1}, {1024, 36, 1}, {512, 72, 1}};
        double best = 1e300;
        for (const auto& s : shapes) best = std::min(best, cdiv(w, s[0]) * cdiv(b, s[1]) * s[2]);
        // A deep memory also fills the parity bits (18 Kbit a RAMB18, data
        // bits spread over them): u8_resnet_float's 64K x 8 Add tables take
        // 29 RAMB18 = 14.5 BRAM36 each, not the 16 of the 2Kx9 shape.
        if (w > 2048) best = std::min(best, cdiv(w * b, 18432) * 0.5);
        r.bram36 = best;
        return r;
    }
    if (rom) {
        // 0.8: Yosys shares LUTs between bits and folds constant columns
        // (fitted with the per-lane figures below).
        r.lut = 0.8 * b * cdiv(w, 64) + (w > 256 ? b * cdiv(w, 256) : 0);
        // A ROM in logic keeps its read register on the address, not on the
        // word (LeNet's conv ROMs of 201 and 241 bits at TARGET=max, ResNet-
        // like 3x3 convs of 217: Yosys' FFs match the address, not the data).
        if (registered_read) r.ff = std::min(b, clog2(w) + 1);
        return r;
    }
    const double opts[] = {cdiv(w, 32) * cdiv(b, 6) * 4, cdiv(w, 64) * cdiv(b, 3) * 4, cdiv(w, 128) * b * 4,
                           cdiv(w, 256) * b * 8};
    r.lutram = *std::min_element(std::begin(opts), std::end(opts));
    r.lut = w > 64 ? b * cdiv(w, 256) : 0;
    if (registered_read) r.ff = b;
    return r;
}

FpgaResources estimate_fifo_resources(int64_t depth, int64_t width) {
    // rtl/cnn_fifo: below RAM_MIN_BITS = 8192 (or DEPTH < 3) an array read
    // combinationally (LUT-RAM); from it a RAM of DEPTH - 1 words with a
    // registered read and an output stage. Pointers and a count of DEPTH.
    const bool ram = depth >= 3 && depth * width >= 8192;
    FpgaResources r = estimate_memory(ram ? depth - 1 : depth, width, ram, false);
    // LeNet's FIFOs (64..288 x 8): 27..60 LUT, 19..27 FF.
    r.lut += 8 + 3 * clog2(double(depth)) + (ram ? 2 * double(width) : 0);
    r.ff += 8 + 2 * clog2(double(depth)) + (ram ? 2 * double(width) : 0);
    return r;
}

FpgaResources estimate_lanes_resources(int64_t in_lanes, int64_t out_lanes) {
    const double pieces = double(in_lanes / out_lanes), bits = 8.0 * double(out_lanes);
    // A pieces-to-1 multiplexer of `bits` bits: a LUT6 takes a 4-to-1 per bit.
    return FpgaResources{bits * std::ceil((pieces - 1) / 3) + 4, 0, 8.0 * double(in_lanes) + clog2(pieces) + 1, 0, 0};
}

// rtl/cnn_fork.vhd's Resources: 2 x (2 * WIDTH + 2) FF, 25 LUT at WIDTH 8.
FpgaResources estimate_fork_resources(int64_t width) {
    return FpgaResources{25.0 * double(width) / 8, 0, 4.0 * double(width) + 4, 0, 0};
}

FpgaResources estimate_axis_resources(int64_t beats, bool out) {
    // A beat counter and a skid register (LeNet: axis_in 44 LUT 31 FF, axis_out 19 LUT 24 FF).
    FpgaResources r;
    r.lut = (out ? 6 : 22) + clog2(double(beats)) * (out ? 1 : 2);
    r.ff = (out ? 12 : 20) + clog2(double(beats));
    return r;
}

FpgaResources estimate_pe_resources(const Layer& l, const PeModel& pe) {
    const std::string& e = pe.entity;
    const bool f32 = l.requant_f32;
    if (e == "cnn_conv") {
        // rtl/cnn_conv.vhd's Resources: PAR * PAR_OUT * PAR_KY * PAR_KX
        // products, PAR_OUT lanes (cnn_mac, weight ROM, bias ROM), a line buffer.
        const Shape p = padded_shape(l);
        const int64_t par = l.par_in, po = l.par_out, pky = std::max(1, l.par_ky), pkx = std::max(1, l.par_kx);
        const int64_t ng = ceil_div(l.in.c, par), nog = ceil_div(l.out.c, po);
        const int64_t rrel = std::min(l.stride_h, l.kernel_h), nrows = l.kernel_h + rrel;
        const int64_t nkx = ceil_div(l.kernel_w, pkx), wq = (p.w + pkx - 2) / pkx + 1;
        const double mults = double(par * po * pky * pkx);
        FpgaResources r = logic(window_counters(l, p, nrows, nog) + counter(double(nog) * l.kernel_h * nkx * ng) +
                                    Logic{45, 8.0 * par - 15},
                                kMacLane, double(po), kProduct, mults);
        r.dsp = mults;
        // Weight ROM per lane: NOG * KH/PAR_KY * KW/PAR_KX * NG words of
        // PAR_KY * PAR_KX * PAR bytes (+1 salt bit, constant: folded); a ROM
        // of one real word (the whole kernel a cycle) is a constant to Yosys
        // (LeNet's conv1 at 1x6x5x5: no LUT). The bias ROM (max(NOG, 2) x 32)
        // is output_side's.
        const int64_t nw_real = nog * ceil_div(l.kernel_h, pky) * nkx * ng, nw = std::max<int64_t>(nw_real, 2);
        if (nw_real > 1) r += scaled(rom(nw, 8 * par * pky * pkx), double(po));
        // Line buffer: NB * PAR_KX banks (NB = NROWS row banks with PAR_KY >
        // 1, else one holding every slot) of NROWS / NB * WQ * NG words x
        // 8 * PAR bits, registered read.
        const int64_t nb = pky > 1 ? nrows : 1;
        r += scaled(estimate_memory(nrows / nb * wq * ng, 8 * par, true, false), double(nb * pkx));
        // With PAR_KX > 1 the rotation: in each of the NB row banks PAR_KX
        // words from its PAR_KX column banks (PAR_KX-to-1), then PAR_KY *
        // PAR_KX words from the NB row banks (NB-to-1): 1.05 LUT a bit per
        // extra input (Yosys: LeNet's conv1 2,857 LUT, mono_9x11_stack4's 5x5
        // conv 2,325). The adder trees cost no LUTs (Yosys puts the sums in
        // the DSPs, as the fit found).
        if (pkx > 1)
            r.lut += 1.05 * double(8 * par) * double(nb * pkx * (pkx - 1) + pky * pkx * (nb - 1));
        return r + output_side(l, po, nog);
    }
    if (e == "cnn_dwconv") {
        // rtl/cnn_dwconv.vhd's Resources: PAR products and lanes; words of WB
        // channels (WB = PAR / M, 1, or C_IN when PAR and M do not divide).
        const Shape p = padded_shape(l);
        const int64_t par = std::max(1, l.par_out), m = l.out.c / std::max(1, l.in.c);
        const bool aligned = par % m == 0 || m % par == 0;
        const int64_t wb = !aligned ? l.in.c : (par % m == 0 ? par / m : 1);
        const int64_t ngi = ceil_div(l.in.c, wb), nog = ceil_div(l.out.c, par);
        const int64_t rrel = std::min(l.stride_h, l.kernel_h), nrows = l.kernel_h + rrel;
        FpgaResources r = logic(window_counters(l, p, nrows, nog) + Logic{40, 8.0 * wb + 20},
                                kMacLane + (aligned ? Logic{0, 0} : Logic{4.0 * l.in.c, 8.0 + clog2(l.in.c)}),
                                double(par), kProduct, double(par));
        r.dsp = double(par);
        r += scaled(rom(std::max<int64_t>(nog * l.kernel_h * l.kernel_w, 2), 8), double(par));
        r += estimate_memory(nrows * int64_t(p.w) * ngi, 8 * wb, true, false);
        return r + output_side(l, par, nog);
    }
    if (e == "cnn_dense") {
        // rtl/cnn_dense.vhd: PAR products, one lane; input double buffer vb of
        // 2 * NG words x 8 * PAR (registered read), weight ROM N_OUT * NG x
        // 8 * PAR, bias ROM max(N_OUT, 2) x 32.
        const int64_t n_in = l.in.size(), n_out = l.out.c, par = l.par_in, ng = ceil_div(n_in, par);
        FpgaResources r = logic(counter(double(ng)) + counter(double(ng)) + counter(double(n_out)) +
                                    counter(double(n_out * ng)) + Logic{-6, 8.0 * par - 32},
                                kMacLane, 1, kProduct, double(par));
        r.dsp = double(par);
        r += rom(std::max<int64_t>(n_out * ng, 2), 8 * par);
        r += estimate_memory(2 * ng, 8 * par, true, false);
        return r + output_side(l, 1, n_out);
    }
    if (e == "cnn_maxpool" || e == "cnn_avgpool") {
        // cnn_pool_window: KW - 1 column slots of C words and KH - 1 row
        // slots of Wo * C words of DW bits, read combinationally (LUT-RAM);
        // the window compare (max) or sum and cnn_div_rhe's reciprocal
        // multiply (avg: one product, LUTs or a DSP by its widths). LANES
        // lockstep engines of C / LANES channels each.
        const Shape p = padded_shape(l);
        const int64_t lanes = std::max(1, l.lanes_in), c = p.c / lanes;
        const bool avg = e == "cnn_avgpool";
        const int64_t n = int64_t(l.kernel_h) * l.kernel_w;
        const int64_t pre = l.pre_act == Activation::Leaky ? l.pre_leaky_k : 0;
        const int64_t dw = avg ? 8 + pre + int64_t(clog2(double(n))) + 1 : 8;
        FpgaResources r = logic(counter(c) + counter(p.w) + counter(p.h) + counter(l.kernel_w + l.stride_w) +
                                    counter(l.kernel_h + l.stride_h) + Logic{20.0 + 3.0 * dw, 2.0 * dw + 10},
                                {0, 0}, 0, {0, 0}, 0);
        // The column slots (C words each) take no LUT-RAM on LeNet and
        // conv3_mp2_gap10 (Yosys folds them into the window registers), the
        // row slots are LUT-RAM.
        if (l.kernel_h > 1) r += scaled(estimate_memory(int64_t(l.out.w) * c, dw, false, false), double(l.kernel_h - 1));
        if (avg) r += dividers(l, n, l.has_padding() && !l.count_include_pad);
        return scaled(r, double(lanes));
    }
    if (e == "cnn_gap") {
        // C accumulators of AW bits in a memory (LUT-RAM), the output stage
        // (shift, or cnn_requant), an 8-entry credit FIFO.
        const int64_t n = int64_t(l.in.h) * l.in.w;
        const int64_t pre = l.pre_act == Activation::Leaky ? l.pre_leaky_k : 0;
        const int64_t aw = 8 + pre + int64_t(clog2(double(n))) + 1;
        FpgaResources r = logic(counter(l.in.c) + counter(double(n)) + Logic{30.0 + 4.0 * aw, 2.0 * aw - 25},
                                {0, 0}, 0, {0, 0}, 0);
        r += estimate_memory(l.in.c, aw, false, false);
        r += credit_fifo(8 + (f32 ? 4 : 0), 8);
        r += f32 ? requant_f32() : dividers(l, n, false);
        return r;
    }
    if (e == "cnn_lut") {
        // rtl/cnn_lut.vhd's Resources: one 256 x 8 ROM (2 Kbit: logic, below
        // the block RAM threshold), its read register, a cnn_skid.
        FpgaResources r = rom(256, varying_bits(l.table));
        r.lut += 10;
        r.ff += 19;
        return r;
    }
    if (e == "cnn_add") {
        // Shift mode: two 9-bit offsets, shifts, a 26-bit sum, the rounding
        // shift and clamps; table mode: a 64K x 8 ROM (block RAM).
        FpgaResources r;
        if (l.requant_f32) {
            r = rom(65536, varying_bits(l.table));
            r.lut += 120;   // u8_resnet_float: 121 LUT, 24 FF
            r.ff += 24;
        } else {
            r.lut = 43;   // s8_resnet_pow2: 42, 43 LUT, 45 FF
            r.ff = 45;
        }
        return r;
    }
    if (e == "cnn_act") return FpgaResources{25, 0, 20, 0, 0};
    if (e == "cnn_zero_pad") {
        const Shape p = padded_shape(l);
        // Counters over the beats of a pixel (C / LANES), the columns and rows;
        // an output register of 8 * LANES bits (cnn_skid: two).
        const int64_t lanes = std::max(1, l.lanes_in);
        FpgaResources r = logic(counter(p.c / lanes) + counter(p.w) + counter(p.h) + Logic{10, 12}, {0, 0}, 0, {0, 0}, 0);
        r.ff += 16.0 * double(lanes - 1);
        return r;
    }
    if (e == "cnn_fork") return estimate_fork_resources(8);
    throw Error(pe.instance, "no resource model for entity " + e);
}

}  // namespace cnn
