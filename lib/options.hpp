// The command line of every tool (cnnc, the simulators): one parser, one
// rule. `--name value` options and `--name` flags, anywhere after the
// command; when an option is given twice, the last occurrence wins, so a
// wrapper's defaults (make sim, sim/run.sh) are overridden by what follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "error.hpp"

namespace cnn {

struct Options {
    std::vector<std::string> v;

    // The value after the last `name`, or dflt when `name` is not there (or
    // is the last word, with no value after it).
    std::string get(const std::string& name, const std::string& dflt = "") const {
        std::string r = dflt;
        for (size_t i = 0; i + 1 < v.size(); ++i)
            if (v[i] == name) r = v[i + 1];
        return r;
    }
    bool has(const std::string& name) const {
        for (const auto& a : v)
            if (a == name) return true;
        return false;
    }
};

// A whole number >= 0, or cnn::Error naming the option.
inline uint64_t to_u64(const std::string& s, const std::string& what) {
    try {
        size_t used = 0;
        unsigned long long x = std::stoull(s, &used);
        if (used == s.size() && !s.empty() && s[0] != '-') return x;
    } catch (const std::exception&) {
    }
    throw Error(what, "'" + s + "' is not a whole number");
}

// A whole number (sign allowed) that fits an int, or cnn::Error naming the option.
inline int to_int(const std::string& s, const std::string& what) {
    try {
        size_t used = 0;
        int x = std::stoi(s, &used);
        if (used == s.size()) return x;
    } catch (const std::exception&) {
    }
    throw Error(what, "'" + s + "' is not a whole number");
}

}  // namespace cnn
