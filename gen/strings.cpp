#include "strings.hpp"

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace cnn {

std::string fmt(const char* format, ...) {
    va_list ap;
    va_start(ap, format);
    va_list again;
    va_copy(again, ap);
    const int n = std::vsnprintf(nullptr, 0, format, ap);
    va_end(ap);
    std::vector<char> buf(size_t(n > 0 ? n : 0) + 1);
    std::vsnprintf(buf.data(), buf.size(), format, again);
    va_end(again);
    return std::string(buf.data(), size_t(n > 0 ? n : 0));
}

namespace {

// The length of the valid UTF-8 sequence starting at s[i] (no overlong
// forms, no surrogates, at most U+10FFFF), or 0.
size_t utf8_length(const std::string& s, size_t i) {
    const auto b = [&](size_t k) { return i + k < s.size() ? uint8_t(s[i + k]) : uint8_t(0); };
    const auto cont = [&](size_t k) { return (b(k) & 0xC0) == 0x80; };
    const uint8_t c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const uint8_t lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return b(1) >= lo && b(1) <= hi && cont(2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const uint8_t lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return b(1) >= lo && b(1) <= hi && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

}  // namespace

std::string printable(const std::string& s) {
    std::string r;
    r.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const uint8_t c = uint8_t(s[i]);
        const size_t n = utf8_length(s, i);
        const bool c1_control = n == 2 && c == 0xC2 && uint8_t(s[i + 1]) < 0xA0;  // U+0080..U+009F
        if (n == 1 && c >= 0x20 && c != 0x7F) {
            r += char(c);
        } else if (n > 1 && !c1_control) {
            r.append(s, i, n);
            i += n;
            continue;
        } else {
            r += fmt("\\x%02X", c);
        }
        ++i;
    }
    return r;
}

}  // namespace cnn
