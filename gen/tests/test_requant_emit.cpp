// The SPEC v2 output stage as conv.cpp / dense.cpp / gap.cpp emit it
// (ops.cpp requant_generics): ZP_OUT, CLAMP_LO, REQUANT_F32 on every
// cnn_conv, cnn_dense and cnn_gap; for a float32 layer SCALES, a constant of
// the scales' float32 bit patterns in the weights package; scales the
// hardware cannot take refused. (The float stage's cycle model of cnn_conv:
// test_conv_model.cpp.)
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "error.hpp"
#include "ops.hpp"

using namespace cnn;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

Layer dense(int n_in, int n_out) {
    Layer l;
    l.name = "fc";
    l.kind = LayerKind::Dense;
    l.in = {n_in, 1, 1};
    l.out = {n_out, 1, 1};
    l.weights.assign(size_t(n_in) * n_out, 1);
    l.bias.assign(size_t(n_out), 0);
    return l;
}

int64_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return int64_t(u);
}

}  // namespace

TEST_CASE("the shift output stage emits its defaults: ZP_OUT 0, CLAMP_LO -128, no scales") {
    Layer l = dense(4, 2);
    VhdlBuilder b;
    b.current = b.link("src");
    op_def(l.kind).emit(l, "l0", b);
    CHECK(has(b.body, "CLAMP_HI => 127, ZP_OUT => 0, CLAMP_LO => -128, REQUANT_F32 => false)"));
    CHECK_FALSE(has(b.body, "SCALES"));
    CHECK_FALSE(has(b.package, "l0_scales"));
}

TEST_CASE("a float32 dense layer emits its scales' bit patterns, zero point and clamps") {
    Layer l = dense(4, 3);
    l.requant_f32 = true;
    l.scale = {0.1f, 3.0e-5f, 1.5f};
    l.zp_out = -7;
    l.clamp_lo = -7;
    VhdlBuilder b;
    b.current = b.link("src");
    op_def(l.kind).emit(l, "l3", b);
    CHECK(has(b.body, "ZP_OUT => -7, CLAMP_LO => -7, REQUANT_F32 => true, SCALES => l3_scales)"));
    CHECK(has(b.package, "constant l3_scales : int_array(0 to 2) := (\n    " + std::to_string(bits(0.1f)) + ", " +
                             std::to_string(bits(3.0e-5f)) + ", " + std::to_string(bits(1.5f)) + ");"));
    CHECK(bits(1.5f) == 0x3FC00000);  // the pattern, not the value
}

TEST_CASE("a float32 global average pool emits one scale and its input zero point") {
    Layer g;
    g.name = "gap";
    g.kind = LayerKind::GlobalAvgPool;
    g.in = {4, 5, 6};
    g.out = {4, 1, 1};
    g.requant_f32 = true;
    g.scale = {0.25f / 30};
    g.zp_in = -128;
    g.zp_out = 5;
    VhdlBuilder b;
    b.current = b.link("src");
    op_def(g.kind).emit(g, "l1", b);
    CHECK(has(b.body, "REQUANT_F32 => true, SCALES => l1_scales, ZP_IN => -128)"));
    CHECK(has(b.package, "constant l1_scales : int_array(0 to 0) := (0 => \n    " + std::to_string(bits(0.25f / 30)) +
                             ");"));
    CHECK(op_def(g.kind).pes(g, "l1")[0].cycles == 4 * 5 * 6);  // the float stage adds no cycles per image
}

TEST_CASE("scales the float32 stage cannot take are refused with the layer named") {
    for (float bad : {0.0f, -0.5f, 1e-40f /* subnormal */}) {
        Layer l = dense(2, 1);
        l.requant_f32 = true;
        l.scale = {bad};
        VhdlBuilder b;
        b.current = b.link("src");
        CHECK_THROWS_WITH_AS(op_def(l.kind).emit(l, "l0", b), doctest::Contains("layer 'fc'"), Error);
    }
    Layer l = dense(2, 1);
    l.requant_f32 = true;  // and no scale at all
    VhdlBuilder b;
    b.current = b.link("src");
    CHECK_THROWS_AS(op_def(l.kind).emit(l, "l0", b), Error);
}
