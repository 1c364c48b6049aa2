#include "passes.hpp"

namespace cnn {

// ONNX flattens [C, H, W] as c*H*W + y*W + x; the stream delivers (y*W + x)*C + c.
void permute_dense_weights(Network& net) {
    for (Layer& l : net.layers) {
        if (l.kind != LayerKind::Dense) continue;
        const Shape s = l.in;
        const size_t n = size_t(s.size());
        std::vector<int8_t> w(l.weights.size());
        for (int o = 0; o < l.out.c; ++o)
            for (int c = 0; c < s.c; ++c)
                for (int y = 0; y < s.h; ++y)
                    for (int x = 0; x < s.w; ++x)
                        w[o * n + (size_t(y) * s.w + x) * s.c + c] = l.weights[o * n + (size_t(c) * s.h + y) * s.w + x];
        l.weights.swap(w);
    }
}

}  // namespace cnn
