// Folding: each layer's parallelism for a target interval (cnnc emit
// --target, make sim TARGET=...), the plan's table and the design points of
// explore (plan.hpp).
#include "plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <ostream>

#include "emit.hpp"
#include "error.hpp"

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

// The slowest layer's PE of a planned network.
int64_t pipeline_cycles(const Network& net) {
    int64_t worst = 0;
    for (size_t i = 0; i < net.layers.size(); ++i) worst = std::max(worst, worst_cycles(net.layers[i], i));
    return worst;
}

}  // namespace

int64_t layer_multipliers(const Layer& l) {
    const int64_t f32 = l.requant_f32 ? 2 : 0;  // cnn_requant's 24 x 24 mantissa product per lane
    switch (l.kind) {
        case LayerKind::Conv: return int64_t(l.par_in) * l.par_out * l.par_ky * l.par_kx + f32 * l.par_out;
        case LayerKind::DwConv: return int64_t(l.par_out) * (1 + f32);
        case LayerKind::Dense: return l.par_in + f32;
        default: return 0;
    }
}

namespace {

bool is_pool(LayerKind k) { return k == LayerKind::MaxPool || k == LayerKind::AvgPool; }

// The lanes a conv's output may take: the divisors of gcd(PAR_OUT, C_OUT)
// when its one reader is a conv or a pool that another layer reads; else 1.
std::vector<int> out_lanes_options(const Network& net, const Layer& l, size_t i) {
    const std::vector<int> readers = net.consumers(int(i));
    if (l.kind != LayerKind::Conv || readers.size() != 1) return {1};
    const int r = readers[0];
    const LayerKind k = net.layers[size_t(r)].kind;
    if (k != LayerKind::Conv && !(is_pool(k) && !net.consumers(r).empty())) return {1};
    const int g = std::gcd(l.par_out, l.out.c);
    std::vector<int> v;
    for (int d = 1; d <= g; ++d)
        if (g % d == 0) v.push_back(d);
    return v;
}

// The lanes of layer i's input link: its producer's output lanes (1 for the
// graph input and for an Add's two inputs).
int input_lanes(const Network& net, size_t i) {
    const std::vector<int> in = net.inputs_of(i);
    return in.size() == 1 && in[0] >= 0 ? net.layers[size_t(in[0])].lanes_out : 1;
}

// Sets layer i's lanes (values a beat on its input and output links) for its
// folding, its producer's lanes and the target. A pool passes its input's
// lanes through (rtl/cnn_maxpool, cnn_avgpool: LANES). A conv reads
// gcd(lanes of its input, PAR) of them (a word of PAR channels is PAR /
// lanes beats) and writes the fewest of out_lanes_options() that bring its
// output beats within the target (all of them when none does). Every other
// layer reads and writes one value a beat. Where a tensor is wider than its
// reader takes it, the generator narrows it (rtl/cnn_lanes).
void set_lanes(const Network& net, Layer& l, size_t i, int64_t target) {
    const int from = input_lanes(net, i);
    l.lanes_in = l.lanes_out = 1;
    if (is_pool(l.kind)) {
        l.lanes_in = l.lanes_out = from;
        return;
    }
    if (l.kind != LayerKind::Conv) return;
    l.lanes_in = std::gcd(from, l.par_in);
    for (int d : out_lanes_options(net, l, i)) {
        l.lanes_out = d;
        if (ceil_div(l.out.size(), d) <= target) break;
    }
}

// Sets the layer's parallelism: as few multipliers (layer_multipliers: the
// DSPs) as meet `target`, ties broken by the fewest estimated LUTs (logic and
// LUT-RAM, gen/resource_model), then fewer cycles, then the wider par_in (one
// wider line-buffer word is cheaper than another lane); if nothing meets it,
// the fewest cycles with as few multipliers and LUTs. A conv tries par_in,
// par_out, par_ky and par_kx (each with its lanes, set_lanes); a dense layer par_in (every value: ceil(inputs / par)
// with inputs > 64 possible); a depthwise conv its lanes (rtl/cnn_dwconv: PAR
// = par_out lanes of one multiplier each; a PAR that neither divides nor is a
// multiple of M = C_OUT / C_IN adds a byte multiplexer per lane, not counted).
void choose_par(const Network& net, Layer& l, size_t i, int64_t target) {
    const bool conv = l.kind == LayerKind::Conv, dw = l.kind == LayerKind::DwConv;
    std::vector<int> ins{1};
    if (conv) ins = useful_pars(l.in.c);
    if (l.kind == LayerKind::Dense) {
        ins.clear();
        for (int p = 1; p <= int(std::min<int64_t>(l.in.size(), 64)); ++p) ins.push_back(p);
    }
    const std::vector<int> outs = conv || dw ? useful_pars(l.out.c) : std::vector<int>{1};
    const std::vector<int> kys = conv ? useful_pars(l.kernel_h) : std::vector<int>{1};
    const std::vector<int> kxs = conv ? useful_pars(l.kernel_w) : std::vector<int>{1};
    const int from = input_lanes(net, i);  // a conv reads gcd(from, par_in) of them, the others one
    struct Pick { int pi = 1, po = 1, pk = 1, px = 1, lo = 1; int64_t mults = 0, cycles = 0; bool meets = false; double luts = 0; } best;
    bool have = false;
    for (int px : kxs)
        for (int pk : kys)
            for (int pi : ins)
                for (int po : outs) {
                    l.par_in = pi;
                    l.par_out = po;
                    l.par_ky = pk;
                    l.par_kx = px;
                    l.lanes_in = conv ? std::gcd(from, pi) : 1;
                    for (int lo : out_lanes_options(net, l, i)) {
                        l.lanes_out = lo;
                        Pick c{pi, po, pk, px, lo, layer_multipliers(l), 0, false, 0};
                        for (const PeModel& pe : layer_pes(l, i)) {  // one evaluation: cycles and LUTs
                            c.cycles = std::max(c.cycles, pe.cycles);
                            c.luts += pe.res.lut + pe.res.lutram;
                        }
                        c.meets = c.cycles <= target;
                        bool better;
                        if (!have) better = true;
                        else if (c.meets != best.meets) better = c.meets;
                        else if (c.meets) better = c.mults != best.mults ? c.mults < best.mults
                                                 : c.luts != best.luts ? c.luts < best.luts
                                                 : c.cycles != best.cycles ? c.cycles < best.cycles : c.pi > best.pi;
                        else better = c.cycles != best.cycles ? c.cycles < best.cycles
                                    : c.mults != best.mults ? c.mults < best.mults
                                    : c.luts != best.luts ? c.luts < best.luts : c.pi > best.pi;
                        if (better) best = c, have = true;
                    }
                }
    l.par_in = best.pi;
    l.par_out = best.po;
    l.par_ky = best.pk;
    l.par_kx = best.px;
    l.lanes_in = conv ? std::gcd(from, best.pi) : 1;
    l.lanes_out = best.lo;
}

}  // namespace

// plan.hpp says what it does. The target is raised to what the pipeline can
// reach at all: each layer at its fastest folding bounds the interval, so no
// other layer is made faster than the slowest. `fixed` > 0: par_in =
// min(fixed, C_IN) (Dense: 64 inputs at most; DwConv: par_out = min(fixed,
// C_OUT), par_in = 1), par_out = par_ky = 1 elsewhere.
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
            l.par_out = l.par_ky = l.par_kx = 1;
        }
        return;
    }
    if (target == kTargetMid) {  // between the two ends, geometrically
        Network lo = net, hi = net;
        plan_parallelism(lo, kTargetMin);
        plan_parallelism(hi, kTargetMax);
        target = std::max<int64_t>(1, std::llround(std::sqrt(double(pipeline_cycles(lo)) * double(pipeline_cycles(hi)))));
    }
    if (target == kTargetMin) {  // the slowest layer with one lane everywhere
        target = 0;
        for (size_t i = 0; i < net.layers.size(); ++i) {
            Layer l = net.layers[i];
            l.par_in = l.par_out = l.par_ky = l.par_kx = l.lanes_in = l.lanes_out = 1;
            target = std::max(target, worst_cycles(l, i));
        }
    }
    // The input stream's bound (one beat a cycle), raised to each layer at its
    // fastest folding with its widest links (in stream order: a layer's lanes
    // follow its producer's).
    Network fast = net;
    target = std::max<int64_t>(target, net.input.size());
    for (size_t i = 0; i < fast.layers.size(); ++i) {
        Layer& l = fast.layers[i];
        if (l.has_weights()) choose_par(fast, l, i, 0);  // nothing meets 0: the fewest cycles
        else set_lanes(fast, l, i, 0);
        target = std::max(target, worst_cycles(l, i));
    }
    for (size_t i = 0; i < net.layers.size(); ++i) {
        Layer& l = net.layers[i];
        if (l.has_weights()) choose_par(net, l, i, target);
        else set_lanes(net, l, i, target);
    }
}

void plan_lanes(Network& net, int64_t target) {
    for (size_t i = 0; i < net.layers.size(); ++i) set_lanes(net, net.layers[i], i, target);
}

int64_t parse_target(const std::string& s, const std::string& what) {
    if (s == "max") return kTargetMax;
    if (s == "min") return kTargetMin;
    if (s == "mid") return kTargetMid;
    try {
        size_t used = 0;
        const long long v = std::stoll(s, &used);
        if (used == s.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw Error(what, "'" + s + "' is not min, mid, max or a number of cycles per image (> 0)");
}

std::string target_name(int64_t target) {
    return target == kTargetMax ? "max" : target == kTargetMin ? "min" : target == kTargetMid ? "mid"
                                                                        : std::to_string(target);
}

namespace {

std::string folding(const Layer& l) {
    switch (l.kind) {
        case LayerKind::Conv:
            return std::to_string(l.par_in) + "x" + std::to_string(l.par_out) + "x" + std::to_string(l.par_ky) + "x" +
                   std::to_string(l.par_kx);
        case LayerKind::DwConv: return "1x" + std::to_string(l.par_out) + "x1x1";
        case LayerKind::Dense: return std::to_string(l.par_in) + "x1x1x1";
        default: return "-";
    }
}

// The layer index of a PE instance "l<i>_..." (-1: the input fork).
int layer_of(const std::string& instance) {
    if (instance.size() < 2 || instance[0] != 'l') return -1;
    return std::atoi(instance.c_str() + 1);
}

}  // namespace

Plan make_plan(const Network& net, int64_t target, int fixed) {
    Network planned = net;
    plan_parallelism(planned, target, fixed);
    const Design d = build_design(planned);
    Plan p;
    p.target = target;
    p.interval = d.expected_cycles;
    for (const Layer& l : planned.layers) {
        PlanRow r{l.name, kind_name(l.kind), folding(l), std::to_string(l.lanes_in) + "/" + std::to_string(l.lanes_out),
                  0, layer_multipliers(l), {}};
        p.multipliers += r.multipliers;
        p.rows.push_back(r);
    }
    for (const PeModel& pe : d.pes) {
        const int i = layer_of(pe.instance);
        p.total += pe.res;
        if (i < 0 || size_t(i) >= p.rows.size()) continue;
        p.rows[size_t(i)].cycles = std::max(p.rows[size_t(i)].cycles, pe.cycles);
        p.rows[size_t(i)].res += pe.res;
    }
    return p;
}

void print_plan(const Plan& p, double clock_mhz, std::ostream& os) {
    const std::string t = target_name(p.target);
    char buf[256];
    os << "target " << t << ": interval " << p.interval << " cycles per image";
    if (clock_mhz > 0) {
        std::snprintf(buf, sizeof buf, ", %.1f images/s at %g MHz", clock_mhz * 1e6 / double(p.interval), clock_mhz);
        os << buf;
    }
    os << "\n";
    std::snprintf(buf, sizeof buf, "  %-4s %-16s %-9s %-17s %-6s %10s %6s %8s %8s %6s %7s\n", "#", "layer", "kind",
                  "pi x po x ky x kx", "lanes", "cycles", "mults", "LUT", "FF", "DSP", "BRAM36");
    os << buf;
    for (size_t i = 0; i < p.rows.size(); ++i) {
        const PlanRow& r = p.rows[i];
        std::snprintf(buf, sizeof buf, "  %-4zu %-16.16s %-9s %-17s %-6s %10lld %6lld %8.0f %8.0f %6.0f %7.1f%s\n", i,
                      r.layer.c_str(), r.kind.c_str(), r.folding.c_str(), r.lanes.c_str(), (long long)r.cycles,
                      (long long)r.multipliers, r.res.lut + r.res.lutram, r.res.ff, r.res.dsp, r.res.bram36,
                      r.cycles == p.interval ? "  <- bottleneck" : "");
        os << buf;
    }
    std::snprintf(buf, sizeof buf, "  %-56s %10lld %6lld %8.0f %8.0f %6.0f %7.1f\n", "total (estimate; LUT incl. LUT-RAM)",
                  (long long)p.interval, (long long)p.multipliers, p.total.lut + p.total.lutram, p.total.ff,
                  p.total.dsp, p.total.bram36);
    os << buf;
}

std::vector<ExplorePoint> explore(const Network& net, int points) {
    if (points < 2) throw Error("--points", "at least 2 design points");
    const Plan slow = make_plan(net, kTargetMin), fast = make_plan(net, kTargetMax);
    std::vector<ExplorePoint> v;
    std::map<std::string, size_t> seen;  // the folding of every layer -> point
    auto add = [&](Plan p) {
        std::string key;
        for (const PlanRow& r : p.rows) key += r.folding + ";";
        if (seen.count(key)) return;
        seen[key] = v.size();
        v.push_back({std::move(p), false});
    };
    add(slow);
    const double lo = double(fast.interval), hi = double(slow.interval);
    for (int k = 1; k + 1 < points; ++k) {
        const double t = hi * std::pow(lo / hi, double(k) / double(points - 1));
        add(make_plan(net, std::max<int64_t>(1, int64_t(std::llround(t)))));
    }
    add(fast);
    std::sort(v.begin(), v.end(), [](const ExplorePoint& a, const ExplorePoint& b) {
        return a.plan.interval != b.plan.interval ? a.plan.interval > b.plan.interval
                                                  : a.plan.multipliers < b.plan.multipliers;
    });
    auto no_worse = [](const Plan& a, const Plan& b) {  // a at least as good as b everywhere
        const FpgaResources &x = a.total, &y = b.total;
        return a.interval <= b.interval && x.lut + x.lutram <= y.lut + y.lutram && x.ff <= y.ff &&
               x.dsp <= y.dsp && x.bram36 <= y.bram36 && a.multipliers <= b.multipliers;
    };
    for (ExplorePoint& e : v) {
        e.pareto = true;
        for (const ExplorePoint& o : v)
            if (&o != &e && no_worse(o.plan, e.plan) && !no_worse(e.plan, o.plan)) e.pareto = false;
    }
    return v;
}

}  // namespace cnn
