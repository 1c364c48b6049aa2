// Small valid models the front-end tests mutate, and a node finder.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "onnx_graph.hpp"
#include "zoo.hpp"

namespace cnn::test {

// conv3 (c -> out_c channels, pad 1) + relu + maxpool 2, conv1 (out_c -> 2):
// the zoo's QLinear form, named `name`.
inline onnx::Graph small_graph(const std::string& name, int c = 2, int h = 8, int w = 7, int out_c = 3) {
    zoo::ModelSpec spec;
    spec.name = name;
    spec.c = c, spec.h = h, spec.w = w;
    zoo::ConvSpec a;
    a.out_c = out_c, a.k = 3, a.pad = 1, a.act = zoo::Act::Relu, a.pool = zoo::Pool::Max;
    zoo::ConvSpec b;
    b.out_c = 2, b.k = 1;
    spec.layers = {a, b};
    return zoo::build_model(spec).graph;
}

// The first node of op type `op` (the test fails without one).
inline onnx::Node& first(onnx::Graph& g, const std::string& op) {
    for (auto& n : g.nodes)
        if (n.op_type == op) return n;
    FAIL("no " << op << " node");
    throw 0;
}

}  // namespace cnn::test
