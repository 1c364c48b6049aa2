// Writes the design of top_lut_u8_net.hpp's network (cnn_top.vhd,
// cnn_model_pkg.vhd, manifest.json) into the folder argv[1], as cnnc emit
// writes a model's: the generated top of the top_lut_u8 test.
#include <cstdio>
#include <exception>

#include "emit.hpp"
#include "top_lut_u8_net.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: top_lut_u8_gen OUT_DIR\n");
        return 2;
    }
    try {
        cnn::Network net = cnn::rtl_tb::lut_u8_network();
        cnn::plan_parallelism(net);
        cnn::write_design(cnn::build_design(net), argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "top_lut_u8_gen: %s\n", e.what());
        return 1;
    }
    return 0;
}
