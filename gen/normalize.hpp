// Level 1 of the front end: normalisation passes over the protobuf-free ONNX
// graph (pnnx's pass levels are the model). Each pass rewrites one spelling
// of SPEC §1.1 into the one form the lowering (lower.hpp) reads, and lives in
// normalize/<pass>.cpp. normalize_graph() runs them in this order:
//
//   1. fold_constants      Constant nodes and constant-only subgraphs (the
//                          Shape -> Gather -> Unsqueeze -> Concat chains of
//                          x.view(x.size(0), -1)) become initializers; Shape
//                          reads ONNX's inferred shapes. Quantize/Dequantize
//                          of constants stay: the lowering reads their scales.
//   2. remove_identities   Identity and (inference) Dropout removed.
//   3. normalize_clip      Clip's bounds as inputs (opset 6 attributes moved);
//                          Clip(0, +inf) becomes Relu.
//   4. reduce_mean_to_gap  ReduceMean over axes (2, 3) -> GlobalAveragePool
//                          (+ Flatten when keepdims = 0).
//   5. reshape_to_flatten  Reshape to [1, N] / [1, -1] / [0, -1] and Squeeze of
//                          [1, C, 1, 1] -> Flatten(axis 1).
//   6. fold_pads           a constant zero Pad of the spatial axes before a Conv,
//                          QLinearConv or AveragePool becomes that node's pads
//                          (AveragePool then counts them: count_include_pad 1).
//                          Must follow 1 (its pads are an input since opset 11).
//
// Every pass keeps the graph valid ONNX (the interpreter still runs it).
#pragma once

#include <string>

#include "onnx_graph.hpp"

namespace cnn {

void fold_constants(onnx::Graph& g);
void remove_identities(onnx::Graph& g);
void normalize_clip(onnx::Graph& g);
void reduce_mean_to_gap(onnx::Graph& g);
void reshape_to_flatten(onnx::Graph& g);
void fold_pads(onnx::Graph& g);

// All of them, in order.
void normalize_graph(onnx::Graph& g);

// Helpers the passes share.
namespace graph {

std::string node_ref(const onnx::Node& n);                       // "node 'c1' (Conv)"
const onnx::Tensor* constant(const onnx::Graph& g, const std::string& value);  // an initializer or null
int use_count(const onnx::Graph& g, const std::string& value);   // node inputs + graph outputs
// The single node reading value (and no graph output reads it), else null.
onnx::Node* sole_consumer(onnx::Graph& g, const std::string& value);
// Every read of `from` (node inputs, graph outputs) reads `to` instead.
void replace_uses(onnx::Graph& g, const std::string& from, const std::string& to);
// A value name not used in the graph: base, base_2, base_3, ...
std::string fresh_name(const onnx::Graph& g, const std::string& base);
// Adds a constant initializer and returns its name.
std::string add_constant(onnx::Graph& g, const std::string& base, onnx::DType t, std::vector<int64_t> dims,
                         std::vector<double> data);
// Removes the nodes whose index is marked.
void erase_nodes(onnx::Graph& g, const std::vector<bool>& dead);

}  // namespace graph

}  // namespace cnn
