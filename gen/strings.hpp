// printf-style formatting into a std::string, for tables and messages.
#pragma once

#include <string>

namespace cnn {

std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Text from a file (a node name, a path) made safe for one line of a message,
// a JSON string or a VHDL comment: valid UTF-8 is kept, control characters and
// bytes that are not UTF-8 become \xNN, so the result is valid UTF-8 with
// no line break in it.
std::string printable(const std::string& s);

}  // namespace cnn
