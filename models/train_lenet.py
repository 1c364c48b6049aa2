#!/usr/bin/python3
"""Trains a small LeNet on the MNIST IDX split and exports it as float ONNX.

    /usr/bin/python3 models/train_lenet.py [--data data/mnist] [--out models/lenet_float.onnx]

Run by `make train` (after `make data`). Needs Debian's python3-torch (1.13),
python3-onnx and python3-numpy.

The network is sized for streaming hardware (two 5x5 convolutions, two small
fully connected layers, about 12k weights):

    input [1,1,28,28] -> Conv 1->6 5x5 -> Relu -> MaxPool 2x2  -> [6,12,12]
                      -> Conv 6->16 5x5 -> Relu -> MaxPool 2x2 -> [16,4,4]
                      -> Flatten -> Gemm 256->32 -> Relu -> Gemm 32->10 -> logits

Preprocessing is x = p / 255 and nothing else (SPEC.md §2: the harness feeds
the hardware exactly that), so no mean/std normalisation here either.

Deterministic: fixed seeds, CPU only, deterministic algorithms, one thread
by default, manual batching from a seeded generator. Training augments with
random shifts of up to 2 pixels (zero fill), drawn from the same generator.
After export the ONNX file is checked with onnx.checker and run on the test
split by a small numpy interpreter of its own nodes, so the accuracy printed
for the file is the file's, not just the PyTorch module's.
"""

import argparse
import os
import struct
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

SEED = 1234


# --- data ------------------------------------------------------------------

def read_idx(path):
    """An IDX file (unsigned byte data only) as a numpy array."""
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


def load_split(data_dir, name):
    """Images as float32 [N,1,28,28] = p/255, labels as int64 [N]."""
    images = read_idx(os.path.join(data_dir, f"{name}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(data_dir, f"{name}-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        sys.exit(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def random_shift(x, gen, max_shift=2):
    """Shifts every image of a batch by its own (dy, dx) in [-max_shift, max_shift]."""
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4)
    shifts = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    return out


# --- model -----------------------------------------------------------------

class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return (pred == y).float().mean().item()


# --- a numpy interpreter for the exported graph ----------------------------

def run_onnx_numpy(model_proto, x):
    """Evaluates the exported graph on a float batch x [N,1,28,28].

    Knows exactly the ops this script exports (Conv, Relu, MaxPool, Flatten,
    Gemm, and Reshape/Constant should the exporter use them); anything else
    is an error, which is the point: the file must hold what we think it holds.
    """
    g = model_proto.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    env[g.input[0].name] = x
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input if i]
        if node.op_type == "Conv":
            xin, w = ins[0], ins[1]
            b = ins[2] if len(ins) > 2 else np.zeros(w.shape[0], np.float32)
            assert list(a.get("strides", [1, 1])) == [1, 1] and a.get("group", 1) == 1
            assert not any(a.get("pads", [0, 0, 0, 0]))
            kh, kw = w.shape[2:]
            n, c, h, wd = xin.shape
            oh, ow = h - kh + 1, wd - kw + 1
            # im2col: [N, C*kh*kw, oh*ow]
            cols = np.stack([xin[:, :, i:i + oh, j:j + ow] for i in range(kh) for j in range(kw)], 2)
            cols = cols.reshape(n, c * kh * kw, oh * ow)
            y = np.einsum("ok,nkp->nop", w.reshape(w.shape[0], -1), cols)
            out = y.reshape(n, w.shape[0], oh, ow) + b[None, :, None, None]
        elif node.op_type == "Relu":
            out = np.maximum(ins[0], 0)
        elif node.op_type == "MaxPool":
            k, s = a["kernel_shape"], a.get("strides", a["kernel_shape"])
            assert list(k) == [2, 2] and list(s) == [2, 2] and not any(a.get("pads", [0] * 4))
            n, c, h, wd = ins[0].shape
            out = ins[0][:, :, :h // 2 * 2, :wd // 2 * 2].reshape(n, c, h // 2, 2, wd // 2, 2).max((3, 5))
        elif node.op_type == "Flatten":
            out = ins[0].reshape(ins[0].shape[0], -1)
        elif node.op_type == "Reshape":
            shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(ins[1])]
            out = ins[0].reshape(shape)
        elif node.op_type == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif node.op_type == "Gemm":
            A, B = ins[0], ins[1]
            A = A.T if a.get("transA", 0) else A
            B = B.T if a.get("transB", 0) else B
            out = a.get("alpha", 1.0) * A @ B
            if len(ins) > 2:
                out = out + a.get("beta", 1.0) * ins[2]
        else:
            raise ValueError(f"unexpected op {node.op_type} ({node.name})")
        env[node.output[0]] = out.astype(np.float32)
    return env[g.output[0].name]


# --- main ------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(root, "data", "mnist"))
    ap.add_argument("--out", default=os.path.join(here, "lenet_float.onnx"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "test")
    print(f"train: {len(x_train)} digits, test: {len(x_test)} digits")

    model = LeNet()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    batch = 64
    steps_per_epoch = (len(x_train) + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=3e-3, epochs=args.epochs, steps_per_epoch=steps_per_epoch)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(x_train), batch):
            idx = order[i:i + batch]
            xb = random_shift(x_train[idx], gen)
            loss = F.cross_entropy(model(xb), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1:2d}: loss {total / len(x_train):.4f}, "
              f"test accuracy {accuracy(model, x_test, y_test):.4f}, "
              f"{time.time() - t0:.1f} s", flush=True)
    train_s = time.time() - t0
    acc = accuracy(model, x_test, y_test)
    print(f"trained in {train_s:.1f} s ({args.threads} thread(s)), {n_params} parameters")
    print(f"float test accuracy (PyTorch): {acc:.4f} on {len(x_test)} digits")

    # Export: batch 1, fixed shapes, names fixed by the brief.
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), args.out,
                      opset_version=13, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"])
    proto = onnx.load(args.out)
    onnx.checker.check_model(proto, full_check=True)
    print(f"wrote {args.out}: " + ", ".join(n.op_type for n in proto.graph.node))

    # The file's own accuracy, one image at a time as the hardware sees them.
    xs = x_test.numpy()
    logits = np.concatenate([run_onnx_numpy(proto, xs[i:i + 1]) for i in range(len(xs))])
    onnx_acc = float((logits.argmax(1) == y_test.numpy()).mean())
    with torch.no_grad():
        ref = model(x_test).numpy()
    print(f"float test accuracy (ONNX file, numpy): {onnx_acc:.4f}; "
          f"max |logit difference| vs PyTorch {np.abs(ref - logits).max():.2e}")
    # Float summation order differs between the two, so the logits are compared
    # with a tolerance rather than the accuracies for equality.
    if np.abs(ref - logits).max() > 1e-3:
        sys.exit("the exported file does not compute what the trained module does")


if __name__ == "__main__":
    main()
