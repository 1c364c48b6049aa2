// Unit test of cnn_div_rhe with a table of divisors (the per-window counts
// of an average pool without count_include_pad): for every table entry sel,
// every input value of the configured width (a dense sample above 18 bits) against cnn::round_shift_div.
#include <cstdio>
#include <memory>

#include "verilated.h"
#include "exec.hpp"
#include "u_div_rhe_tab_models.h"
#include "tb_main.hpp"

template <class Cfg>
bool run() {
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<typename Cfg::Model>(ctx.get());
    const int W = int(Cfg::WIDTH), KW = int(Cfg::KW), NT = int(Cfg::KH * Cfg::KW);
    const long long lo = -(1LL << (W - 1)), hi = (1LL << (W - 1)) - 1;
    const long long step = W > 18 ? 7 : 1;  // wide configs: a dense sample
    long long bad = 0;
    for (int sel = 0; sel < NT; ++sel) {
        const long long n = (sel / KW + 1) * (sel % KW + 1);
        top->sel = sel;
        for (long long v = lo; v <= hi; v += (v > lo + 4096 && v < hi - 4096) ? step : 1) {
            top->v = uint32_t(v) & uint32_t((1ULL << W) - 1);
            top->eval();
            const int got = int8_t(top->y);
            const int exp = cnn::round_shift_div(v, n, int(Cfg::SHIFT));
            if (got != exp && bad++ < 5)
                std::fprintf(stderr, "FAIL div_rhe_tab %s: sel=%d (N=%lld) v=%lld expected %d got %d\n",
                             Cfg::generics, sel, n, v, exp, got);
        }
    }
    std::printf("div_rhe_tab %-36s %s\n", Cfg::generics, bad ? "FAIL" : "ok");
    return bad == 0;
}

CNN_BLOCK_TB_MAIN()
