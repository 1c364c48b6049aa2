// A model's simulator: its Verilator class as the harness's Dut, and the
// simulator every model shares (cnn_harness: sim/sim_main.cpp). The one
// source of the harness compiled per model, in the model's fast unity file
// (sim/model/CMakeLists.txt), so it parses verilated.h only once.
#include "Vcnn_top.h"
#include "verilated_dut.hpp"

int main(int argc, char** argv) {
    return cnn::sim::sim_main(argc, argv, CNN_MANIFEST_DEFAULT, cnn::sim::make_dut<Vcnn_top>);
}
