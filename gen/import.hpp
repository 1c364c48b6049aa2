// ONNX graph -> layer IR. Reads the QLinear and QDQ spellings of SPEC §1 (a
// float model is refused here with a pointer to the quantizer). Records what
// the file says (scales, zero points, attributes) without judging it: the
// legality pass does that, then the passes in passes.hpp lower the result.
#pragma once

#include <string>

#include "ir.hpp"
#include "onnx_graph.hpp"

namespace cnn {

// Throws cnn::Error for what cannot even be represented: a graph that is not a
// single chain, an unsupported op, unknown shapes, a float model.
Network import_network(const onnx::Graph& graph, const std::string& source);

// load_model + import_network + every pass of passes.hpp (legality first).
Network load_network(const std::string& path);

// True when the graph has no QuantizeLinear/QLinear node: the float spelling.
bool is_float_model(const onnx::Graph& graph);

}  // namespace cnn
