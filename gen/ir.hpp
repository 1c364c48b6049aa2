// The layer IR: a chain of integer layers, each taking int8 (uint8 for the
// graph input) activations at a power-of-two scale and producing int8 at
// another. Built by import.cpp from any of the three ONNX spellings, checked
// by the legality pass, lowered to hardware by the emitter. No protobuf here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

// Channels, rows, columns of one image (batch is always 1).
struct Shape {
    int c = 0, h = 0, w = 0;
    int64_t size() const { return int64_t(c) * h * w; }
    bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
};
std::string to_string(const Shape& s);  // "CxHxW"

enum class LayerKind {
    Conv,           // KHxKW convolution, strides, zero padding per side, bias
    Dense,          // fully connected over the whole input (Flatten -> Gemm/MatMul)
    MaxPool,        // KHxKW signed maximum, strides, padding that never wins
    AvgPool,        // KHxKW mean, exact division, strides, padding (count_include_pad)
    GlobalAvgPool,  // mean over all rows and columns of each channel
    Act,            // a standalone activation / rescale (no window, no weights)
    Lut,            // an elementwise op as a 256-entry table (LeakyRelu, HardSigmoid, ...)
    DwConv,         // depthwise KHxKW convolution (group = C_in): output channel oc reads
                    // input channel oc / M only, M = out.c / in.c; strides, padding, bias
    Add,            // elementwise sum of two tensors of one shape (the join of a residual
                    // block): inputs[0] is ONNX's A, inputs[1] its B
};
const char* kind_name(LayerKind k);

enum class Activation { None, Relu, Leaky };
const char* activation_name(Activation a);

// One quantization parameter as the file states it, kept for the legality
// pass (which judges it) and for messages.
struct QuantParam {
    std::string role;     // "input", "x", "w", "bias", "y"
    std::string tensor;   // the ONNX tensor (or scale initializer) it belongs to
    double scale = 1.0;
    double zero_point = 0.0;
    std::string dtype;    // "int8", "uint8", "int32", ...
    // Weights and bias quantized per output channel: one scale per channel
    // (scale holds the first); empty when the tensor has one scale.
    std::vector<double> channel_scales;
    int axis = 0;         // the axis of channel_scales in the ONNX tensor

    bool per_channel() const { return !channel_scales.empty(); }
    double scale_of(size_t oc) const { return per_channel() ? channel_scales[oc] : scale; }
};

// The attributes a layer came with, before any rule is applied.
struct OnnxFacts {
    std::string op;       // ONNX op type(s), e.g. "QLinearConv" or "Conv+Relu"
    int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
    int pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
    int dilation_h = 1, dilation_w = 1, group = 1;
    bool ceil_mode = false;
    double alpha = 0.0;       // LeakyRelu of the output stage
    double pre_alpha = 0.0;   // LeakyRelu before a pool (Layer::pre_act)
    double gemm_alpha = 1.0, gemm_beta = 1.0;
    std::vector<QuantParam> qparams;
    // A standalone elementwise unit that only a lookup table computes (names
    // the step: "HardSwish", "two LeakyRelus", ...); empty otherwise.
    std::string table_only;
};

// Every layer computes an exact rational value per output element,
//     v = V / N * 2^-e        (V an integer, N the pool size or 1),
// applies its activation to the real value v (Relu: v<0 -> 0; Leaky: v<0 ->
// v * 2^-leaky_k), then rounds once and clamps:
//     y = clamp(RHE(v * 2^f_out), -128, clamp_hi)
// e is f_in + f_w for Conv/Dense and f_in otherwise. AvgPool and GAP may
// first apply pre_act to every input value exactly (a float segment
// DequantizeLinear -> LeakyRelu -> pool -> QuantizeLinear keeps the leaky
// ReLU's extra fractional bits into the sum): V = sum of pre_act(x), where
// Leaky maps x < 0 to x * 2^-pre_leaky_k, Relu maps x < 0 to 0.
struct Layer {
    std::string name;       // the ONNX node(s) it came from, for messages
    LayerKind kind = LayerKind::Act;
    Shape in, out;
    // Conv, MaxPool, AvgPool: window, strides and padding per side. Padding
    // is the quantized zero for Conv and AvgPool, and never wins a MaxPool.
    int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
    int pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
    bool count_include_pad = false;       // AvgPool: padded positions count in N
    int f_in = 0, f_w = 0, f_out = 0;     // fractional bits: scale = 2^-f
    Activation act = Activation::None;
    int leaky_k = 0;                      // Leaky: alpha = 2^-leaky_k
    int clamp_hi = 127;                   // Clip(0, max) (ReLU6): upper bound of y
    int clamp_lo = -128;                  // lower bound of y (Relu with a zero point: zp_out)

    // SPEC v2 quantization. Every tensor inside the pipeline is streamed as
    // int8 bits; a uint8 tensor u travels as u - 128 (its top bit flipped)
    // with its zero point moved by -128, so every PE computes in int8. Only
    // the graph input (in_unsigned) is read as uint8; the top flips the
    // output back when the model's output is uint8 (Network::output_unsigned).
    int zp_in = 0;                        // zero point of the input (stream domain)
    int zp_out = 0;                       // zero point of the output (stream domain)
    // Output stage: false = the exact shift of the power-of-two path (f_*,
    // act, leaky_k); true = onnxruntime's float32 requantisation,
    //   y = clamp(RNE(f32(f32(acc) * scale[oc])) + zp_out, clamp_lo, clamp_hi)
    // with acc = bias[oc] + sum((x - zp_in) * w) (Conv/Dense; the zero point
    // is folded into bias) or sum(x) - zp_in * N (GlobalAvgPool).
    bool requant_f32 = false;
    std::vector<float> scale;             // requant_f32: per output channel (Conv/Dense) or one
    // Lut: y = table[x & 0xFF] (x and y as stream bytes), built as onnxruntime
    // builds its lookup tables (dequantize, the float op, QuantizeLinear).
    // Add: y = table[(a & 0xFF) * 256 + (b & 0xFF)], 65536 entries, onnxruntime's
    // QLinearAdd (or its float Add) on every pair, clamps included; the shift
    // path (requant_f32 false) computes the same values exactly:
    //   y = clamp(RHE((a - zp_in) * 2^(m - f_in) + (b - zp_in_b) * 2^(m - f_in_b), m - f_out)
    //             + zp_out, clamp_lo, clamp_hi),   m = max(f_in, f_in_b)
    std::vector<int8_t> table;
    int zp_in_b = 0, f_in_b = 0;          // Add: the second input's zero point and fractional bits
    Activation pre_act = Activation::None;  // AvgPool/GAP: applied to each input first
    int pre_leaky_k = 0;                  // pre_act Leaky: alpha = 2^-pre_leaky_k

    // Conv: [oc][ky][kx][ic] (channel innermost, as the stream delivers them).
    // DwConv: [oc][ky][kx] (the one input channel oc / M).
    // Dense: [out][i] with i in the stream (HWC) order of the input tensor.
    std::vector<int8_t> weights;
    std::vector<int32_t> bias;            // Conv/DwConv/Dense: one per output channel

    OnnxFacts onnx;                       // filled by import, judged by legality

    bool in_unsigned = false;   // reads the uint8 graph input (first layer only)

    // The producers of this layer's inputs, in order: indices of earlier
    // layers, -1 for the graph input. One for every layer but Add (two). The
    // layers are in topological order; a layer's output feeds at most two
    // layers (a fork), and the last layer's output is the network's.
    std::vector<int> inputs;

    // Hardware knobs (set by the emitter's planning; 1 = fully serial).
    int par_in = 1;   // input channels multiplied per cycle
    int par_out = 1;  // Conv: output channels computed at once (1..out.c)
    int par_ky = 1;   // Conv: kernel rows multiplied per cycle (1..kernel_h)
    int par_kx = 1;   // Conv: kernel columns multiplied per cycle (1..kernel_w)
    // Channels per beat of the layer's input and output links (1 = one byte a
    // beat; a divisor of the tensor's channels: beat b of a pixel carries
    // channels b*lanes .. b*lanes+lanes-1, channel b*lanes+k in byte k).
    int lanes_in = 1;
    int lanes_out = 1;

    bool has_padding() const { return pad_t || pad_l || pad_b || pad_r; }
    bool has_weights() const {
        return kind == LayerKind::Conv || kind == LayerKind::Dense || kind == LayerKind::DwConv;
    }
    // The exponent of V: f_in + f_w with weights; f_in plus the pre-activation's
    // extra fractional bits otherwise.
    int e_in() const {
        return has_weights() ? f_in + f_w : f_in + (pre_act == Activation::Leaky ? pre_leaky_k : 0);
    }
    int64_t weight_count() const { return int64_t(weights.size()); }
    int64_t macs() const;   // multiply-accumulates per image (0 for pools and Act)
    bool has_window() const {
        return kind == LayerKind::Conv || kind == LayerKind::MaxPool || kind == LayerKind::AvgPool ||
               kind == LayerKind::DwConv;
    }
    // "3/1/1" for a square kernel, equal strides and pads; else
    // "3x5/1x2/0,1,0,1" (kernel HxW / stride HxW / pads top,left,bottom,right).
    std::string window_string() const;
    // The output stage's activation, "relu", "leaky/8", "relu<=48" (a clamp),
    // after a pool's pre-activation: "leaky/8->none".
    std::string act_string() const;
};

// The whole chain plus what lies outside the hardware.
struct Network {
    std::string name;           // model file stem
    std::string source;         // model file path
    Shape input;
    bool input_unsigned = false;  // graph input quantized to uint8 (else int8)
    int f_input = 0;              // fractional bits of the streamed input
    // Preprocessing of an 8-bit pixel p before the first QuantizeLinear:
    // x = p * input_mul + input_add (default p / 255). Ignored when the graph
    // input is already quantized (input_prequantized): then x = p.
    double input_mul = 1.0 / 255.0, input_add = 0.0;
    bool input_prequantized = false;
    std::vector<int64_t> input_dims;  // as the file states them ([1, C, H, W] expected)
    QuantParam input_q;               // the first QuantizeLinear (role "input")
    std::vector<Layer> layers;
    QuantParam output_q;          // the final output's quantization
    bool output_unsigned = false; // the final output is uint8 (the top flips bit 7 back)
    int f_output = 0;             // fractional bits of the final output
    bool softmax = false;         // a Softmax after the final DequantizeLinear (software)
    std::string output_name;      // ONNX graph output name

    Shape output() const { return layers.empty() ? input : layers.back().out; }
    // Layer i's producers: its inputs, or (none given: a chain) layer i - 1.
    std::vector<int> inputs_of(size_t i) const {
        return layers[i].inputs.empty() ? std::vector<int>{int(i) - 1} : layers[i].inputs;
    }
    // The layers that read layer i's output (i = -1: the graph input).
    std::vector<int> consumers(int i) const;
    // The shape of producer p (-1: the graph input).
    Shape shape_of(int p) const { return p < 0 ? input : layers[size_t(p)].out; }
    // Removes layer i, whose only input is inputs[0]: its consumers read that
    // instead, and every index above i moves down by one.
    void erase_layer(size_t i);
    // Gives every layer without inputs the previous one (a chain, as the
    // builders of tests and older code write networks).
    void link_chain();
};

}  // namespace cnn
