#include "table.hpp"

#include <cstdarg>
#include <cstdio>
#include <random>
#include <string>

#include "exec.hpp"
#include "strings.hpp"

namespace cnn {

namespace {

std::vector<uint8_t> random_pixels(const Shape& s, std::mt19937& rng) {
    std::vector<uint8_t> p(size_t(s.size()));
    for (auto& v : p) v = uint8_t(rng() & 0xff);
    return p;
}

}  // namespace

void print_layer_table(const Network& net, std::ostream& os, int images) {
    // Saturation on random images: outputs whose exact value was clamped.
    std::mt19937 rng(12345);
    std::vector<QTensor> inputs;
    for (int i = 0; i < images; ++i) inputs.push_back(quantize_input(net, random_pixels(net.input, rng)));
    const std::vector<Saturation> sat = measure_saturation(net, inputs);

    os << "model " << net.name << " (" << net.source << ")\n";
    os << fmt("input %s %s, scale %.7g, zero point %d%s\n", to_string(net.input).c_str(),
              net.input_unsigned ? "uint8" : "int8", net.input_q.scale, int(net.input_q.zero_point),
              net.input_prequantized ? " (pre-quantized)" : "");
    os << fmt("%-3s %-22s %-14s %-10s %-10s %-7s %-10s %-9s %-14s %8s %10s %6s\n", "#", "layer", "op", "in", "out",
              "k/s/p", "arith", "zp in/out", "act", "weights", "MACs", "sat%");
    int64_t total_w = 0, total_macs = 0;
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        std::string ksp = l.has_window() ? l.window_string() : "-";
        // The output stage: "f 8/7/5" (shift, fractional bits in/w/out),
        // "f32" (onnxruntime's float32 requantisation; "f32/ch" per channel),
        // "table" (a 256-entry lookup), "-" (MaxPool: no arithmetic).
        std::string f = l.kind == LayerKind::Add        ? (l.requant_f32 ? "table64k" : fmt("f %d,%d/%d", l.f_in, l.f_in_b, l.f_out))
                        : l.kind == LayerKind::Lut      ? "table"
                        : l.requant_f32                 ? (l.scale.size() > 1 ? "f32/ch" : "f32")
                        : l.kind == LayerKind::MaxPool  ? "-"
                        : l.has_weights()               ? fmt("f %d/%d/%d", l.f_in, l.f_w, l.f_out)
                                                        : fmt("f %d/-/%d", l.f_in, l.f_out);
        std::string zp = l.kind == LayerKind::Add ? fmt("%d,%d/%d", l.zp_in, l.zp_in_b, l.zp_out)
                                                  : fmt("%d/%d", l.zp_in, l.zp_out);
        // A layer that does not read the one above it names its inputs: "Add<2,0".
        std::string op = kind_name(l.kind);
        const std::vector<int> in = net.inputs_of(i);
        if (in != std::vector<int>{int(i) - 1}) {
            op += "<";
            for (size_t k = 0; k < in.size(); ++k) op += (k ? "," : "") + (in[k] < 0 ? std::string("in") : std::to_string(in[k]));
        }
        std::string act = l.act_string();
        std::string name = l.name.size() > 22 ? l.name.substr(0, 19) + "..." : l.name;
        os << fmt("%-3zu %-22s %-14s %-10s %-10s %-7s %-10s %-9s %-14s %8lld %10lld %5.1f%%\n", i, name.c_str(),
                  op.c_str(), to_string(l.in).c_str(), to_string(l.out).c_str(), ksp.c_str(), f.c_str(),
                  zp.c_str(), act.c_str(), (long long)l.weight_count(), (long long)l.macs(), 100.0 * sat[i].fraction());
        total_w += l.weight_count();
        total_macs += l.macs();
    }
    os << fmt("sat%%: outputs clamped to int8 by saturation, over %d random images; zero points in the "
              "stream's int8 domain (uint8 - 128); op<i,j: reads layers i, j (in: the input)\n", images);
    os << fmt("output %s %s, scale %.7g, zero point %d%s; %lld weights, %lld MACs per image\n",
              to_string(net.output()).c_str(), net.output_unsigned ? "uint8" : "int8", net.output_q.scale,
              int(net.output_q.zero_point), net.softmax ? ", then Softmax in software" : "", (long long)total_w,
              (long long)total_macs);
}

}  // namespace cnn
