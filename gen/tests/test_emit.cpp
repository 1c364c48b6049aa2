// The emitter: the generated top carries SPEC §3's ports and one instance per
// PE of the cycle model; the manifest says what the harness needs; and the two
// spellings of LeNet (QLinear, QDQ) become the same hardware.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "emit.hpp"
#include "import.hpp"
#include "vhdl_text.hpp"

using namespace cnn;

namespace {

std::string model(const char* name) { return std::string(CNN_SOURCE_DIR) + "/models/" + name; }

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("the generated top has the AXI4-Stream ports and one instance per PE") {
    Network net = load_network(model("zoo/conv3_mp2_gap10.onnx"));
    plan_parallelism(net);
    Design d = build_design(net);
    for (const char* port : {"s_axis_tdata", "s_axis_tvalid", "s_axis_tlast", "s_axis_tready", "m_axis_tdata",
                             "m_axis_tvalid", "m_axis_tlast", "m_axis_tready"})
        CHECK(d.top_vhdl.find(port) != std::string::npos);
    // Every PE of the cycle model is instantiated, plus the two AXI adapters.
    CHECK(count(d.top_vhdl, ": entity work.") == d.pes.size() + 2);
    auto m = nlohmann::json::parse(d.manifest_json);
    CHECK(m["input_beats"] == net.input.size());
    CHECK(m["output_beats"] == net.output().size());
    CHECK(m["expected_cycles_per_image"] == d.expected_cycles);
    int64_t slowest = 0;
    for (const PeModel& pe : d.pes) slowest = std::max(slowest, pe.cycles);
    CHECK(d.expected_cycles == slowest);
    CHECK(m["layers"].size() == net.layers.size());
}

TEST_CASE("LeNet in QLinear and QDQ spelling becomes identical hardware") {
    Network a = load_network(model("lenet.onnx")), b = load_network(model("lenet_qdq.onnx"));
    plan_parallelism(a);
    plan_parallelism(b);
    Design da = build_design(a), db = build_design(b);
    CHECK(cnn::test::vhdl_body(da.package_vhdl) == cnn::test::vhdl_body(db.package_vhdl));
    CHECK(cnn::test::vhdl_body(da.top_vhdl) == cnn::test::vhdl_body(db.top_vhdl));
    CHECK(da.expected_cycles == db.expected_cycles);
}

TEST_CASE("parallelism planning meets the interval with the fewest multipliers") {
    Network net = load_network(model("lenet.onnx"));
    plan_parallelism(net, 0, 1);  // fully serial: par 1 everywhere
    for (const Layer& l : net.layers) {
        CHECK(l.par_in == 1);
        CHECK(l.par_out == 1);
    }
    const int64_t serial = build_design(net).expected_cycles;

    plan_parallelism(net);
    const Design d = build_design(net);
    CHECK(d.expected_cycles < serial / 4);
    // The bottleneck is the first conv (1 input channel) at full output parallelism.
    CHECK(net.layers[0].par_in == 1);
    CHECK(net.layers[0].par_out == net.layers[0].out.c);
    // No layer is faster than it needs to be: one step less parallelism on any
    // conv would exceed the interval (or par is already 1).
    for (size_t i = 0; i < net.layers.size(); ++i) {
        Layer& l = net.layers[i];
        if (l.kind != LayerKind::Conv || l.par_in * l.par_out == 1) continue;
        int64_t own = 0;
        for (const PeModel& pe : op_def(l.kind).pes(l, "x")) own = std::max(own, pe.cycles);
        CHECK(own <= d.expected_cycles);
        Layer fewer = l;
        if (fewer.par_out > 1) --fewer.par_out;
        else --fewer.par_in;
        int64_t slower = 0;
        for (const PeModel& pe : op_def(l.kind).pes(fewer, "x")) slower = std::max(slower, pe.cycles);
        CHECK_MESSAGE(slower > d.expected_cycles, "layer " << i << " has more parallelism than it needs");
    }
}

TEST_CASE("padding before a conv or an average pool is the input's zero point, before a max pool -128") {
    auto pad_value = [](LayerKind kind, int zp_in, bool in_unsigned) {
        Layer l;
        l.name = "x";
        l.kind = kind;
        l.in = {2, 5, 5};
        l.kernel_h = l.kernel_w = 3;
        l.pad_t = l.pad_l = l.pad_b = l.pad_r = 1;
        l.out = {kind == LayerKind::Conv ? 3 : 2, 5, 5};
        l.zp_in = zp_in;
        l.in_unsigned = in_unsigned;
        if (kind == LayerKind::Conv) {
            l.weights.assign(size_t(3 * 9 * 2), 1);
            l.bias.assign(3, 0);
        }
        VhdlBuilder b;
        b.current = b.link("s_in");
        op_def(kind).emit(l, "l0", b);
        const size_t at = b.body.find("PAD_VALUE => ");
        REQUIRE(at != std::string::npos);
        return std::stoi(b.body.substr(at + 13));
    };
    CHECK(pad_value(LayerKind::Conv, 0, false) == 0);
    CHECK(pad_value(LayerKind::Conv, -7, false) == -7);
    CHECK(pad_value(LayerKind::Conv, 200, true) == -56);  // a uint8 input's zero point 200: the byte 0xC8
    CHECK(pad_value(LayerKind::AvgPool, 12, false) == 12);
    CHECK(pad_value(LayerKind::MaxPool, 12, false) == -128);
}

TEST_CASE("a depthwise conv takes PAR output lanes: the DS-CNN's depthwise layers stop bounding the pipeline") {
    auto own_cycles = [](const Layer& l) {
        int64_t c = 0;
        for (const PeModel& pe : op_def(l.kind).pes(l, "x"))
            if (pe.entity == "cnn_dwconv") c = std::max(c, pe.cycles);
        return c;
    };
    Network net = load_network(model("mlperf/dscnn_q_pow2.onnx"));
    plan_parallelism(net);
    const Design d = build_design(net);
    int dw = 0;
    for (const Layer& l : net.layers) {
        if (l.kind != LayerKind::DwConv) continue;
        ++dw;
        CHECK(l.par_in == 1);
        CHECK(l.par_out > 1);
        CHECK(l.par_out <= l.out.c);
        CHECK(own_cycles(l) <= d.expected_cycles);
        Layer serial = l;
        serial.par_out = 1;
        CHECK(own_cycles(serial) > d.expected_cycles);  // one lane would bound the pipeline
        // The smallest PAR that meets the interval (the lanes are the multipliers).
        for (int p = 1; p < l.par_out; ++p) {
            Layer fewer = l;
            fewer.par_out = p;
            CHECK_MESSAGE(own_cycles(fewer) > d.expected_cycles, "PAR " << p << " would do");
        }
    }
    CHECK(dw == 4);

    // --par N: PAR = min(N, C_OUT), whatever M.
    Network u = load_network(model("quantized/u8_dscnn_depthwise.onnx"));
    plan_parallelism(u, 0, 3);
    int seen = 0;
    for (const Layer& l : u.layers) {
        if (l.kind != LayerKind::DwConv) continue;
        ++seen;
        CHECK(l.par_in == 1);
        CHECK(l.par_out == 3);
    }
    CHECK(seen == 2);
}

TEST_CASE("a wide last layer is narrowed to one value a beat before axis_out") {
    // LeNet's conv1 and pool1 with a second 2x2 pool as the output: at
    // TARGET=max conv1 writes 6 lanes (its reader is a pool that another
    // layer reads), both pools pass them through, and the output tensor
    // (6x6x6) must reach the one-byte m_axis.
    Network net = load_network(model("lenet.onnx"));
    net.layers.resize(2);
    Layer p2 = net.layers[1];
    p2.name = "pool2";
    p2.in = net.layers[1].out;
    p2.out = {p2.in.c, p2.in.h / 2, p2.in.w / 2};
    p2.inputs = {1};
    net.layers.push_back(p2);
    plan_parallelism(net);
    REQUIRE(net.layers[2].lanes_out == 6);
    const Design d = build_design(net);
    CHECK(d.top_vhdl.find("l2_narrow_out : entity work.cnn_lanes\n    generic map (IN_LANES => 6, OUT_LANES => 1)") != std::string::npos);
    CHECK(d.top_vhdl.find("in_data => l2_narrow_out_data") != std::string::npos);
    const auto m = nlohmann::json::parse(d.manifest_json);
    const auto& links = m["links"];
    const auto& last = m["layers"].back();
    bool seen = false;
    for (int k : last["tensor_links"]) seen |= links[size_t(k)] == "l2_narrow_out";
    CHECK(seen);
    CHECK(m["link_lanes"].back() == 1);
}
