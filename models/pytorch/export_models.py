"""Small float CNNs written the ways people write them in PyTorch, exported with
torch.onnx.export (the classic TorchScript exporter) into models/pytorch/*.onnx.

    /usr/bin/python3 models/pytorch/export_models.py [--out models/pytorch]

Run by `make pytorch-models`. Needs Debian's python3-torch (1.13) and
python3-onnx. Weights are random but seeded (torch.manual_seed per model), and
every BatchNormalization gets random running statistics and affine
parameters, so folding it is not a no-op. The files are committed; the tests
(gen/tests/test_onnxruntime.cpp) check their float outputs, not their bytes.

Models and the opsets each is exported at (file <model>_op<N>.onnx; the export
mode of each file is in MODELS below):

    view_maxpool_adaptive   11, 17   x.view(x.size(0), -1), nn.AdaptiveAvgPool2d(1), ReLU6, MaxPool2d(3, 2, padding=1)
    flatten_mean_softmax    13       torch.flatten(x, 1), x.mean((2, 3)), F.relu, stride-2 conv, Softmax
    keepdim_leaky_dropout   15       x.mean((2, 3), keepdim=True), LeakyReLU(0.125), bias-free convs, Dropout
    reshape_nonsquare       17       x.reshape(1, -1), 3x1 / 1x5 / 5x3 kernels, AvgPool2d(2)
    nnflatten_avgpool_pad   11, 15   nn.Flatten(), AvgPool2d(3, 1, padding=1) count_include_pad True and False
    same_even_zeropad       13       padding='same' with a 4x4 kernel (asymmetric; see SameConv2d), nn.ZeroPad2d((1, 2, 0, 1)),
                                     F.adaptive_avg_pool2d(x, 1), Softmax
    sequential_relu6_s2     13, 17   nn.Sequential with stride-2 convs, ReLU6 everywhere, nn.Flatten(), Dropout

The README beside this file lists the ONNX ops each one comes out as.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(c):
    """A BatchNorm2d with non-trivial running statistics and affine parameters."""
    b = nn.BatchNorm2d(c)
    with torch.no_grad():
        b.running_mean.uniform_(-0.3, 0.3)
        b.running_var.uniform_(0.5, 2.0)
        b.weight.uniform_(0.6, 1.4)
        b.bias.uniform_(-0.2, 0.2)
    return b


class ViewMaxpoolAdaptive(nn.Module):
    """1x16x16 -> conv3 p1 + BN + ReLU6 -> MaxPool2d(3, 2, 1) -> conv3 p1 (no bias) + BN + ReLU6
    -> AdaptiveAvgPool2d(1) -> view(x.size(0), -1) -> Linear."""
    in_shape = (1, 1, 16, 16)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = bn(4)
        self.act1 = nn.ReLU6()
        self.pool = nn.MaxPool2d(3, 2, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1, bias=False)
        self.bn2 = bn(8)
        self.act2 = nn.ReLU6()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(self.act1(self.bn1(self.conv1(x))))
        x = self.gap(self.act2(self.bn2(self.conv2(x))))
        x = x.view(x.size(0), -1)
        return self.fc(x)


class FlattenMeanSoftmax(nn.Module):
    """3x16x16 -> conv3 s2 p1 + BN + relu -> conv3 p1 + BN + relu -> mean((2, 3))
    -> flatten(x, 1) -> Linear -> relu -> Linear -> Softmax."""
    in_shape = (1, 3, 16, 16)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.bn1 = bn(6)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1)
        self.bn2 = bn(8)
        self.fc1 = nn.Linear(8, 12)
        self.fc2 = nn.Linear(12, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = x.mean((2, 3))
        x = torch.flatten(x, 1)
        x = self.fc2(F.relu(self.fc1(x)))
        return F.softmax(x, dim=1)


class KeepdimLeakyDropout(nn.Module):
    """2x12x12 -> conv3 p1 (no bias) + BN + LeakyReLU(0.125) -> MaxPool2d(2) -> conv3 (no bias)
    + BN + LeakyReLU(0.125) -> mean((2, 3), keepdim=True) -> flatten(x, 1) -> Dropout -> Linear."""
    in_shape = (1, 2, 12, 12)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 6, 3, padding=1, bias=False)
        self.bn1 = bn(6)
        self.conv2 = nn.Conv2d(6, 8, 3, bias=False)
        self.bn2 = bn(8)
        self.leaky = nn.LeakyReLU(0.125)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.max_pool2d(self.leaky(self.bn1(self.conv1(x))), 2)
        x = self.leaky(self.bn2(self.conv2(x)))
        x = x.mean((2, 3), keepdim=True)
        x = torch.flatten(x, 1)
        return self.fc(self.drop(x))


class ReshapeNonsquare(nn.Module):
    """1x20x16 -> conv 5x3 p(2, 1) + BN + relu -> AvgPool2d(2) -> conv 3x1 + BN + relu
    -> conv 1x5 s2 + BN + relu -> reshape(1, -1) -> Linear."""
    in_shape = (1, 1, 20, 16)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, (5, 3), padding=(2, 1))
        self.bn1 = bn(4)
        self.pool = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, (3, 1))
        self.bn2 = bn(6)
        self.conv3 = nn.Conv2d(6, 4, (1, 5), stride=2)
        self.bn3 = bn(4)
        self.fc = nn.Linear(4 * 4 * 2, 6)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))   # 4x10x8
        x = F.relu(self.bn2(self.conv2(x)))              # 6x8x8
        x = F.relu(self.bn3(self.conv3(x)))              # 4x4x2
        x = x.reshape(1, -1)
        return self.fc(x)


class NnflattenAvgpoolPad(nn.Module):
    """1x10x10 -> conv3 p1 + BN + relu -> AvgPool2d(3, 1, 1) (count_include_pad True)
    -> conv3 p1 + BN + relu -> AvgPool2d(3, 1, 1, count_include_pad=False) -> MaxPool2d(2)
    -> nn.Flatten() -> Dropout -> Linear -> Softmax."""
    in_shape = (1, 1, 10, 10)

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), bn(4), nn.ReLU(),
            nn.AvgPool2d(3, 1, padding=1),
            nn.Conv2d(4, 4, 3, padding=1), bn(4), nn.ReLU(),
            nn.AvgPool2d(3, 1, padding=1, count_include_pad=False),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 5 * 5, 7), nn.Softmax(dim=1))

    def forward(self, x):
        return self.head(self.features(x))


class SameConv2d(nn.Conv2d):
    """nn.Conv2d(padding='same') as torch 1.13 can export it: its exporter refuses
    padding='same' (aten::_convolution_mode), so the usual workaround pads explicitly
    with PyTorch's own rule (total k - 1 per axis, the smaller half before) and
    convolves unpadded. main() checks it equals padding='same' in eager mode."""

    def forward(self, x):
        kh, kw = self.kernel_size
        pads = ((kw - 1) // 2, kw - 1 - (kw - 1) // 2, (kh - 1) // 2, kh - 1 - (kh - 1) // 2)
        return super().forward(F.pad(x, pads))


class SameEvenZeropad(nn.Module):
    """2x9x9 -> conv 4x4 padding='same' (pads 1 before, 2 after) + BN + relu -> ZeroPad2d((1, 2, 0, 1))
    -> conv3 (no bias) + BN + relu -> F.adaptive_avg_pool2d(x, 1) -> flatten -> Linear -> Softmax."""
    in_shape = (1, 2, 9, 9)

    def __init__(self):
        super().__init__()
        self.conv1 = SameConv2d(2, 4, 4)
        self.bn1 = bn(4)
        self.pad = nn.ZeroPad2d((1, 2, 0, 1))
        self.conv2 = nn.Conv2d(4, 6, 3, bias=False)
        self.bn2 = bn(6)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))              # 4x9x9
        x = self.pad(x)                                  # 4x10x12
        x = F.relu(self.bn2(self.conv2(x)))              # 6x8x10
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return torch.softmax(self.fc(x), dim=-1)


class SequentialRelu6S2(nn.Module):
    """3x32x32 -> [conv3 s2 p1 (no bias) + BN + ReLU6] x 3 -> conv1x1 + BN + ReLU6 -> nn.Flatten()
    -> Dropout -> Linear -> ReLU6 -> Linear."""
    in_shape = (1, 3, 32, 32)

    def __init__(self):
        super().__init__()
        def block(ci, co):
            return [nn.Conv2d(ci, co, 3, stride=2, padding=1, bias=False), bn(co), nn.ReLU6(inplace=True)]
        self.net = nn.Sequential(
            *block(3, 4), *block(4, 6), *block(6, 8),
            nn.Conv2d(8, 4, 1), bn(4), nn.ReLU6(),
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * 4 * 4, 16), nn.ReLU6(), nn.Linear(16, 10),
        )

    def forward(self, x):
        return self.net(x)


# (model, class, [(opset, export mode)]). Export modes, as users call torch.onnx.export:
#   "default"   training=EVAL, constant folding: the exporter itself folds every BN into its conv
#   "bn"        training=PRESERVE on the eval() module: BatchNormalization nodes stay in the file
#   "bn_nofold" as "bn" and do_constant_folding=False: shape arithmetic stays as Constant ->
#               Unsqueeze -> Concat -> Reshape chains, Pad's pads as computed tensors
MODELS = [
    ("view_maxpool_adaptive", ViewMaxpoolAdaptive, [(11, "default"), (17, "bn_nofold")]),
    ("flatten_mean_softmax", FlattenMeanSoftmax, [(13, "bn")]),
    ("keepdim_leaky_dropout", KeepdimLeakyDropout, [(15, "bn")]),
    ("reshape_nonsquare", ReshapeNonsquare, [(17, "bn")]),
    ("nnflatten_avgpool_pad", NnflattenAvgpoolPad, [(11, "bn"), (15, "default")]),
    ("same_even_zeropad", SameEvenZeropad, [(13, "bn")]),
    ("sequential_relu6_s2", SequentialRelu6S2, [(13, "default"), (17, "bn_nofold")]),
]

EXPORT_MODES = {
    "default": dict(training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True),
    "bn": dict(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True),
    "bn_nofold": dict(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    import onnx  # only for the checker

    torch.use_deterministic_algorithms(True)
    same = SameConv2d(2, 3, (4, 2))
    ref = nn.Conv2d(2, 3, (4, 2), padding='same')
    ref.load_state_dict(same.state_dict())
    x = torch.rand(1, 2, 9, 7)
    assert torch.equal(same(x), ref(x)), "SameConv2d differs from padding='same'"
    for seed, (name, cls, opsets) in enumerate(MODELS, start=1):
        torch.manual_seed(1000 + seed)
        model = cls().eval()
        x = torch.rand(cls.in_shape)
        for opset, mode in opsets:
            path = os.path.join(args.out, f"{name}_op{opset}.onnx")
            torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                              output_names=["output"], **EXPORT_MODES[mode])
            m = onnx.load(path)
            onnx.checker.check_model(m, full_check=True)
            ops = sorted({n.op_type for n in m.graph.node})
            print(f"{os.path.basename(path)} ({mode}): {os.path.getsize(path)} bytes, ops {' '.join(ops)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
