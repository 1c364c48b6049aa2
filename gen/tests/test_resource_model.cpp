// The analytical resource model (gen/resource_model.hpp): its structural
// rules against what Yosys 0.23's synth_xilinx made of LeNet's memories and
// multipliers (make resources MODEL=lenet.onnx FPGA=xc7z020, 2026-12-02;
// the 64K table: u8_resnet_float),
// and the manifest carrying an estimate for every PE. The fitted LUT/FF
// figures are held to Yosys by the hw tests (hw_resource_model_*), which need
// a synthesis; here only what follows from the RTL's structure.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "emit.hpp"
#include "import.hpp"
#include "ops.hpp"
#include "resource_model.hpp"

using namespace cnn;

namespace {

std::string model(const char* name) { return std::string(CNN_SOURCE_DIR) + "/models/" + name; }

}  // namespace

TEST_CASE("memories: block RAM, LUT-RAM and logic as Yosys mapped LeNet's") {
    // Block RAM (registered read, >= 4 Kbit): the dense layer's 8192 x 8
    // weights 2 RAMB36 (4 RAMB18 2Kx9), its 512 x 8 input buffer one RAMB18,
    // l2_conv's 200 x 48 weight ROMs one RAMB36 (512x72) each.
    CHECK(estimate_memory(8192, 8, true, true).bram36 == 2.0);
    CHECK(estimate_memory(512, 8, true, false).bram36 == 0.5);
    CHECK(estimate_memory(200, 48, true, true).bram36 == 1.0);
    CHECK(estimate_memory(200, 48, true, true).lut == 0);
    // Below the threshold, or read combinationally: no block RAM. LUT-RAM
    // LUTs as Yosys counted them: the FIFOs' 288 / 144 / 128 / 64 x 8 (60,
    // 36, 24, 12), l0_conv's 168 x 8 line buffer with its 8 x 48 credit
    // FIFO (68), l2_conv's 72 x 48 line buffer with its 8 x 16 FIFO (108).
    CHECK(estimate_memory(512, 8, false, false).bram36 == 0);
    CHECK(estimate_memory(320, 8, true, true).bram36 == 0);
    CHECK(estimate_memory(288, 8, false, false).lutram == 60);
    CHECK(estimate_memory(144, 8, false, false).lutram == 36);
    CHECK(estimate_memory(128, 8, false, false).lutram == 24);
    CHECK(estimate_memory(64, 8, false, false).lutram == 12);
    CHECK(estimate_memory(168, 8, true, false).lutram + estimate_memory(8, 48, false, false).lutram == 68);
    CHECK(estimate_memory(72, 48, true, false).lutram + estimate_memory(8, 16, false, false).lutram == 108);
    // A ROM below the threshold is logic, by 64-word LUT6 columns, no LUT-RAM.
    CHECK(estimate_memory(25, 8, true, true).lut > 0);
    CHECK(estimate_memory(25, 8, true, true).lut == estimate_memory(64, 8, true, true).lut);
    CHECK(estimate_memory(128, 8, true, true).lut == 2 * estimate_memory(64, 8, true, true).lut);
    CHECK(estimate_memory(25, 8, true, true).lutram == 0);
    // A deep one fills the parity bits: u8_resnet_float's 64K x 8 Add
    // tables, 29 RAMB18 = 14.5 BRAM36 each.
    CHECK(estimate_memory(65536, 8, true, true).bram36 == 14.5);
    // A cnn_fifo from RAM_MIN_BITS (8192) on: DEPTH - 1 words, registered, one RAMB18.
    CHECK(estimate_fifo_resources(1024).bram36 == 0.5);
    CHECK(estimate_fifo_resources(1024).lutram == 0);
    CHECK(estimate_fifo_resources(288).lutram == 60);
}

TEST_CASE("every PE of a design has an estimate, and multipliers become DSPs") {
    Network net = load_network(model("lenet.onnx"));
    plan_parallelism(net);
    const Design d = build_design(net);
    const auto m = nlohmann::json::parse(d.manifest_json);
    double dsp = 0, bram = 0;
    for (const auto& l : m["layers"])
        for (const auto& pe : l["pes"]) {
            REQUIRE(pe.contains("est"));
            for (const char* k : {"lut", "lutram", "ff", "dsp", "bram36"}) CHECK(pe["est"][k].get<double>() >= 0);
            CHECK(pe["est"]["lut"].get<double>() > 0);
            dsp += pe["est"]["dsp"].get<double>();
            bram += pe["est"]["bram36"].get<double>();
        }
    REQUIRE(m.contains("axis_est"));
    // Yosys (synth_xilinx, make resources) on LeNet as planned for
    // TARGET=max (conv1 1x6x5x5, conv2 6x8x5x1, fc1 11, fc2 1): 402 DSP48E1
    // (PAR * PAR_OUT * PAR_KY * PAR_KX a conv, PAR a dense layer), 4 BRAM36
    // (fc1's weights and input buffer).
    int64_t mults = 0;
    for (const Layer& l : net.layers) mults += layer_multipliers(l);
    CHECK(mults == 402);
    CHECK(dsp == 402);
    CHECK(bram == 4);
    for (size_t i = 0; i < net.layers.size(); ++i)
        for (const PeModel& pe : layer_pes(net.layers[i], i))
            if (pe.entity == "cnn_conv")
                CHECK(pe.res.dsp == double(net.layers[i].par_in) * net.layers[i].par_out * net.layers[i].par_ky *
                                        net.layers[i].par_kx);
}

TEST_CASE("the float32 output stage adds cnn_requant's two DSPs a lane") {
    Network net = load_network(model("quantized/probe_requant_perchannel.onnx"));
    plan_parallelism(net);
    const Layer& l = net.layers.at(0);
    REQUIRE(l.kind == LayerKind::Conv);
    REQUIRE(l.requant_f32);
    const PeModel pe{"l0_conv", "cnn_conv", 0, 0, 0, {}};
    // Yosys: 3 DSP48E1 for PAR = PAR_OUT = 1 with REQUANT_F32.
    CHECK(estimate_pe_resources(l, pe).dsp == double(l.par_in) * l.par_out + 2 * l.par_out);
    Layer shift = l;
    shift.requant_f32 = false;
    CHECK(estimate_pe_resources(shift, pe).dsp == double(l.par_in) * l.par_out);
    CHECK(estimate_pe_resources(shift, pe).lut < estimate_pe_resources(l, pe).lut);
    CHECK_THROWS(estimate_pe_resources(l, PeModel{"x", "cnn_unknown", 0, 0, 0, {}}));
}
