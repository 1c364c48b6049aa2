// A reference interpreter for the ONNX ops the framework reads: the float
// model's behaviour (for the quantizer's calibration and for checks) and the
// exact ONNX semantics of the quantized ops (QuantizeLinear, QLinearConv...).
//
// Float ops run in double precision. Integer ops are exact: QLinearConv and
// QLinearMatMul accumulate in int64 and requantize with round half to even
// and saturation, as the ONNX reference does.
//
// Ops: Conv, MaxPool, AveragePool, GlobalAveragePool, Relu, LeakyRelu, Add, Gemm,
// MatMul, Flatten, Softmax, BatchNormalization, QuantizeLinear,
// DequantizeLinear, QLinearConv, QLinearMatMul, Reshape, Dropout, Identity;
// and what torch.onnx.export writes around them: Constant, Clip, ReduceMean,
// Pad (constant mode), Shape, Gather, Unsqueeze, Squeeze, Concat, Slice,
// Transpose, Cast, ConstantOfShape.
// Convolutions and pools take 1-D to 3-D spatial inputs (N, C, [[D,] H,] W).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "error.hpp"
#include "onnx_graph.hpp"

namespace cnn::onnx {

// A valid ONNX construct this interpreter does not implement (an op, an
// attribute value, an element type). where() names the node.
class Unsupported : public Error {
public:
    using Error::Error;
};

// Evaluate a graph. inputs maps graph input names to tensors (an initializer
// may be overridden by name too). Returns the graph outputs, or with
// keep_intermediates every value: inputs, initializers and every node output.
// Throws Unsupported for what is not implemented, Error for a malformed graph
// or inputs that do not match it.
std::map<std::string, Tensor> run(const Graph& graph, const std::map<std::string, Tensor>& inputs,
                                  bool keep_intermediates = false);

// Evaluate one node. inputs[i] is the value of node.inputs[i] (nullptr for an
// omitted optional input); opset selects version-dependent semantics
// (Softmax). Returns one tensor per node output, named after it.
std::vector<Tensor> run_node(const Node& node, const std::vector<const Tensor*>& inputs,
                             int64_t opset);

// Round half to even, the rounding of every ONNX quantizing op.
double round_half_even(double x);

}  // namespace cnn::onnx
