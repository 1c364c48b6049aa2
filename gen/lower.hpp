// Level 2 of the front end: a normalised ONNX graph (normalize.hpp) -> the
// layer IR (ir.hpp). Reads the QLinear spelling (QuantizeLinear ->
// QLinearConv / QLinearMatMul -> ... -> DequantizeLinear, with onnxruntime's
// QLinearAveragePool / QLinearGlobalAveragePool / QLinearLeakyRelu) and the
// QDQ spelling (float ops between DequantizeLinear and QuantizeLinear, int8
// weights behind a DequantizeLinear), and records what the file says (scales,
// zero points, attributes) without judging it: the legality pass does that.
//
// Float segments follow SPEC §2: the ops between a DequantizeLinear and the
// next QuantizeLinear (or the model's float output, then rounded with that
// DequantizeLinear's scale) are evaluated exactly and rounded once.
#pragma once

#include <string>

#include "ir.hpp"
#include "onnx_graph.hpp"

namespace cnn {

// Throws cnn::Error naming the node and the rule for what the IR cannot
// represent: fan-out, an op outside SPEC §1, a segment with two rounding ops.
Network lower_to_layers(const onnx::Graph& graph, const std::string& source);

}  // namespace cnn
