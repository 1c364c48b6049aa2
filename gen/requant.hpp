// onnxruntime's float32 arithmetic, stated once: the golden model's float
// requantisation (SPEC §2), its QuantizeLinear and its lookup tables. Every
// function computes in IEEE binary32 with round-to-nearest-even, as
// onnxruntime's CPU kernels do on x86-64 (SSE: no x87, no fused multiply-add
// in these expressions); the comments name the onnxruntime source followed.
#pragma once

#include <cstdint>

namespace cnn {

// The multiplier of one output channel, as onnxruntime's QLinearConv
// (core/providers/cpu/quantization/qlinearconv.cc) and QLinearMatMul compute
// it: x_scale * w_scale[oc] / y_scale, left to right in float.
float requant_scale(float x_scale, float w_scale, float y_scale);

// QLinearGlobalAveragePool's multiplier over N values
// (mlas/lib/qlgavgpool.cpp, CheckQLinearGlobalAveragePoolScaleAndSize):
// x_scale / (y_scale * float(N)).
float gap_scale(float x_scale, float y_scale, int64_t n);

// MlasRequantizeOutput (mlas/lib/quantize.cpp): float(acc) rounds an int32 to
// float, one float multiply, clamp to [lo - zp, hi - zp], round half to even,
// + zp. Returns y in [lo, hi]. acc must fit int32 (onnxruntime's accumulator).
int32_t requantize_f32(int64_t acc, float scale, int zp, int lo, int hi);

// MlasQuantizeLinear (mlas/lib/quantize.cpp): x / scale in float, clamp,
// round half to even, + zp, for the output range [lo, hi].
int32_t quantize_f32(float x, float scale, int zp, int lo, int hi);

// QLinearAdd as onnxruntime computes it on x86-64 with AVX2
// (mlas/lib/qladd_avx2.cpp, MlasQLinearAddKernelAvx2Helper): the ratios
// rA = a_scale / c_scale and rB = b_scale / c_scale in float; a fixed part
// float(zc) - (rA * za + rB * zb); then two fused multiply-adds, each rounded
// once: t = fma(b, rB, fixed), v = fma(a, rA, t); cvtps2dq (round half to
// even; out of range or NaN: INT32_MIN) and saturation to [lo, hi]. a and b
// are the tensors' own integers (uint8 0..255 or int8).
int32_t qlinear_add(int a, float a_scale, int za, int b, float b_scale, int zb, float c_scale, int zc, int lo,
                    int hi);

// True when scale is exactly 2^-f for an integer f; sets f.
bool power_of_two(double scale, int* f);

}  // namespace cnn
