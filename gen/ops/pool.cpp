// MaxPool and AvgPool: rtl/cnn_maxpool, rtl/cnn_avgpool (KxK, stride, no padding).
#include <algorithm>
#include <climits>

#include "ops.hpp"

namespace cnn {

namespace {

QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const int K = l.kernel;
    const bool is_max = l.kind == LayerKind::MaxPool;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int c = 0; c < l.out.c; ++c) {
                int64_t v = is_max ? INT64_MIN : 0;
                for (int ky = 0; ky < K; ++ky)
                    for (int kx = 0; kx < K; ++kx) {
                        int64_t x = in.at(oy * l.stride + ky, ox * l.stride + kx, c);
                        v = is_max ? std::max(v, x) : v + x;
                    }
                out.at(oy, ox, c) = output_stage(l, v, is_max ? 1 : int64_t(K) * K);
            }
    return out;
}

const char* entity(const Layer& l) { return l.kind == LayerKind::MaxPool ? "cnn_maxpool" : "cnn_avgpool"; }
std::string suffix(const Layer& l) { return l.kind == LayerKind::MaxPool ? "_maxpool" : "_avgpool"; }

// One input beat per cycle: H * W * C.
std::vector<PeModel> pes(const Layer& l, const std::string& prefix) {
    return {{prefix + suffix(l), entity(l), l.in.size(), l.in.size(), l.out.size()}};
}

void emit(const Layer& l, const std::string& prefix, VhdlBuilder& b) {
    std::vector<std::pair<std::string, std::string>> g = {
        {"C", std::to_string(l.in.c)}, {"H", std::to_string(l.in.h)}, {"W", std::to_string(l.in.w)},
        {"K", std::to_string(l.kernel)}, {"STRIDE", std::to_string(l.stride)}};
    for (auto& kv : output_generics(l)) g.push_back(kv);
    b.append(prefix + suffix(l), entity(l), g);
}

}  // namespace

extern const OpDef pool_op = {reference, pes, emit};

}  // namespace cnn
