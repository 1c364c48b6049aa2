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
    // Saturation statistics on random images.
    std::vector<int64_t> rails(net.layers.size(), 0);
    std::mt19937 rng(12345);
    for (int i = 0; i < images; ++i) {
        auto outs = run_network(net, quantize_input(net, random_pixels(net.input, rng)));
        for (size_t l = 0; l < outs.size(); ++l)
            for (int32_t v : outs[l].data) rails[l] += (v == 127 || v == -128);
    }

    os << "model " << net.name << " (" << net.source << ")\n";
    os << fmt("input %s %s, f=%d%s\n", to_string(net.input).c_str(), net.input_unsigned ? "uint8" : "int8",
              net.f_input, net.input_prequantized ? " (pre-quantized)" : "");
    os << fmt("%-3s %-22s %-14s %-10s %-10s %-7s %-10s %-8s %8s %10s %6s\n", "#", "layer", "op", "in", "out",
              "k/s/p", "f in/w/out", "act", "weights", "MACs", "rail%");
    int64_t total_w = 0, total_macs = 0;
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer& l = net.layers[i];
        std::string ksp = (l.kind == LayerKind::Conv || l.kind == LayerKind::MaxPool || l.kind == LayerKind::AvgPool)
                              ? fmt("%d/%d/%d", l.kernel, l.stride, l.pad)
                              : "-";
        std::string f = l.has_weights() ? fmt("%d/%d/%d", l.f_in, l.f_w, l.f_out) : fmt("%d/-/%d", l.f_in, l.f_out);
        std::string act = l.act == Activation::Leaky ? fmt("leaky/%d", 1 << l.leaky_k) : activation_name(l.act);
        double rail = 100.0 * double(rails[i]) / double(std::max<int64_t>(1, l.out.size() * images));
        std::string name = l.name.size() > 22 ? l.name.substr(0, 19) + "..." : l.name;
        os << fmt("%-3zu %-22s %-14s %-10s %-10s %-7s %-10s %-8s %8lld %10lld %5.1f%%\n", i, name.c_str(),
                  kind_name(l.kind), to_string(l.in).c_str(), to_string(l.out).c_str(), ksp.c_str(), f.c_str(),
                  act.c_str(), (long long)l.weight_count(), (long long)l.macs(), rail);
        total_w += l.weight_count();
        total_macs += l.macs();
    }
    os << fmt("output %s int8, f=%d%s; %lld weights, %lld MACs per image\n", to_string(net.output()).c_str(),
              net.f_output, net.softmax ? ", then Softmax in software" : "", (long long)total_w,
              (long long)total_macs);
}

}  // namespace cnn
