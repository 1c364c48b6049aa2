// top_lut_u8_net.hpp: a network built in C++ (no ONNX file) whose output is
// uint8, for the top-level test top_lut_u8: Lut (a LeakyRelu, int8 -> int8)
// -> FIFO -> Lut (a HardSigmoid into uint8, streamed as u - 128), so the
// generated top's cnn_axis_out flips bit 7 (FLIP_MSB). The input is every
// int8 code: x = p - 128 for the 8-bit pixel p (f_input 0).
// Used by top_lut_u8_gen.cpp (writes the design) and tb_top_lut_u8.cpp.
#pragma once

#include <algorithm>
#include <cmath>

#include "ir.hpp"
#include "requant.hpp"

namespace cnn::rtl_tb {

inline Network lut_u8_network() {
    Network net;
    net.name = "top_lut_u8";
    net.source = "rtl/tests/top_lut_u8_net.hpp";
    net.input = {4, 8, 8};  // 256 values: an image of pixels 0..255 holds every code
    net.input_unsigned = false;
    net.f_input = 0;
    net.input_mul = 1.0;
    net.input_add = -128.0;
    net.output_unsigned = true;
    net.output_q = {"y", "out", 1.0 / 255.0, 0.0, "uint8"};

    // Tables as a lookup table is built: dequantize each code, the float op,
    // QuantizeLinear (requant.hpp). Index i is the stream byte, x = int8(i).
    const float s_in = 0.05f, s_mid = 0.04f;
    const int zp_mid = -10;
    Layer leaky;
    leaky.name = "leaky";
    leaky.kind = LayerKind::Lut;
    leaky.in = leaky.out = net.input;
    Layer hsig = leaky;
    hsig.name = "hardsigmoid";
    leaky.table.resize(256);
    hsig.table.resize(256);
    for (int i = 0; i < 256; ++i) {
        const int x = int8_t(uint8_t(i));
        const float v = float(x) * s_in;
        leaky.table[i] = int8_t(quantize_f32(v > 0 ? v : 0.1f * v, s_mid, zp_mid, -128, 127));
        const float m = float(x - zp_mid) * s_mid;
        const float h = std::clamp(0.2f * m + 0.5f, 0.0f, 1.0f);
        hsig.table[i] = int8_t(quantize_f32(h, 1.0f / 255.0f, 0, 0, 255) - 128);  // uint8 u as u - 128
    }
    leaky.zp_out = zp_mid;
    hsig.zp_in = zp_mid;
    hsig.zp_out = -128;
    net.layers = {leaky, hsig};
    return net;
}

}  // namespace cnn::rtl_tb
