// Block test of cnn_lut (through tb_lut_wrap.vhd, whose KIND and SEED fix the
// table) against gen's reference of LayerKind::Lut (op_def().reference), with
// the cycle model of op_def().pes() exactly. Image 0 streams all 256 codes
// (twice, in a shuffled order after the ascending one); the other images are
// random bytes.
#include <algorithm>
#include <cstdio>
#include <random>

#include "block_tb.hpp"
#include "ops.hpp"
#include "pe_lut_models.h"
#include "tb_lcg.hpp"
#include "tb_main.hpp"

// The table of tb_lut_wrap.vhd for KIND and SEED (see its header).
static std::vector<int8_t> wrap_table(long long kind, long long seed) {
    std::vector<int8_t> t(256);
    std::vector<int8_t> lcg;
    std::vector<int32_t> unused;
    cnn::rtl_tb::lcg_values(seed, 1, 256, 0, lcg, unused);
    for (int i = 0; i < 256; ++i) {
        const int s = int8_t(uint8_t(i));
        switch (kind) {
            case 0: t[i] = lcg[i]; break;
            case 1: t[i] = int8_t(s); break;
            case 2: t[i] = int8_t(std::max(s, 0)); break;
            case 3: t[i] = int8_t(i == seed % 256 ? 127 : 0); break;
            case 4: t[i] = int8_t(seed % 256 - 128); break;
            default: t[i] = int8_t(i - 128); break;
        }
    }
    return t;
}

template <class Cfg>
bool run() {
    const cnn::Shape shape{4, 8, 16};  // 512 beats: any shape, cnn_lut only sees beats
    cnn::Layer l;
    l.name = std::string("lut ") + Cfg::name;
    l.kind = cnn::LayerKind::Lut;
    l.in = l.out = shape;
    l.table = wrap_table(Cfg::KIND, Cfg::SEED);
    const cnn::OpDef& op = cnn::op_def(cnn::LayerKind::Lut);
    const auto pes = op.pes(l, "l0");
    if (pes.size() != 1 || pes[0].entity != "cnn_lut") {
        std::fprintf(stderr, "FAIL %s: op_def(Lut).pes() is not one cnn_lut\n", l.name.c_str());
        return false;
    }

    std::mt19937_64 rng(0x1a7 + Cfg::KIND * 131 + Cfg::SEED);
    cnn::rtl_tb::Job job;
    job.label = std::string("lut ") + Cfg::generics;
    job.out_shape = shape;
    job.model_cycles = double(pes[0].cycles);
    job.tolerance = 0;  // the model is exact
    for (int i = 0; i < 6; ++i) {
        auto in = cnn::rtl_tb::random_beats(rng, size_t(shape.size()));
        if (i == 0) {  // every code: ascending, then shuffled
            for (size_t k = 0; k < 256; ++k) in[k] = int(int8_t(uint8_t(k)));
            std::vector<int> perm(in.begin(), in.begin() + 256);
            std::shuffle(perm.begin(), perm.end(), rng);
            std::copy(perm.begin(), perm.end(), in.begin() + 256);
        }
        cnn::QTensor t(shape);
        for (size_t k = 0; k < in.size(); ++k) t.data[k] = in[k];
        const cnn::QTensor o = op.reference(l, t);
        job.inputs.push_back(in);
        job.expected.emplace_back(o.data.begin(), o.data.end());
    }
    return cnn::rtl_tb::run_all<typename Cfg::Model>(job, 17 + uint64_t(Cfg::SEED));
}

CNN_BLOCK_TB_MAIN()
