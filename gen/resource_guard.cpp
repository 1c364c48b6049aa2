// The resource guard (see resource_guard.hpp): estimates from the IR only.
#include "resource_guard.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "emit.hpp"
#include "error.hpp"
#include "ops.hpp"
#include "strings.hpp"

namespace cnn {

namespace {

double ceil_div(double a, double b) { return std::ceil(a / b); }
double size(const Shape& s) { return double(s.c) * double(s.h) * double(s.w); }

// Calibration of the Verilated C++ (sim/flow.sh: GHDL synth -> Verilator
// -O3 -> g++ -O2, -O1 for the __Slow files), measured on the zoo; PEs,
// ROM bits, multipliers are this file's estimates, C++ is every .cpp and .h
// Verilator writes, peak is /usr/bin/time's maximum RSS of one g++ on the
// largest file:
//   model                              PEs  ROM bits  mults   C++ bytes  largest  peak g++
//   conv3_s1_p1_relu_mp2                 4       912      8     513,374
//   conv5_s2_p1_rgb_15x11_leaky2_mp2s1   6     4,606     21     550,992
//   conv3_mp2_gap10                      9     4,416     20     728,989
//   conv3_rgb_relu_ap2_leaky8_ap3s1     11     5,484     34   1,028,725
//   mono_9x11_stack4                    13       483      4     613,016
//   stack5_leaky                        22     5,424     43   1,482,529
//   lenet                               11    99,670     20   1,482,745    475 kB    175 MB
//   big_48x24_16_32_64                  14   194,598    184   3,252,686  1,201 kB    294 MB
//   128 -> 128 channels, 3x3, 6x6        6 1,236,306    947  11,513,130  4,877 kB    744 MB
// A least-squares fit of C++ bytes = a + b*PEs + c*ROM bits + d*multipliers
// is within 26% on the zoo (rounded below; +29% on the 128-channel model).
// The largest file holds about 40% of the C++; g++'s peak grows about 164
// bytes per byte of it on
// a base of about 97 MB (the 128-channel model: estimated 1.07 GB, measured
// 744 MB: the estimate errs high). A 256 -> 256 channel conv on 6x6 is
// estimated at 2.7 GiB (issue 7 measured 5 GB for a 256-channel model) and
// refused by the 2 GiB default.
constexpr double kCppFixed = 212e3;        // bytes
constexpr double kCppPerPe = 41e3;         // bytes per PE (instance, its link, its probes)
constexpr double kCppPerRomBit = 6.45;     // bytes per ROM bit
constexpr double kCppPerMultiplier = 6.7e3;  // bytes per multiplier lane
constexpr double kLargestFileShare = 0.40;
constexpr double kBuildFixed = 97e6;       // bytes
constexpr double kBuildPerCppByte = 164;   // bytes of g++ memory per byte of its file

// Line-buffer rows of a window (rtl/cnn_conv.vhd: K + min(STRIDE, K);
// rtl/cnn_pool_window.vhd keeps K rows of partial results).
double window_rows(const Layer& l) {
    return l.kind == LayerKind::Conv || l.kind == LayerKind::DwConv ? double(l.kernel_h) + std::min(l.stride_h, l.kernel_h) : double(l.kernel_h);
}

// The cycle and PE models (gen/ops) count in int and int64: a layer whose
// padded sides or element count could overflow them is refused before they
// run, whatever the limits (such a layer is far beyond any limit anyway).
constexpr double kMaxSide = double(1 << 30), kMaxLayerElements = double(int64_t(1) << 40);

bool countable(const Shape& s, double pad_h, double pad_w) {
    return s.c > 0 && s.h >= 0 && s.w >= 0 && double(s.h) + pad_h < kMaxSide && double(s.w) + pad_w < kMaxSide &&
           double(s.c) < kMaxSide && size(s) < kMaxLayerElements;
}

bool countable(const Layer& l) {
    return countable(l.in, double(l.pad_t) + l.pad_b, double(l.pad_l) + l.pad_r) && countable(l.out, 0, 0) &&
           l.pad_t >= 0 && l.pad_b >= 0 && l.pad_l >= 0 && l.pad_r >= 0 &&
           l.kernel_h > 0 && l.kernel_w > 0 && l.stride_h > 0 && l.stride_w > 0 && l.kernel_h < kMaxSide &&
           l.kernel_w < kMaxSide;
}

std::string number(double v) {
    if (v >= 1e15) return fmt("%.3g", v);
    return fmt("%.0f", v);
}

std::string amount(double v, const char* unit) {
    const std::string u = unit;
    if (u == "bytes" && v >= double(int64_t(1) << 30)) return fmt("%.2f GiB", v / double(int64_t(1) << 30));
    if (u == "bytes" && v >= double(1 << 20)) return fmt("%.1f MiB", v / double(1 << 20));
    if (u == "bits" && v >= double(1 << 20)) return fmt("%.1f Mibit", v / double(1 << 20));
    return number(v) + (u.empty() ? "" : " " + u);
}

double parse_limit(const std::string& s, const std::string& where) {
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
        throw Error(where, "'" + printable(s) + "' is not a whole number of at most 18 digits (0 = no limit)");
    return std::strtod(s.c_str(), nullptr);
}

}  // namespace

ResourceLimits ResourceLimits::from(const std::vector<std::string>& args) {
    ResourceLimits r;
    for (ResourceLimit* l : {&r.tensor_bytes, &r.rom_bits, &r.multipliers, &r.buffer_bits, &r.build_bytes}) {
        if (const char* e = std::getenv(l->env)) l->value = parse_limit(e, l->env);
        for (size_t i = 0; i < args.size(); ++i)
            if (args[i] == l->option) {
                if (i + 1 >= args.size()) throw Error(l->option, "needs a value");
                l->value = parse_limit(args[i + 1], l->option);
            }
    }
    return r;
}

ResourceEstimate estimate_resources(const Network& net) {
    ResourceEstimate e;
    double pes = 0;
    // Golden model (exec.cpp): the pixels (1 byte), the quantized input and
    // every layer's output tensor (int32), all alive at once (run_network
    // keeps every layer's output for the scoreboard).
    e.tensor_bytes = size(net.input) * (1 + 4);
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        e.tensor_bytes += size(l.out) * 4;
        pes += countable(l) ? double(op_def(l.kind).pes(l, "l").size()) : 1;
        const double par = std::max(1, l.par_in), par_out = std::max(1, l.par_out);
        if (l.kind == LayerKind::Conv) {
            // rtl/cnn_conv.vhd: PAR_OUT ROMs of NOG*ceil(KH/PAR_KY)*KW*NG
            // words of 8*PAR*PAR_KY+1 bits, bias NOG words of 33 bits per
            // lane; PAR*PAR_OUT*PAR_KY multipliers; line buffer NROWS x W
            // (padded) x NG words of 8*PAR bits.
            const double par_ky = std::max(1, l.par_ky);
            const double ng = ceil_div(l.in.c, par), nog = ceil_div(l.out.c, par_out);
            const double kk = ceil_div(l.kernel_h, par_ky) * l.kernel_w;
            e.rom_bits += par_out * (nog * kk * ng * (8 * par * par_ky + 1) + nog * 33);
            e.multipliers += par * par_out * par_ky;
            e.buffer_bits += window_rows(l) * (double(l.in.w) + l.pad_l + l.pad_r) * ng * 8 * par;
        } else if (l.kind == LayerKind::DwConv) {
            // rtl/cnn_dwconv.vhd: PAR = par_out lanes, each a ROM of
            // NOG*KH*KW words of 9 bits, bias NOG words of 33 bits, one
            // multiplier; line buffer NROWS x W (padded) x C_IN bytes.
            const double kk = double(l.kernel_h) * l.kernel_w, nog = ceil_div(l.out.c, par_out);
            e.rom_bits += par_out * nog * (kk * 9 + 33);
            e.multipliers += par_out;
            e.buffer_bits += window_rows(l) * (double(l.in.w) + l.pad_l + l.pad_r) * l.in.c * 8;
        } else if (l.kind == LayerKind::Dense) {
            // rtl/cnn_dense.vhd: ROM of N_OUT*NG words of 8*PAR+1 bits, bias
            // N_OUT words of 33 bits; the input vector double-buffered.
            const double ng = ceil_div(size(l.in), par);
            e.rom_bits += size(l.out) * (ng * (8 * par + 1) + 33);
            e.multipliers += par;
            e.buffer_bits += 2 * ng * 8 * par;
        } else if (l.kind == LayerKind::MaxPool || l.kind == LayerKind::AvgPool) {
            e.buffer_bits += window_rows(l) * (double(l.in.w) + l.pad_l + l.pad_r) * l.in.c * 16;
        } else if (l.kind == LayerKind::GlobalAvgPool) {
            e.buffer_bits += double(l.in.c) * 32;
        }
        // The FIFO after every layer but the last (emit.cpp: one row, <= 1024 beats).
        if (i + 1 < net.layers.size()) {
            e.buffer_bits += std::min(2 * double(l.out.w) * l.out.c, 1024.0) * 8;
            pes += 1;
        }
    }
    e.pes = pes;
    e.cpp_bytes = kCppFixed + kCppPerPe * pes + kCppPerRomBit * e.rom_bits + kCppPerMultiplier * e.multipliers;
    e.build_bytes = kBuildFixed + kBuildPerCppByte * kLargestFileShare * e.cpp_bytes;
    return e;
}

void check_resources(const Network& net, const ResourceLimits& limits, bool hardware) {
    for (const Layer& l : net.layers)
        if (!countable(l))
            throw Error(net.source, "layer '" + printable(l.name) + "': " + to_string(l.in) + " -> " +
                                        to_string(l.out) + " is beyond what the generator counts (sides and "
                                        "padding below 2^30, C*H*W below 2^40, kernels and strides positive)");
    const ResourceEstimate e = estimate_resources(net);
    auto judge = [&](const ResourceLimit& l, double v) {
        if (l.value > 0 && v > l.value)
            throw Error(net.source, "too large for this machine: " + std::string(l.what) + " estimated " +
                                        amount(v, l.unit) + ", the limit is " + amount(l.value, l.unit) +
                                        " (raise it with " + l.option + " N or " + l.env + "=N; 0 = no limit)");
    };
    judge(limits.tensor_bytes, e.tensor_bytes);
    if (!hardware) return;
    judge(limits.rom_bits, e.rom_bits);
    judge(limits.multipliers, e.multipliers);
    judge(limits.buffer_bits, e.buffer_bits);
    judge(limits.build_bytes, e.build_bytes);
}

void guard_network(const Network& net, const ResourceLimits& limits, bool hardware, int64_t target, int fixed) {
    check_resources(net, limits, false);  // first: the plan below loops over the shapes
    if (!hardware) return;
    Network planned;  // the plan needs shapes, not weights
    planned.name = net.name, planned.source = net.source, planned.input = net.input;
    for (const Layer& l : net.layers) {
        Layer c;
        c.name = l.name, c.kind = l.kind, c.in = l.in, c.out = l.out;
        c.kernel_h = l.kernel_h, c.kernel_w = l.kernel_w, c.stride_h = l.stride_h, c.stride_w = l.stride_w;
        c.pad_t = l.pad_t, c.pad_l = l.pad_l, c.pad_b = l.pad_b, c.pad_r = l.pad_r;
        planned.layers.push_back(std::move(c));
    }
    plan_parallelism(planned, target, fixed);
    check_resources(planned, limits, true);
}

}  // namespace cnn
