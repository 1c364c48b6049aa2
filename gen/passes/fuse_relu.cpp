#include "passes.hpp"

namespace cnn {

void fuse_relu(Network& net) {
    std::vector<Layer> out;
    for (Layer& l : net.layers) {
        bool plain_relu = l.kind == LayerKind::Act && l.act == Activation::Relu && l.f_in == l.f_out;
        if (plain_relu && !out.empty() && out.back().act == Activation::None && out.back().f_out == l.f_in) {
            out.back().act = Activation::Relu;
            out.back().name += "+" + l.name;
            out.back().onnx.op += "+Relu";
            continue;
        }
        out.push_back(std::move(l));
    }
    net.layers.swap(out);
}

}  // namespace cnn
