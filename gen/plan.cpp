// Folding: each layer's parallelism for a target interval (cnnc emit
// --target, make sim TARGET=...). See emit.hpp's plan_parallelism.
#include <algorithm>

#include "emit.hpp"

namespace cnn {

namespace {

int64_t worst_cycles(const Layer& l, size_t i) {
    int64_t worst = 0;
    for (const PeModel& pe : layer_pes(l, i)) worst = std::max(worst, pe.cycles);
    return worst;
}

// The parallelism values worth trying for n channels: the smallest p for each
// distinct ceil(n / p) (a larger p with the same quotient costs multipliers
// and saves no cycle). Ascending.
std::vector<int> useful_pars(int n) {
    std::vector<int> v;
    for (int q = n; q >= 1; --q) {
        const int p = int(ceil_div(n, q));
        if (v.empty() || p != v.back()) v.push_back(p);
    }
    return v;
}

// Sets the layer's parallelism: as few multipliers (par_in * par_out, plus
// two per output lane with a float32 output stage) as meet `target` (ties: fewer cycles, then the wider par_in: one wider
// line-buffer word is cheaper than another lane of ROM and accumulator); if
// nothing meets it, the fewest cycles with as few multipliers.
void choose_par(Layer& l, size_t i, int64_t target) {
    if (l.kind == LayerKind::DwConv) {  // rtl/cnn_dwconv: PAR = par_out lanes of one multiplier each
        // Same picking rule as below, with par_in = 1. (A PAR that neither
        // divides nor is a multiple of M = C_OUT / C_IN adds a byte
        // multiplexer per lane, not counted.)
        int best_po = 1;
        int64_t best_mults = 0, best_cycles = 0;
        bool best_meets = false, have = false;
        l.par_in = 1;
        for (int po : useful_pars(l.out.c)) {
            l.par_out = po;
            const int64_t mults = int64_t(po) * (l.requant_f32 ? 3 : 1), cycles = worst_cycles(l, i);
            const bool meets = cycles <= target;
            bool better;
            if (!have) better = true;
            else if (meets != best_meets) better = meets;
            else if (meets) better = mults != best_mults ? mults < best_mults : cycles < best_cycles;
            else better = cycles != best_cycles ? cycles < best_cycles : mults < best_mults;
            if (better) best_po = po, best_mults = mults, best_cycles = cycles, best_meets = meets, have = true;
        }
        l.par_out = best_po;
        return;
    }
    const bool conv = l.kind == LayerKind::Conv;
    const int max_in = conv ? l.in.c : int(std::min<int64_t>(l.in.size(), 64));
    const std::vector<int> outs = conv ? useful_pars(l.out.c) : std::vector<int>{1};
    struct Pick { int pi = 1, po = 1, pk = 1; int64_t mults = 0, cycles = 0; bool meets = false; } best;
    bool have = false;
    std::vector<int> ins = useful_pars(max_in);
    if (!conv) {  // Dense: ceil(inputs / par) with inputs > 64 possible: try every par
        ins.clear();
        for (int p = 1; p <= max_in; ++p) ins.push_back(p);
    }
    // Kernel rows per cycle (rtl/cnn_conv PAR_KY): Conv only.
    const std::vector<int> kys = conv ? useful_pars(l.kernel_h) : std::vector<int>{1};
    for (int pk : kys)
        for (int pi : ins)
            for (int po : outs) {
                l.par_in = pi;
                l.par_out = po;
                l.par_ky = pk;
                // A float32 output stage (cnn_requant) per output lane costs two
                // more multipliers (its 24 x 24-bit mantissa product).
                const int64_t mults = int64_t(pi) * po * pk + (l.requant_f32 ? 2 * int64_t(po) : 0);
                Pick c{pi, po, pk, mults, worst_cycles(l, i), false};
                c.meets = c.cycles <= target;
                bool better;
                if (!have) better = true;
                else if (c.meets != best.meets) better = c.meets;
                else if (c.meets) better = c.mults != best.mults ? c.mults < best.mults
                                         : c.cycles != best.cycles ? c.cycles < best.cycles : c.pi > best.pi;
                else better = c.cycles != best.cycles ? c.cycles < best.cycles
                            : c.mults != best.mults ? c.mults < best.mults : c.pi > best.pi;
                if (better) best = c, have = true;
            }
    l.par_in = best.pi;
    l.par_out = best.po;
    l.par_ky = best.pk;
}

}  // namespace

// Parallelism planning per Conv/Dense layer (Conv: par_in and par_out; Dense:
// par_in). The target is raised to what the pipeline can reach at all: the
// slowest layer at its full parallelism (par_in = C_IN, par_out = C_OUT)
// bounds the interval, so no other layer is made faster than that. Then each
// layer takes the fewest multipliers that meet the target (choose_par).
// `fixed` > 0 forces par_in = min(fixed, C_IN) (Dense: 64 inputs at most; DwConv:
// par_out = min(fixed, C_OUT), par_in = 1) and
// par_out = 1 elsewhere.
void plan_parallelism(Network& net, int64_t target, int fixed) {
    if (fixed > 0) {
        for (Layer& l : net.layers) {
            if (!l.has_weights()) continue;
            if (l.kind == LayerKind::DwConv) {  // its PAR lanes
                l.par_in = 1;
                l.par_out = std::min(fixed, l.out.c);
                continue;
            }
            const int max_par = l.kind == LayerKind::Conv ? l.in.c : int(std::min<int64_t>(l.in.size(), 64));
            l.par_in = std::min(fixed, max_par);
            l.par_out = 1;
            l.par_ky = 1;
        }
        return;
    }
    if (target <= 0) {
        target = net.input.size();
        for (const Layer& l : net.layers) target = std::max({target, l.in.size(), l.out.size()});
    }
    for (size_t i = 0; i < net.layers.size(); ++i) {
        Layer l = net.layers[i];
        if (l.has_weights()) {
            choose_par(l, i, 0);  // nothing meets 0: the fewest cycles
        }
        target = std::max(target, worst_cycles(l, i));
    }
    for (size_t i = 0; i < net.layers.size(); ++i)
        if (net.layers[i].has_weights()) choose_par(net.layers[i], i, target);
}

}  // namespace cnn
