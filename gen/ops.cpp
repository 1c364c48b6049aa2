#include "ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.hpp"
#include "resource_model.hpp"

namespace cnn {

extern const OpDef conv_op, dense_op, pool_op, gap_op, act_op, lut_op, dwconv_op, add_op;

const OpDef& op_def(LayerKind kind) {
    switch (kind) {
        case LayerKind::Conv: return conv_op;
        case LayerKind::Dense: return dense_op;
        case LayerKind::MaxPool:
        case LayerKind::AvgPool: return pool_op;
        case LayerKind::GlobalAvgPool: return gap_op;
        case LayerKind::Act: return act_op;
        case LayerKind::Lut: return lut_op;
        case LayerKind::DwConv: return dwconv_op;
        case LayerKind::Add: return add_op;
    }
    throw Error("", "unknown layer kind");
}

std::vector<PeModel> layer_pes(const Layer& l, size_t i) {
    std::vector<PeModel> v = op_def(l.kind).pes(l, "l" + std::to_string(i));
    for (PeModel& pe : v) pe.res = estimate_pe_resources(l, pe);
    return v;
}

std::string vhdl_act(Activation a) {
    switch (a) {
        case Activation::None: return "ACT_NONE";
        case Activation::Relu: return "ACT_RELU";
        case Activation::Leaky: return "ACT_LEAKY";
    }
    return "ACT_NONE";
}

int output_shift(const Layer& l) { return l.e_in() - l.f_out; }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::vector<std::pair<std::string, std::string>> output_generics(const Layer& l) {
    return {{"SHIFT", std::to_string(output_shift(l))},
            {"ACT", vhdl_act(l.act)},
            {"LEAKY_K", std::to_string(l.leaky_k)},
            {"CLAMP_HI", std::to_string(l.clamp_hi)}};
}

std::vector<std::pair<std::string, std::string>> requant_generics(const Layer& l, const std::string& prefix,
                                                                  VhdlBuilder& b) {
    std::vector<std::pair<std::string, std::string>> g = {{"ZP_OUT", std::to_string(l.zp_out)},
                                                          {"CLAMP_LO", std::to_string(l.clamp_lo)},
                                                          {"REQUANT_F32", l.requant_f32 ? "true" : "false"}};
    if (l.requant_f32) {
        if (l.scale.empty()) throw Error("layer '" + l.name + "'", "float32 requantisation without a scale");
        std::vector<int64_t> bits;
        for (float s : l.scale) {
            uint32_t u = 0;
            std::memcpy(&u, &s, 4);
            // rtl/cnn_requant.vhd takes positive normal floats only.
            if (!(s > 0) || !std::isnormal(s))
                throw Error("layer '" + l.name + "'", "requantisation scale " + std::to_string(s) +
                                                          " is not a positive normal float32");
            bits.push_back(int64_t(u));
        }
        b.constant(prefix + "_scales", bits);
        g.push_back({"SCALES", prefix + "_scales"});
    }
    return g;
}

int64_t requant_extra_latency(const Layer& l) { return l.requant_f32 ? 4 : 0; }

// The issue of an image's first `groups` groups (kkn cycles each; lanes
// par_out, the pixel's last one `last`) from an empty FIFO of d entries under
// the credits, in cycles from the first issue cycle to the last one's end:
// group j's last cycle e(j) waits for the pop of group j - d, its first beat
// comes 6 + x cycles after e(j) or after the previous group's last beat.
// Without credit waits it is groups * kkn; it can be more only when a group
// has more beats than issue cycles (par_out > kkn).
static int64_t credit_bound_issue(int64_t groups, int64_t nog, int64_t kkn, int64_t par_out, int64_t last,
                                  int64_t d, int64_t x) {
    if (par_out <= kkn || groups <= d) return groups * kkn;
    std::vector<int64_t> pop(size_t(d), 0);  // pops of the last d groups (ring)
    int64_t e = -1, p = -1;
    for (int64_t j = 0; j < groups; ++j) {
        e += kkn;
        if (j >= d) e = std::max(e, pop[size_t(j % d)] + 1);
        p = std::max(e + 6 + x, p + 1) + (j % nog == nog - 1 ? last : par_out) - 1;
        pop[size_t(j % d)] = p;
    }
    return e + 1;
}

int64_t conv_cycles(const Layer& l, int64_t kkn, int64_t par_out) {
    const Shape p = padded_shape(l);
    const int64_t row = int64_t(p.w) * p.c / l.lanes_in;  // beats of one input row
    const int64_t nog = ceil_div(l.out.c, par_out);
    // Beats of a group and of a pixel's last group (OUT_LANES lanes a beat):
    // the model's "lanes" of a group are its beats.
    const int64_t bpg = par_out / l.lanes_out, last = (l.out.c - (nog - 1) * par_out) / l.lanes_out;
    const int64_t t_row = int64_t(l.out.w) * nog * kkn;
    const int64_t rrel = std::min(l.stride_h, l.kernel_h);
    const int64_t refill = (l.kernel_h - rrel) * row;
    const int64_t trailing = (p.h - int64_t(l.out.h - 1) * l.stride_h - l.kernel_h) * row;
    const int64_t t_in = p.size() / l.lanes_in;
    int64_t t_conv = l.out.h * t_row + refill;
    const int64_t x = requant_extra_latency(l), d = 8 + x;
    if (l.out.h >= 3)
        t_conv = std::max(t_conv, (l.kernel_h + rrel) * row + trailing +
                                      credit_bound_issue(int64_t(l.out.h - 2) * l.out.w * nog, nog, kkn, bpg,
                                                         last, d, x));
    const int64_t sd = d * bpg - ((d - 1) / nog + 1) * (bpg - last);
    const int64_t m = ((nog - 1 - (d - 1) % nog) % nog + nog) % nog;
    const int64_t dw = bpg > kkn ? std::max<int64_t>(0, kkn - last - m * (bpg - kkn)) : 0;
    const int64_t t_out = l.out.size() / l.lanes_out + std::max<int64_t>(0, refill + kkn + 6 + x + dw - sd);
    return std::max({t_in, t_conv, t_out});
}

Shape padded_shape(const Layer& l) {
    return Shape{l.in.c, l.in.h + l.pad_t + l.pad_b, l.in.w + l.pad_l + l.pad_r};
}

// rtl/cnn_zero_pad.vhd: HP * WP * C / LANES cycles per image (on the layer's input link: lanes_in).
PeModel zero_pad_pe(const Layer& l, const std::string& prefix) {
    const int64_t beats = padded_shape(l).size() / l.lanes_in;
    return {prefix + "_pad", "cnn_zero_pad", beats, l.in.size() / l.lanes_in, beats, {}};
}

void emit_zero_pad(const Layer& l, const std::string& prefix, int pad_value, VhdlBuilder& b) {
    b.append(prefix + "_pad", "cnn_zero_pad",
             {{"C", std::to_string(l.in.c)},
              {"H", std::to_string(l.in.h)},
              {"W", std::to_string(l.in.w)},
              {"PAD_T", std::to_string(l.pad_t)},
              {"PAD_L", std::to_string(l.pad_l)},
              {"PAD_B", std::to_string(l.pad_b)},
              {"PAD_R", std::to_string(l.pad_r)},
              {"PAD_VALUE", std::to_string(pad_value)},
              {"LANES", std::to_string(l.lanes_in)}});
}

std::string VhdlBuilder::link(const std::string& name, int lanes) {
    signals += "  signal " + name + "_valid, " + name + "_ready : std_logic;\n";
    signals += "  signal " + name + "_data : std_logic_vector(" + std::to_string(8 * lanes - 1) + " downto 0);\n";
    links.push_back(name);
    link_lanes.push_back(lanes);
    return name;
}

int VhdlBuilder::lanes_of(const std::string& name) const {
    for (size_t k = 0; k < links.size(); ++k)
        if (links[k] == name) return link_lanes[k];
    throw Error(name, "no such link");
}

namespace {

// The value of generic `name`, or -1.
int generic_int(const std::vector<std::pair<std::string, std::string>>& g, const std::string& name) {
    for (const auto& [k, v] : g)
        if (k == name) return std::stoi(v);
    return -1;
}

// The lanes a PE reads (in) or writes (!in), from its generics.
int pe_lanes(const std::vector<std::pair<std::string, std::string>>& g, bool in) {
    int v = generic_int(g, in ? "IN_LANES" : "OUT_LANES");
    if (v < 0) v = generic_int(g, "LANES");
    if (v < 0 && (v = generic_int(g, "WIDTH")) > 0) v /= 8;
    return v < 0 ? 1 : v;
}

}  // namespace

void VhdlBuilder::constant(const std::string& name, const std::vector<int64_t>& values) {
    package += "  constant " + name + " : int_array(0 to " + std::to_string(values.size() - 1) + ") := (";
    if (values.size() == 1) package += "0 => ";  // a one-element aggregate must be named
    for (size_t i = 0; i < values.size(); ++i) {
        if (i % 16 == 0) package += "\n    ";
        package += std::to_string(values[i]);
        if (i + 1 < values.size()) package += ", ";
    }
    package += ");\n";
}

void VhdlBuilder::append(const std::string& name, const std::string& entity,
                         const std::vector<std::pair<std::string, std::string>>& generics) {
    const std::string in = current;
    if (pe_lanes(generics, true) != lanes_of(in))
        throw Error(name, "reads " + std::to_string(pe_lanes(generics, true)) + " values a beat from link " + in +
                              ", which carries " + std::to_string(lanes_of(in)) + " (internal: the plan's lanes)");
    const std::string out = link(name, pe_lanes(generics, false));
    body += "  " + name + " : entity work." + entity + "\n    generic map (";
    for (size_t i = 0; i < generics.size(); ++i)
        body += (i ? ", " : "") + generics[i].first + " => " + generics[i].second;
    body += ")\n    port map (clk => clk, rst => rst_i,\n";
    body += "      in_valid => " + in + "_valid, in_ready => " + in + "_ready, in_data => " + in + "_data,\n";
    body += "      out_valid => " + out + "_valid, out_ready => " + out + "_ready, out_data => " + out + "_data);\n\n";
    current = out;
}

void VhdlBuilder::join(const std::string& name, const std::string& entity,
                       const std::vector<std::pair<std::string, std::string>>& generics) {
    const std::string a = current, bl = current_b, out = link(name);
    if (lanes_of(a) != 1 || lanes_of(bl) != 1) throw Error(name, "a join reads one value a beat (internal)");
    body += "  " + name + " : entity work." + entity + "\n    generic map (";
    for (size_t i = 0; i < generics.size(); ++i)
        body += (i ? ", " : "") + generics[i].first + " => " + generics[i].second;
    body += ")\n    port map (clk => clk, rst => rst_i,\n";
    body += "      a_valid => " + a + "_valid, a_ready => " + a + "_ready, a_data => " + a + "_data,\n";
    body += "      b_valid => " + bl + "_valid, b_ready => " + bl + "_ready, b_data => " + bl + "_data,\n";
    body += "      out_valid => " + out + "_valid, out_ready => " + out + "_ready, out_data => " + out + "_data);\n\n";
    current = out;
}

std::pair<std::string, std::string> VhdlBuilder::fork(const std::string& name) {
    const int lanes = lanes_of(current);
    const std::string in = current, a = link(name + "_a", lanes), bl = link(name + "_b", lanes);
    body += "  " + name + " : entity work.cnn_fork\n    generic map (WIDTH => " + std::to_string(8 * lanes) + ")\n";
    body += "    port map (clk => clk, rst => rst_i,\n";
    body += "      in_valid => " + in + "_valid, in_ready => " + in + "_ready, in_data => " + in + "_data,\n";
    body += "      a_valid => " + a + "_valid, a_ready => " + a + "_ready, a_data => " + a + "_data,\n";
    body += "      b_valid => " + bl + "_valid, b_ready => " + bl + "_ready, b_data => " + bl + "_data);\n\n";
    return {a, bl};
}

}  // namespace cnn
