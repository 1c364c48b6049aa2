// Pools in hardware (SPEC §1: kernel 1..7 and stride 1..4 per axis, pads
// 0..k-1 per side, ceil_mode 0; an average pool's pre-activation): the
// legality rules, one line each, and what pool.cpp / gap.cpp lower a layer
// to: the PEs of the cycle model and the instances with their generics.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "ops.hpp"
#include "passes.hpp"

using namespace cnn;

namespace {

Layer pool(LayerKind kind, int kh, int kw, int sh, int sw, int pt = 0, int pl = 0, int pb = 0, int pr = 0) {
    Layer l;
    l.name = "p";
    l.kind = kind;
    l.in = {2, 9, 8};
    l.kernel_h = l.onnx.kernel_h = kh;
    l.kernel_w = l.onnx.kernel_w = kw;
    l.stride_h = l.onnx.stride_h = sh;
    l.stride_w = l.onnx.stride_w = sw;
    l.pad_t = l.onnx.pad_t = pt;
    l.pad_l = l.onnx.pad_l = pl;
    l.pad_b = l.onnx.pad_b = pb;
    l.pad_r = l.onnx.pad_r = pr;
    // (a refused stride 0 leaves the shape to nobody: guard the division)
    l.out = {2, (9 + pt + pb - kh) / std::max(sh, 1) + 1, (8 + pl + pr - kw) / std::max(sw, 1) + 1};
    l.onnx.op = kind == LayerKind::MaxPool ? "MaxPool" : "AveragePool";
    return l;
}

// The legality lines of a one-layer network ("" when accepted).
std::string refusal(const Layer& l) {
    Network net;
    net.source = "pools.onnx";
    net.input = l.in;
    net.input_q = {"input", "x", 1.0 / 16, 0, "int8"};
    net.output_q = {"y", "y", 1.0 / 16, 0, "int8"};
    net.layers = {l};
    try {
        check_legality(net);
    } catch (const LegalityError& e) {
        std::string s;
        for (const auto& line : e.lines()) s += line + "\n";
        return s;
    }
    return "";
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("pool legality: kernels 1..7 and strides 1..4 per axis, pads 0..k-1 per side") {
    CHECK(refusal(pool(LayerKind::MaxPool, 1, 1, 1, 1)) == "");
    CHECK(refusal(pool(LayerKind::AvgPool, 7, 2, 4, 1, 6, 1, 0, 1)) == "");
    CHECK(refusal(pool(LayerKind::MaxPool, 3, 5, 2, 3, 2, 0, 0, 4)) == "");

    std::string r = refusal(pool(LayerKind::MaxPool, 8, 3, 1, 1));
    CHECK(has(r, "node 'p' (MaxPool): kernel 8x3 outside 1..7 per axis"));
    CHECK(has(refusal(pool(LayerKind::AvgPool, 2, 0, 1, 1)), "kernel 2x0 outside 1..7"));
    CHECK(has(refusal(pool(LayerKind::AvgPool, 2, 2, 5, 1)), "strides 5,1 outside 1..4 per axis"));
    CHECK(has(refusal(pool(LayerKind::MaxPool, 2, 2, 1, 0)), "strides 1,0 outside 1..4"));
    // A pad is judged against the kernel of its own axis.
    CHECK(has(refusal(pool(LayerKind::MaxPool, 3, 2, 1, 1, 0, 2, 0, 0)),
              "pads 0,2,0,0 (top,left,bottom,right) outside 0..kernel-1 of kernel 3x2"));
    CHECK(has(refusal(pool(LayerKind::AvgPool, 3, 2, 1, 1, 0, 0, 3, 0)), "pads 0,0,3,0"));
    CHECK(refusal(pool(LayerKind::AvgPool, 3, 2, 1, 1, 2, 1, 2, 1)) == "");

    Layer c = pool(LayerKind::AvgPool, 2, 2, 2, 2);
    c.onnx.ceil_mode = true;
    CHECK(refusal(c) == "node 'p' (AveragePool): ceil_mode 1; only ceil_mode 0 is accepted\n");
    Layer d = pool(LayerKind::MaxPool, 2, 2, 2, 2);
    d.onnx.dilation_w = 2;
    CHECK(has(refusal(d), "dilation 1,2; only dilation 1 is accepted"));
    // Every broken rule is its own line.
    Layer all = pool(LayerKind::MaxPool, 9, 2, 6, 1, 0, 2, 0, 0);
    all.onnx.ceil_mode = true;
    CHECK(refusal(all) ==
          "node 'p' (MaxPool): kernel 9x2 outside 1..7 per axis\n"
          "node 'p' (MaxPool): strides 6,1 outside 1..4 per axis\n"
          "node 'p' (MaxPool): pads 0,2,0,0 (top,left,bottom,right) outside 0..kernel-1 of kernel 9x2\n"
          "node 'p' (MaxPool): ceil_mode 1; only ceil_mode 0 is accepted\n");
}

TEST_CASE("pool legality: a pre-activation only on an average pool, leaky k in 1..7") {
    Layer a = pool(LayerKind::AvgPool, 2, 2, 2, 2);
    a.pre_act = Activation::Leaky;  // legality judges the file's alpha
    a.onnx.pre_alpha = 0.125;
    CHECK(refusal(a) == "");
    a.onnx.pre_alpha = 1.0;
    CHECK(has(refusal(a), "pre-activation leaky alpha 1 is not 2^-k with k in 1..7"));
    a.onnx.pre_alpha = 1.0 / 256;
    CHECK(has(refusal(a), "alpha 0.00390625"));
    a.onnx.pre_alpha = 0.1;
    CHECK(has(refusal(a), "alpha 0.1 is not"));
    a.pre_act = Activation::Relu;
    CHECK(refusal(a) == "");

    Layer g = pool(LayerKind::AvgPool, 1, 1, 1, 1);
    g.kind = LayerKind::GlobalAvgPool;
    g.out = {2, 1, 1};
    g.pre_act = Activation::Leaky;
    g.onnx.pre_alpha = 1.0 / 128;
    CHECK(refusal(g) == "");

    Layer m = pool(LayerKind::MaxPool, 2, 2, 2, 2);
    m.pre_act = Activation::Leaky;
    m.onnx.pre_alpha = 0.25;
    CHECK(refusal(m) == "node 'p' (MaxPool): pre-activation leaky on a MaxPool; only AvgPool or GlobalAvgPool take one\n");
}

TEST_CASE("a padded pool lowers to cnn_zero_pad and the pool over the padded image") {
    for (LayerKind kind : {LayerKind::MaxPool, LayerKind::AvgPool}) {
        const bool is_max = kind == LayerKind::MaxPool;
        Layer l = pool(kind, 3, 5, 1, 3, 2, 0, 1, 4);  // padded image 2 x 12 x 12
        l.count_include_pad = false;
        if (!is_max) {
            l.pre_act = Activation::Leaky;
            l.pre_leaky_k = 2;
        }
        const auto pes = op_def(kind).pes(l, "l3");
        REQUIRE(pes.size() == 2);
        CHECK(pes[0].instance == "l3_pad");
        CHECK(pes[0].entity == "cnn_zero_pad");
        CHECK(pes[0].in_beats == 2 * 9 * 8);
        CHECK(pes[0].out_beats == 2 * 12 * 12);
        CHECK(pes[0].cycles == 2 * 12 * 12);
        CHECK(pes[1].entity == (is_max ? "cnn_maxpool" : "cnn_avgpool"));
        CHECK(pes[1].in_beats == 2 * 12 * 12);
        CHECK(pes[1].cycles == 2 * 12 * 12);
        CHECK(pes[1].out_beats == l.out.size());

        VhdlBuilder b;
        b.current = b.link("src");
        op_def(kind).emit(l, "l3", b);
        // The instances are the PEs of the model, in order.
        REQUIRE(b.links.size() == 3);
        CHECK(b.links[1] == pes[0].instance);
        CHECK(b.links[2] == pes[1].instance);
        CHECK(has(b.body, "l3_pad : entity work.cnn_zero_pad\n    generic map (C => 2, H => 9, W => 8, "
                          "PAD_T => 2, PAD_L => 0, PAD_B => 1, PAD_R => 4, PAD_VALUE => " +
                              std::string(is_max ? "-128" : "0") + ", LANES => 1)"));
        CHECK(has(b.body, pes[1].instance + " : entity work." + pes[1].entity +
                              "\n    generic map (C => 2, H => 12, W => 12, KH => 3, KW => 5, "
                              "STRIDE_H => 1, STRIDE_W => 3, "));
        CHECK(has(b.body, "in_data => l3_pad_data"));
        if (is_max) {
            CHECK(!has(b.body, "COUNT_INCLUDE_PAD"));
            CHECK(!has(b.body, "PRE_ACT"));
        } else {
            CHECK(has(b.body, "PAD_T => 2, PAD_L => 0, PAD_B => 1, PAD_R => 4, COUNT_INCLUDE_PAD => false, "
                              "PRE_ACT => ACT_LEAKY, PRE_LEAKY_K => 2, SHIFT => "));
        }
    }
}

TEST_CASE("an unpadded pool is one PE; the global average pool takes its pre-activation") {
    Layer l = pool(LayerKind::AvgPool, 2, 3, 2, 1);
    l.count_include_pad = true;
    const auto pes = op_def(l.kind).pes(l, "l1");
    REQUIRE(pes.size() == 1);
    CHECK(pes[0].cycles == 2 * 9 * 8);
    VhdlBuilder b;
    b.current = b.link("src");
    op_def(l.kind).emit(l, "l1", b);
    CHECK(!has(b.body, "cnn_zero_pad"));
    CHECK(has(b.body, "COUNT_INCLUDE_PAD => true, PRE_ACT => ACT_NONE, PRE_LEAKY_K => 0"));

    Layer g;
    g.kind = LayerKind::GlobalAvgPool;
    g.in = {4, 5, 6};
    g.out = {4, 1, 1};
    g.pre_act = Activation::Relu;
    g.f_in = 3;
    VhdlBuilder bg;
    bg.current = bg.link("src");
    op_def(g.kind).emit(g, "l2", bg);
    CHECK(has(bg.body, "l2_gap : entity work.cnn_gap\n    generic map (C => 4, H => 5, W => 6, "
                       "PRE_ACT => ACT_RELU, PRE_LEAKY_K => 0, SHIFT => 3, "));
    g.pre_act = Activation::Leaky;
    g.pre_leaky_k = 4;
    VhdlBuilder bl;
    bl.current = bl.link("src");
    op_def(g.kind).emit(g, "l2", bl);
    // SHIFT = e_in - f_out includes the pre-activation's k.
    CHECK(has(bl.body, "PRE_ACT => ACT_LEAKY, PRE_LEAKY_K => 4, SHIFT => 7, "));
}
