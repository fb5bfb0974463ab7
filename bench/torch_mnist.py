#!/usr/bin/env python3
"""The cmd/mnist recipe in PyTorch on the CPU, for bench/compare.sh.

Conv2d(10, 5x5) relu, max-pool 2, Conv2d(20, 5x5) relu, max-pool 2,
Linear(320, 100) relu, Linear(100, 10); glorot-uniform kernels and zero
biases as in Keras; RMSprop(lr=1e-4, alpha=0.9, eps=1e-7), whose update
lr*g/(sqrt(v)+eps) is Keras's; mean cross-entropy; batch 128; a seeded
50,000/10,000 split of the training images. Prints one JSON object.
"""
import argparse, gzip, json, os, resource, statistics, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(dirname, name):
    for cand in (name, name + ".gz"):
        p = os.path.join(dirname, cand)
        if os.path.exists(p):
            return p
    sys.exit("missing %s in %s" % (name, dirname))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc1 = nn.Linear(320, 100)
        self.fc2 = nn.Linear(100, 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def blas_libraries():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            base = os.path.basename(p)
            if "blas" in base or "mkl" in base or "dnnl" in base:
                libs.add(os.path.realpath(p))
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-batch", type=int, default=500)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    x = read_idx(find(args.data, "train-images-idx3-ubyte")).astype(np.float32) / 255
    y = read_idx(find(args.data, "train-labels-idx1-ubyte")).astype(np.int64)
    xt = read_idx(find(args.data, "t10k-images-idx3-ubyte")).astype(np.float32) / 255
    yt = read_idx(find(args.data, "t10k-labels-idx1-ubyte")).astype(np.int64)
    perm = np.random.RandomState(1).permutation(len(x))
    tr, va = perm[:50000], perm[50000:]
    X, Y = torch.from_numpy(x[tr]).unsqueeze(1), torch.from_numpy(y[tr])
    XV, YV = torch.from_numpy(x[va]).unsqueeze(1), torch.from_numpy(y[va])
    XT, YT = torch.from_numpy(xt).unsqueeze(1), torch.from_numpy(yt)

    model = Net()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)

    def evaluate(xs, ys):
        model.eval()
        loss, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(xs), args.eval_batch):
                out = model(xs[i:i + args.eval_batch])
                loss += F.cross_entropy(out, ys[i:i + args.eval_batch], reduction="sum").item()
                correct += (out.argmax(1) == ys[i:i + args.eval_batch]).sum().item()
        model.train()
        return loss / len(xs), correct / len(xs)

    epochs = []
    for e in range(args.epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(X))
        for i in range(0, len(X), args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
        train_s = time.perf_counter() - t0
        vl, vacc = evaluate(XV, YV)
        epochs.append({"train_s": train_s, "val_loss": vl, "val_acc": vacc})
        print("torch epoch %d: %.2fs train, val_acc %.4f" % (e + 1, train_s, vacc), file=sys.stderr)
    t0 = time.perf_counter()
    tl, tacc = evaluate(XT, YT)
    test_s = time.perf_counter() - t0
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_libraries(),
        "epoch_train_s": statistics.median(e["train_s"] for e in epochs),
        "test_eval_s": test_s,
        "test_acc": tacc,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
