#!/usr/bin/env python3
"""The networks of bench/suite (Go) in PyTorch on the CPU, for bench/suite.sh.

Trains one network on the first --limit MNIST training images with Adam
(lr 1e-3) and the cross-entropy (the autoencoder: the mean squared error
against its input's pixels) in batches of --batch, and prints one JSON
object: the median epoch time over the epochs after the first, images/s,
inference on the first 10,000 test images (batches of 256, no_grad, timed
on its second run), the peak RSS and the parameter count, which must equal
the Go network's.

Keras 'same' padding of a stride-2 3x3 conv on an even input pads one
cell after the input only; here it is padding=1 on both sides, which gives
the same output size and the same work.
"""
import argparse, gzip, json, os, resource, statistics, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(dirname, name, n):
    """The first n items of an IDX file (plain or .gz), reading no more."""
    for cand in (name, name + ".gz"):
        path = os.path.join(dirname, cand)
        if os.path.exists(path):
            break
    else:
        sys.exit("missing %s in %s" % (name, dirname))
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        head = f.read(4)
        dims = list(struct.unpack(">" + "I" * head[3], f.read(4 * head[3])))
        dims[0] = min(dims[0], n)
        data = f.read(int(np.prod(dims)))
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def conv(cin, f, k=3, stride=1, same=True, relu=True):
    layers = [nn.Conv2d(cin, f, k, stride=stride, padding=(k // 2 if same else 0))]
    if relu:
        layers.append(nn.ReLU())
    return layers


class Residual(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.a = nn.Sequential(*conv(f, f))
        self.b = nn.Sequential(*conv(f, f, relu=False))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


def bn_conv(cin, f, stride=1):
    # Keras's BatchNormalization defaults: momentum 0.99 (PyTorch's 0.01), epsilon 1e-3.
    return [nn.Conv2d(cin, f, 3, stride=stride, padding=1), nn.BatchNorm2d(f, eps=1e-3, momentum=0.01)]


class BNResidual(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.a = nn.Sequential(*bn_conv(f, f), nn.ReLU())
        self.b = nn.Sequential(*bn_conv(f, f))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


def bn(c):
    # Keras's BatchNormalization defaults: momentum 0.99 (PyTorch's 0.01), epsilon 1e-3.
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


def mobilenet():
    ls = [nn.Conv2d(1, 16, 3, padding=1), bn(16), nn.ReLU()]
    c = 16
    for stride, f in ((1, 32), (2, 64), (1, 64), (2, 128), (1, 128)):
        ls += [nn.Conv2d(c, c, 3, stride=stride, padding=1, groups=c), bn(c), nn.ReLU(),
               nn.Conv2d(c, f, 1), bn(f), nn.ReLU()]
        c = f
    return ls + [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10)]


def autoencoder():
    # Keras's 'same' Conv2DTranspose of stride 2 doubles the size: here
    # padding=1 with output_padding=1, the same sizes and work.
    return [nn.Conv2d(1, 16, 3, stride=2, padding=1), bn(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), bn(32), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), bn(16), nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(), nn.Flatten()]


# Networks that reconstruct their input (MSE on its pixels) instead of
# classifying it.
REGRESSION = {"autoencoder"}


def pool():
    return nn.MaxPool2d(2)


NETS = {
    "recipe": lambda: [*conv(1, 10, 5, same=False), pool(), *conv(10, 20, 5, same=False), pool(),
                       nn.Flatten(), nn.Linear(320, 100), nn.ReLU(), nn.Linear(100, 10)],
    "valid": lambda: [*conv(1, 32, same=False), *conv(32, 64, same=False), pool(),
                      nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10)],
    "same": lambda: [*conv(1, 16), *conv(16, 16), pool(), *conv(16, 32), *conv(32, 32), pool(),
                     *conv(32, 64), *conv(64, 64), pool(), nn.Flatten(), nn.Linear(576, 10)],
    "same16": lambda: [*conv(1, 16), *conv(16, 16), pool(), *conv(16, 32), *conv(32, 32), pool(),
                       nn.Flatten(), nn.Linear(1568, 10)],
    "stride2": lambda: [*conv(1, 16), *conv(16, 32, stride=2), *conv(32, 32), *conv(32, 64, stride=2),
                        nn.Flatten(), nn.Linear(3136, 10)],
    "pointwise": lambda: [*conv(1, 32), *conv(32, 16, 1), pool(), *conv(16, 64), *conv(64, 32, 1), pool(),
                          nn.Flatten(), nn.Linear(1568, 10)],
    "residual": lambda: [*conv(1, 16), Residual(16), pool(), *conv(16, 32), Residual(32), pool(),
                         nn.Flatten(), nn.Linear(1568, 10)],
    "resnet": lambda: [*bn_conv(1, 24), nn.ReLU(), pool(), BNResidual(24), *bn_conv(24, 48, 2), nn.ReLU(),
                       BNResidual(48), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(48, 10)],
    "mlp": lambda: [nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                    nn.Linear(512, 10)],
    "mixed": lambda: [*conv(1, 32), *conv(32, 32, stride=2), *conv(32, 64), nn.AvgPool2d(2), nn.Dropout(0.25),
                      nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)],
    "mobilenet": mobilenet,
    "autoencoder": autoencoder,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", required=True, choices=sorted(NETS))
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=6000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    x = torch.from_numpy(read_idx(args.data, "train-images-idx3-ubyte", args.limit).astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(read_idx(args.data, "train-labels-idx1-ubyte", args.limit).astype(np.int64))
    xt = torch.from_numpy(read_idx(args.data, "t10k-images-idx3-ubyte", 10000).astype(np.float32) / 255).unsqueeze(1)

    model = nn.Sequential(*NETS[args.net]())
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    regression = args.net in REGRESSION
    # The head applied at inference: the classifiers' softmax (training
    # uses the logits), nothing for a regression net.
    head = (lambda out: out) if regression else (lambda out: F.softmax(out, dim=1))

    times = []
    for e in range(args.epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(x))
        for i in range(0, len(x), args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad()
            if regression:
                F.mse_loss(model(x[idx]), x[idx].flatten(1)).backward()
            else:
                F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        for _ in range(2):
            t0 = time.perf_counter()
            for i in range(0, len(xt), 256):
                head(model(xt[i:i + 256]))
            infer = time.perf_counter() - t0
        # Single-image latency: the median of 200 calls after one warm-up,
        # each on the next test image.
        model(xt[:1])
        lat = []
        for i in range(200):
            t0 = time.perf_counter()
            head(model(xt[i:i + 1]))
            lat.append((time.perf_counter() - t0) * 1e6)
    epoch = statistics.median(times[1:])
    print(json.dumps({
        "net": args.net,
        "params": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "images": len(x),
        "epoch_s": epoch,
        "images_per_s": len(x) / epoch,
        "infer_s": infer,
        "latency_us": statistics.median(lat),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
