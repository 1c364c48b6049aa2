// The arithmetic of SPEC §2 at its edges: round half to even in both
// directions, exact division by a pool size, shifts far beyond any real
// layer, and the saturation count the layer table reports.
#include <doctest/doctest.h>

#include <climits>

#include "exec.hpp"

using namespace cnn;

TEST_CASE("rounding is half to even, on both signs, after exact division") {
    CHECK(round_shift_div(5, 1, 1) == 2);    // 2.5 -> 2
    CHECK(round_shift_div(7, 1, 1) == 4);    // 3.5 -> 4
    CHECK(round_shift_div(-5, 1, 1) == -2);  // -2.5 -> -2
    CHECK(round_shift_div(-7, 1, 1) == -4);  // -3.5 -> -4
    CHECK(round_shift_div(-6, 1, 2) == -2);  // -1.5 -> -2
    CHECK(round_shift_div(27, 6, 0) == 4);   // 4.5 -> 4
    CHECK(round_shift_div(33, 6, 0) == 6);   // 5.5 -> 6
    CHECK(round_shift_div(-29, 9, 0) == -3); // -3.22 -> -3
    CHECK(round_shift_div(41, 9, 1) == 2);   // 41/18 = 2.28 -> 2
    CHECK(round_shift_div(3, 1, -2) == 12);  // left shift
}

TEST_CASE("saturation and extreme shifts never overflow") {
    CHECK(round_shift_div(1000, 1, 0) == 127);
    CHECK(round_shift_div(-1000, 1, 0) == -128);
    CHECK(round_shift_div(1, 1, -70) == 127);
    CHECK(round_shift_div(-1, 1, -70) == -128);
    CHECK(round_shift_div(0, 1, -70) == 0);
    CHECK(round_shift_div(INT64_MAX, 1, 64) == 0);
    CHECK(round_shift_div(INT64_MIN, 1, 70) == 0);
    CHECK(round_shift_div(int64_t(1) << 50, 1152, 55) == 0);  // n << shift would overflow int64
    CHECK(round_shift_div(int64_t(1) << 50, 1152, 30) == 127);
    CHECK(rhe_div(int64_t(1) << 40, 1, -40) == INT64_MAX);    // clamped to int64, still "saturated"
}

TEST_CASE("measure_saturation counts the outputs clamped by sat8") {
    Network net;
    net.input = Shape{1, 1, 4};
    Layer l;
    l.kind = LayerKind::Act;
    l.in = l.out = net.input;
    l.f_in = 0;
    l.f_out = 2;  // times 4: |x| > 31 saturates
    net.layers = {l};
    QTensor a(net.input), b(net.input);
    a.data = {1, 31, 32, -33};   // 32*4 = 128 and -132 clamp
    b.data = {127, 0, -32, -5};  // 508 clamps; -128 fits exactly
    auto sat = measure_saturation(net, {a, b});
    REQUIRE(sat.size() == 1);
    CHECK(sat[0].outputs == 8);
    CHECK(sat[0].saturated == 3);
    // -32 * 4 = -128 is at the rail but not clamped
    CHECK(run_layer(l, b).data[2] == -128);
}
