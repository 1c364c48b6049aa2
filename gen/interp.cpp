// The ONNX reference interpreter (interp.hpp). Tensors are dense, row-major
// (NCHW for images); every op reads its attributes itself and refuses, as
// Unsupported, any value it does not implement.
#include "interp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>

namespace cnn::onnx {

double round_half_even(double x) {
    const double r = std::floor(x);
    const double diff = x - r;
    if (diff > 0.5) return r + 1.0;
    if (diff < 0.5) return r;
    return std::fmod(r, 2.0) == 0.0 ? r : r + 1.0;
}

namespace {

// ---------------------------------------------------------------- helpers

std::string where(const Node& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }

std::string dims_text(const std::vector<int64_t>& dims) {
    std::ostringstream s;
    s << '[';
    for (size_t i = 0; i < dims.size(); ++i) s << (i ? "," : "") << dims[i];
    s << ']';
    return s.str();
}

int64_t product(const std::vector<int64_t>& dims, size_t from, size_t to) {
    int64_t p = 1;
    for (size_t i = from; i < to; ++i) p *= dims[i];
    return p;
}

Tensor zeros(DType t, std::vector<int64_t> dims) {
    Tensor r;
    r.dtype = t;
    r.dims = std::move(dims);
    r.data.assign(r.size(), 0.0);
    return r;
}

// Saturation range of a quantized element type.
bool quant_range(DType t, double& lo, double& hi) {
    switch (t) {
        case DType::Int8: lo = -128; hi = 127; return true;
        case DType::UInt8: lo = 0; hi = 255; return true;
        case DType::Int32: lo = -2147483648.0; hi = 2147483647.0; return true;
        default: return false;
    }
}

// The inputs and attributes of the node being evaluated, with checks that
// name the node.
struct Ctx {
    const Node& node;
    const std::vector<const Tensor*>& in;
    int64_t opset;

    [[noreturn]] void unsupported(const std::string& why) const {
        throw Unsupported(where(node), why);
    }
    [[noreturn]] void invalid(const std::string& why) const { throw Error(where(node), why); }

    const Tensor* optional(size_t i) const { return i < in.size() ? in[i] : nullptr; }
    const Tensor& input(size_t i) const {
        const Tensor* t = optional(i);
        if (!t) invalid("input " + std::to_string(i) + " is missing");
        return *t;
    }
    // A scalar input (a 0-D tensor or a 1-element 1-D one).
    double scalar(size_t i, const char* what) const {
        const Tensor& t = input(i);
        if (t.size() != 1)
            unsupported(std::string(what) + " must be a scalar, has shape " + dims_text(t.dims));
        return t.data[0];
    }
    // Normalise an axis attribute value in [-rank, rank) (or [-rank, rank] with inclusive).
    int64_t axis(int64_t a, size_t rank, bool inclusive = false) const {
        const int64_t r = int64_t(rank);
        if (a < -r || a > (inclusive ? r : r - 1))
            invalid("axis " + std::to_string(a) + " out of range for rank " + std::to_string(r));
        return a < 0 ? a + r : a;
    }
};

// ---------------------------------------------------------------- windows

// One spatial axis of a convolution or pool: input length, kernel, stride,
// dilation, padding at the begin and the end, output length.
struct Axis {
    int64_t in = 1, k = 1, s = 1, d = 1, pb = 0, pe = 0, out = 1;

    // The input position of kernel tap k of output o (may lie in the padding).
    int64_t at(int64_t o, int64_t tap) const { return o * s - pb + tap * d; }
    bool inside(int64_t i) const { return i >= 0 && i < in; }
};

// The geometry of a sliding window over an (N, C, [[D,] H,] W) tensor. Inputs
// with fewer than three spatial dims have the missing leading ones of length
// 1 with a window of 1.
struct Window {
    int64_t n = 0, c = 0;
    Axis z, y, x;  // depth, height, width

    int64_t in_plane() const { return z.in * y.in * x.in; }
    int64_t out_plane() const { return z.out * y.out * x.out; }
};

Window make_window(const Ctx& cx, const std::vector<int64_t>& xdims,
                   const std::vector<int64_t>& kernel, bool ceil_mode) {
    if (xdims.size() < 3) cx.invalid("input must be (N, C, spatial...), has shape " + dims_text(xdims));
    const size_t r = xdims.size() - 2;
    if (r > 3) cx.unsupported("only 1-D to 3-D spatial inputs (this one is " + std::to_string(r) + "-D)");
    if (kernel.size() != r) cx.invalid("kernel_shape " + dims_text(kernel) + " does not match the input rank");
    const auto strides = cx.node.attr_ints("strides", std::vector<int64_t>(r, 1));
    const auto dilations = cx.node.attr_ints("dilations", std::vector<int64_t>(r, 1));
    const auto pads = cx.node.attr_ints("pads", std::vector<int64_t>(2 * r, 0));
    const std::string auto_pad = cx.node.attr_string("auto_pad", "NOTSET");
    if (strides.size() != r || dilations.size() != r || pads.size() != 2 * r)
        cx.invalid("strides, dilations or pads do not match the input rank");

    Window g;
    g.n = xdims[0];
    g.c = xdims[1];
    Axis* axes[3] = {&g.z, &g.y, &g.x};
    for (size_t i = 0; i < r; ++i) {
        Axis& a = *axes[3 - r + i];
        a.in = xdims[2 + i];
        a.k = kernel[i];
        a.s = strides[i];
        a.d = dilations[i];
        if (a.k < 1 || a.s < 1 || a.d < 1) cx.invalid("kernel, stride and dilation must be >= 1");
        const int64_t span = (a.k - 1) * a.d + 1;  // extent of the dilated kernel
        if (auto_pad == "NOTSET") {
            a.pb = pads[i];
            a.pe = pads[r + i];
            if (a.pb < 0 || a.pe < 0) cx.unsupported("negative pads");
            const int64_t room = a.in + a.pb + a.pe - span;
            if (room < 0) cx.invalid("the kernel is larger than the padded input");
            a.out = (ceil_mode ? (room + a.s - 1) / a.s : room / a.s) + 1;
            // In ceil mode the last window must start inside the input or its
            // begin padding (the rule of PyTorch and the ONNX reference).
            if (ceil_mode && (a.out - 1) * a.s >= a.in + a.pb) --a.out;
        } else if (auto_pad == "VALID") {
            if (a.in < span) cx.invalid("the kernel is larger than the input");
            a.out = (ceil_mode ? (a.in - span + a.s - 1) / a.s : (a.in - span) / a.s) + 1;
        } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            a.out = (a.in + a.s - 1) / a.s;
            const int64_t total = std::max<int64_t>(0, (a.out - 1) * a.s + span - a.in);
            // The odd pixel of padding goes to the end (UPPER) or the begin (LOWER).
            a.pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            a.pe = total - a.pb;
        } else {
            cx.invalid("unknown auto_pad '" + auto_pad + "'");
        }
    }
    return g;
}

std::vector<int64_t> out_dims(const std::vector<int64_t>& xdims, int64_t channels, const Window& g) {
    std::vector<int64_t> d = {g.n, channels};
    if (xdims.size() >= 5) d.push_back(g.z.out);
    if (xdims.size() >= 4) d.push_back(g.y.out);
    d.push_back(g.x.out);
    return d;
}

// y[n, m, o] += sum over the group's channels and the window of x * w.
// x: (N, C, D, H, W), w: (M, C/group, kd, kh, kw), y: (N, M, od, oh, ow)
// holding the bias. T is double for Conv and int64_t for QLinearConv (exact
// integer sums).
template <typename T>
void convolve(const std::vector<T>& x, const std::vector<T>& w, std::vector<T>& y, const Window& g,
              int64_t m_total, int64_t group) {
    const int64_t cg = g.c / group, mg = m_total / group;
    const int64_t H = g.y.in, W = g.x.in, OH = g.y.out, OW = g.x.out;
    const int64_t taps = g.z.k * g.y.k * g.x.k;
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t m = 0; m < m_total; ++m) {
            T* yp = &y[size_t((n * m_total + m) * g.out_plane())];
            for (int64_t ci = 0; ci < cg; ++ci) {
                const int64_t c = (m / mg) * cg + ci;
                const T* xp = &x[size_t((n * g.c + c) * g.in_plane())];
                const T* wp = &w[size_t((m * cg + ci) * taps)];
                for (int64_t kz = 0; kz < g.z.k; ++kz)
                    for (int64_t ky = 0; ky < g.y.k; ++ky)
                        for (int64_t kx = 0; kx < g.x.k; ++kx) {
                            const T wv = wp[(kz * g.y.k + ky) * g.x.k + kx];
                            for (int64_t oz = 0; oz < g.z.out; ++oz) {
                                const int64_t iz = g.z.at(oz, kz);
                                if (!g.z.inside(iz)) continue;
                                for (int64_t oy = 0; oy < OH; ++oy) {
                                    const int64_t iy = g.y.at(oy, ky);
                                    if (!g.y.inside(iy)) continue;
                                    T* yr = yp + (oz * OH + oy) * OW;
                                    const T* xr = xp + (iz * H + iy) * W;
                                    for (int64_t ox = 0; ox < OW; ++ox) {
                                        const int64_t ix = g.x.at(ox, kx);
                                        if (g.x.inside(ix)) yr[ox] += xr[ix] * wv;
                                    }
                                }
                            }
                        }
            }
        }
}

// The window of a convolution: kernel_shape, or the weight's spatial dims.
Window conv_window(const Ctx& cx, const Tensor& x, const Tensor& w, int64_t& group) {
    if (w.dims.size() != x.dims.size())
        cx.invalid("weight shape " + dims_text(w.dims) + " does not match input " + dims_text(x.dims));
    const std::vector<int64_t> wk(w.dims.begin() + 2, w.dims.end());
    const auto kernel = cx.node.attr_ints("kernel_shape", wk);
    if (kernel != wk) cx.invalid("kernel_shape does not match the weight shape " + dims_text(w.dims));
    Window g = make_window(cx, x.dims, kernel, false);
    group = cx.node.attr_int("group", 1);
    if (group < 1 || g.c % group || w.dims[0] % group || w.dims[1] * group != g.c)
        cx.invalid("group " + std::to_string(group) + " does not fit input " + dims_text(x.dims) +
                   " and weight " + dims_text(w.dims));
    return g;
}

// ---------------------------------------------------------------- convolution, pools

std::vector<Tensor> op_conv(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const Tensor& w = cx.input(1);
    int64_t group = 1;
    const Window g = conv_window(cx, x, w, group);
    const int64_t m = w.dims[0];
    Tensor y = zeros(x.dtype, out_dims(x.dims, m, g));
    if (const Tensor* b = cx.optional(2)) {
        if (int64_t(b->size()) != m) cx.invalid("bias has " + std::to_string(b->size()) + " values, expected " + std::to_string(m));
        for (size_t i = 0; i < y.data.size(); ++i) y.data[i] = b->data[size_t(int64_t(i) / g.out_plane() % m)];
    }
    convolve(x.data, w.data, y.data, g, m, group);
    return {y};
}

// Call f(o, nc, oz, oy, ox, visit) for every output position in order: o is
// its flat index, nc its (n, c) plane, and visit(v) calls v(iz, iy, ix) for
// each in-range input position of its window.
template <typename F>
void for_each_window(const Window& g, F&& f) {
    size_t o = 0;
    for (int64_t nc = 0; nc < g.n * g.c; ++nc)
        for (int64_t oz = 0; oz < g.z.out; ++oz)
            for (int64_t oy = 0; oy < g.y.out; ++oy)
                for (int64_t ox = 0; ox < g.x.out; ++ox, ++o) {
                    auto visit = [&](auto&& v) {
                        for (int64_t kz = 0; kz < g.z.k; ++kz) {
                            const int64_t iz = g.z.at(oz, kz);
                            if (!g.z.inside(iz)) continue;
                            for (int64_t ky = 0; ky < g.y.k; ++ky) {
                                const int64_t iy = g.y.at(oy, ky);
                                if (!g.y.inside(iy)) continue;
                                for (int64_t kx = 0; kx < g.x.k; ++kx) {
                                    const int64_t ix = g.x.at(ox, kx);
                                    if (g.x.inside(ix)) v(iz, iy, ix);
                                }
                            }
                        }
                    };
                    f(o, nc, oz, oy, ox, visit);
                }
}

std::vector<Tensor> op_maxpool(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const int64_t storage_order = cx.node.attr_int("storage_order", 0);
    if (storage_order != 0 && storage_order != 1)
        cx.invalid("storage_order must be 0 or 1");
    const Window g = make_window(cx, x.dims, cx.node.attr_ints("kernel_shape"),
                                 cx.node.attr_int("ceil_mode", 0) != 0);
    Tensor y = zeros(x.dtype, out_dims(x.dims, g.c, g));
    Tensor idx = zeros(DType::Int64, y.dims);
    const int64_t D = g.z.in, H = g.y.in, W = g.x.in;
    for_each_window(g, [&](size_t o, int64_t nc, int64_t, int64_t, int64_t, auto&& visit) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t at = -1;
        visit([&](int64_t iz, int64_t iy, int64_t ix) {
            const double v = x.data[size_t(nc * g.in_plane() + (iz * H + iy) * W + ix)];
            // The index of the first maximum, row-major (storage_order 0) or
            // column-major (1) within the plane.
            if (v > best) best = v, at = storage_order ? iz + (iy + ix * H) * D : (iz * H + iy) * W + ix;
        });
        if (at < 0) cx.invalid("a pooling window lies entirely in the padding");
        y.data[o] = best;
        idx.data[o] = double(nc * g.in_plane() + at);  // an index into the flattened input
    });
    return {y, idx};
}

std::vector<Tensor> op_avgpool(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const bool include_pad = cx.node.attr_int("count_include_pad", 0) != 0;
    const Window g = make_window(cx, x.dims, cx.node.attr_ints("kernel_shape"),
                                 cx.node.attr_int("ceil_mode", 0) != 0);
    Tensor y = zeros(x.dtype, out_dims(x.dims, g.c, g));
    // Window positions inside the padded extent [-pb, in + pe) along one axis:
    // the divisor with count_include_pad (a ceil-mode window may reach past it).
    auto padded_count = [](const Axis& a, int64_t o) {
        int64_t n = 0;
        for (int64_t k = 0; k < a.k; ++k) n += a.at(o, k) >= -a.pb && a.at(o, k) < a.in + a.pe;
        return n;
    };
    const int64_t H = g.y.in, W = g.x.in;
    for_each_window(g, [&](size_t o, int64_t nc, int64_t oz, int64_t oy, int64_t ox, auto&& visit) {
        double sum = 0;
        int64_t count = 0;
        visit([&](int64_t iz, int64_t iy, int64_t ix) {
            sum += x.data[size_t(nc * g.in_plane() + (iz * H + iy) * W + ix)];
            ++count;
        });
        if (include_pad) count = padded_count(g.z, oz) * padded_count(g.y, oy) * padded_count(g.x, ox);
        if (count == 0) cx.invalid("a pooling window lies entirely in the padding");
        y.data[o] = sum / double(count);
    });
    return {y};
}

std::vector<Tensor> op_global_avgpool(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    if (x.dims.size() < 3) cx.invalid("input must be (N, C, spatial...), has shape " + dims_text(x.dims));
    std::vector<int64_t> d(x.dims.size(), 1);
    d[0] = x.dims[0];
    d[1] = x.dims[1];
    Tensor y = zeros(x.dtype, d);
    const int64_t plane = product(x.dims, 2, x.dims.size());
    for (size_t nc = 0; nc < y.data.size(); ++nc) {
        double sum = 0;
        for (int64_t i = 0; i < plane; ++i) sum += x.data[nc * size_t(plane) + size_t(i)];
        y.data[nc] = sum / double(plane);
    }
    return {y};
}

// ---------------------------------------------------------------- element-wise

std::vector<Tensor> op_relu(const Ctx& cx) {
    Tensor y = cx.input(0);
    for (double& v : y.data) v = std::max(v, 0.0);
    return {y};
}

// Add of two tensors of the same shape, or of a one-element tensor (a
// scalar) to any tensor; other broadcasts are not implemented.
std::vector<Tensor> op_add(const Ctx& cx) {
    const Tensor& a = cx.input(0);
    const Tensor& b = cx.input(1);
    if (a.dtype != b.dtype) cx.invalid("inputs of different element types");
    if (a.dims != b.dims && a.size() != 1 && b.size() != 1)
        cx.unsupported("broadcasting " + dims_text(a.dims) + " + " + dims_text(b.dims) +
                       " (only equal shapes or a scalar)");
    const bool a_big = a.dims == b.dims || b.size() == 1;
    Tensor y = a_big ? a : b;
    const Tensor& o = a_big ? b : a;
    for (size_t i = 0; i < y.data.size(); ++i) y.data[i] += o.data[o.size() == 1 ? 0 : i];
    return {y};
}

std::vector<Tensor> op_leaky_relu(const Ctx& cx) {
    Tensor y = cx.input(0);
    const double alpha = cx.node.attr_float("alpha", 0.01);
    for (double& v : y.data) v = v < 0 ? v * alpha : v;
    return {y};
}

std::vector<Tensor> op_batchnorm(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const Tensor& scale = cx.input(1);
    const Tensor& bias = cx.input(2);
    const Tensor& mean = cx.input(3);
    const Tensor& var = cx.input(4);
    if (cx.node.has("spatial") && cx.node.attr_int("spatial", 1) == 0)
        cx.unsupported("spatial = 0 (per-element statistics)");
    if (cx.node.has("is_test") && cx.node.attr_int("is_test", 0) == 0)
        cx.unsupported("is_test = 0 (training in opset < 7)");
    if (x.dims.size() < 2) cx.invalid("input must be (N, C, ...)");
    const double eps = cx.node.attr_float("epsilon", 1e-5);
    const int64_t n = x.dims[0], c = x.dims[1], plane = product(x.dims, 2, x.dims.size());
    for (const Tensor* t : {&scale, &bias, &mean, &var})
        if (int64_t(t->size()) != c) cx.invalid("scale, B, mean and var need one value per channel");
    const bool training = cx.node.attr_int("training_mode", 0) != 0;

    // Training mode normalises with the batch statistics (population variance)
    // and also outputs the updated running statistics.
    std::vector<double> m(mean.data), v(var.data);
    Tensor run_mean = mean, run_var = var;
    if (training) {
        const double momentum = cx.node.attr_float("momentum", 0.9);
        const double count = double(n * plane);
        for (int64_t ch = 0; ch < c; ++ch) {
            double s = 0, s2 = 0;
            for (int64_t b = 0; b < n; ++b)
                for (int64_t i = 0; i < plane; ++i) s += x.data[size_t((b * c + ch) * plane + i)];
            const double mu = s / count;
            for (int64_t b = 0; b < n; ++b)
                for (int64_t i = 0; i < plane; ++i) {
                    const double dv = x.data[size_t((b * c + ch) * plane + i)] - mu;
                    s2 += dv * dv;
                }
            m[size_t(ch)] = mu;
            v[size_t(ch)] = s2 / count;
            run_mean.data[size_t(ch)] = mean.data[size_t(ch)] * momentum + mu * (1 - momentum);
            run_var.data[size_t(ch)] = var.data[size_t(ch)] * momentum + v[size_t(ch)] * (1 - momentum);
        }
    }
    Tensor y = zeros(x.dtype, x.dims);
    for (size_t i = 0; i < y.data.size(); ++i) {
        const size_t ch = size_t(int64_t(i) / plane % c);
        y.data[i] = (x.data[i] - m[ch]) / std::sqrt(v[ch] + eps) * scale.data[ch] + bias.data[ch];
    }
    if (training) return {y, run_mean, run_var};
    return {y};
}

std::vector<Tensor> op_softmax(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const size_t r = x.dims.size();
    // Opset 13 normalises along one axis (default -1); earlier opsets over the
    // flattened dims from axis on (default 1).
    const bool one_axis = cx.opset >= 13;
    const int64_t a = cx.axis(cx.node.attr_int("axis", one_axis ? -1 : 1), r);
    const int64_t outer = product(x.dims, 0, size_t(a));
    const int64_t len = one_axis ? x.dims[size_t(a)] : product(x.dims, size_t(a), r);
    const int64_t inner = one_axis ? product(x.dims, size_t(a) + 1, r) : 1;
    Tensor y = zeros(x.dtype, x.dims);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in) {
            auto at = [&](int64_t k) { return size_t((o * len + k) * inner + in); };
            double mx = -std::numeric_limits<double>::infinity(), sum = 0;
            for (int64_t k = 0; k < len; ++k) mx = std::max(mx, x.data[at(k)]);
            for (int64_t k = 0; k < len; ++k) sum += y.data[at(k)] = std::exp(x.data[at(k)] - mx);
            for (int64_t k = 0; k < len; ++k) y.data[at(k)] /= sum;
        }
    return {y};
}

// ---------------------------------------------------------------- matrix products

// Numpy-style matmul of a (..., M, K) by b (..., K, N) with broadcast batch
// dims; 1-D operands are promoted and the added dim removed. T is double for
// MatMul and int64_t for QLinearMatMul.
template <typename T>
std::vector<T> matmul(const Ctx& cx, const std::vector<int64_t>& ad, const std::vector<T>& a,
                      const std::vector<int64_t>& bd, const std::vector<T>& b,
                      std::vector<int64_t>& yd) {
    if (ad.empty() || bd.empty()) cx.invalid("matmul operands must have rank >= 1");
    std::vector<int64_t> A = ad, B = bd;
    if (A.size() == 1) A.insert(A.begin(), 1);
    if (B.size() == 1) B.push_back(1);
    const int64_t M = A[A.size() - 2], K = A.back(), N = B.back();
    if (B[B.size() - 2] != K) cx.invalid("cannot multiply " + dims_text(ad) + " by " + dims_text(bd));

    // Broadcast the batch dims (right-aligned); a broadcast dim has stride 0.
    const size_t na = A.size() - 2, nb = B.size() - 2, rb = std::max(na, nb);
    std::vector<int64_t> batch(rb), sa(rb, 0), sb(rb, 0);
    int64_t stride_a = 1, stride_b = 1;
    for (size_t i = rb; i-- > 0;) {
        const int64_t da = i >= rb - na ? A[i - (rb - na)] : 1;
        const int64_t db = i >= rb - nb ? B[i - (rb - nb)] : 1;
        if (da != db && da != 1 && db != 1)
            cx.invalid("batch dims of " + dims_text(ad) + " and " + dims_text(bd) + " do not broadcast");
        batch[i] = std::max(da, db);
        if (da != 1) sa[i] = stride_a;
        if (db != 1) sb[i] = stride_b;
        stride_a *= da;
        stride_b *= db;
    }
    const int64_t nbatch = product(batch, 0, rb);
    std::vector<T> y(size_t(nbatch * M * N), T(0));
    for (int64_t bi = 0; bi < nbatch; ++bi) {
        int64_t ia = 0, ib = 0, rest = bi;
        for (size_t i = rb; i-- > 0;) {
            const int64_t k = rest % batch[i];
            rest /= batch[i];
            ia += k * sa[i];
            ib += k * sb[i];
        }
        const T* pa = &a[size_t(ia * M * K)];
        const T* pb = &b[size_t(ib * K * N)];
        T* py = &y[size_t(bi * M * N)];
        for (int64_t m = 0; m < M; ++m)
            for (int64_t k = 0; k < K; ++k) {
                const T av = pa[m * K + k];
                for (int64_t n = 0; n < N; ++n) py[m * N + n] += av * pb[k * N + n];
            }
    }
    yd = batch;
    if (ad.size() > 1) yd.push_back(M);
    if (bd.size() > 1) yd.push_back(N);
    return y;
}

std::vector<Tensor> op_matmul(const Ctx& cx) {
    const Tensor& a = cx.input(0);
    const Tensor& b = cx.input(1);
    Tensor y;
    y.dtype = a.dtype;
    y.data = matmul(cx, a.dims, a.data, b.dims, b.data, y.dims);
    return {y};
}

std::vector<Tensor> op_gemm(const Ctx& cx) {
    const Tensor& a = cx.input(0);
    const Tensor& b = cx.input(1);
    const Tensor* c = cx.optional(2);
    if (a.dims.size() != 2 || b.dims.size() != 2)
        cx.invalid("A and B must be 2-D, are " + dims_text(a.dims) + " and " + dims_text(b.dims));
    const bool ta = cx.node.attr_int("transA", 0) != 0, tb = cx.node.attr_int("transB", 0) != 0;
    const double alpha = cx.node.attr_float("alpha", 1.0), beta = cx.node.attr_float("beta", 1.0);
    const int64_t M = ta ? a.dims[1] : a.dims[0], K = ta ? a.dims[0] : a.dims[1];
    const int64_t N = tb ? b.dims[0] : b.dims[1];
    if ((tb ? b.dims[1] : b.dims[0]) != K)
        cx.invalid("cannot multiply " + dims_text(a.dims) + " by " + dims_text(b.dims));
    // C broadcasts unidirectionally to (M, N).
    int64_t cm = 1, cn = 1;
    if (c) {
        if (c->dims.size() > 2) cx.invalid("C must have rank <= 2");
        if (c->dims.size() == 2) cm = c->dims[0];
        if (!c->dims.empty()) cn = c->dims.back();
        if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
            cx.invalid("C " + dims_text(c->dims) + " does not broadcast to (M, N)");
    }
    Tensor y = zeros(a.dtype, {M, N});
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double s = 0;
            for (int64_t k = 0; k < K; ++k)
                s += a.data[size_t(ta ? k * M + m : m * K + k)] * b.data[size_t(tb ? n * K + k : k * N + n)];
            s *= alpha;
            if (c) s += beta * c->data[size_t((cm == 1 ? 0 : m) * cn + (cn == 1 ? 0 : n))];
            y.data[size_t(m * N + n)] = s;
        }
    return {y};
}

// ---------------------------------------------------------------- shapes

std::vector<Tensor> op_flatten(const Ctx& cx) {
    Tensor y = cx.input(0);
    const size_t r = y.dims.size();
    const size_t a = size_t(cx.axis(cx.node.attr_int("axis", 1), r, true));
    y.dims = {product(y.dims, 0, a), product(y.dims, a, r)};
    return {y};
}

std::vector<Tensor> op_reshape(const Ctx& cx) {
    if (cx.node.has("shape")) cx.unsupported("shape as an attribute (opset < 5)");
    Tensor y = cx.input(0);
    const Tensor& shape = cx.input(1);
    const bool allow_zero = cx.node.attr_int("allowzero", 0) != 0;
    std::vector<int64_t> d;
    int64_t known = 1;
    int infer = -1;
    for (size_t i = 0; i < shape.data.size(); ++i) {
        int64_t v = int64_t(shape.data[i]);
        if (v == 0 && !allow_zero) {
            if (i >= y.dims.size()) cx.invalid("shape copies a dim the input does not have");
            v = y.dims[i];
        }
        if (v == -1) {
            if (infer >= 0) cx.invalid("shape has more than one -1");
            infer = int(i);
        } else if (v < 0) {
            cx.invalid("negative dim in shape");
        } else {
            known *= v;
        }
        d.push_back(v);
    }
    const int64_t total = int64_t(y.data.size());
    if (infer >= 0) {
        if (known == 0 || total % known) cx.invalid("cannot infer the -1 dim of the shape");
        d[size_t(infer)] = total / known;
    }
    if (product(d, 0, d.size()) != total)
        cx.invalid("cannot reshape " + dims_text(y.dims) + " to " + dims_text(d));
    y.dims = d;
    return {y};
}

std::vector<Tensor> op_identity(const Ctx& cx) { return {cx.input(0)}; }

std::vector<Tensor> op_dropout(const Ctx& cx) {
    // Inference is the identity; training with a ratio > 0 is random.
    bool training = cx.node.has("is_test") && cx.node.attr_int("is_test", 0) == 0;
    if (const Tensor* t = cx.optional(2)) training = t->data.at(0) != 0;
    const Tensor* r = cx.optional(1);
    const double ratio = r ? r->data.at(0) : cx.node.attr_float("ratio", 0.5);
    if (training && ratio != 0) cx.unsupported("training mode with ratio > 0 (random)");
    const Tensor& x = cx.input(0);
    Tensor mask = zeros(DType::Bool, x.dims);
    std::fill(mask.data.begin(), mask.data.end(), 1.0);
    return {x, mask};
}

// ---------------------------------------------------------------- quantization

// Per-tensor or per-axis quantization parameters: param(i) is the scale (or
// zero point) that applies to element i of x.
struct PerAxis {
    int64_t len = 1, inner = 1;
    bool per_axis = false;

    PerAxis(const Ctx& cx, const Tensor& x, const Tensor& scale, int64_t axis_attr) {
        if (cx.node.attr_int("block_size", 0) != 0) cx.unsupported("blocked quantization (block_size)");
        if (scale.size() == 1 && scale.dims.size() <= 1) return;
        if (scale.dims.size() != 1) cx.unsupported("scale of shape " + dims_text(scale.dims));
        const int64_t a = cx.axis(axis_attr, x.dims.size());
        len = x.dims[size_t(a)];
        inner = product(x.dims, size_t(a) + 1, x.dims.size());
        if (int64_t(scale.size()) != len)
            cx.invalid("scale has " + std::to_string(scale.size()) + " values, axis " +
                       std::to_string(a) + " has " + std::to_string(len));
        per_axis = true;
    }
    size_t at(size_t i) const { return per_axis ? size_t(int64_t(i) / inner % len) : 0; }
};

void check_zero_point(const Ctx& cx, const Tensor* zp, const Tensor& scale) {
    if (zp && zp->size() != scale.size()) cx.invalid("zero point and scale differ in size");
}

std::vector<Tensor> op_quantize(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const Tensor& scale = cx.input(1);
    const Tensor* zp = cx.optional(2);
    check_zero_point(cx, zp, scale);
    const PerAxis pa(cx, x, scale, cx.node.attr_int("axis", 1));
    Tensor y = zeros(zp ? zp->dtype : DType::UInt8, x.dims);
    double lo = 0, hi = 0;
    if (y.dtype == DType::Int32 || !quant_range(y.dtype, lo, hi))
        cx.unsupported(std::string("quantizing to ") + dtype_name(y.dtype));
    // x / scale in float32, as onnxruntime's MlasQuantizeLinear and ONNX's
    // reference compute it (x itself may come from ops evaluated in double:
    // it is rounded to float32 first, as a float tensor would be). For the
    // power-of-two scales of exact segments nothing rounds.
    for (size_t i = 0; i < x.data.size(); ++i) {
        const size_t p = pa.at(i);
        volatile float v = float(x.data[i]) / float(scale.data[p]);
        const double q = round_half_even(double(v)) + (zp ? zp->data[p] : 0.0);
        y.data[i] = std::clamp(q, lo, hi);
    }
    return {y};
}

std::vector<Tensor> op_dequantize(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const Tensor& scale = cx.input(1);
    const Tensor* zp = cx.optional(2);
    check_zero_point(cx, zp, scale);
    double lo = 0, hi = 0;
    if (!quant_range(x.dtype, lo, hi)) cx.unsupported(std::string("dequantizing ") + dtype_name(x.dtype));
    const PerAxis pa(cx, x, scale, cx.node.attr_int("axis", 1));
    Tensor y = zeros(scale.dtype, x.dims);
    for (size_t i = 0; i < x.data.size(); ++i) {
        const size_t p = pa.at(i);
        y.data[i] = (x.data[i] - (zp ? zp->data[p] : 0.0)) * scale.data[p];
    }
    return {y};
}

// The requantization factor s_a * s_b / s_y, rounded to float32 the way the
// ONNX reference computes it from float32 scales. For power-of-two scales
// (all this framework accepts) it is exact either way.
double requant_factor(double sa, double sb, double sy) {
    return double(float(float(sa * sb) / float(sy)));
}

// Round, add the zero point, saturate to the output type of the zero point.
double requantize(const Ctx& cx, double v, const Tensor& y_zp) {
    double lo = 0, hi = 0;
    if (y_zp.dtype == DType::Int32 || !quant_range(y_zp.dtype, lo, hi))
        cx.unsupported(std::string("output type ") + dtype_name(y_zp.dtype));
    return std::clamp(round_half_even(v) + y_zp.data[0], lo, hi);
}

std::vector<int64_t> minus_zero_point(const Tensor& t, double zp) {
    std::vector<int64_t> r(t.data.size());
    for (size_t i = 0; i < r.size(); ++i) r[i] = int64_t(t.data[i] - zp);
    return r;
}

std::vector<Tensor> op_qlinear_conv(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const double xs = cx.scalar(1, "x_scale"), xzp = cx.scalar(2, "x_zero_point");
    const Tensor& w = cx.input(3);
    const Tensor& ws = cx.input(4);
    const Tensor& wzp = cx.input(5);
    const double ys = cx.scalar(6, "y_scale");
    const Tensor& yzp = cx.input(7);
    cx.scalar(7, "y_zero_point");  // checks it is one value; requantize() reads it
    int64_t group = 1;
    const Window g = conv_window(cx, x, w, group);
    const int64_t m = w.dims[0];
    for (const Tensor* t : {&ws, &wzp})
        if (t->size() != 1 && int64_t(t->size()) != m)
            cx.invalid("w_scale and w_zero_point need 1 or " + std::to_string(m) + " values");

    // Exact integer convolution of (x - x_zp) by (w - w_zp) plus the bias.
    const std::vector<int64_t> xi = minus_zero_point(x, xzp);
    std::vector<int64_t> wi(w.data.size());
    const size_t per_m = w.data.size() / size_t(m);
    for (size_t i = 0; i < wi.size(); ++i)
        wi[i] = int64_t(w.data[i] - wzp.data[wzp.size() == 1 ? 0 : i / per_m]);
    const std::vector<int64_t> yd = out_dims(x.dims, m, g);
    const int64_t plane = g.out_plane();
    std::vector<int64_t> acc(size_t(product(yd, 0, yd.size())), 0);
    if (const Tensor* b = cx.optional(8)) {
        if (int64_t(b->size()) != m) cx.invalid("bias needs " + std::to_string(m) + " values");
        for (size_t i = 0; i < acc.size(); ++i) acc[i] = int64_t(b->data[size_t(int64_t(i) / plane % m)]);
    }
    convolve(xi, wi, acc, g, m, group);

    Tensor y = zeros(yzp.dtype, yd);
    for (size_t i = 0; i < acc.size(); ++i) {
        const size_t ch = size_t(int64_t(i) / plane % m);
        const double f = requant_factor(xs, ws.data[ws.size() == 1 ? 0 : ch], ys);
        y.data[i] = requantize(cx, double(acc[i]) * f, yzp);
    }
    return {y};
}

std::vector<Tensor> op_qlinear_matmul(const Ctx& cx) {
    const Tensor& a = cx.input(0);
    const double as = cx.scalar(1, "a_scale"), azp = cx.scalar(2, "a_zero_point");
    const Tensor& b = cx.input(3);
    const double bs = cx.scalar(4, "b_scale"), bzp = cx.scalar(5, "b_zero_point");
    const double ys = cx.scalar(6, "y_scale");
    const Tensor& yzp = cx.input(7);
    cx.scalar(7, "y_zero_point");  // checks it is one value; requantize() reads it
    std::vector<int64_t> yd;
    const std::vector<int64_t> acc =
        matmul(cx, a.dims, minus_zero_point(a, azp), b.dims, minus_zero_point(b, bzp), yd);
    Tensor y = zeros(yzp.dtype, yd);
    const double f = requant_factor(as, bs, ys);
    for (size_t i = 0; i < acc.size(); ++i) y.data[i] = requantize(cx, double(acc[i]) * f, yzp);
    return {y};
}

// ---------------------------------------------------------------- constants and shapes
// What torch.onnx.export writes around the layers: Constant, Clip (ReLU6),
// ReduceMean (x.mean), Pad (nn.ZeroPad2d, AvgPool2d's count_include_pad) and
// the shape arithmetic of view / F.pad (Shape, Gather, Unsqueeze, Squeeze,
// Concat, Slice, Transpose, Cast, ConstantOfShape).

// A double read from an int64 tensor: INT64_MAX / INT64_MIN (2^63 as double,
// as Slice's "to the end" is written) clamped instead of overflowing.
int64_t to_i64(double v) {
    if (v >= 9.2e18) return std::numeric_limits<int64_t>::max();
    if (v <= -9.2e18) return std::numeric_limits<int64_t>::min();
    return int64_t(v);
}

std::vector<int64_t> as_ints(const Tensor& t) {
    std::vector<int64_t> v;
    for (double d : t.data) v.push_back(to_i64(d));
    return v;
}

Tensor int_tensor(const std::vector<int64_t>& v) {
    Tensor t = zeros(DType::Int64, {int64_t(v.size())});
    for (size_t i = 0; i < v.size(); ++i) t.data[i] = double(v[i]);
    return t;
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
    std::vector<int64_t> s(dims.size(), 1);
    for (size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
    return s;
}

// Calls f(index vector, flat index) for every element of a tensor of dims.
template <typename F>
void for_each_index(const std::vector<int64_t>& dims, F&& f) {
    const int64_t n = product(dims, 0, dims.size());
    std::vector<int64_t> idx(dims.size(), 0);
    for (int64_t flat = 0; flat < n; ++flat) {
        f(idx, flat);
        for (size_t a = dims.size(); a-- > 0;) {
            if (++idx[a] < dims[a]) break;
            idx[a] = 0;
        }
    }
}

// Axes from the attribute (before opset `input_from`) or from input i.
std::vector<int64_t> axes_arg(const Ctx& cx, size_t i, int64_t input_from) {
    if (cx.opset < input_from) return cx.node.attr_ints("axes");
    const Tensor* t = cx.optional(i);
    return t ? as_ints(*t) : std::vector<int64_t>{};
}

std::vector<Tensor> op_constant(const Ctx& cx) {
    const Node& n = cx.node;
    Tensor t;
    if (n.has("value")) {
        t = n.attrs.at("value").t;
    } else if (n.has("value_float")) {
        t = zeros(DType::Float, {});
        t.data = {double(float(n.attr_float("value_float", 0)))};
    } else if (n.has("value_int")) {
        t = zeros(DType::Int64, {});
        t.data = {double(n.attr_int("value_int", 0))};
    } else if (n.has("value_ints")) {
        t = int_tensor(n.attr_ints("value_ints"));
    } else if (n.has("value_floats")) {
        const auto& f = n.attrs.at("value_floats").floats;
        t = zeros(DType::Float, {int64_t(f.size())});
        for (size_t i = 0; i < f.size(); ++i) t.data[i] = double(float(f[i]));
    } else {
        cx.unsupported("a Constant without value, value_float(s) or value_int(s)");
    }
    if (t.data.size() != t.size()) cx.invalid("value holds " + std::to_string(t.data.size()) + " elements for shape " + dims_text(t.dims));
    return {t};
}

std::vector<Tensor> op_clip(const Ctx& cx) {
    Tensor y = cx.input(0);
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    if (cx.opset < 11) {
        lo = cx.node.attr_float("min", lo);
        hi = cx.node.attr_float("max", hi);
    } else {
        if (cx.optional(1)) lo = cx.scalar(1, "min");
        if (cx.optional(2)) hi = cx.scalar(2, "max");
    }
    for (double& v : y.data) v = std::min(std::max(v, lo), hi);
    return {y};
}

std::vector<Tensor> op_reduce_mean(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const size_t r = x.dims.size();
    std::vector<int64_t> axes = axes_arg(cx, 1, 18);
    if (axes.empty() && cx.node.attr_int("noop_with_empty_axes", 0)) return {x};
    std::vector<bool> reduce(r, axes.empty());
    for (int64_t a : axes) reduce[size_t(cx.axis(a, r))] = true;
    const bool keep = cx.node.attr_int("keepdims", 1) != 0;
    std::vector<int64_t> kd(r);  // output dims with the reduced ones kept as 1
    int64_t count = 1;
    for (size_t a = 0; a < r; ++a) {
        kd[a] = reduce[a] ? 1 : x.dims[a];
        if (reduce[a]) count *= x.dims[a];
    }
    Tensor y = zeros(x.dtype, kd);
    const auto ys = strides_of(kd);
    for_each_index(x.dims, [&](const std::vector<int64_t>& idx, int64_t flat) {
        int64_t o = 0;
        for (size_t a = 0; a < r; ++a) o += (reduce[a] ? 0 : idx[a]) * ys[a];
        y.data[size_t(o)] += x.data[size_t(flat)];
    });
    for (double& v : y.data) v /= double(count);
    if (!keep) {
        std::vector<int64_t> d;
        for (size_t a = 0; a < r; ++a)
            if (!reduce[a]) d.push_back(x.dims[a]);
        y.dims = d;
    }
    return {y};
}

std::vector<Tensor> op_pad(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const size_t r = x.dims.size();
    if (cx.node.attr_string("mode", "constant") != "constant")
        cx.unsupported("mode '" + cx.node.attr_string("mode", "constant") + "' (only constant)");
    std::vector<int64_t> pads;
    double value = 0.0;
    if (cx.opset < 11) {
        pads = cx.node.attr_ints("pads");
        value = cx.node.attr_float("value", 0.0);
    } else {
        pads = as_ints(cx.input(1));
        if (cx.optional(2)) value = cx.scalar(2, "constant_value");
        if (cx.optional(3)) cx.unsupported("the axes input");
    }
    if (pads.size() != 2 * r) cx.invalid("pads has " + std::to_string(pads.size()) + " values for rank " + std::to_string(r));
    std::vector<int64_t> d(r);
    for (size_t a = 0; a < r; ++a) {
        d[a] = x.dims[a] + pads[a] + pads[a + r];
        if (d[a] < 0) cx.invalid("pads make a negative dim");
    }
    Tensor y = zeros(x.dtype, d);
    const auto xs = strides_of(x.dims);
    for_each_index(d, [&](const std::vector<int64_t>& idx, int64_t flat) {
        int64_t o = 0;
        for (size_t a = 0; a < r; ++a) {
            const int64_t i = idx[a] - pads[a];
            if (i < 0 || i >= x.dims[a]) {
                y.data[size_t(flat)] = value;
                return;
            }
            o += i * xs[a];
        }
        y.data[size_t(flat)] = x.data[size_t(o)];
    });
    return {y};
}

std::vector<Tensor> op_shape(const Ctx& cx) {
    const auto& d = cx.input(0).dims;
    const int64_t r = int64_t(d.size());
    auto clampi = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
    const int64_t start = clampi(cx.node.attr_int("start", 0)), end = clampi(cx.node.attr_int("end", r));
    std::vector<int64_t> v;
    for (int64_t i = start; i < end; ++i) v.push_back(d[size_t(i)]);
    return {int_tensor(v)};
}

std::vector<Tensor> op_gather(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const Tensor& ind = cx.input(1);
    const size_t r = x.dims.size();
    if (r == 0) cx.invalid("data must have rank >= 1");
    const size_t axis = size_t(cx.axis(cx.node.attr_int("axis", 0), r));
    std::vector<int64_t> d(x.dims.begin(), x.dims.begin() + long(axis));
    d.insert(d.end(), ind.dims.begin(), ind.dims.end());
    d.insert(d.end(), x.dims.begin() + long(axis) + 1, x.dims.end());
    Tensor y = zeros(x.dtype, d);
    const int64_t outer = product(x.dims, 0, axis), inner = product(x.dims, axis + 1, r), n = x.dims[axis];
    const int64_t k = int64_t(ind.size());
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < k; ++j) {
            int64_t i = to_i64(ind.data[size_t(j)]);
            if (i < -n || i >= n) cx.invalid("index " + std::to_string(i) + " out of range for dim " + std::to_string(n));
            if (i < 0) i += n;
            for (int64_t q = 0; q < inner; ++q)
                y.data[size_t((o * k + j) * inner + q)] = x.data[size_t((o * n + i) * inner + q)];
        }
    return {y};
}

std::vector<Tensor> op_unsqueeze(const Ctx& cx) {
    Tensor y = cx.input(0);
    const std::vector<int64_t> axes = axes_arg(cx, 1, 13);
    const size_t r = y.dims.size() + axes.size();
    std::vector<bool> inserted(r, false);
    for (int64_t a : axes) {
        const size_t n = size_t(cx.axis(a, r));
        if (inserted[n]) cx.invalid("axis " + std::to_string(a) + " given twice");
        inserted[n] = true;
    }
    std::vector<int64_t> d;
    size_t k = 0;
    for (size_t a = 0; a < r; ++a) d.push_back(inserted[a] ? 1 : y.dims[k++]);
    y.dims = d;
    return {y};
}

std::vector<Tensor> op_squeeze(const Ctx& cx) {
    Tensor y = cx.input(0);
    const std::vector<int64_t> axes = axes_arg(cx, 1, 13);
    const size_t r = y.dims.size();
    std::vector<bool> drop(r, false);
    for (size_t a = 0; a < r; ++a) drop[a] = axes.empty() && y.dims[a] == 1;
    for (int64_t a : axes) {
        const size_t n = size_t(cx.axis(a, r));
        if (y.dims[n] != 1) cx.invalid("axis " + std::to_string(a) + " has length " + std::to_string(y.dims[n]));
        drop[n] = true;
    }
    std::vector<int64_t> d;
    for (size_t a = 0; a < r; ++a)
        if (!drop[a]) d.push_back(y.dims[a]);
    y.dims = d;
    return {y};
}

std::vector<Tensor> op_concat(const Ctx& cx) {
    if (cx.in.empty()) cx.invalid("no inputs");
    const Tensor& first = cx.input(0);
    const size_t r = first.dims.size();
    const size_t axis = size_t(cx.axis(cx.node.attr_int("axis", 0), r));
    std::vector<int64_t> d = first.dims;
    d[axis] = 0;
    for (size_t i = 0; i < cx.in.size(); ++i) {
        const Tensor& t = cx.input(i);
        bool fits = t.dims.size() == r;
        for (size_t a = 0; fits && a < r; ++a) fits = a == axis || t.dims[a] == first.dims[a];
        if (!fits) cx.invalid("input " + std::to_string(i) + " has shape " + dims_text(t.dims) + ", input 0 " + dims_text(first.dims));
        d[axis] += t.dims[axis];
    }
    Tensor y = zeros(first.dtype, d);
    const int64_t outer = product(d, 0, axis), inner = product(d, axis + 1, r);
    size_t at = 0;
    for (int64_t o = 0; o < outer; ++o)
        for (size_t i = 0; i < cx.in.size(); ++i) {
            const Tensor& t = cx.input(i);
            const int64_t chunk = t.dims[axis] * inner;
            for (int64_t q = 0; q < chunk; ++q) y.data[at++] = t.data[size_t(o * chunk + q)];
        }
    return {y};
}

std::vector<Tensor> op_slice(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const size_t r = x.dims.size();
    std::vector<int64_t> starts, ends, axes, steps;
    if (cx.opset < 10) {
        starts = cx.node.attr_ints("starts");
        ends = cx.node.attr_ints("ends");
        axes = cx.node.attr_ints("axes");
    } else {
        starts = as_ints(cx.input(1));
        ends = as_ints(cx.input(2));
        if (cx.optional(3)) axes = as_ints(*cx.optional(3));
        if (cx.optional(4)) steps = as_ints(*cx.optional(4));
    }
    if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        cx.invalid("starts, ends, axes and steps differ in length");
    std::vector<int64_t> st(r, 0), sp(r, 1), d = x.dims;
    for (size_t i = 0; i < starts.size(); ++i) {
        const size_t a = size_t(cx.axis(axes[i], r));
        const int64_t n = x.dims[a], step = steps[i];
        if (step == 0) cx.invalid("step 0");
        auto norm = [&](int64_t v, int64_t lo, int64_t hi) {
            if (v < 0) v = v <= std::numeric_limits<int64_t>::min() + n ? lo : v + n;
            return std::clamp(v, lo, hi);
        };
        const int64_t b = step > 0 ? norm(starts[i], 0, n) : norm(starts[i], 0, n - 1);
        const int64_t e = step > 0 ? norm(ends[i], 0, n) : norm(ends[i], -1, n - 1);
        st[a] = b;
        sp[a] = step;
        d[a] = step > 0 ? std::max<int64_t>(0, (e - b + step - 1) / step) : std::max<int64_t>(0, (b - e - step - 1) / -step);
    }
    Tensor y = zeros(x.dtype, d);
    const auto xs = strides_of(x.dims);
    for_each_index(d, [&](const std::vector<int64_t>& idx, int64_t flat) {
        int64_t o = 0;
        for (size_t a = 0; a < r; ++a) o += (st[a] + idx[a] * sp[a]) * xs[a];
        y.data[size_t(flat)] = x.data[size_t(o)];
    });
    return {y};
}

std::vector<Tensor> op_transpose(const Ctx& cx) {
    const Tensor& x = cx.input(0);
    const size_t r = x.dims.size();
    std::vector<int64_t> perm = cx.node.attr_ints("perm");
    if (perm.empty())
        for (size_t a = 0; a < r; ++a) perm.push_back(int64_t(r - 1 - a));
    if (perm.size() != r) cx.invalid("perm has " + std::to_string(perm.size()) + " axes for rank " + std::to_string(r));
    std::vector<int64_t> d(r);
    std::vector<bool> used(r, false);
    for (size_t a = 0; a < r; ++a) {
        const size_t p = size_t(cx.axis(perm[a], r));
        if (used[p]) cx.invalid("perm repeats axis " + std::to_string(p));
        used[p] = true;
        perm[a] = int64_t(p);
        d[a] = x.dims[p];
    }
    Tensor y = zeros(x.dtype, d);
    const auto xs = strides_of(x.dims);
    for_each_index(d, [&](const std::vector<int64_t>& idx, int64_t flat) {
        int64_t o = 0;
        for (size_t a = 0; a < r; ++a) o += idx[a] * xs[size_t(perm[a])];
        y.data[size_t(flat)] = x.data[size_t(o)];
    });
    return {y};
}

// A value converted to an element type, as onnxruntime's Cast does for the
// values these graphs hold (float -> integer truncates toward zero).
double cast_to(DType t, double v) {
    switch (t) {
        case DType::Float: return double(float(v));
        case DType::Double: return v;
        case DType::Bool: return v != 0.0 ? 1.0 : 0.0;
        case DType::Int8: return double(int8_t(std::trunc(v)));
        case DType::UInt8: return double(uint8_t(std::trunc(v)));
        case DType::Int32: return double(int32_t(std::trunc(v)));
        default: return std::trunc(v);  // Int64, exact up to 2^53
    }
}

std::vector<Tensor> op_cast(const Ctx& cx) {
    // TensorProto.DataType numbers.
    static const std::map<int64_t, DType> types = {{1, DType::Float},  {2, DType::UInt8}, {3, DType::Int8},
                                                   {6, DType::Int32},  {7, DType::Int64}, {9, DType::Bool},
                                                   {11, DType::Double}};
    const int64_t to = cx.node.attr_int("to", 0);
    const auto it = types.find(to);
    if (it == types.end()) cx.unsupported("cast to element type " + std::to_string(to));
    Tensor y = cx.input(0);
    y.dtype = it->second;
    for (double& v : y.data) v = cast_to(y.dtype, v);
    return {y};
}

std::vector<Tensor> op_constant_of_shape(const Ctx& cx) {
    const std::vector<int64_t> d = as_ints(cx.input(0));
    for (int64_t v : d)
        if (v < 0) cx.invalid("negative dim in shape");
    Tensor value = zeros(DType::Float, {1});
    if (cx.node.has("value")) value = cx.node.attrs.at("value").t;
    if (value.data.size() != 1) cx.invalid("value must hold one element");
    Tensor y = zeros(value.dtype, d);
    std::fill(y.data.begin(), y.data.end(), value.data[0]);
    return {y};
}

// ---------------------------------------------------------------- dispatch

using OpFn = std::vector<Tensor> (*)(const Ctx&);

const std::map<std::string, OpFn>& op_table() {
    static const std::map<std::string, OpFn> table = {
        {"Conv", op_conv},
        {"MaxPool", op_maxpool},
        {"AveragePool", op_avgpool},
        {"GlobalAveragePool", op_global_avgpool},
        {"Relu", op_relu},
        {"Add", op_add},
        {"LeakyRelu", op_leaky_relu},
        {"Gemm", op_gemm},
        {"MatMul", op_matmul},
        {"Flatten", op_flatten},
        {"Softmax", op_softmax},
        {"BatchNormalization", op_batchnorm},
        {"QuantizeLinear", op_quantize},
        {"DequantizeLinear", op_dequantize},
        {"QLinearConv", op_qlinear_conv},
        {"QLinearMatMul", op_qlinear_matmul},
        {"Reshape", op_reshape},
        {"Dropout", op_dropout},
        {"Identity", op_identity},
        {"Constant", op_constant},
        {"Clip", op_clip},
        {"ReduceMean", op_reduce_mean},
        {"Pad", op_pad},
        {"Shape", op_shape},
        {"Gather", op_gather},
        {"Unsqueeze", op_unsqueeze},
        {"Squeeze", op_squeeze},
        {"Concat", op_concat},
        {"Slice", op_slice},
        {"Transpose", op_transpose},
        {"Cast", op_cast},
        {"ConstantOfShape", op_constant_of_shape},
    };
    return table;
}

}  // namespace

std::vector<Tensor> run_node(const Node& node, const std::vector<const Tensor*>& inputs,
                             int64_t opset) {
    if (!node.domain.empty()) throw Unsupported(where(node), "domain '" + node.domain + "'");
    const auto& table = op_table();
    const auto it = table.find(node.op_type);
    if (it == table.end()) throw Unsupported(where(node), "op " + node.op_type);
    const Ctx cx{node, inputs, opset};
    std::vector<Tensor> out = it->second(cx);
    // Ops compute their optional outputs (MaxPool indices, Dropout mask) even
    // when unused; an output asked for beyond those is not implemented.
    for (size_t i = out.size(); i < node.outputs.size(); ++i)
        if (!node.outputs[i].empty()) cx.unsupported("output " + std::to_string(i) + " ('" + node.outputs[i] + "')");
    out.resize(std::min(out.size(), node.outputs.size()));
    for (size_t i = 0; i < out.size(); ++i) out[i].name = node.outputs[i];
    return out;
}

std::map<std::string, Tensor> run(const Graph& graph, const std::map<std::string, Tensor>& inputs,
                                  bool keep_intermediates) {
    const std::string gwhere = "graph '" + graph.name + "'";
    // Computed values and given inputs; initializers are read in place.
    std::map<std::string, Tensor> values;
    auto lookup = [&](const std::string& name) -> const Tensor* {
        const auto it = values.find(name);
        return it != values.end() ? &it->second : graph.initializer(name);
    };
    for (const auto& [name, t] : inputs) {
        const bool declared = std::any_of(graph.inputs.begin(), graph.inputs.end(),
                                          [&, n = &name](const ValueInfo& v) { return v.name == *n; });  // clang 14: no captured bindings
        if (!declared && !graph.initializer(name))
            throw Error(gwhere, "'" + name + "' is not a graph input");
        values[name] = t;
        values[name].name = name;
    }
    for (const ValueInfo& v : graph.inputs) {
        const Tensor* t = lookup(v.name);
        if (!t) throw Error(gwhere, "input '" + v.name + "' not given");
        bool fits = v.dims.empty() || v.dims.size() == t->dims.size();
        for (size_t i = 0; fits && i < v.dims.size(); ++i) fits = v.dims[i] < 0 || v.dims[i] == t->dims[i];
        if (!fits)
            throw Error(gwhere, "input '" + v.name + "' has shape " + dims_text(t->dims) +
                                    ", the model declares " + dims_text(v.dims));
    }
    for (const Node& n : graph.nodes) {
        std::vector<const Tensor*> args;
        for (const std::string& in : n.inputs) {
            const Tensor* t = in.empty() ? nullptr : lookup(in);
            if (!in.empty() && !t) throw Error(where(n), "input '" + in + "' is not computed");
            args.push_back(t);
        }
        std::vector<Tensor> out = run_node(n, args, graph.opset);
        for (Tensor& t : out)
            if (!t.name.empty()) values[t.name] = std::move(t);
    }
    if (keep_intermediates) {
        values.insert(graph.initializers.begin(), graph.initializers.end());  // keeps overrides
        return values;
    }
    std::map<std::string, Tensor> result;
    for (const ValueInfo& v : graph.outputs) {
        const Tensor* t = lookup(v.name);
        if (!t) throw Error(gwhere, "output '" + v.name + "' is not computed");
        result[v.name] = *t;
    }
    return result;
}

}  // namespace cnn::onnx
