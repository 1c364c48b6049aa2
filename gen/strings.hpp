// printf-style formatting into a std::string, for tables and messages.
#pragma once

#include <string>

namespace cnn {

std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cnn
