#!/usr/bin/python3
"""Models quantized by PyTorch itself (eager-mode post-training static
quantization, the fbgemm backend: uint8 activations with zero points, int8
weights with one scale per output channel) and exported by torch.onnx as PyTorch
writes them (QuantizeLinear -> Cast -> DequantizeLinear, Conv -> Relu inside one
segment, a bias computed from Constant -> ConstantOfShape -> Cast). Calibrated on
random images; deterministic (seeded). Debian's python3-torch and python3-onnx:

    /usr/bin/python3 models/quantized/export_pytorch_quantized.py
"""
import os

import torch
import torch.ao.quantization as tq
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class SmallGap(nn.Module):
    """conv-relu, maxpool, conv-relu, global average pool, linear."""

    def __init__(self):
        super().__init__()
        self.q, self.dq = tq.QuantStub(), tq.DeQuantStub()
        self.c1, self.r1 = nn.Conv2d(1, 8, 3, padding=1), nn.ReLU()
        self.p = nn.MaxPool2d(2)
        self.c2, self.r2 = nn.Conv2d(8, 16, 3), nn.ReLU()
        self.g = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)
        self.fuse = [["c1", "r1"], ["c2", "r2"]]

    def forward(self, x):
        x = self.p(self.r1(self.c1(self.q(x))))
        x = self.g(self.r2(self.c2(x)))
        return self.dq(self.fc(torch.flatten(x, 1)))


class Strided(nn.Module):
    """A rectangular stem, a strided conv, a second maxpool, two linears."""

    def __init__(self):
        super().__init__()
        self.q, self.dq = tq.QuantStub(), tq.DeQuantStub()
        self.c1, self.r1 = nn.Conv2d(1, 6, (5, 3), padding=(2, 1)), nn.ReLU()
        self.c2, self.r2 = nn.Conv2d(6, 12, 3, stride=2, padding=1), nn.ReLU()
        self.p = nn.MaxPool2d(2)
        self.fc1, self.r3 = nn.Linear(12 * 3 * 3, 24), nn.ReLU()
        self.fc2 = nn.Linear(24, 5)
        self.fuse = [["c1", "r1"], ["c2", "r2"]]  # linear_relu has no ONNX export in torch 1.13

    def forward(self, x):
        x = self.p(self.r2(self.c2(self.r1(self.c1(self.q(x))))))
        x = self.r3(self.fc1(torch.flatten(x, 1)))
        return self.dq(self.fc2(x))


def export(model, name, shape):
    torch.manual_seed(7)
    m = model.eval()
    m.qconfig = tq.get_default_qconfig("fbgemm")
    tq.fuse_modules(m, m.fuse, inplace=True)
    tq.prepare(m, inplace=True)
    with torch.no_grad():
        for _ in range(16):
            m(torch.rand(8, *shape))
    tq.convert(m, inplace=True)
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(m, torch.rand(1, *shape), path, opset_version=13, input_names=["x"], output_names=["y"])
    print("wrote", os.path.relpath(path))


if __name__ == "__main__":
    torch.manual_seed(0)
    export(SmallGap(), "pt_fbgemm_gap", (1, 12, 12))
    torch.manual_seed(1)
    export(Strided(), "pt_fbgemm_strided", (1, 12, 12))
