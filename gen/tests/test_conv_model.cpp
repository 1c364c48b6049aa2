// The cycle model of cnn_conv (gen/ops/conv.cpp pes(), the formulas of
// rtl/cnn_conv.vhd's header) against a cycle-by-cycle simulation of the
// block's scheduling counters, written from the VHDL's processes (input
// counters and in_ready, full_rows / free_slots, the issue condition with
// its credits, the 5-stage pipeline into the 8-entry credit FIFO, the lane
// serialiser), for thousands of random shapes: kernels 1..11 per axis,
// strides 1..4 per axis, PAR, PAR_OUT; with the shift output stage and with
// the float32 one (requant_f32: 4 more pipeline stages, 4 more FIFO entries). The block test (rtl/tests/tb_conv.cpp)
// proves the same model on the real entity in Verilator for a few dozen
// shapes; this covers the corners between them (e.g. trailing rows that make
// T_CONV's second term bind, which a shape picked by hand rarely hits).
#include <doctest/doctest.h>

#include <deque>
#include <random>

#include "ops.hpp"

using namespace cnn;

namespace {

struct ConvShape {
    int h, w, c_in, kh, kw, sh, sw, par, c_out, par_out;
    bool f32 = false;  // the float32 output stage
    int par_ky = 1;    // kernel rows per cycle: KKN = ceil(KH/PAR_KY)*KW*NG issue cycles per group
};

// Cycles per image in steady state, images back to back, out_ready always 1:
// the interval between consecutive images' last output beats (it must settle
// to one value; 0 if it does not).
int64_t simulate(const ConvShape& s) {
    const int h_out = (s.h - s.kh) / s.sh + 1, w_out = (s.w - s.kw) / s.sw + 1;
    const int ng = (s.c_in + s.par - 1) / s.par, kkn = (s.kh + s.par_ky - 1) / s.par_ky * s.kw * ng;
    const int nog = (s.c_out + s.par_out - 1) / s.par_out, last = s.c_out - (nog - 1) * s.par_out;
    const int rrel = std::min(s.sh, s.kh), nrows = s.kh + rrel, row = s.w * s.c_in;
    std::vector<bool> used(size_t(s.h), false);  // ROW_USED
    for (int oy = 0; oy < h_out; ++oy)
        for (int ky = 0; ky < s.kh; ++ky) used[size_t(oy * s.sh + ky)] = true;

    int i_y = 0, i_b = 0, full_rows = 0, free_slots = nrows;   // input side
    int c_k = 0, c_og = 0, c_ox = 0, c_oy = 0;                 // issue counters
    const int x = s.f32 ? 4 : 0;     // the float32 stage's extra stages
    std::deque<int> pipe(size_t(5 + x), 0);  // issue -> FIFO push: lanes of the entry, 0 = none
    std::deque<int> fifo;        // stored entries (their lane counts)
    int credits = 8 + x, o_lane = 0;
    const int64_t per_image = int64_t(h_out) * w_out * s.c_out;
    int64_t beats = 0;
    std::vector<int64_t> ends;
    for (int64_t t = 0; ends.size() < 7 && t < 50'000'000; ++t) {
        // Output serialiser on the head entry.
        const bool beat = !fifo.empty(), pop = beat && o_lane == fifo.front() - 1;
        // Input side: a used row starts only with a free slot.
        int claim = 0, row_done = 0;
        if (!(used[size_t(i_y)] && i_b == 0 && free_slots == 0)) {
            if (used[size_t(i_y)] && i_b == 0) claim = 1;
            if (used[size_t(i_y)] && i_b == row - 1) row_done = 1;
            if (++i_b == row) i_b = 0, i_y = (i_y + 1) % s.h;
        }
        // Issue: the window's rows are stored; a group's last cycle needs a credit.
        int rel = 0, push = 0;
        bool reserve = false;
        const bool c_last = c_k == kkn - 1;
        if (full_rows >= s.kh && (credits > 0 || !c_last)) {
            if (!c_last) {
                ++c_k;
            } else {
                reserve = true;
                push = c_og == nog - 1 ? last : s.par_out;
                c_k = 0;
                if (++c_og == nog) {
                    c_og = 0;
                    if (++c_ox == w_out) {
                        c_ox = 0;
                        if (++c_oy == h_out) c_oy = 0, rel = s.kh;
                        else rel = rrel;
                    }
                }
            }
        }
        full_rows += row_done - rel;
        free_slots += rel - claim;
        if (beat) {
            if (++beats % per_image == 0) ends.push_back(t);
            if (pop) fifo.pop_front(), o_lane = 0;
            else ++o_lane;
        }
        if (pipe.front()) fifo.push_back(pipe.front());
        pipe.pop_front();
        pipe.push_back(push);
        credits += (pop ? 1 : 0) - (reserve ? 1 : 0);
    }
    if (ends.size() < 7) return 0;
    const int64_t d = ends[6] - ends[5];
    return ends[5] - ends[4] == d && ends[4] - ends[3] == d ? d : 0;
}

int64_t model(const ConvShape& s) {
    Layer l;
    l.kind = LayerKind::Conv;
    l.in = {s.c_in, s.h, s.w};
    l.out = {s.c_out, (s.h - s.kh) / s.sh + 1, (s.w - s.kw) / s.sw + 1};
    l.kernel_h = s.kh, l.kernel_w = s.kw, l.stride_h = s.sh, l.stride_w = s.sw;
    l.par_in = s.par, l.par_out = s.par_out, l.par_ky = s.par_ky;
    l.requant_f32 = s.f32;
    return op_def(LayerKind::Conv).pes(l, "t").back().cycles;
}

std::string describe(const ConvShape& s) {
    auto n = [](int v) { return std::to_string(v); };
    return n(s.c_in) + "x" + n(s.h) + "x" + n(s.w) + " k" + n(s.kh) + "x" + n(s.kw) + " s" + n(s.sh) + "x" +
           n(s.sw) + " par " + n(s.par) + " -> " + n(s.c_out) + " par_out " + n(s.par_out) +
           " par_ky " + n(s.par_ky) + (s.f32 ? " float32 stage" : "");
}

}  // namespace

TEST_CASE("cnn_conv's cycle model equals a cycle-level simulation of its counters") {
    // The shapes of the block test's refill and output-link configs first.
    std::vector<ConvShape> shapes = {
        {8, 20, 4, 3, 3, 1, 1, 4, 24, 12}, {6, 30, 4, 2, 2, 1, 1, 4, 23, 10}, {7, 40, 2, 3, 3, 2, 2, 2, 20, 16},
        {5, 16, 2, 3, 3, 1, 1, 2, 29, 14}, {17, 7, 3, 3, 4, 3, 4, 1, 6, 3},   {14, 7, 4, 3, 1, 3, 2, 1, 7, 4},
        // T_CONV's second term with its rows issued under the credits (more
        // beats per group than issue cycles): 727 and 1300 cycles where
        // (H_OUT-2)*T_ROW says 720 and 1288 (block test: ky1_cred, ky6_cred).
        {18, 8, 5, 5, 1, 2, 1, 5, 11, 6},   {21, 12, 5, 8, 1, 2, 2, 1, 24, 13, false, 6},
    };
    std::mt19937_64 rng(2024);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int i = 0; i < 1500; ++i) {
        ConvShape s;
        s.kh = pick(1, 11), s.kw = pick(1, 11), s.sh = pick(1, 4), s.sw = pick(1, 4);
        if (i % 2) s.kh = pick(1, 4), s.kw = pick(1, 3);  // small kernels: the output link binds more often
        s.h = pick(s.kh, s.kh + 16), s.w = pick(s.kw, s.kw + 20), s.c_in = pick(1, 5);
        s.par = pick(1, s.c_in), s.c_out = pick(1, 24), s.par_out = pick(1, s.c_out);
        shapes.push_back(s);
    }
    for (int i = 0; i < 500; ++i) {  // PAR_KY 2..KH (rtl/cnn_conv: only the issue loop's length changes)
        ConvShape s;
        s.kh = pick(2, 11), s.kw = pick(1, i % 2 ? 3 : 11), s.sh = pick(1, 4), s.sw = pick(1, 4);
        s.h = pick(s.kh, s.kh + 16), s.w = pick(s.kw, s.kw + 20), s.c_in = pick(1, 5);
        s.par = pick(1, s.c_in), s.c_out = pick(1, 24), s.par_out = pick(1, s.c_out), s.par_ky = pick(2, s.kh);
        shapes.push_back(s);
    }
    for (size_t i = 0, n = shapes.size(); i < n; ++i) {  // the same shapes with the float32 stage
        ConvShape s = shapes[i];
        s.f32 = true;
        shapes.push_back(s);
    }
    for (const ConvShape& s : shapes) {
        const int64_t sim = simulate(s), m = model(s);
        INFO(describe(s));
        REQUIRE(sim > 0);  // the simulation settled to one interval
        CHECK(sim == m);
    }
}
