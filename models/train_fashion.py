#!/usr/bin/python3
"""Trains a small CNN on Fashion-MNIST and exports it as float ONNX.

    /usr/bin/python3 models/train_fashion.py [--data data/fashion] [--out models/fashion_float.onnx]

Run by `make fashion` (which unpacks Debian's dataset-fashion-mnist into
data/fashion first, then quantizes the result with `cnnc quantize --scales
float --per-channel --activations uint8 --asymmetric` into models/fashion.onnx).
Needs Debian's python3-torch (1.13), python3-onnx and python3-numpy.

The network (about 13k weights):

    input [1,1,28,28] -> Conv 1->16 3x3 -> Relu -> MaxPool 2x2  -> [16,13,13]
                      -> Conv 16->32 3x3 -> Relu -> MaxPool 2x2 -> [32,5,5]
                      -> Flatten -> Gemm 800->10 -> logits

Preprocessing is x = p / 255 and nothing else (SPEC §2), as for LeNet.

Deterministic: fixed seeds, CPU only, deterministic algorithms, a fixed
thread count (--threads, default 2: the result can depend on it), manual
batching from a seeded generator, no augmentation. After export the file is
checked with onnx.checker and run on the 10,000 test images by
train_lenet.py's numpy interpreter of its own nodes, so the accuracy printed
is the file's.
"""

import argparse
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_lenet import read_idx, run_onnx_numpy  # noqa: E402  (the same IDX reader and ONNX check)

SEED = 20240
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def load_split(data_dir, name):
    """Images as float32 [N,1,28,28] = p/255, labels as int64 [N]."""
    images = read_idx(os.path.join(data_dir, f"{name}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(data_dir, f"{name}-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        sys.exit(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class FashionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3)
        self.conv2 = nn.Conv2d(16, 32, 3)
        self.fc = nn.Linear(32 * 5 * 5, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return (pred == y).float().mean().item()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(root, "data", "fashion"))
    ap.add_argument("--out", default=os.path.join(here, "fashion_float.onnx"))
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    print(f"train: {len(x_train)} images, test: {len(x_test)} images")

    model = FashionNet()
    n_params = sum(p.numel() for p in model.parameters())
    batch = 128
    steps_per_epoch = (len(x_train) + batch - 1) // batch
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=4e-3, epochs=args.epochs, steps_per_epoch=steps_per_epoch)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(x_train), batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
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
    print(f"float test accuracy (PyTorch): {acc:.4f} on {len(x_test)} images")

    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), args.out,
                      opset_version=13, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"])
    proto = onnx.load(args.out)
    onnx.checker.check_model(proto, full_check=True)
    print(f"wrote {args.out}: " + ", ".join(n.op_type for n in proto.graph.node))

    xs = x_test.numpy()
    logits = np.concatenate([run_onnx_numpy(proto, xs[i:i + 1]) for i in range(len(xs))])
    onnx_acc = float((logits.argmax(1) == y_test.numpy()).mean())
    with torch.no_grad():
        ref = model(x_test).numpy()
    print(f"float test accuracy (ONNX file, numpy): {onnx_acc:.4f}; "
          f"max |logit difference| vs PyTorch {np.abs(ref - logits).max():.2e}")
    if np.abs(ref - logits).max() > 1e-3:
        sys.exit("the exported file does not compute what the trained module does")


if __name__ == "__main__":
    main()
