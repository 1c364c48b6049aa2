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
    if (kind == LayerKind::Conv) return out.size() * kernel * kernel * in.c;
    if (kind == LayerKind::Dense) return out.size() * in.size();
    return 0;
}

}  // namespace cnn
