#include "strings.hpp"

#include <cstdarg>
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

}  // namespace cnn
