// What the hardware was built from: the manifest `cnnc emit` wrote beside
// the VHDL (links, layers, PEs and their cycle models).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir.hpp"

namespace cnn::sim {

struct Manifest {
    std::string model, source;
    Shape input, output;
    int64_t input_beats = 0, output_beats = 0, expected_cycles = 0;
    std::vector<std::string> links;       // probe index -> link name
    struct Layer {
        std::string name, kind;
        Shape out;
        int link = -1;                    // probe index of the layer's output link
    };
    std::vector<Layer> layers;
    struct Pe {
        std::string instance, entity;
        int64_t cycles = 0, out_beats = 0;   // cycle model, beats per image on its output link
        int link = -1;                    // probe index of the PE's output link
    };
    std::vector<Pe> pes;

    static Manifest load(const std::string& path);
};

}  // namespace cnn::sim
