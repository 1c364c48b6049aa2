#!/usr/bin/python3
"""Trains the three MLPerf-Tiny-class models on Fashion-MNIST and exports them as float ONNX.

    /usr/bin/python3 models/mlperf/train_mlperf.py data   [--fashion data/fashion] [--out data/mlperf]
    /usr/bin/python3 models/mlperf/train_mlperf.py train  MODEL [--epochs E] [--train-count N]
    /usr/bin/python3 models/mlperf/train_mlperf.py ort    MODEL.onnx IMAGES-idx4-ubyte [COUNT]
    /usr/bin/python3 models/mlperf/train_mlperf.py figures MODEL

MODEL is resnet8, dscnn or mobilenet (models/mlperf/README.md has the
architectures). `make mlperf-models` runs data, train and `cnnc quantize` for
each. Needs Debian's python3-torch (1.13), python3-onnx and python3-numpy;
`ort` needs scripts/ort (npm onnxruntime-node, scripts/setup.sh).

data: Fashion-MNIST (28x28 grey, `make fashion-data`) made into what the
models read, as 8-bit IDX files [N, H, W, C] (HWC, the layout cnnc and the
harness read) with their label files beside them:
  fashion32x3-{train,t10k}-images-idx4-ubyte   zero-padded by 2 pixels on each
      side to 32x32, the grey value replicated to 3 channels (ResNet-8, MobileNet);
  fashion49x10-{train,t10k}-images-idx4-ubyte  resized to 49x10x1 (bilinear,
      torch's antialiased interpolation, rounded to 8 bits) (DS-CNN).
Every model sees x = p / 255 of those 8-bit pixels and nothing else (SPEC §2).

train: float training in PyTorch (deterministic: fixed seeds, CPU, a fixed
thread count, seeded batching, no augmentation), a few minutes on two cores,
then torch.onnx.export (opset 13, fixed [1, C, H, W] input, eval mode, as a
new user would) to models/mlperf/MODEL_float.onnx; the file is checked with
onnx.checker and its accuracy measured in onnxruntime (like `ort`).

ort: top-1 accuracy of any of the models (float or quantized) in onnxruntime's
CPU execution provider through scripts/ort/run.js, on the first COUNT images
(default all) of an IDX4 file, labels from the sibling labels file.

figures: parameters and multiply-accumulates of MODEL (convolutions and the
dense layer; BatchNorm counted as folded).
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEED = 20261201


# --- IDX files ---------------------------------------------------------------

def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        sys.exit(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def write_idx(path, a):
    a = np.ascontiguousarray(a, dtype=np.uint8)
    with open(path + ".tmp", "wb") as f:
        f.write(bytes([0, 0, 0x08, a.ndim]))
        f.write(struct.pack(f">{a.ndim}I", *a.shape))
        f.write(a.tobytes())
    os.replace(path + ".tmp", path)


def labels_path(images_path):
    d, b = os.path.split(images_path)
    i = b.rfind("images")
    return os.path.join(d, b[:i] + "labels" + b[i + 6:].replace("idx4", "idx1").replace("idx3", "idx1"))


# --- the models --------------------------------------------------------------

INPUTS = {"resnet8": (3, 32, 32), "dscnn": (1, 49, 10), "mobilenet": (3, 32, 32)}
DATA = {"resnet8": "fashion32x3", "dscnn": "fashion49x10", "mobilenet": "fashion32x3"}
DSCNN_CH = 64          # MLPerf's width
MOBILENET_BLOCKS = [   # (out channels, stride) of the depthwise-separable blocks, width 0.25
    (16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1)]


def build(name):
    import torch.nn as nn

    # ResNet-8 trains on few steps here: its BatchNorms keep a cumulative average
    # of the batch statistics (momentum None), which a short run gets right.
    bn = (lambda c: nn.BatchNorm2d(c, momentum=None)) if name == "resnet8" else nn.BatchNorm2d

    def cbr(ci, co, k, s, p, relu=nn.ReLU, groups=1):
        return [nn.Conv2d(ci, co, k, s, p, groups=groups, bias=False), bn(co), relu()]

    class Block(nn.Module):
        """ResNet v1 basic block: conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU."""

        def __init__(self, ci, co, stride):
            super().__init__()
            self.body = nn.Sequential(*cbr(ci, co, 3, stride, 1),
                                      nn.Conv2d(co, co, 3, 1, 1, bias=False), bn(co))
            # MLPerf Tiny's ResNet-8: a 1x1 stride-2 conv shortcut (with bias, no BN) where the size changes.
            self.short = nn.Conv2d(ci, co, 1, stride, 0) if stride != 1 or ci != co else None
            self.relu = nn.ReLU()

        def forward(self, x):
            s = x if self.short is None else self.short(x)
            return self.relu(self.body(x) + s)

    class Net(nn.Module):
        def __init__(self, features, classes_in):
            super().__init__()
            self.features = features
            self.fc = nn.Linear(classes_in, 10)

        def forward(self, x):
            x = self.features(x)
            x = nn.functional.adaptive_avg_pool2d(x, 1)
            return self.fc(x.flatten(1))

    if name == "resnet8":
        f = nn.Sequential(*cbr(3, 16, 3, 1, 1), Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))
        return Net(f, 64)
    if name == "dscnn":
        # MLPerf Tiny's DS-CNN: stem 10x4 stride 2 with TF's SAME padding, which is
        # asymmetric here (rows 4 above, 5 below; columns 1 and 1): nn.ZeroPad2d.
        layers = [nn.ZeroPad2d((1, 1, 4, 5))] + cbr(1, DSCNN_CH, (10, 4), 2, 0)
        for _ in range(4):
            layers += cbr(DSCNN_CH, DSCNN_CH, 3, 1, 1, groups=DSCNN_CH) + cbr(DSCNN_CH, DSCNN_CH, 1, 1, 0)
        return Net(nn.Sequential(*layers), DSCNN_CH)
    if name == "mobilenet":
        layers = cbr(3, 8, 3, 2, 1, relu=nn.ReLU6)
        ci = 8
        for co, s in MOBILENET_BLOCKS:
            layers += cbr(ci, ci, 3, s, 1, relu=nn.ReLU6, groups=ci) + cbr(ci, co, 1, 1, 0, relu=nn.ReLU6)
            ci = co
        return Net(nn.Sequential(*layers), ci)
    sys.exit(f"unknown model '{name}' (resnet8, dscnn, mobilenet)")


def figures(model):
    """(parameters without BN, MACs) of one [1, C, H, W] inference."""
    import torch
    import torch.nn as nn
    macs = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            macs[0] += m.in_features * m.out_features
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *INPUTS[model._name]))
    for h in hs:
        h.remove()
    params = sum(p.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
                 for p in m.parameters())
    return params, macs[0]


# --- data --------------------------------------------------------------------

def cmd_data(args):
    import torch
    import torch.nn.functional as F
    os.makedirs(args.out, exist_ok=True)
    for split in ("train", "t10k"):
        img = read_idx(os.path.join(args.fashion, f"{split}-images-idx3-ubyte"))
        lab = read_idx(os.path.join(args.fashion, f"{split}-labels-idx1-ubyte"))
        p32 = np.zeros((img.shape[0], 32, 32, 3), np.uint8)
        p32[:, 2:30, 2:30, :] = img[:, :, :, None]
        x = torch.from_numpy(img.astype(np.float32)).unsqueeze(1)
        r = F.interpolate(x, size=(49, 10), mode="bilinear", align_corners=False, antialias=True)
        p49 = r.round().clamp(0, 255).to(torch.uint8).numpy().transpose(0, 2, 3, 1)
        for tag, a in (("fashion32x3", p32), ("fashion49x10", p49)):
            path = os.path.join(args.out, f"{tag}-{split}-images-idx4-ubyte")
            write_idx(path, a)
            write_idx(labels_path(path), lab)
            print(f"wrote {path} {list(a.shape)}")


def load(path, count=0):
    """float32 NCHW x = p / 255, int64 labels."""
    img = read_idx(path)
    lab = read_idx(labels_path(path)).astype(np.int64)
    if count:
        img, lab = img[:count], lab[:count]
    return (img.astype(np.float32) / np.float32(255)).transpose(0, 3, 1, 2).copy(), lab


# --- onnxruntime -------------------------------------------------------------

def ort_logits(model_path, x):
    """The first output of model_path for every image of x [N, C, H, W] in onnxruntime (scripts/ort/run.js)."""
    with tempfile.TemporaryDirectory() as d:
        fin, fout = os.path.join(d, "in.bin"), os.path.join(d, "out.bin")
        x.astype("<f4").tofile(fin)
        r = subprocess.run(["node", os.path.join(ROOT, "scripts", "ort", "run.js"), model_path, fin, fout],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"onnxruntime on {model_path}: {r.stderr.strip()}")
        meta = json.loads(r.stdout)
        outs = meta["outputs"]
        if outs[0]["type"] != "float32":
            sys.exit(f"{model_path}: output type {outs[0]['type']}, expected float32")
        per = [int(np.prod(o["dims"])) for o in outs]
        raw = np.fromfile(fout, dtype="<f4").reshape(len(x), sum(per))
        return raw[:, :per[0]], meta["onnxruntime"]


def cmd_ort(args):
    x, y = load(args.images, args.count)
    logits, version = ort_logits(args.model, x)
    acc = float((logits.argmax(1) == y).mean())
    print(f"{args.model} (onnxruntime {version}): {len(y)} images, accuracy {100 * acc:.2f}% "
          f"({int((logits.argmax(1) == y).sum())}/{len(y)})")


# --- training ----------------------------------------------------------------

def cmd_train(args):
    import onnx
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)

    data = os.path.join(ROOT, "data", "mlperf", DATA[args.model])
    xtr, ytr = load(f"{data}-train-images-idx4-ubyte", args.train_count)
    xte, yte = load(f"{data}-t10k-images-idx4-ubyte")
    xtr, ytr, xte_t = torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte)

    model = build(args.model)
    model._name = args.model
    params, macs = figures(model)
    print(f"{args.model}: {params} parameters, {macs} MACs per image; training on {len(xtr)} images")
    batch = 64
    steps = (len(xtr) + batch - 1) // batch
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-3, epochs=args.epochs, steps_per_epoch=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(xtr):.4f}, {time.time() - t0:.0f} s", flush=True)
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xte_t[i:i + 500]).argmax(1) for i in range(0, len(xte_t), 500)]).numpy()
    print(f"trained in {time.time() - t0:.0f} s ({args.threads} threads); "
          f"float test accuracy (PyTorch): {100 * float((pred == yte).mean()):.2f}% on {len(yte)} images")

    out = os.path.join(HERE, f"{args.model}_float.onnx")
    torch.onnx.export(model, torch.zeros(1, *INPUTS[args.model]), out, opset_version=13,
                      do_constant_folding=True, input_names=["input"], output_names=["logits"])
    proto = onnx.load(out)
    onnx.checker.check_model(proto, full_check=True)
    print(f"wrote {out}: " + ", ".join(sorted({n.op_type for n in proto.graph.node})))
    logits, version = ort_logits(out, xte)
    with torch.no_grad():
        ref = torch.cat([model(xte_t[i:i + 500]) for i in range(0, len(xte_t), 500)]).numpy()
    diff = float(np.abs(ref - logits).max())
    print(f"float test accuracy (ONNX file, onnxruntime {version}): "
          f"{100 * float((logits.argmax(1) == yte).mean()):.2f}%; max |logit difference| vs PyTorch {diff:.2e}")
    if diff > 1e-3:
        sys.exit("the exported file does not compute what the trained module does")


def cmd_figures(args):
    model = build(args.model)
    model._name = args.model
    params, macs = figures(model)
    print(f"{args.model}: input {list(INPUTS[args.model])}, {params} parameters, {macs} MACs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("--fashion", default=os.path.join(ROOT, "data", "fashion"))
    d.add_argument("--out", default=os.path.join(ROOT, "data", "mlperf"))
    t = sub.add_parser("train")
    t.add_argument("model", choices=sorted(INPUTS))
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--train-count", type=int, default=20000)
    t.add_argument("--threads", type=int, default=2)
    o = sub.add_parser("ort")
    o.add_argument("model")
    o.add_argument("images")
    o.add_argument("count", type=int, nargs="?", default=0)
    f = sub.add_parser("figures")
    f.add_argument("model", choices=sorted(INPUTS))
    args = ap.parse_args()
    {"data": cmd_data, "train": cmd_train, "ort": cmd_ort, "figures": cmd_figures}[args.cmd](args)


if __name__ == "__main__":
    main()
