// The lowering passes over the layer IR, in the order run_passes applies them.
// Each is small and lives in passes/<name>.cpp.
#pragma once

#include <string>
#include <vector>

#include "error.hpp"
#include "ir.hpp"

namespace cnn {

// Every broken rule of SPEC §1, one line each ("node 'c1' (QLinearConv):
// dilation 2: only dilation 1 is accepted"); what() joins them.
class LegalityError : public Error {
public:
    LegalityError(const std::string& source, std::vector<std::string> lines);
    const std::vector<std::string>& lines() const { return lines_; }

private:
    std::vector<std::string> lines_;
};

// 1. Checks every rule of SPEC §1; throws LegalityError listing all violations.
//    Must run first: the passes below rely on its guarantees (valid scales and
//    zero points, windows the rtl/ blocks build).
void check_legality(Network& net);
// 2. Each layer's arithmetic: the shift datapath (f_in, f_w, f_out) when its
//    scales are powers of two, else onnxruntime's float32 requantisation or a
//    lookup table; zero points in the stream domain, folded into the bias.
void assign_quantization(Network& net);
// 3. What the hardware cannot hold (the MAC's output shift range), now that the
//    fractional bits are known; throws LegalityError like pass 1.
void check_hardware_limits(Network& net);
// 4. Dense weights from ONNX's C-major flatten order to the stream's HWC order.
void permute_dense_weights(Network& net);
// 5. An Act layer at an unchanged scale (Relu, an upper clamp) folds into the
//    output stage of the layer before it. Needs f from pass 2.
void fuse_activations(Network& net);

// All of them, in order.
void run_passes(Network& net);

}  // namespace cnn
