#include "requant.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace cnn {

namespace {

// MLAS clamps with MAXPS then MINPS, which return their second operand when
// the first is NaN: a NaN (a zero or NaN scale in a hostile file, before the
// legality pass refuses it) becomes the lower bound, never an undefined
// float-to-int conversion.
float clamp_like_mlas(float v, float lo, float hi) {
    if (std::isnan(v)) return lo;
    return std::min(std::max(v, lo), hi);
}

}  // namespace

// The volatile stores keep each product and quotient a separate float
// operation even under -ffast-math style contraction.
float requant_scale(float x_scale, float w_scale, float y_scale) {
    volatile float xw = x_scale * w_scale;
    volatile float s = xw / y_scale;
    return s;
}

float gap_scale(float x_scale, float y_scale, int64_t n) {
    volatile float d = y_scale * float(n);
    volatile float s = x_scale / d;
    return s;
}

int32_t requantize_f32(int64_t acc, float scale, int zp, int lo, int hi) {
    if (acc < INT32_MIN || acc > INT32_MAX)
        throw Error("requantize", "accumulator " + std::to_string(acc) + " does not fit int32");
    volatile float a = float(int32_t(acc));  // cvtdq2ps: round half to even
    volatile float v = a * scale;
    const float c = clamp_like_mlas(v, float(lo - zp), float(hi - zp));
    return int32_t(std::nearbyint(c)) + zp;  // default rounding mode: half to even
}

int32_t quantize_f32(float x, float scale, int zp, int lo, int hi) {
    volatile float v = x / scale;
    const float c = clamp_like_mlas(v, float(lo - zp), float(hi - zp));
    return int32_t(std::nearbyint(c)) + zp;
}

int32_t qlinear_add(int a, float a_scale, int za, int b, float b_scale, int zb, float c_scale, int zc, int lo,
                    int hi) {
    volatile float ra = a_scale / c_scale;
    volatile float rb = b_scale / c_scale;
    // rA * za + rB * zb: the compiler contracts it into one fma (GCC's
    // default -ffp-contract=fast in the AVX2/FMA translation unit).
    volatile float zsum = std::fma(float(ra), float(za), float(rb) * float(zb));
    volatile float fixed = float(zc) - zsum;
    volatile float t = std::fma(float(b), float(rb), float(fixed));
    volatile float v = std::fma(float(a), float(ra), float(t));
    const float x = v;
    int64_t r = INT32_MIN;  // cvtps2dq's "integer indefinite"
    if (std::isfinite(x) && std::fabs(x) < 2147483648.0f) r = int64_t(std::nearbyint(x));
    return int32_t(std::clamp<int64_t>(r, lo, hi));
}

bool power_of_two(double scale, int* f) {
    if (!(scale > 0) || !std::isfinite(scale)) return false;
    int e = 0;
    const double m = std::frexp(scale, &e);  // scale = m * 2^e, m in [0.5, 1)
    if (m != 0.5) return false;
    *f = 1 - e;
    return true;
}

}  // namespace cnn
