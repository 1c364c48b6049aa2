#!/usr/bin/python3
"""The SPEC v2 zoo: small CNNs quantized the way onnxruntime's quantize_static
and PyTorch write them, in the QDQ spelling (QuantizeLinear ->
DequantizeLinear around every activation, int8 weights and int32 biases
behind DequantizeLinear), with what version 1 refused:

  * float scales from calibration (range / 255, or max|w| / 127);
  * asymmetric activations: uint8 with a zero point, int8 with a zero point;
  * int8 weights with one scale per output channel (axis 0; Gemm axis 1);
  * bias int32 at s_x * s_w[oc] (float32 product), zero point 0;
  * elementwise ops that onnxruntime computes as a table or in float between
    two quantizations: LeakyRelu (alpha 0.01, PyTorch's default),
    HardSigmoid, HardSwish, Clip(0, 6) (ReLU6);
  * an AveragePool over the whole map (onnxruntime's global path).

Weights come from a PRNG seeded by the model name; activation ranges from a
float forward pass over 64 random images (x = p / 255). Deterministic: the
files are committed, and gen/tests/test_onnxruntime.cpp compares the golden
model with onnxruntime on every one; CI simulates some in hardware.

    /usr/bin/python3 models/quantized/make_quantized.py   (Debian python3-onnx)
"""
import os
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 14  # HardSwish; per-channel DequantizeLinear needs >= 13


class Builder:
    def __init__(self, name, c, h, w, act_type, pow2=False):
        self.name = name
        self.pow2 = pow2  # every scale 2^-f, int8 symmetric (cnnc quantize's default family)
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.nodes, self.inits = [], []
        self.act_type = act_type  # "uint8" or "int8"
        self.shape = (c, h, w)
        self.cur = "x"  # the float value of the chain
        self.calib = self.rng.integers(0, 256, size=(64, c, h, w)).astype(np.float32) / np.float32(255)
        self.vals = self.calib  # float values of self.cur on the calibration images
        self.n = 0
        self.flat = False
        self.input_type = TensorProto.FLOAT

    def uid(self, s):
        self.n += 1
        return f"{s}{self.n}"

    def const(self, name, arr, dtype):
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    # onnxruntime's quantizer: the range widened to include 0; uint8 zp in
    # [0, 255]; int8 asymmetric zp in [-128, 127].
    def act_qparams(self, vals, symmetric=False):
        lo, hi = min(float(vals.min()), 0.0), max(float(vals.max()), 0.0)
        if self.pow2:
            m = max(abs(lo), abs(hi), 1e-8)
            return np.float32(2.0 ** np.ceil(np.log2(m / 127.0))), 0, "int8"
        if symmetric:
            m = max(abs(lo), abs(hi))
            return np.float32(max(m, 1e-8) / 127.0), 0, "int8"
        scale = np.float32(max(hi - lo, 1e-8) / 255.0)
        if self.act_type == "uint8":
            zp = int(np.clip(np.rint(-lo / scale), 0, 255))
        else:
            zp = int(np.clip(np.rint(-128 - lo / scale), -128, 127))
        return scale, zp, self.act_type

    def fake_quant(self, vals, scale, zp, dtype):
        lo, hi = (0, 255) if dtype == "uint8" else (-128, 127)
        q = np.clip(np.rint(vals / scale) + zp, lo, hi)
        return ((q - zp) * scale).astype(np.float32)

    def qdq(self, symmetric=False):
        """QuantizeLinear -> DequantizeLinear on the current value."""
        scale, zp, dtype = self.act_qparams(self.vals, symmetric)
        t = TensorProto.UINT8 if dtype == "uint8" else TensorProto.INT8
        npt = np.uint8 if dtype == "uint8" else np.int8
        s = self.const(self.uid("s"), scale, np.float32)
        z = self.const(self.uid("zp"), zp, npt)
        q, d = self.uid("q"), self.uid("dq")
        self.nodes.append(helper.make_node("QuantizeLinear", [self.cur, s, z], [q], name=q))
        self.nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [d], name=d))
        self.last_q = (q, s, z)
        self.cur = d
        self.vals = self.fake_quant(self.vals, scale, zp, dtype)
        self.last_scale = scale
        return t

    def weights_dq(self, w, axis, per_channel):
        """int8 weights (symmetric) behind a DequantizeLinear; returns its output and scales."""
        if per_channel:
            red = tuple(i for i in range(w.ndim) if i != axis)
            m = np.abs(w).max(axis=red)
            scale = (np.maximum(m, 1e-8) / 127.0).astype(np.float32)
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
            zp = np.zeros(scale.shape, np.int8)
        else:
            scale = np.float32(max(float(np.abs(w).max()), 1e-8) / 127.0)
            if self.pow2:
                scale = np.float32(2.0 ** np.ceil(np.log2(scale)))
            q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
            zp = np.int8(0)
        wq = self.const(self.uid("wq"), q, np.int8)
        ws = self.const(self.uid("ws"), scale, np.float32)
        wz = self.const(self.uid("wz"), zp, np.int8)
        out = self.uid("w")
        attrs = {"axis": axis} if per_channel else {}
        self.nodes.append(helper.make_node("DequantizeLinear", [wq, ws, wz], [out], name=out, **attrs))
        shape = [1] * w.ndim
        if per_channel:
            shape[axis] = -1
        return out, (q.astype(np.float32) * np.asarray(scale).reshape(shape) if per_channel else q * scale), scale

    def bias_dq(self, b, w_scale):
        bscale = (np.float32(self.last_scale) * np.asarray(w_scale, np.float32)).astype(np.float32)
        q = np.rint(b / bscale).astype(np.int32)
        bq = self.const(self.uid("bq"), q, np.int32)
        bs = self.const(self.uid("bs"), bscale, np.float32)
        bz = self.const(self.uid("bz"), np.zeros(np.shape(bscale), np.int32), np.int32)
        out = self.uid("b")
        attrs = {"axis": 0} if np.ndim(bscale) else {}
        self.nodes.append(helper.make_node("DequantizeLinear", [bq, bs, bz], [out], name=out, **attrs))
        return out, q.astype(np.float32) * bscale

    def conv(self, oc, k, stride=1, pad=0, per_channel=True, group=1):
        """pad: one int for every side or (top, left, bottom, right); group:
        ONNX's (group = C_in and oc a multiple of it: depthwise)."""
        c, h, w = self.shape
        kh, kw = (k, k) if isinstance(k, int) else k
        wf = self.rng.normal(0, 1.0 / np.sqrt(c // group * kh * kw),
                             size=(oc, c // group, kh, kw)).astype(np.float32)
        bf = self.rng.normal(0, 0.1, size=(oc,)).astype(np.float32)
        wname, wdq, ws = self.weights_dq(wf, 0, per_channel)
        bname, bdq = self.bias_dq(bf, ws)
        out = self.uid("conv")
        pads = [pad] * 4 if isinstance(pad, int) else list(pad)
        attrs = {"group": group} if group != 1 else {}
        self.nodes.append(helper.make_node("Conv", [self.cur, wname, bname], [out], name=out,
                                           kernel_shape=[kh, kw], strides=[stride, stride],
                                           pads=pads, **attrs))
        self.cur = out
        self.vals = conv2d(self.vals, wdq, bdq, stride, pad, group)
        self.shape = self.vals.shape[1:]

    def gemm(self, n, per_channel=True):
        k = int(np.prod(self.shape))
        wf = self.rng.normal(0, 1.0 / np.sqrt(k), size=(n, k)).astype(np.float32)  # [N, K], transB = 1
        bf = self.rng.normal(0, 0.1, size=(n,)).astype(np.float32)
        wname, wdq, ws = self.weights_dq(wf, 0, per_channel)
        bname, bdq = self.bias_dq(bf, ws)
        flat = self.uid("flat")
        self.nodes.append(helper.make_node("Flatten", [self.cur], [flat], name=flat, axis=1))
        out = self.uid("gemm")
        self.nodes.append(helper.make_node("Gemm", [flat, wname, bname], [out], name=out, transB=1))
        self.cur = out
        self.vals = self.vals.reshape(len(self.vals), -1) @ wdq.T + bdq
        self.shape = (n, 1, 1)
        self.flat = True

    # A residual fork: the state of the current (dequantized) value, which a
    # second path reads later; own_dq gives that path its own
    # DequantizeLinear of the same QuantizeLinear (both spellings occur).
    def fork(self, own_dq=False):
        cur = self.cur
        if own_dq:
            q, s, z = self.last_q
            cur = self.uid("dq")
            self.nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [cur], name=cur))
        return dict(cur=cur, vals=self.vals, shape=self.shape, last_scale=self.last_scale)

    def resume(self, st):
        self.cur, self.vals, self.shape, self.last_scale = st["cur"], st["vals"], st["shape"], st["last_scale"]

    def add(self, other):
        """Add of the current value and a forked one (both dequantized)."""
        out = self.uid("add")
        self.nodes.append(helper.make_node("Add", [self.cur, other["cur"]], [out], name=out))
        self.cur = out
        self.vals = (self.vals + other["vals"]).astype(np.float32)

    def unary(self, op, fn, **attrs):
        out = self.uid(op.lower())
        self.nodes.append(helper.make_node(op, [self.cur], [out], name=out, **attrs))
        self.cur = out
        self.vals = fn(self.vals).astype(np.float32)

    def clip(self, lo, hi):
        a = self.const(self.uid("lo"), lo, np.float32)
        b = self.const(self.uid("hi"), hi, np.float32)
        out = self.uid("clip")
        self.nodes.append(helper.make_node("Clip", [self.cur, a, b], [out], name=out))
        self.cur = out
        self.vals = np.clip(self.vals, lo, hi)

    def maxpool(self, k, s):
        out = self.uid("maxpool")
        self.nodes.append(helper.make_node("MaxPool", [self.cur], [out], name=out, kernel_shape=[k, k],
                                           strides=[s, s]))
        self.cur = out
        self.vals = pool2d(self.vals, k, s, np.max)
        self.shape = self.vals.shape[1:]

    def avgpool_global(self):
        c, h, w = self.shape
        out = self.uid("avgpool")
        self.nodes.append(helper.make_node("AveragePool", [self.cur], [out], name=out, kernel_shape=[h, w]))
        self.cur = out
        self.vals = self.vals.mean(axis=(2, 3), keepdims=True)
        self.shape = (c, 1, 1)

    def gap(self):
        c = self.shape[0]
        out = self.uid("gap")
        self.nodes.append(helper.make_node("GlobalAveragePool", [self.cur], [out], name=out))
        self.cur = out
        self.vals = self.vals.mean(axis=(2, 3), keepdims=True)
        self.shape = (c, 1, 1)

    def save(self):
        c, h, w = self.calib.shape[1:]
        out_shape = [1, self.shape[0]] if self.flat else [1] + list(self.shape)
        g = helper.make_graph(self.nodes, self.name,
                              [helper.make_tensor_value_info("x", self.input_type, [1, c, h, w])],
                              [helper.make_tensor_value_info(self.cur, TensorProto.FLOAT, out_shape)],
                              self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="cnnstream")
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        path = os.path.join(HERE, self.name + ".onnx")
        onnx.save(m, path)
        return path


def conv2d(x, w, b, stride, pad, group=1):
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    pt, pl, pb, pr = (pad,) * 4 if isinstance(pad, int) else pad
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh, ow = (h + pt + pb - kh) // stride + 1, (wd + pl + pr - kw) // stride + 1
    out = np.zeros((n, oc, oh, ow), np.float32)
    og = oc // group  # output channels per group; group gi reads channels gi*cg .. gi*cg+cg-1
    for gi in range(group):
        xs, ws = xp[:, gi * cg:(gi + 1) * cg], w[gi * og:(gi + 1) * og]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                out[:, gi * og:(gi + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    return out + b.reshape(1, -1, 1, 1)


def pool2d(x, k, s, fn):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, c, oh, ow), np.float32)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = fn(x[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return out


def relu(v):
    return np.maximum(v, 0)


def hardsigmoid(v, a=0.2, b=0.5):
    return np.clip(a * v + b, 0, 1)


def models():
    # 1. uint8 asymmetric activations, per-channel weights, ReLU folded into
    #    the conv's output quantization as onnxruntime's quantizer leaves it
    #    (Relu kept between DequantizeLinear and QuantizeLinear), MaxPool, GAP.
    b = Builder("u8_perchannel_relu_mp_gap", 1, 12, 12, "uint8")
    b.qdq()
    b.conv(8, 3, pad=1)
    b.unary("Relu", relu)
    b.qdq()
    b.maxpool(2, 2)
    b.qdq()
    b.conv(12, 3)
    b.qdq()
    b.gap()
    b.qdq()
    b.gemm(10)
    b.qdq()
    yield b

    # 2. int8 asymmetric activations, per-tensor float scales, table ops:
    #    LeakyRelu(0.01), HardSigmoid, HardSwish each between two quantizations.
    b = Builder("s8_asym_leaky_hardsigmoid_hardswish", 3, 10, 10, "int8")
    b.qdq()
    b.conv(6, 3, pad=1, per_channel=False)
    b.qdq()
    b.unary("LeakyRelu", lambda v: np.where(v >= 0, v, np.float32(0.01) * v), alpha=0.01)
    b.qdq()
    b.conv(8, 3, stride=2, per_channel=False)
    b.qdq()
    b.unary("HardSigmoid", hardsigmoid)
    b.qdq()
    b.conv(8, 1, per_channel=True)
    b.qdq()
    b.unary("HardSwish", lambda v: v * hardsigmoid(v, 1.0 / 6, 0.5))
    b.qdq()
    b.gap()
    b.qdq()
    yield b

    # 3. uint8, ReLU6 as Clip(0, 6) inside the conv's segment, a rectangular
    #    stem, AveragePool over the whole map, a per-channel Gemm.
    b = Builder("u8_relu6_rect_avgpool_gemm", 1, 14, 10, "uint8")
    b.qdq()
    b.conv(8, (5, 3), pad=0)
    b.clip(0.0, 6.0)
    b.qdq()
    b.conv(8, 3, stride=2, pad=1)
    b.unary("Relu", relu)
    b.qdq()
    b.avgpool_global()
    b.qdq()
    b.gemm(6)
    b.qdq()
    yield b

    # 4. int8 symmetric-weight, int8 activations with zero points, a
    #    LeakyRelu at alpha 0.1 after a MaxPool, a conv without padding.
    b = Builder("s8_maxpool_leaky01_conv", 2, 11, 11, "int8")
    b.qdq()
    b.conv(6, 3, pad=1)
    b.qdq()
    b.maxpool(3, 2)
    b.qdq()
    b.unary("LeakyRelu", lambda v: np.where(v >= 0, v, np.float32(0.1) * v), alpha=0.1)
    b.qdq()
    b.conv(4, 3)
    b.qdq()
    yield b

    # 5. A DS-CNN-like keyword spotter (49 MFCC frames x 10 coefficients):
    #    a rectangular 10x4 stem at stride 2 with TF's SAME padding, two
    #    depthwise-separable blocks (depthwise 3x3 + Relu, pointwise 1x1 +
    #    Relu; the second depthwise with channel multiplier 2), global
    #    average pool, Gemm 12. Float scales, per-channel weights, uint8.
    b = Builder("u8_dscnn_depthwise", 1, 49, 10, "uint8")
    b.qdq()
    b.conv(8, (10, 4), stride=2, pad=(4, 1, 5, 1))
    b.unary("Relu", relu)
    b.qdq()
    b.conv(8, 3, pad=1, group=8)
    b.unary("Relu", relu)
    b.qdq()
    b.conv(8, 1)
    b.unary("Relu", relu)
    b.qdq()
    b.conv(16, 3, pad=1, group=8)
    b.unary("Relu", relu)
    b.qdq()
    b.conv(16, 1)
    b.unary("Relu", relu)
    b.qdq()
    b.gap()
    b.qdq()
    b.gemm(12)
    b.qdq()
    yield b


def residual_models():
    """Residual networks (SPEC §1: a tensor feeds two paths that rejoin in one
    Add): a block with an identity shortcut, then a downsampling block with a
    1x1 stride-2 shortcut conv, as ResNet-8 has them."""
    for name, act, pow2 in (("s8_resnet_pow2", "int8", True), ("u8_resnet_float", "uint8", False),
                            ("s8_resnet_float_zp", "int8", False)):
        b = Builder(name, 3, 12, 12, act, pow2=pow2)
        b.qdq()
        b.conv(8, 3, pad=1, per_channel=not pow2)
        b.unary("Relu", relu)
        b.qdq()
        skip = b.fork(own_dq=name == "u8_resnet_float")
        b.conv(8, 3, pad=1, per_channel=not pow2)
        b.unary("Relu", relu)
        b.qdq()
        b.conv(8, 3, pad=1, per_channel=not pow2)
        b.qdq()
        b.add(skip)
        b.unary("Relu", relu)
        b.qdq()
        skip = b.fork()
        b.conv(16, 3, stride=2, pad=1, per_channel=not pow2)
        b.unary("Relu", relu)
        b.qdq()
        b.conv(16, 3, pad=1, per_channel=not pow2)
        b.qdq()
        main = b.fork()
        b.resume(skip)
        b.conv(16, 1, stride=2, per_channel=not pow2)
        b.qdq()
        b.add(main)
        b.unary("Relu", relu)
        # s8_resnet_float_zp: a symmetric int8 output after the Relu (zero
        # point 0, not -128): onnxruntime keeps the Relu, so this Add runs in float.
        b.qdq(symmetric=name == "s8_resnet_float_zp")
        b.gap()
        b.qdq()
        b.gemm(10, per_channel=not pow2)
        b.qdq()
        yield b


class Probe(Builder):
    """Arithmetic probes: a 32x32 input holds (nearly) every uint8 code, and
    the scales are chosen so that exact ties at the final rounding are
    common, where round-half-even and every other rule part."""

    def qdq_fixed(self, scale, zp, dtype):
        t = TensorProto.UINT8 if dtype == "uint8" else TensorProto.INT8
        npt = np.uint8 if dtype == "uint8" else np.int8
        s = self.const(self.uid("s"), np.float32(scale), np.float32)
        z = self.const(self.uid("zp"), zp, npt)
        q, d = self.uid("q"), self.uid("dq")
        self.nodes.append(helper.make_node("QuantizeLinear", [self.cur, s, z], [q], name=q))
        self.nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [d], name=d))
        self.last_q = (q, s, z)
        self.cur = d
        self.last_scale = np.float32(scale)
        self.vals = self.fake_quant(self.vals, np.float32(scale), zp, dtype)

    def raw_uint8_input(self, scale, zp):
        """The graph input is uint8 itself (a pre-quantized image: every code
        0..255 reaches the first op), behind a DequantizeLinear."""
        self.input_type = TensorProto.UINT8
        s = self.const(self.uid("s"), np.float32(scale), np.float32)
        z = self.const(self.uid("zp"), zp, np.uint8)
        d = self.uid("dq")
        self.nodes.append(helper.make_node("DequantizeLinear", [self.cur, s, z], [d], name=d))
        self.cur = d
        self.vals = ((np.rint(self.calib * 255) - zp) * np.float32(scale)).astype(np.float32)

    def conv1x1_probe(self, oc):
        """Per-channel weights: half the channels at power-of-two multipliers
        (x 2^-8 * w 2^-k / y 2^-5: ties whenever the low bits are 100..0),
        half at random float scales; weights and biases spread over their range."""
        w = self.rng.integers(-127, 128, size=(oc, 1, 1, 1)).astype(np.int8)
        w[w == 0] = 1
        ws = np.array([2.0 ** -(3 + i % 5) if i < oc // 2 else self.rng.uniform(1e-3, 2e-2)
                       for i in range(oc)], np.float32)
        wq = self.const(self.uid("wq"), w, np.int8)
        wsn = self.const(self.uid("ws"), ws, np.float32)
        wz = self.const(self.uid("wz"), np.zeros(oc, np.int8), np.int8)
        wout = self.uid("w")
        self.nodes.append(helper.make_node("DequantizeLinear", [wq, wsn, wz], [wout], name=wout, axis=0))
        bscale = (np.float32(self.last_scale) * ws).astype(np.float32)
        b = self.rng.integers(-3000, 3000, size=(oc,)).astype(np.int32)
        bq = self.const(self.uid("bq"), b, np.int32)
        bs = self.const(self.uid("bs"), bscale, np.float32)
        bz = self.const(self.uid("bz"), np.zeros(oc, np.int32), np.int32)
        bout = self.uid("b")
        self.nodes.append(helper.make_node("DequantizeLinear", [bq, bs, bz], [bout], name=bout, axis=0))
        out = self.uid("conv")
        self.nodes.append(helper.make_node("Conv", [self.cur, wout, bout], [out], name=out, kernel_shape=[1, 1]))
        self.cur = out
        self.vals = conv2d(self.vals, w.astype(np.float32) * ws.reshape(-1, 1, 1, 1), b * bscale, 1, 0)
        self.shape = self.vals.shape[1:]


def probes():
    # Requantisation: per-channel multipliers, uint8 output with a zero point.
    b = Probe("probe_requant_perchannel", 1, 32, 32, "uint8")
    b.qdq_fixed(2.0 ** -8, 0, "uint8")
    b.conv1x1_probe(16)
    b.qdq_fixed(2.0 ** -5, 128, "uint8")
    yield b
    # Lookup tables, each op on (nearly) every input code.
    for name, op, fn, attrs, ys, yz in [
            ("leaky001", "LeakyRelu", lambda v: np.where(v >= 0, v, np.float32(0.01) * v), {"alpha": 0.01},
             0.0037, 3),
            ("hardsigmoid", "HardSigmoid", hardsigmoid, {}, 1.0 / 255, -128),
            ("hardswish", "HardSwish", lambda v: v * hardsigmoid(v, 1.0 / 6, 0.5), {}, 0.0123, -20)]:
        b = Probe("probe_table_" + name, 1, 32, 32, "int8")
        b.raw_uint8_input(0.0157, 117)
        b.unary(op, fn, **attrs)
        b.qdq_fixed(ys, yz, "int8")
        yield b
    # GlobalAveragePool with zero points (onnxruntime's integer path): 2x2
    # maps after a strided 1x1 conv, power-of-two scales, so the
    # multiplier x_scale / (y_scale * 4) is exact and ties are common.
    b = Probe("probe_gap_zero_points", 1, 32, 32, "int8")
    b.qdq_fixed(2.0 ** -7, -128, "int8")
    b.conv1x1_probe(8)
    b.qdq_fixed(2.0 ** -4, 5, "int8")
    b.gap()
    b.qdq_fixed(2.0 ** -3, -7, "int8")
    yield b


def main():
    written = []
    for b in list(models()) + list(residual_models()) + list(probes()):
        written.append(b.save())
    for p in written:
        print("wrote", os.path.relpath(p))


if __name__ == "__main__":
    main()
