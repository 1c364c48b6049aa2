// tb_lcg.hpp: the seeded weight/bias generator shared by the VHDL test
// wrappers (tb_conv_wrap.vhd, tb_dense_wrap.vhd: function lcg_values) and
// their testbenches, so a wrapper's generics alone fix its constants:
//   x(0) = SEED mod 65537, x(n+1) = (75 x(n) + 74) mod 65537 (ZX81 LCG);
//   n_w weights w = (x mod 256) - 128, then n_b biases b = (x - 32768) * BMUL,
//   then (lcg_scales) n_s float32 scales with the bit pattern
//   (SCALE_E - x mod 4) * 2^23 + (SCALE_FRAC ? (127 x) mod 2^23 : 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace cnn::rtl_tb {

inline void lcg_values(long long seed, long long bmul, size_t n_w, size_t n_b,
                       std::vector<int8_t>& w, std::vector<int32_t>& b) {
    int64_t x = seed % 65537;
    w.resize(n_w);
    b.resize(n_b);
    for (auto& v : w) {
        x = (75 * x + 74) % 65537;
        v = int8_t(x % 256 - 128);
    }
    for (auto& v : b) {
        x = (75 * x + 74) % 65537;
        v = int32_t((x - 32768) * bmul);
    }
}

// The scales that follow lcg_values(seed, .., n_w, n_b) in the same sequence.
inline std::vector<float> lcg_scales(long long seed, size_t n_w, size_t n_b, size_t n_s, long long scale_e,
                                     bool frac) {
    int64_t x = seed % 65537;
    for (size_t i = 0; i < n_w + n_b; ++i) x = (75 * x + 74) % 65537;
    std::vector<float> r(n_s);
    for (auto& v : r) {
        x = (75 * x + 74) % 65537;
        const uint32_t bits = uint32_t((scale_e - x % 4) << 23) | (frac ? uint32_t((127 * x) % (1 << 23)) : 0u);
        std::memcpy(&v, &bits, 4);
    }
    return r;
}

}  // namespace cnn::rtl_tb
