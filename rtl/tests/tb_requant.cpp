// Block test of cnn_requant (the float32 requantisation stage) against the
// host's own float arithmetic, cnn::requantize_f32 (gen/requant.cpp): over
// 1.2e6 random (acc, scale, zp, lo, hi) and the corner cases -- exact ties at
// each of the three roundings (int32 -> float, the product, the integer),
// double-rounding cases (the product's float rounding lands on a tie that the
// exact product does not have), |acc| >= 2^24 with carries out of the
// mantissa, INT32_MIN/MAX, scales 2^-30 .. 2^8 and the extreme exponents,
// every zero point -128..127, clamp bounds. One sample per cycle with random
// gaps; every result must come out exactly LATENCY cycles after its input
// (and nothing else may come out).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "verilated.h"
#include "requant.hpp"
#include "pe_requant_models.h"
#include "tb_main.hpp"

namespace {

constexpr int LATENCY = 5;  // cnn_requant.vhd's header

struct Sample {
    int32_t acc;
    uint32_t scale;  // float32 bits
    int zp, lo, hi;
};

float to_float(uint32_t b) {
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}
uint32_t bits_of(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

// What the sample exercises (counted, and each class must be hit).
struct Classes {
    long conv_tie = 0, prod_tie = 0, final_tie = 0, double_round = 0, big_acc = 0, carry = 0,
         in_range = 0, sat_hi = 0, sat_lo = 0, zero = 0, tie_decides = 0;
};

void classify(const Sample& s, Classes& c) {
    const int64_t m = s.acc < 0 ? -int64_t(s.acc) : int64_t(s.acc);
    if (m >= (int64_t(1) << 24)) {
        ++c.big_acc;
        int L = 0;
        while ((m >> L) > 1) ++L;  // leading one at bit L
        const int d = L - 23;      // dropped bits
        const int64_t low = m & ((int64_t(1) << d) - 1);
        if (low == (int64_t(1) << (d - 1))) ++c.conv_tie;
        if (float(m) >= std::ldexp(1.0f, L + 1)) ++c.carry;
    }
    const float a = float(s.acc), sc = to_float(s.scale);
    const double exact = double(a) * double(sc);  // 24 x 24 bits: exact in double
    const float v = a * sc;
    if (std::fabs(exact) >= 0x1p-126 && std::fabs(exact) < 0x1p100) {
        // A product tie: exact lies halfway between two neighbouring floats.
        const float lo_f = std::nextafter(v, 0.0f), hi_f = std::nextafter(v, INFINITY * (v > 0 ? 1 : -1));
        if (double(v) != exact &&
            (exact == (double(v) + double(lo_f)) / 2 || exact == (double(v) + double(hi_f)) / 2)) {
            ++c.prod_tie;
            // The other neighbour (rounding the tie the other way) gives another integer.
            const float other = exact > double(v) ? hi_f : lo_f;
            if (std::fabs(exact) < 1024 && std::nearbyint(double(other)) != std::nearbyint(double(v)))
                ++c.tie_decides;
        }
    }
    if (std::fabs(double(v)) < 1024 && double(v) - std::floor(double(v)) == 0.5) ++c.final_tie;
    if (std::fabs(exact) < 1024 && std::nearbyint(exact) != std::nearbyint(double(v))) ++c.double_round;
    const int y = cnn::requantize_f32(s.acc, sc, s.zp, s.lo, s.hi);
    if (y == s.hi && s.hi < 127 + 0) ++c.sat_hi;
    if (y == s.lo) ++c.sat_lo;
    if (y > s.lo && y < s.hi) ++c.in_range;
    if (s.acc == 0) ++c.zero;
}

class Gen {
public:
    explicit Gen(uint64_t seed) : rng_(seed) {}

    int uni(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng_); }
    uint32_t u32() { return uint32_t(rng_()); }

    // A scale 2^e * (1 + frac), e in [elo, ehi], random fraction (or none).
    uint32_t scale(int elo, int ehi, bool frac = true) {
        const uint32_t e = uint32_t(uni(elo, ehi) + 127);
        return (e << 23) | (frac ? (u32() & 0x7FFFFF) : 0);
    }
    void bounds(Sample& s) {
        s.zp = uni(-128, 127);
        switch (uni(0, 3)) {
            case 0: s.lo = -128, s.hi = 127; break;            // plain int8
            case 1: s.lo = s.zp, s.hi = 127; break;            // Relu with a zero point
            case 2: s.lo = s.zp, s.hi = std::min(127, s.zp + uni(0, 40)); break;  // ReLU6-like
            default: {
                int a = uni(-128, 127), b = uni(-128, 127);
                s.lo = std::min(a, b), s.hi = std::max(a, b);
            }
        }
    }
    static int32_t clip32(double x) {
        if (x >= 2147483647.0) return INT32_MAX;
        if (x <= -2147483648.0) return INT32_MIN;
        return int32_t(std::llround(x));
    }
    // acc near target / scale: the result lands where rounding matters.
    Sample targeted() {
        Sample s{};
        s.scale = scale(-30, 8);
        const double t = std::uniform_real_distribution<double>(-300, 300)(rng_);
        const double q = uni(0, 3) == 0 ? std::floor(t) + 0.5 : t;  // near a final tie
        s.acc = clip32(q / double(to_float(s.scale)) + uni(-2, 2));
        bounds(s);
        return s;
    }
    Sample uniform() {
        Sample s{};
        s.acc = int32_t(u32());
        if (uni(0, 1)) s.acc >>= uni(0, 31);  // every magnitude
        s.scale = uni(0, 7) == 0 ? scale(-126, 127) : scale(-30, 8);
        bounds(s);
        return s;
    }
    // |acc| >= 2^24 whose conversion to float is an exact tie (or a carry).
    Sample conv_tie() {
        Sample s{};
        const int L = uni(24, 30);  // leading one of |acc|
        const int d = L - 23;
        int64_t top = (int64_t(1) << 23) | (u32() & 0x7FFFFF);
        if (uni(0, 3) == 0) top = (int64_t(1) << 24) - 1;                  // carry out
        int64_t m = (top << d) | (int64_t(1) << (d - 1));                  // exactly half
        if (uni(0, 3) == 0 && d >= 2) m += uni(0, 1) ? 1 : -1;             // just off
        s.acc = int32_t(uni(0, 1) ? m : -m);
        const double a = double(float(s.acc));
        s.scale = bits_of(float(std::ldexp(1.0, uni(-3, 9)) / std::fabs(a) * (1 + (u32() & 0xFFFF) / 65536.0)));
        bounds(s);
        return s;
    }
    // The product a * s exactly halfway between two floats: ma = oa * 2^ta,
    // ms = os * 2^ts (odd oa, os), the lowest set bit of P = ma * ms at the
    // guard position (bit 23 when P >= 2^47, else 22).
    Sample prod_tie() {
        for (;;) {
            const int g = uni(22, 23);
            const int ta = uni(0, g), ts = g - ta;
            const uint64_t ma = ((uint64_t(1) << 23) | (u32() & 0x7FFFFF)) >> ta << ta | (uint64_t(1) << ta);
            const uint64_t ms = ((uint64_t(1) << 23) | (u32() & 0x7FFFFF)) >> ts << ts | (uint64_t(1) << ts);
            if (ma >= (uint64_t(1) << 24) || ms >= (uint64_t(1) << 24)) continue;
            const uint64_t p = ma * ms;
            if (((p >> 47) & 1) != uint64_t(g == 23)) continue;
            Sample s{};
            const int sh = uni(-ta, 7);  // acc = ma * 2^sh, exact in float
            const int64_t m = sh >= 0 ? int64_t(ma) << sh : int64_t(ma) >> -sh;
            s.acc = int32_t(uni(0, 1) ? m : -m);
            // |v| = |acc| * s between 2^-2 and 2^10.
            const double want = std::ldexp(1.0, uni(-2, 10));
            const int e = int(std::lround(std::log2(want / double(m) / (double(ms) / 8388608.0))));
            if (e < -126 || e > 127) continue;
            s.scale = (uint32_t(e + 127) << 23) | uint32_t(ms & 0x7FFFFF);
            bounds(s);
            return s;
        }
    }
    // A product tie that decides the integer (double rounding at a tie): a
    // small odd acc a0 of b bits (ma = a0 * 2^(24-b)) and a scale mantissa
    // ms solved modulo 2^j so that P = ma * ms ends in X * 2^(g+1) + 2^g:
    // an exact tie at the guard bit g (23 when P >= 2^47, else 22) under
    // k low bits X of Pr with X = 2^(k-1) - 1 (odd: the tie rounds up onto
    // a final tie), 2^(k-1) (even: it stays one), or 2^(k-1) - 2 / + 1. The
    // exponent then puts the binary point k bits above Pr's LSB.
    Sample prod_final_tie() {
        for (;;) {
            const int g = uni(22, 23), k = uni(16, 20), b = uni(2, 7);
            const int64_t a0 = (int64_t(1) << (b - 1)) | (int64_t(u32() & ((1u << (b - 1)) - 1)) | 1);
            const int t = 24 - b;
            const int j = g + 1 + k - t;
            if (j > 23) continue;
            const int64_t xs[] = {(int64_t(1) << (k - 1)) - 1, int64_t(1) << (k - 1),
                                  (int64_t(1) << (k - 1)) - 2, (int64_t(1) << (k - 1)) + 1};
            const uint64_t D = (uint64_t(xs[uni(0, 3)]) << (g + 1)) | (uint64_t(1) << g);
            const uint64_t mask = (uint64_t(1) << j) - 1;
            uint64_t inv = 1;  // a0^-1 mod 2^j (Newton: each step doubles the good bits)
            for (int i = 0; i < 6; ++i) inv = inv * (2 - uint64_t(a0) * inv);
            const uint64_t low = ((D >> t) * inv) & mask;
            const uint64_t ms = (uint64_t(1) << 23) | (uint64_t(u32()) << j & 0x7FFFFF & ~mask) | low;
            const uint64_t ma = uint64_t(a0) << t;
            const uint64_t p = ma * ms;
            if (((p >> 47) & 1) != uint64_t(g == 23)) continue;
            const int u = uni(0, 31 - b - 1);
            Sample s{};
            s.acc = int32_t((a0 << u) * (uni(0, 1) ? 1 : -1));
            const int lz = 32 - (b + u);
            const int e = (g == 23 ? 118 : 119) + lz - k;  // the biased exponent field
            if (e < 1 || e > 254) continue;
            s.scale = (uint32_t(e) << 23) | uint32_t(ms & 0x7FFFFF);
            bounds(s);
            return s;
        }
    }
    // v = n + 1/2 exactly: scale os * 2^-(ja+1), acc = oa * 2^ja (odd os, oa).
    Sample final_tie() {
        Sample s{};
        const int os = 2 * uni(0, 60) + 1, oa = 2 * uni(0, 9) + 1;
        const int ja = uni(0, 20);
        s.acc = int32_t((int64_t(oa) << ja) * (uni(0, 1) ? 1 : -1));
        s.scale = bits_of(float(std::ldexp(double(os), -(ja + 1))));
        bounds(s);
        return s;
    }

private:
    std::mt19937_64 rng_;
};

}  // namespace

template <class Cfg>
bool run() {
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<typename Cfg::Model>(ctx.get());
    Gen gen(0x5eed);
    std::vector<Sample> v;
    // Corners: fixed accumulators x fixed scales x a few bounds; every zero point.
    const int32_t accs[] = {0, 1, -1, 2, -2, 3, 127, -128, 255, 1 << 23, (1 << 24) - 1, 1 << 24,
                            (1 << 24) + 1, (1 << 24) + 2, (1 << 24) + 3, (1 << 25) + 2, (1 << 25) + 6,
                            INT32_MAX, INT32_MIN, INT32_MIN + 1, -(1 << 24) - 1, 0x7FFFFFC0, 0x7FFFFF80,
                            12345678, -87654321};
    std::vector<uint32_t> scales;
    for (int e = -30; e <= 8; ++e) {
        scales.push_back(uint32_t(e + 127) << 23);                   // 2^e
        scales.push_back((uint32_t(e + 127) << 23) | 0x400000);      // 1.5 * 2^e
        scales.push_back((uint32_t(e + 127) << 23) | 0x7FFFFF);      // just below 2^(e+1)
        scales.push_back((uint32_t(e + 127) << 23) | 1);             // just above 2^e
    }
    for (uint32_t e : {1u, 2u, 96u, 150u, 200u, 253u, 254u}) scales.push_back((e << 23) | 0x2AAAAA);
    for (int32_t a : accs)
        for (uint32_t sc : scales)
            for (int b = 0; b < 4; ++b) {
                Sample s{a, sc, 0, -128, 127};
                if (b == 1) s.zp = -128;
                if (b == 2) s.zp = 127, s.lo = -5, s.hi = 100;
                if (b == 3) s.zp = 3, s.lo = 3, s.hi = 9;
                v.push_back(s);
            }
    for (int zp = -128; zp <= 127; ++zp)
        for (int i = 0; i < 64; ++i) {
            Sample s = gen.targeted();
            s.zp = zp;
            s.lo = i % 2 ? zp : -128;
            s.hi = i % 4 >= 2 ? std::min(127, zp + 6) : 127;
            v.push_back(s);
        }
    for (int i = 0; i < 20000; ++i) v.push_back(gen.conv_tie());
    for (int i = 0; i < 20000; ++i) v.push_back(gen.prod_tie());
    for (int i = 0; i < 20000; ++i) v.push_back(gen.final_tie());
    for (int i = 0; i < 20000; ++i) v.push_back(gen.prod_final_tie());
    for (int i = 0; i < 600000; ++i) v.push_back(gen.targeted());
    for (int i = 0; i < 600000; ++i) v.push_back(gen.uniform());

    Classes cls;
    for (const Sample& s : v) classify(s, cls);

    // Drive: one sample per cycle, with random gaps (1 in 8 cycles idle).
    top->rst = 1;
    top->in_valid = 0;
    top->clk = 0;
    top->eval();
    for (int i = 0; i < 3; ++i) {
        top->clk = 1, top->eval();
        top->clk = 0, top->eval();
    }
    top->rst = 0;
    // The sample given in cycle c comes out in cycle c + LATENCY: after the
    // clock edge that ends cycle c + LATENCY - 1, the LATENCY-1 later edges on.
    std::deque<int> pipe(LATENCY - 1, -1);
    size_t next = 0, checked = 0;
    long bad = 0;
    std::mt19937 gaps(7);
    while (checked < v.size()) {
        int idx = -1;
        if (next < v.size() && gaps() % 8 != 0) idx = int(next++);
        if (idx >= 0) {
            const Sample& s = v[size_t(idx)];
            top->in_valid = 1;
            top->in_acc = uint32_t(s.acc);
            top->in_scale = s.scale;
            top->in_zp = uint8_t(int8_t(s.zp));
            top->in_lo = uint8_t(int8_t(s.lo));
            top->in_hi = uint8_t(int8_t(s.hi));
        } else {
            top->in_valid = 0;
            top->in_acc = gaps();  // garbage on idle cycles
            top->in_scale = gaps();
        }
        top->clk = 1, top->eval();
        top->clk = 0, top->eval();
        pipe.push_back(idx);
        const int due = pipe.front();  // entered LATENCY cycles ago
        pipe.pop_front();
        if (bool(top->out_valid) != (due >= 0)) {
            if (bad++ < 5)
                std::fprintf(stderr, "FAIL requant: out_valid %d, expected %d (sample %d)\n",
                             int(top->out_valid), int(due >= 0), due);
            if (due < 0) continue;
        }
        if (due < 0) continue;
        const Sample& s = v[size_t(due)];
        const int exp = cnn::requantize_f32(s.acc, to_float(s.scale), s.zp, s.lo, s.hi);
        const int got = int8_t(top->out_data);
        if (got != exp && bad++ < 10)
            std::fprintf(stderr,
                         "FAIL requant: acc %d scale 0x%08x (%.9g) zp %d lo %d hi %d: expected %d got %d\n",
                         s.acc, s.scale, double(to_float(s.scale)), s.zp, s.lo, s.hi, exp, got);
        ++checked;
    }
    std::printf("requant: %zu samples, %ld wrong; ties: int32->float %ld, product %ld, integer %ld; "
                "double roundings %ld (decided by a product tie %ld); |acc|>=2^24 %ld (carries %ld); in range %ld, at lo %ld, at hi<127 %ld\n",
                v.size(), bad, cls.conv_tie, cls.prod_tie, cls.final_tie, cls.double_round, cls.tie_decides, cls.big_acc,
                cls.carry, cls.in_range, cls.sat_lo, cls.sat_hi);
    // The corner generators must really produce their cases.
    bool ok = bad == 0;
    for (long n : {cls.conv_tie, cls.prod_tie, cls.final_tie, cls.double_round, cls.tie_decides, cls.carry,
                   cls.sat_hi}) {
        if (n < 100) {
            std::fprintf(stderr, "FAIL requant: a corner class has only %ld samples\n", n);
            ok = false;
        }
    }
    return ok;
}

CNN_BLOCK_TB_MAIN()
