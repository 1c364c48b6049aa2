// MaxPool and AvgPool: rtl/cnn_maxpool, rtl/cnn_avgpool.
#include <algorithm>
#include <climits>

#include "ops.hpp"

namespace cnn {

namespace {

// MaxPool: the signed maximum over the window's real positions (padding
// never wins). AvgPool: the sum of pre_act(x) over the real positions (a
// padded position is the quantized zero and adds nothing), divided exactly by
// KH*KW when count_include_pad, else by the number of real positions.
QTensor reference(const Layer& l, const QTensor& in) {
    QTensor out(l.out);
    const bool is_max = l.kind == LayerKind::MaxPool;
    for (int oy = 0; oy < l.out.h; ++oy)
        for (int ox = 0; ox < l.out.w; ++ox)
            for (int c = 0; c < l.out.c; ++c) {
                int64_t v = is_max ? INT64_MIN : 0, real = 0;
                for (int ky = 0; ky < l.kernel_h; ++ky)
                    for (int kx = 0; kx < l.kernel_w; ++kx) {
                        int y = oy * l.stride_h + ky - l.pad_t, x = ox * l.stride_w + kx - l.pad_l;
                        if (y < 0 || y >= l.in.h || x < 0 || x >= l.in.w) continue;
                        ++real;
                        int64_t q = pre_activation(l, in.at(y, x, c));
                        v = is_max ? std::max(v, q) : v + q;
                    }
                const int64_t n = is_max ? 1 : l.count_include_pad ? int64_t(l.kernel_h) * l.kernel_w : real;
                out.at(oy, ox, c) = output_stage(l, v, n);
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
        {"K", std::to_string(l.kernel_h)}, {"STRIDE", std::to_string(l.stride_h)}};  // square, unpadded (legality)
    for (auto& kv : output_generics(l)) g.push_back(kv);
    b.append(prefix + suffix(l), entity(l), g);
}

}  // namespace

extern const OpDef pool_op = {reference, pes, emit};

}  // namespace cnn
