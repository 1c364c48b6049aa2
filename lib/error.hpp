// Errors carry their context (file, node, rule) so the command-line front can
// print one clear line. Every user-facing failure in gen/ and sim/ is a cnn::Error.
#pragma once

#include <stdexcept>
#include <string>

namespace cnn {

class Error : public std::runtime_error {
public:
    // where: a file or node name ("lenet.onnx", "node 'conv1' (QLinearConv)");
    // what: the rule broken and the value found.
    Error(const std::string& where, const std::string& what)
        : std::runtime_error(where.empty() ? what : where + ": " + what),
          where_(where), what_(what) {}
    const std::string& where() const { return where_; }
    const std::string& rule() const { return what_; }

private:
    std::string where_;
    std::string what_;
};

}  // namespace cnn
