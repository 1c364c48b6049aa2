#include "ir.hpp"

namespace cnn {

std::string to_string(const Shape& s) {
    return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

const char* kind_name(LayerKind k) {
    switch (k) {
        case LayerKind::Conv: return "Conv";
        case LayerKind::Dense: return "Dense";
        case LayerKind::MaxPool: return "MaxPool";
        case LayerKind::AvgPool: return "AvgPool";
        case LayerKind::GlobalAvgPool: return "GlobalAvgPool";
        case LayerKind::Act: return "Act";
        case LayerKind::Lut: return "Lut";
        case LayerKind::DwConv: return "DwConv";
        case LayerKind::Add: return "Add";
    }
    return "?";
}

const char* activation_name(Activation a) {
    switch (a) {
        case Activation::None: return "none";
        case Activation::Relu: return "relu";
        case Activation::Leaky: return "leaky";
    }
    return "?";
}

int64_t Layer::macs() const {
    if (kind == LayerKind::Conv) return out.size() * kernel_h * kernel_w * in.c;
    if (kind == LayerKind::DwConv) return out.size() * kernel_h * kernel_w;  // one input channel per output
    if (kind == LayerKind::Dense) return out.size() * in.size();
    return 0;
}

std::string Layer::act_string() const {
    auto one = [](Activation a, int k) {
        return a == Activation::Leaky ? "leaky/" + std::to_string(1 << k) : std::string(activation_name(a));
    };
    std::string s = one(act, leaky_k);
    // A lower clamp that is not the Relu's own (0 on the shift path).
    if (clamp_lo > -128 && !(act == Activation::Relu && clamp_lo == 0 && !requant_f32))
        s = (s == "none" ? std::string() : s + ",") + ">=" + std::to_string(clamp_lo);
    if (clamp_hi < 127) s += "<=" + std::to_string(clamp_hi);
    return pre_act == Activation::None ? s : one(pre_act, pre_leaky_k) + "->" + s;
}

std::string Layer::window_string() const {
    auto n = [](int v) { return std::to_string(v); };
    if (kernel_h == kernel_w && stride_h == stride_w && pad_t == pad_l && pad_t == pad_b && pad_t == pad_r)
        return n(kernel_h) + "/" + n(stride_h) + "/" + n(pad_t);
    return n(kernel_h) + "x" + n(kernel_w) + "/" + n(stride_h) + "x" + n(stride_w) + "/" + n(pad_t) + "," +
           n(pad_l) + "," + n(pad_b) + "," + n(pad_r);
}

std::vector<int> Network::consumers(int i) const {
    std::vector<int> v;
    for (size_t k = 0; k < layers.size(); ++k)
        for (int p : inputs_of(k))
            if (p == i) v.push_back(int(k));
    return v;
}

void Network::erase_layer(size_t i) {
    link_chain();
    const int in = layers[i].inputs[0];
    for (Layer& l : layers)
        for (int& p : l.inputs) {
            if (p == int(i)) p = in;
            else if (p > int(i)) --p;
        }
    layers.erase(layers.begin() + long(i));
}

void Network::link_chain() {
    for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].inputs.empty()) layers[i].inputs = {int(i) - 1};
}

}  // namespace cnn
