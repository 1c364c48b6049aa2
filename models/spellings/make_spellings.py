#!/usr/bin/python3
"""The spelling models: zoo models (and LeNet) rewritten by graph surgery into
the other ways SPEC section 1-2 lets a quantized model say the same thing, so
the front end's normalisation passes and float-segment lowering are tested on
files the project's own quantizer never writes. Weights and scales are the
zoo's (power of two, zero point 0).

Run from the repository root with Debian's python3-onnx:
    /usr/bin/python3 models/spellings/make_spellings.py
The .onnx files are committed; gen/tests/test_spellings.cpp checks each one
against the interpreter and onnxruntime, and CI simulates some in hardware.
"""
import os
import onnx
from onnx import helper, numpy_helper, TensorProto
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ZOO = os.path.join(HERE, "..", "zoo")


def load(name, folder=ZOO):
    return onnx.load(os.path.join(folder, name + ".onnx"))


def node_by_output(g, out):
    return next(n for n in g.node if out in n.output)


def remove(g, *names):
    """Drops the named nodes. Node objects taken from g before are stale after it."""
    keep = [n for n in g.node if n.name not in names]
    del g.node[:]
    g.node.extend(keep)


def rewire(g, old, new):
    for n in g.node:
        for i, x in enumerate(n.input):
            if x == old:
                n.input[i] = new
    for o in g.output:
        if o.name == old:
            o.name = new


def insert_after(g, anchor_output, new_nodes):
    """Put new_nodes right after the node that writes anchor_output."""
    nodes = list(g.node)
    k = next(i for i, n in enumerate(nodes) if anchor_output in n.output)
    nodes[k + 1:k + 1] = new_nodes
    del g.node[:]
    g.node.extend(nodes)


def const(g, name, values, dtype=np.float32):
    g.initializer.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
    return name


def save(m, name, opset=None):
    if opset:
        m.opset_import[0].version = opset
    m.graph.name = name
    del m.graph.value_info[:]
    for o in m.graph.output:  # left to shape inference
        for i, d in enumerate(o.type.tensor_type.shape.dim):
            d.dim_param = "d%d" % i
    onnx.checker.check_model(m)
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    onnx.save(m, os.path.join(HERE, name + ".onnx"))
    print("wrote", name)


def gap_float_tail():
    # ... -> DequantizeLinear -> GlobalAveragePool -> (model output, no QuantizeLinear)
    m = load("conv3_mp2_gap10")
    g = m.graph
    q = node_by_output(g, "gap2_out")
    dq = node_by_output(g, "output")
    remove(g, q.name, dq.name)
    node_by_output(g, "gap2_out_f").output[0] = "output"
    save(m, "gap_float_tail")


def leaky_gap_segment():
    # DequantizeLinear -> LeakyRelu(1/8) -> GlobalAveragePool -> QuantizeLinear:
    # one rounding, the leaky values keep their 3 extra bits into the mean.
    m = load("conv3_mp2_gap10")
    g = m.graph
    gap = node_by_output(g, "gap2_out_f")
    gap.input[0] = "leaky2_out_f"
    insert_after(g, "gap2_in", [helper.make_node("LeakyRelu", ["gap2_in"], ["leaky2_out_f"], name="leaky2", alpha=0.125)])
    save(m, "leaky_gap_segment")


def relu_maxpool_float_tail():
    # QLinearConv -> DequantizeLinear -> Relu -> MaxPool -> model output.
    m = load("conv3_s1_p1_relu_mp2")
    g = m.graph
    q = node_by_output(g, "relu1_out")
    pool = node_by_output(g, "pool1_out")
    dq = node_by_output(g, "output")
    pool.input[0] = "relu1_out_f"
    pool.output[0] = "output"
    remove(g, q.name, dq.name)
    save(m, "relu_maxpool_float_tail")


def qlinear_relu_int8():
    # QLinearConv -> Relu directly on the int8 tensor (opset 14), then MaxPool.
    m = load("conv3_s1_p1_relu_mp2")
    g = m.graph
    dq = node_by_output(g, "relu1_in")
    relu = node_by_output(g, "relu1_out_f")
    q = node_by_output(g, "relu1_out")
    relu.input[0] = "conv1_out"
    relu.output[0] = "relu1_out"
    remove(g, dq.name, q.name)
    save(m, "qlinear_relu_int8", opset=14)


def clip_relu6():
    # DequantizeLinear -> Clip(0, 6) -> QuantizeLinear (ReLU6), bounds as inputs.
    m = load("conv3_mp2_gap10")
    g = m.graph
    relu = node_by_output(g, "relu1_out_f")
    relu.op_type = "Clip"
    relu.input.extend([const(g, "clip_min", 0.0), const(g, "clip_max", 1.5)])
    save(m, "clip_relu6")


def leaky_avgpool_segment():
    # DequantizeLinear -> LeakyRelu(1/8) -> AveragePool(3, 1) -> QuantizeLinear.
    m = load("conv3_rgb_relu_ap2_leaky8_ap3s1")
    g = m.graph
    q = node_by_output(g, "leaky2_out")
    dq = node_by_output(g, "pool2_in")
    remove(g, q.name, dq.name)
    node_by_output(g, "pool2_out_f").input[0] = "leaky2_out_f"
    save(m, "leaky_avgpool_segment")


def reducemean_gap():
    # x.mean((2, 3), keepdim=True) as ReduceMean instead of GlobalAveragePool.
    m = load("conv3_mp2_gap10")
    g = m.graph
    gap = node_by_output(g, "gap2_out_f")
    gap.op_type = "ReduceMean"
    gap.attribute.extend([helper.make_attribute("axes", [2, 3]), helper.make_attribute("keepdims", 1)])
    save(m, "reducemean_gap")


def lenet_view_dropout():
    # LeNet with x.view(x.size(0), -1) (Shape -> Gather -> Unsqueeze -> Concat ->
    # Reshape) for its Flatten, Identity and Dropout nodes in the chain.
    m = load("lenet", os.path.join(HERE, ".."))
    g = m.graph
    flat = node_by_output(g, "/Flatten_out")
    src = flat.input[0]
    const(g, "axis0", [0], np.int64)
    const(g, "minus1", [-1], np.int64)
    chain = [
        helper.make_node("Identity", [src], ["id_out"], name="identity"),
        helper.make_node("Shape", ["id_out"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "gidx"], ["batch"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["batch", "axis0"], ["batch1"], name="unsqueeze"),
        helper.make_node("Concat", ["batch1", "minus1"], ["newshape"], name="concat", axis=0),
        helper.make_node("Reshape", ["id_out", "newshape"], ["/Flatten_out"], name="view"),
    ]
    g.initializer.append(numpy_helper.from_array(np.array(0, dtype=np.int64), "gidx"))
    remove(g, flat.name)
    insert_after(g, src, chain)
    # Dropout in the first dense layer's float segment, between Gemm and Relu.
    rewire(g, "/fc1/Gemm_out", "drop_out")
    insert_after(g, "/fc1/Gemm_out", [helper.make_node("Dropout", ["/fc1/Gemm_out"], ["drop_out"], name="dropout")])
    save(m, "lenet_view_dropout")


def conv_geometry():
    # Not a respelling: three QLinearConvs with the conv geometry of SPEC v2
    # section 1 the zoo does not have: 3x5 stride 2x1, 1x7 stride 1x2, 4x2 stride
    # 3x1, asymmetric pads. At PAR=1 this model once caught GHDL folding the
    # rounding constant of cnn_pkg.rhe_shift to zero in one MAC (every fraction
    # rounded up); CI simulates it at PAR=1.
    rng = np.random.default_rng(7)
    inits, nodes = [], []

    def c(name, arr):
        inits.append(numpy_helper.from_array(np.array(arr), name))
        return name

    def qconv(i, x, xs, xz, cin, cout, kh, kw, st, pads, ys):
        w = rng.integers(-40, 40, (cout, cin, kh, kw)).astype(np.int8)
        b = rng.integers(-2000, 2000, (cout,)).astype(np.int32)
        ins = [x, xs, xz, c("w%d" % i, w), c("ws%d" % i, np.float32(2 ** -7)), c("wz%d" % i, np.int8(0)),
               c("ys%d" % i, np.float32(ys)), c("yz%d" % i, np.int8(0)), c("b%d" % i, b)]
        nodes.append(helper.make_node("QLinearConv", ins, ["c%d" % i], name="conv%d" % i,
                                      kernel_shape=[kh, kw], strides=st, pads=pads))
        return "c%d" % i, "ys%d" % i, "yz%d" % i

    nodes.append(helper.make_node("QuantizeLinear", ["input", c("is", np.float32(2 ** -8)), c("iz", np.uint8(0))],
                                  ["q"], name="quant"))
    x, xs, xz = qconv(0, "q", "is", "iz", 3, 4, 3, 5, [2, 1], [0, 2, 1, 2], 2 ** -5)
    x, xs, xz = qconv(1, x, xs, xz, 4, 5, 1, 7, [1, 2], [0, 3, 0, 3], 2 ** -4)
    x, xs, xz = qconv(2, x, xs, xz, 5, 3, 4, 2, [3, 1], [2, 0, 1, 1], 2 ** -4)
    nodes.append(helper.make_node("DequantizeLinear", [x, xs, xz], ["output"], name="dq"))
    g = helper.make_graph(nodes, "conv_geometry", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 13, 11])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 2, 6])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    save(m, "conv_geometry")


if __name__ == "__main__":
    gap_float_tail()
    leaky_gap_segment()
    relu_maxpool_float_tail()
    qlinear_relu_int8()
    clip_relu6()
    leaky_avgpool_segment()
    reducemean_gap()
    lenet_view_dropout()
    conv_geometry()
