// onnxruntime's float32 arithmetic as the golden model states it (requant.hpp)
// and the pass that picks each layer's datapath (assign_quantization).
#include <doctest/doctest.h>

#include <cmath>

#include "passes.hpp"
#include "requant.hpp"

using namespace cnn;

TEST_CASE("requantize_f32: float32 product, round half to even, zero point, clamp") {
    // 3 * 0.5 = 1.5 -> 2; 5 * 0.5 = 2.5 -> 2 (even); -2.5 -> -2.
    CHECK(requantize_f32(3, 0.5f, 0, -128, 127) == 2);
    CHECK(requantize_f32(5, 0.5f, 0, -128, 127) == 2);
    CHECK(requantize_f32(-5, 0.5f, 0, -128, 127) == -2);
    CHECK(requantize_f32(5, 0.5f, 10, -128, 127) == 12);
    CHECK(requantize_f32(1000, 0.5f, 0, -128, 127) == 127);
    CHECK(requantize_f32(-1000, 0.5f, 3, 0, 255) == 0);
    // float(acc) rounds above 2^24: 2^24 + 1 is 2^24 in float32.
    CHECK(requantize_f32((1 << 24) + 1, std::ldexp(1.0f, -24), 0, -128, 127) == 1);
    // The product rounds to float32 before the integer rounding: 0.1f * 5
    // is 0.5 in float32 (not 0.50000000745...), so it rounds to 0, not 1.
    CHECK(float(0.1f * 5.0f) == 0.5f);
    CHECK(requantize_f32(5, 0.1f, 0, -128, 127) == 0);
    CHECK_THROWS(requantize_f32(int64_t(1) << 31, 1.0f, 0, -128, 127));
}

TEST_CASE("a NaN from a hostile scale clamps to the lower bound, as MLAS's MAXPS/MINPS do") {
    CHECK(quantize_f32(0.0f, 0.0f, 3, -128, 127) == -128);  // 0 / 0
    CHECK(quantize_f32(1.0f, std::nanf(""), 0, 0, 255) == 0);
    CHECK(requantize_f32(5, std::nanf(""), 7, -128, 127) == -128);
    CHECK(quantize_f32(1.0f, 0.0f, 0, -128, 127) == 127);  // +inf clamps high
}

TEST_CASE("quantize_f32 divides in float32 (MlasQuantizeLinear), then rounds half to even") {
    CHECK(quantize_f32(0.5f, 1.0f, 0, -128, 127) == 0);
    CHECK(quantize_f32(1.5f, 1.0f, 0, -128, 127) == 2);
    CHECK(quantize_f32(6.0f, 0.05f, -128, -128, 127) == -8);  // 6 / 0.05 = 120 -> -8
    CHECK(quantize_f32(-1.0f, 0.01f, 0, 0, 255) == 0);
    CHECK(quantize_f32(1.0f, 1.0f / 255.0f, 0, 0, 255) == 255);
}

TEST_CASE("scale products in float32, left to right") {
    const float xs = 0.003921569f, ws = 0.0123f, ys = 0.0471f;
    const float want = (xs * ws) / ys;
    CHECK(requant_scale(xs, ws, ys) == want);
    CHECK(gap_scale(0.5f, 0.25f, 16) == 0.125f);
    int f = 0;
    CHECK(power_of_two(0.125, &f));
    CHECK(f == 3);
    CHECK(power_of_two(4.0, &f));
    CHECK(f == -2);
    CHECK_FALSE(power_of_two(0.3, &f));
    CHECK_FALSE(power_of_two(0.0, &f));
}

namespace {

// A one-conv network: 2 input channels, 2 output channels, 1x1 kernel.
Network conv_net(double xs, double w0, double w1, double ys, int zx, int zy, const char* xdtype) {
    Network net;
    net.source = "test";
    net.input = Shape{2, 2, 2};
    net.input_q = {"input", "x", xs, double(zx), xdtype};
    net.input_unsigned = std::string(xdtype) == "uint8";
    Layer l;
    l.kind = LayerKind::Conv;
    l.name = "conv";
    l.in = net.input;
    l.out = Shape{2, 2, 2};
    l.weights = {1, 2, -3, 4};  // [oc][ic]
    l.bias = {10, -20};
    QuantParam w{"w", "w", w0, 0, "int8"};
    if (w0 != w1) w.channel_scales = {w0, w1};
    l.onnx.qparams = {{"x", "x", xs, double(zx), xdtype}, w, {"y", "y", ys, double(zy), "uint8"}};
    net.layers.push_back(l);
    net.output_q = l.onnx.qparams.back();
    return net;
}

}  // namespace

TEST_CASE("assign_quantization: the shift path for powers of two, float32 otherwise; zero points folded") {
    SUBCASE("power-of-two scales, zero points 0: version 1's shift path") {
        Network net = conv_net(1.0 / 256, 1.0 / 64, 1.0 / 64, 1.0 / 16, 0, 128, "uint8");
        assign_quantization(net);
        const Layer& l = net.layers[0];
        CHECK_FALSE(l.requant_f32);
        CHECK(l.f_in == 8);
        CHECK(l.f_w == 6);
        CHECK(l.f_out == 4);
        CHECK(l.zp_out == 0);  // uint8 128 is the stream's 0
        CHECK(l.bias == std::vector<int32_t>{10, -20});
        CHECK(net.output_unsigned);
    }
    SUBCASE("per-channel weights: float32 multipliers per channel, the input zero point in the bias") {
        Network net = conv_net(0.02, 0.001, 0.003, 0.05, 3, 7, "uint8");
        assign_quantization(net);
        const Layer& l = net.layers[0];
        CHECK(l.requant_f32);
        REQUIRE(l.scale.size() == 2);
        CHECK(l.scale[0] == requant_scale(0.02f, 0.001f, 0.05f));
        CHECK(l.scale[1] == requant_scale(0.02f, 0.003f, 0.05f));
        CHECK(l.zp_in == 3);  // the raw uint8 graph input keeps its zero point
        CHECK(l.zp_out == 7 - 128);
        // bias - zp_in * sum(w): 10 - 3 * (1 + 2), -20 - 3 * (-3 + 4)
        CHECK(l.bias == std::vector<int32_t>{1, -23});
    }
    SUBCASE("a float scale anywhere takes the float path") {
        Network net = conv_net(1.0 / 256, 0.01, 0.01, 1.0 / 16, 0, 0, "uint8");
        assign_quantization(net);
        CHECK(net.layers[0].requant_f32);
        CHECK(net.layers[0].scale.size() == 2);
    }
}
