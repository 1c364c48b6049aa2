// zoo_gen: writes the model zoo (models/zoo/*.onnx and its README.md).
//   zoo_gen <output-dir>
// Prints one line per model; exits non-zero with one line on any error.

#include <filesystem>
#include <iostream>
#include <set>

#include "error.hpp"
#include "zoo.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: zoo_gen <output-dir>\n";
        return 2;
    }
    const std::string dir = argv[1];
    try {
        const auto models = cnn::zoo::build_zoo();
        const auto files = cnn::zoo::write_zoo(dir, models);
        for (const auto& m : models) {
            const auto& spec = m.spec;
            std::cout << spec.name << ".onnx: " << spec.c << "x" << spec.h << "x" << spec.w << ", "
                      << m.layers.size() << " conv, " << m.macs() << " MACs\n";
        }
        // A model dropped or renamed leaves its old file behind; say so (the
        // zoo test fails until it is removed) rather than deleting anything.
        const std::set<std::string> written(files.begin(), files.end());
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            const auto name = e.path().filename().string();
            if (e.path().extension() == ".onnx" && !written.count(name))
                std::cerr << "zoo_gen: warning: stale " << e.path().string() << " is not in the zoo\n";
        }
        std::cout << "zoo_gen: wrote " << files.size() << " files to " << dir << "\n";
    } catch (const std::exception& e) {
        std::cerr << "zoo_gen: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
