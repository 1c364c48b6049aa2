#include "emit.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "resource_model.hpp"
#include "strings.hpp"

namespace cnn {

namespace {

// An elastic buffer after every layer but the last: two output rows of the
// layer, or, before a window layer (conv, pool) whose kernel holds more rows
// than it releases per output row, the rows its refill at an image boundary
// needs (KH - min(STRIDE_H, KH) + 1), at most kMaxFifo beats. Without it, two
// PEs of similar rate that produce and accept in bursts (a conv emits a row,
// the next conv takes a row only when a line-buffer slot frees) stall each
// other, and the pipeline's interval exceeds its slowest PE by up to 30%
// (measured on the zoo: conv2_s2_10x14_relu 1.29x, mono_9x11_stack4 1.16x);
// with only two rows before a 5x5 conv that is the bottleneck, its refill
// waits for the producer (LeNet at TARGET=min: 1.019x the model, conv2 at
// one lane; the refill rows buffered: 1.000x).
constexpr int64_t kMaxFifo = 4096;

int64_t fifo_depth(const Network& net, size_t i) {
    if (i + 1 >= net.layers.size()) return 0;
    const Shape o = net.layers[i].out;
    int64_t rows = 2;
    for (int c : net.consumers(int(i))) {
        const Layer& n = net.layers[size_t(c)];
        if (n.has_window()) rows = std::max<int64_t>(rows, n.kernel_h - std::min(n.stride_h, n.kernel_h) + 1);
    }
    return std::min<int64_t>(ceil_div(rows * o.w * o.c, net.layers[i].lanes_out), kMaxFifo);
}

nlohmann::json shape_json(const Shape& s) { return {{"c", s.c}, {"h", s.h}, {"w", s.w}}; }

}  // namespace

namespace {

// Rows of its input a layer needs before its output rows 0..r are complete.
int64_t rows_needed(const Layer& l, int64_t r) {
    if (l.kind == LayerKind::Dense || l.kind == LayerKind::GlobalAvgPool) return l.in.h;
    if (!l.has_window()) return std::min<int64_t>(l.in.h, r + 1);
    return std::clamp<int64_t>(r * l.stride_h + l.kernel_h - l.pad_t, 1, l.in.h);
}

// Rows of layer f's output needed before rows 0..r of producer p are
// complete (0 when p does not depend on f).
int64_t rows_of(const Network& net, int f, int p, int64_t r) {
    if (p == f) return r + 1;
    if (p < f) return 0;
    const Layer& l = net.layers[size_t(p)];
    int64_t need = 0;
    for (int q : net.inputs_of(size_t(p))) need = std::max(need, rows_of(net, f, q, rows_needed(l, r) - 1));
    return need;
}

std::set<int> ancestors(const Network& net, int p) {
    std::set<int> seen{p};
    std::vector<int> todo{p};
    while (!todo.empty()) {
        const int q = todo.back();
        todo.pop_back();
        if (q < 0) continue;
        for (int i : net.inputs_of(size_t(q)))
            if (seen.insert(i).second) todo.push_back(i);
    }
    return seen;
}

}  // namespace

std::vector<SkipFifo> skip_fifos(const Network& net) {
    std::vector<SkipFifo> v;
    for (size_t j = 0; j < net.layers.size(); ++j) {
        const Layer& add = net.layers[j];
        if (add.kind != LayerKind::Add) continue;
        const std::vector<int> in = net.inputs_of(j);
        // The fork both paths leave: their latest common ancestor.
        const std::set<int> a = ancestors(net, in[0]), b = ancestors(net, in[1]);
        int f = -1;
        for (int x : a)
            if (b.count(x)) f = std::max(f, x);
        // Rows of the fork's tensor each side takes before the Add's first
        // row can be complete: the rows its windows need, plus the rows its
        // elastic FIFOs can hold (converted to the fork's rows), since the
        // fork runs ahead until a path stops taking beats. The other side
        // holds what it computes from as many rows of the fork, plus a row.
        const int64_t fh = f < 0 ? net.input.h : net.layers[size_t(f)].out.h;
        auto takes = [&](int p) {
            int64_t rows = rows_of(net, f, p, 0);
            const std::set<int> up = ancestors(net, p);
            for (int q : up) {
                if (q <= f) continue;
                const Layer& l = net.layers[size_t(q)];
                const int64_t row = int64_t(l.out.w) * l.out.c / l.lanes_out;  // beats
                rows += ceil_div(fifo_depth(net, size_t(q)), row) * fh / std::max(1, l.out.h);
            }
            return std::min<int64_t>(rows, fh);
        };
        const int64_t need[2] = {takes(in[0]), takes(in[1])};
        for (int k = 0; k < 2; ++k) {
            const int64_t other = need[1 - k];
            int64_t rows = 0;
            while (rows < add.in.h && rows_of(net, f, in[size_t(k)], rows) <= other) ++rows;
            const int64_t row = int64_t(add.in.w) * add.in.c;
            const int64_t depth = std::min<int64_t>((rows + 1) * row, add.in.size() + row);
            v.push_back({int(j), k, std::max<int64_t>(depth, 16)});
        }
    }
    return v;
}

Design build_design(const Network& net, const FifoOverrides& overrides) {
    Design d;
    VhdlBuilder b;
    const std::string input_link = b.link("s_in");
    std::vector<std::vector<PeModel>> layer_models(net.layers.size());  // per layer, its FIFO last
    std::vector<std::vector<std::string>> layer_links(net.layers.size());  // links carrying its tensor
    std::vector<FifoInfo> fifos;
    const std::vector<SkipFifo> skips = skip_fifos(net);
    std::map<std::string, bool> used;
    // An override by name, or for a skip FIFO by "skip"; -1 is a whole tensor and a row
    // (in beats of `lanes` values).
    auto depth_of = [&](const std::string& instance, int64_t dflt, bool skip, const Shape& t, int lanes) {
        auto it = overrides.find(instance);
        if (it == overrides.end() && skip) it = overrides.find("skip");
        if (it == overrides.end()) return dflt;
        used[it->first] = true;
        return it->second < 0 ? (t.size() + int64_t(t.w) * t.c) / lanes : it->second;
    };
    // The link(s) each producer's readers take, in the order of its readers.
    std::map<int, std::vector<std::string>> reads;
    auto outputs_of = [&](int p, const std::string& tail, const std::string& prefix) {
        const std::vector<int> readers = net.consumers(p);
        if (readers.size() > 2) throw Error(prefix, "feeds " + std::to_string(readers.size()) + " layers; at most two");
        if (readers.size() == 2) {
            b.current = tail;
            auto [x, y] = b.fork(prefix + "_fork");
            const int lanes = b.lanes_of(tail);
            const int64_t n = net.shape_of(p).size() / lanes;
            if (p >= 0) {
                layer_models[size_t(p)].push_back(
                    {prefix + "_fork", "cnn_fork", n, n, n, estimate_fork_resources(8 * lanes)});
                layer_links[size_t(p)].push_back(x);
                layer_links[size_t(p)].push_back(y);
            }
            reads[p] = {x, y};
        } else {
            reads[p] = {tail};
        }
    };
    // A tensor (of producer p, -1 the input) that travels wider than its
    // reader takes it: cnn_lanes `inst` narrows it to `want` values a beat (its
    // values in the same order), a PE of layer `owner`. Returns the link the
    // reader takes.
    auto narrow = [&](const std::string& link, int p, int want, const std::string& inst, size_t owner) {
        const int have = b.lanes_of(link);
        if (have == want) return link;
        if (have % want)
            throw Error(inst, "reads " + std::to_string(want) + " values a beat from a link of " +
                                  std::to_string(have) + " (internal: the plan's lanes)");
        b.current = link;
        b.append(inst, "cnn_lanes", {{"IN_LANES", std::to_string(have)}, {"OUT_LANES", std::to_string(want)}});
        const int64_t values = net.shape_of(p).size();
        layer_models[owner].push_back(
            {inst, "cnn_lanes", values / want, values / have, values / want, estimate_lanes_resources(have, want)});
        if (p >= 0) layer_links[size_t(p)].push_back(b.current);
        return b.current;
    };
    auto take = [&](int p) {
        auto& q = reads.at(p);
        const std::string l = q.front();
        q.erase(q.begin());
        return l;
    };
    outputs_of(-1, input_link, "in");
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        const std::string prefix = "l" + std::to_string(i);
        const std::vector<int> in = net.inputs_of(i);
        std::vector<std::string> links;
        for (size_t k = 0; k < in.size(); ++k) {
            std::string link = narrow(take(in[k]), in[k], in.size() == 1 ? l.lanes_in : 1,
                                      prefix + (k == 0 ? "_narrow" : "_narrow_b"), i);
            // A skip FIFO on each input of an Add.
            for (const SkipFifo& s : skips)
                if (s.layer == int(i) && s.input == int(k)) {
                    const std::string inst = prefix + (k == 0 ? "_skip_a" : "_skip_b");
                    const int64_t depth = depth_of(inst, s.depth, true, l.in, 1);
                    b.current = link;
                    b.append(inst, "cnn_fifo", {{"WIDTH", "8"}, {"DEPTH", std::to_string(depth)}});
                    const int64_t n = l.in.size();
                    layer_models[i].push_back({inst, "cnn_fifo", n, n, n, estimate_fifo_resources(depth)});
                    fifos.push_back({inst, depth, s.depth, link, b.current, true});
                    if (in[k] >= 0) layer_links[size_t(in[k])].push_back(b.current);
                    link = b.current;
                }
            links.push_back(link);
        }
        b.current = links[0];
        if (links.size() > 1) b.current_b = links[1];
        for (const PeModel& pe : layer_pes(l, i)) layer_models[i].push_back(pe);
        op_def(l.kind).emit(l, prefix, b);
        layer_links[i].insert(layer_links[i].begin(), b.current);
        if (int64_t dflt = fifo_depth(net, i)) {
            const std::string inst = prefix + "_fifo";
            const int lanes = b.lanes_of(b.current);
            const int64_t depth = depth_of(inst, dflt, false, l.out, lanes), beats = l.out.size() / lanes;
            const std::string from = b.current;
            b.append(inst, "cnn_fifo", {{"WIDTH", std::to_string(8 * lanes)}, {"DEPTH", std::to_string(depth)}});
            layer_models[i].push_back({inst, "cnn_fifo", beats, beats, beats, estimate_fifo_resources(depth, 8 * lanes)});
            fifos.push_back({inst, depth, dflt, from, b.current, false});
            layer_links[i].push_back(b.current);
        }
        if (i + 1 < net.layers.size()) outputs_of(int(i), b.current, prefix);
        else b.current = narrow(b.current, int(i), 1, prefix + "_narrow_out", i);  // axis_out: one value a beat
    }
    for (const auto& [name, depth] : overrides)
        if (!used.count(name))
            throw Error("--fifo " + name, name == "skip" ? "this design has no skip FIFO (no Add)"
                                                         : "there is no FIFO of that name in this design");
    for (const auto& v : layer_models)
        for (const PeModel& pe : v) d.pes.push_back(pe);
    // The input's fork, if any, comes first.
    if (net.consumers(-1).size() == 2)
        d.pes.insert(d.pes.begin(), PeModel{"in_fork", "cnn_fork", net.input.size(), net.input.size(),
                                            net.input.size(), estimate_fork_resources()});
    for (const PeModel& pe : d.pes) d.expected_cycles = std::max(d.expected_cycles, pe.cycles);
    const int64_t in_beats = net.input.size(), out_beats = net.output().size();
    auto link_index = [&](const std::string& name) {
        for (size_t k = 0; k < b.links.size(); ++k)
            if (b.links[k] == name) return int(k);
        throw Error(name, "no such link");
    };
    d.fifos = fifos;

    // Names and paths come from the file: printable() keeps them on their
    // comment line (no line break, valid UTF-8) and makes them valid JSON
    // strings. VHDL identifiers are generated ("l<i>", "s_in"), never names.
    const std::string source = printable(net.source);
    d.package_vhdl = "-- Generated by cnnc from " + source + ": the weights of every layer.\n"
                     "library ieee;\nuse work.cnn_pkg.all;\n\npackage cnn_model_pkg is\n" +
                     b.package + "end package;\n";

    const size_t n = b.links.size();
    // Link k's bytes in probe_data: from byte offset[k], link_lanes[k] of them.
    std::vector<int> offset(n + 1, 0);
    for (size_t k = 0; k < n; ++k) offset[k + 1] = offset[k] + b.link_lanes[k];
    std::string top;
    top += "-- Generated by cnnc from " + source + ".\n";
    top += "-- The model's pipeline behind the AXI4-Stream ports of SPEC §3. probe_valid,\n";
    top += "-- probe_ready, probe_data expose every internal link (stream order; a\n";
    top += "-- link of L lanes carries L values a beat in L bytes of probe_data:\n";
    for (size_t i = 0; i < n; ++i)
        top += "--   " + std::to_string(i) + " " + b.links[i] +
               (b.link_lanes[i] > 1 ? " (" + std::to_string(b.link_lanes[i]) + " lanes)" : "") + "\n";
    top += "-- ) so a harness can locate a mismatch to its layer and count busy /\n";
    top += "-- starved / blocked cycles per PE.\n";
    top += "library ieee;\nuse ieee.std_logic_1164.all;\nuse work.cnn_pkg.all;\nuse work.cnn_model_pkg.all;\n\n";
    top += "entity cnn_top is\n  port (\n    clk : in std_logic;\n    rst : in std_logic;\n";
    top += "    s_axis_tdata  : in  std_logic_vector(7 downto 0);\n    s_axis_tvalid : in  std_logic;\n";
    top += "    s_axis_tlast  : in  std_logic;\n    s_axis_tready : out std_logic;\n";
    top += "    m_axis_tdata  : out std_logic_vector(7 downto 0);\n    m_axis_tvalid : out std_logic;\n";
    top += "    m_axis_tlast  : out std_logic;\n    m_axis_tready : in  std_logic;\n";
    top += "    tlast_error   : out std_logic;  -- one cycle per misplaced s_axis_tlast\n";
    top += "    probe_valid   : out std_logic_vector(" + std::to_string(n - 1) + " downto 0);\n";
    top += "    probe_ready   : out std_logic_vector(" + std::to_string(n - 1) + " downto 0);\n";
    top += "    probe_data    : out std_logic_vector(" + std::to_string(8 * offset[n] - 1) + " downto 0)\n  );\nend entity;\n\n";
    // The reset is registered once here (rst_i): a reset that enters as a
    // top-level input makes Verilator re-evaluate all the logic it feeds on
    // every eval. While rst_i is high the ports show no valid beat and no
    // ready, so nothing is transferred into a pipeline that is resetting.
    top += "architecture rtl of cnn_top is\n  signal rst_i : std_logic := '1';\n"
           "  signal s_tvalid_i, s_tready_i, m_tvalid_i : std_logic;\n" + b.signals + "begin\n";
    top += "  reset_register : process (clk)\n  begin\n    if rising_edge(clk) then\n      rst_i <= rst;\n"
           "    end if;\n  end process;\n";
    top += "  s_tvalid_i    <= s_axis_tvalid and not rst_i;\n  s_axis_tready <= s_tready_i and not rst_i;\n"
           "  m_axis_tvalid <= m_tvalid_i and not rst_i;\n\n";
    top += "  axis_in : entity work.cnn_axis_in\n    generic map (BEATS => " + std::to_string(in_beats) + ")\n";
    top += "    port map (clk => clk, rst => rst_i,\n";
    top += "      in_valid => s_tvalid_i, in_ready => s_tready_i, in_data => s_axis_tdata, in_last => s_axis_tlast,\n";
    top += "      out_valid => s_in_valid, out_ready => s_in_ready, out_data => s_in_data, tlast_error => tlast_error);\n\n";
    top += b.body;
    const std::string& last = b.current;
    // A uint8 output travels the pipeline as u - 128: axis_out flips bit 7 back.
    top += "  axis_out : entity work.cnn_axis_out\n    generic map (BEATS => " + std::to_string(out_beats) +
           ", FLIP_MSB => " + (net.output_unsigned ? "true" : "false") + ")\n";
    top += "    port map (clk => clk, rst => rst_i,\n";
    top += "      in_valid => " + last + "_valid, in_ready => " + last + "_ready, in_data => " + last + "_data,\n";
    top += "      out_valid => m_tvalid_i, out_ready => m_axis_tready, out_data => m_axis_tdata, out_last => m_axis_tlast);\n\n";
    for (size_t i = 0; i < n; ++i) {
        top += "  probe_valid(" + std::to_string(i) + ") <= " + b.links[i] + "_valid;\n";
        top += "  probe_ready(" + std::to_string(i) + ") <= " + b.links[i] + "_ready;\n";
        top += "  probe_data(" + std::to_string(8 * offset[i + 1] - 1) + " downto " + std::to_string(8 * offset[i]) +
               ") <= " + b.links[i] + "_data;\n";
    }
    top += "end architecture;\n";
    d.top_vhdl = top;

    nlohmann::json m;
    m["model"] = printable(net.name);
    m["source"] = source;
    m["top"] = "cnn_top";
    m["input"] = shape_json(net.input);
    m["output"] = shape_json(net.output());
    m["input_beats"] = in_beats;
    m["output_beats"] = out_beats;
    m["input_unsigned"] = net.input_unsigned;
    m["output_unsigned"] = net.output_unsigned;  // m_axis carries uint8 (stream value + 128)
    m["f_input"] = net.f_input;
    m["f_output"] = net.f_output;
    m["expected_cycles_per_image"] = d.expected_cycles;
    m["links"] = b.links;
    m["link_lanes"] = b.link_lanes;  // values a beat per link (bytes in probe_data, in link order)
    // The analytical resource model's estimate (gen/resource_model.hpp), beside
    // which build/sim/hw_resources prints Yosys' figures.
    auto est_json = [](const FpgaResources& r) {
        return nlohmann::json{{"lut", r.lut}, {"lutram", r.lutram}, {"ff", r.ff}, {"dsp", r.dsp}, {"bram36", r.bram36}};
    };
    m["axis_est"] = {{"axis_in", est_json(estimate_axis_resources(in_beats, false))},
                     {"axis_out", est_json(estimate_axis_resources(out_beats, true))}};
    nlohmann::json layers = nlohmann::json::array();
    // A PE's link is its output's; a fork's is its first output's.
    auto pe_link = [&](const PeModel& pe) { return link_index(pe.entity == "cnn_fork" ? pe.instance + "_a" : pe.instance); };
    if (net.consumers(-1).size() == 2)
        m["input_fork"] = {{"instance", "in_fork"}, {"link", link_index("in_fork_a")}, {"est", est_json(estimate_fork_resources())}};
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        nlohmann::json pes = nlohmann::json::array();
        for (const PeModel& pe : layer_models[i])
            pes.push_back({{"instance", pe.instance}, {"entity", pe.entity}, {"cycles_per_image", pe.cycles},
                           {"in_beats", pe.in_beats}, {"out_beats", pe.out_beats}, {"link", pe_link(pe)},
                           {"est", est_json(pe.res)}});
        nlohmann::json tensor_links = nlohmann::json::array();
        for (const std::string& k : layer_links[i]) tensor_links.push_back(link_index(k));
        layers.push_back({{"name", printable(l.name)}, {"kind", kind_name(l.kind)}, {"in", shape_json(l.in)},
                          {"out", shape_json(l.out)}, {"kernel", {l.kernel_h, l.kernel_w}}, {"stride", {l.stride_h, l.stride_w}},
                          {"pad", {l.pad_t, l.pad_l, l.pad_b, l.pad_r}},
                          {"f_in", l.f_in}, {"f_w", l.f_w}, {"f_out", l.f_out}, {"act", activation_name(l.act)},
                          {"par_in", l.par_in}, {"par_out", l.par_out}, {"par_ky", l.par_ky},
                          {"par_kx", l.par_kx}, {"lanes_in", l.lanes_in}, {"lanes_out", l.lanes_out}, {"macs", l.macs()}, {"pes", pes},
                          {"inputs", net.inputs_of(i)}, {"tensor_links", tensor_links}});
        if (l.act_string() != activation_name(l.act)) layers.back()["act_detail"] = l.act_string();
    }
    m["layers"] = layers;
    nlohmann::json fj = nlohmann::json::array();
    for (const FifoInfo& f : fifos)
        fj.push_back({{"instance", f.instance}, {"depth", f.depth}, {"planned_depth", f.planned},
                      {"in_link", link_index(f.in_link)}, {"out_link", link_index(f.out_link)}, {"skip", f.skip}});
    m["fifos"] = fj;
    d.manifest_json = m.dump(2) + "\n";
    return d;
}

void write_design(const Design& d, const std::string& dir) {
    std::filesystem::create_directories(dir);
    auto put = [&](const std::string& name, const std::string& text) {
        std::ofstream f(dir + "/" + name);
        f << text;
        if (!f) throw Error(dir + "/" + name, "cannot write");
    };
    put("cnn_model_pkg.vhd", d.package_vhdl);
    put("cnn_top.vhd", d.top_vhdl);
    put("manifest.json", d.manifest_json);
}

}  // namespace cnn
