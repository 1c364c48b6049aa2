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
    bool output_unsigned = false;         // m_axis carries uint8 (the top flips bit 7)
    std::vector<std::string> links;       // probe index -> link name
    std::vector<int> link_lanes;          // probe index -> values a beat (1 unless a wide link)
    std::vector<int> link_offset;         // probe index -> its first byte in probe_data
    struct Layer {
        std::string name, kind;
        Shape out;
        int link = -1;                    // probe index of the layer's output link
        std::vector<int> tensor_links;    // every link that carries its output (FIFOs, fork outputs)
    };
    std::vector<Layer> layers;
    struct Pe {
        std::string instance, entity;
        int64_t cycles = 0, out_beats = 0;   // cycle model, beats per image on its output link
        int link = -1;                    // probe index of the PE's output link
    };
    std::vector<Pe> pes;
    struct Fifo {
        std::string instance;
        int64_t depth = 0, planned = 0;
        int in_link = -1, out_link = -1;
        bool skip = false;                // on an input of an Add
    };
    std::vector<Fifo> fifos;

    static Manifest load(const std::string& path);
};

// The value m_axis carries for the last layer's value v (int8 bits inside the
// pipeline, as the golden model computes it): v, or for a uint8 output
// (Manifest::output_unsigned) u = v + 128, which cnn_axis_out makes by
// flipping bit 7. What a report's "output" and "reference" hold (SPEC §4).
int output_value(int32_t v, bool output_unsigned);
// The value one m_axis byte stands for: int8, or uint8 for a uint8 output.
int m_axis_value(uint8_t byte, bool output_unsigned);

}  // namespace cnn::sim
