// tb_lcg.hpp: the seeded weight/bias generator shared by the VHDL test
// wrappers (tb_conv_wrap.vhd, tb_dense_wrap.vhd: function lcg_values) and
// their testbenches, so a wrapper's generics alone fix its constants:
//   x(0) = SEED mod 65537, x(n+1) = (75 x(n) + 74) mod 65537 (ZX81 LCG);
//   n_w weights w = (x mod 256) - 128, then n_b biases b = (x - 32768) * BMUL.
#pragma once

#include <cstddef>
#include <cstdint>
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

}  // namespace cnn::rtl_tb
