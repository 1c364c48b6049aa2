// Block test of cnn_conv (through tb_conv_wrap.vhd, which fixes seeded
// weights and biases, and puts a cnn_zero_pad in front for configs with
// PAD_*) against cnn::run_layer (LayerKind::Conv). Every config: several images
// back to back, at full rate and under random and heavy stalls on both sides
// (block_tb.hpp run_all); cycles/image must equal, exactly, the cycle model
// the generator plans with (op_def(Conv).pes(), gen/ops/conv.cpp: the same
// function, not a copy), and the first output beat of an image into the idle
// block the header's latency formula (exactly).
#include <algorithm>
#include <cstdio>
#include <random>
#include <type_traits>

#include "block_tb.hpp"
#include "error.hpp"
#include "exec.hpp"
#include "ops.hpp"
#include "pe_conv_models.h"
#include "tb_expect.hpp"
#include "tb_lcg.hpp"
#include "tb_main.hpp"

// cnn_conv.vhd's latency: first output beat after the first input beat
// (KH rows of W * C_IN / IN_LANES beats; KKN = ceil(KH/PAR_KY)*ceil(KW/PAR_KX)*NG
// issue cycles for the first group; the float32 stage has 4 more cycles).
static long long conv_model_first_out(const cnn::Layer& l, long long w) {
    const long long kkn = (l.kernel_h + l.par_ky - 1) / l.par_ky * ((l.kernel_w + l.par_kx - 1) / l.par_kx) *
                          ((l.in.c + l.par_in - 1) / l.par_in);
    return l.kernel_h * w * l.in.c / l.lanes_in + kkn + 5 + (l.requant_f32 ? 4 : 0);
}

// Cycles per image in the generator's model of the layer: its slowest PE
// (cnn_conv, and cnn_zero_pad in front when padded; the wrapper chains them
// as the generated top does).
static double planned_cycles(const cnn::Layer& l) {
    int64_t worst = 0;
    for (const cnn::PeModel& pe : cnn::op_def(cnn::LayerKind::Conv).pes(l, "t")) worst = std::max(worst, pe.cycles);
    if (worst == 0) throw cnn::Error(l.name, "no PE in the layer's models");
    return double(worst);
}

// Generics a config may leave out (configs written before they existed): the
// wrapper's default.
#define CNN_OPTIONAL_GENERIC(NAME, DEFAULT)                                                   \
    template <class Cfg, class = void>                                                        \
    struct Opt_##NAME { static constexpr long long value = DEFAULT; };                        \
    template <class Cfg>                                                                      \
    struct Opt_##NAME<Cfg, std::void_t<decltype(Cfg::NAME)>> { static constexpr long long value = Cfg::NAME; };
CNN_OPTIONAL_GENERIC(PAR_OUT, 1)
CNN_OPTIONAL_GENERIC(PAR_KY, 1)
CNN_OPTIONAL_GENERIC(PAR_KX, 1)
CNN_OPTIONAL_GENERIC(IN_LANES, 1)
CNN_OPTIONAL_GENERIC(OUT_LANES, 1)
CNN_OPTIONAL_GENERIC(CLAMP_HI, 127)
CNN_OPTIONAL_GENERIC(PAD_T, 0)
CNN_OPTIONAL_GENERIC(PAD_L, 0)
CNN_OPTIONAL_GENERIC(PAD_B, 0)
CNN_OPTIONAL_GENERIC(PAD_R, 0)
CNN_OPTIONAL_GENERIC(REQUANT_F32_I, 0)
CNN_OPTIONAL_GENERIC(ZP_OUT, 0)
CNN_OPTIONAL_GENERIC(CLAMP_LO, -128)
CNN_OPTIONAL_GENERIC(SCALE_E, 120)
CNN_OPTIONAL_GENERIC(SCALE_FRAC, 1)

template <class Cfg>
bool run() {
    cnn::Layer l;
    l.name = std::string("conv ") + Cfg::name;
    l.kind = cnn::LayerKind::Conv;
    l.in = {int(Cfg::C_IN), int(Cfg::H), int(Cfg::W)};
    l.pad_t = int(Opt_PAD_T<Cfg>::value), l.pad_l = int(Opt_PAD_L<Cfg>::value);
    l.pad_b = int(Opt_PAD_B<Cfg>::value), l.pad_r = int(Opt_PAD_R<Cfg>::value);
    const long long hp = Cfg::H + l.pad_t + l.pad_b, wp = Cfg::W + l.pad_l + l.pad_r;  // conv's input
    l.out = {int(Cfg::C_OUT), int((hp - Cfg::KH) / Cfg::STRIDE_H + 1), int((wp - Cfg::KW) / Cfg::STRIDE_W + 1)};
    l.kernel_h = int(Cfg::KH);
    l.kernel_w = int(Cfg::KW);
    l.stride_h = int(Cfg::STRIDE_H);
    l.stride_w = int(Cfg::STRIDE_W);
    l.f_in = 0;
    l.f_w = int(Cfg::SHIFT);  // shift = f_in + f_w - f_out
    l.f_out = 0;
    l.act = Cfg::ACT == 1 ? cnn::Activation::Relu
          : Cfg::ACT == 2 ? cnn::Activation::Leaky : cnn::Activation::None;
    l.leaky_k = int(Cfg::LEAKY_K);
    l.clamp_hi = int(Opt_CLAMP_HI<Cfg>::value);
    l.in_unsigned = Cfg::IN_SIGNED_I == 0;
    l.par_in = int(Cfg::PAR);
    l.par_out = int(Opt_PAR_OUT<Cfg>::value);
    l.par_ky = int(Opt_PAR_KY<Cfg>::value);
    l.par_kx = int(Opt_PAR_KX<Cfg>::value);
    l.lanes_in = int(Opt_IN_LANES<Cfg>::value);
    l.lanes_out = int(Opt_OUT_LANES<Cfg>::value);
    cnn::rtl_tb::lcg_values(Cfg::SEED, Cfg::BMUL, size_t(Cfg::C_OUT * Cfg::KH * Cfg::KW * Cfg::C_IN),
                            size_t(Cfg::C_OUT), l.weights, l.bias);
    if (Cfg::WFILL != 0) std::fill(l.weights.begin(), l.weights.end(), int8_t(Cfg::WFILL));
    // SPEC v2 output stage (tb_conv_wrap.vhd's generics of the same names).
    l.requant_f32 = Opt_REQUANT_F32_I<Cfg>::value != 0;
    l.zp_out = int(Opt_ZP_OUT<Cfg>::value);
    l.clamp_lo = int(Opt_CLAMP_LO<Cfg>::value);
    if (l.requant_f32)
        l.scale = cnn::rtl_tb::lcg_scales(Cfg::SEED, l.weights.size(), l.bias.size(), size_t(Cfg::C_OUT),
                                          Opt_SCALE_E<Cfg>::value, Opt_SCALE_FRAC<Cfg>::value != 0);

    std::mt19937_64 rng(0xc0 + Cfg::SEED);
    std::uniform_int_distribution<int> d(Cfg::IN_SIGNED_I ? -128 : 0, Cfg::IN_SIGNED_I ? 127 : 255);
    cnn::rtl_tb::Job job;
    job.label = std::string("conv ") + Cfg::name;
    job.out_shape = l.out;
    job.model_cycles = planned_cycles(l);
    job.in_lanes = l.lanes_in;
    job.out_lanes = l.lanes_out;
    job.tolerance = 0;  // the model is exact
    for (int i = 0; i < int(Cfg::IMAGES); ++i) {
        cnn::QTensor t(l.in);
        for (auto& v : t.data) v = d(rng);
        if (i == 1)  // extremes: every input at its most negative / largest value
            for (auto& v : t.data) v = Cfg::IN_SIGNED_I ? -128 : 255;
        cnn::QTensor o = cnn::rtl_tb::spec_v2_stage(l) ? cnn::rtl_tb::expect_conv(l, t) : cnn::run_layer(l, t);
        job.inputs.emplace_back(t.data.begin(), t.data.end());
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    bool ok = cnn::rtl_tb::run_all<typename Cfg::Model>(job, 17 + uint64_t(Cfg::SEED));
    // Latency: one more no-stall run, measured (image 0 enters the idle block).
    cnn::rtl_tb::Measured m;
    if (cnn::rtl_tb::run_once<typename Cfg::Model>(job, cnn::rtl_tb::Stall::Off, cnn::rtl_tb::Stall::Off,
                                                   5 + uint64_t(Cfg::SEED), &m)) {
        // A zero pad in front adds its 1-cycle stage (its border beats flow at full rate).
        const long long want = conv_model_first_out(l, wp) + (l.has_padding() ? 1 : 0);
        if ((long long)m.first_out != want) {
            std::fprintf(stderr, "FAIL %s: first output beat after %llu cycles, the model says %lld\n",
                         job.label.c_str(), (unsigned long long)m.first_out, want);
            ok = false;
        }
    } else {
        ok = false;
    }
    return ok;
}

CNN_BLOCK_TB_MAIN()
