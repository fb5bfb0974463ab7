#!/usr/bin/env python3
"""Replays what bench/crosscheck recorded in PyTorch and compares.

Usage: /usr/bin/python3 bench/crosscheck.py DIR

DIR is the -out of `go run ./bench/crosscheck`. The recipe network is built
in PyTorch twice, in float32 and in float64, from the Go initial weights;
both are trained on the recorded batches with RMSprop(lr, alpha=0.9,
eps=1e-7), whose update lr*g/(sqrt(v)+eps) is Keras's, and the mean
cross-entropy. The float64 run is the reference. The report compares

  - the first step's gradients (Go and float32 PyTorch against float64),
  - the per-step losses, averaged over windows of 50 steps,
  - the weights after the last step,

so that Go's distance from the reference can be read against float32
PyTorch's own distance from it: the rounding of float32 arithmetic alone.
"""
import json, os, sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mnist import Net  # noqa: E402  (the same network as bench/compare.sh)


def ordered(net):
    """The parameters of torch_mnist.Net in the Go model's order (kernel, bias per layer)."""
    return [net.conv1.weight, net.conv1.bias, net.conv2.weight, net.conv2.bias,
            net.fc1.weight, net.fc1.bias, net.fc2.weight, net.fc2.bias]


def split(flat, params):
    """Cuts a flat float32 array into the manifest's parameters."""
    out, off = [], 0
    for p in params:
        n = int(np.prod(p["shape"]))
        out.append(flat[off:off + n].reshape(p["shape"]))
        off += n
    if off != len(flat):
        sys.exit("parameter file has %d values, the manifest %d" % (len(flat), off))
    return out


def to_torch(arrs):
    """Go layouts to PyTorch: Dense kernels are [in, out], Linear weights [out, in]."""
    return [a.T if a.ndim == 2 else a for a in arrs]


def to_go(tensors):
    return np.concatenate([(t.T if t.ndim == 2 else t).detach().double().numpy().ravel() for t in tensors])


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def main():
    d = sys.argv[1]
    m = json.load(open(os.path.join(d, "manifest.json")))
    params = m["params"]
    init = to_torch(split(np.fromfile(os.path.join(d, "init.bin"), "<f4"), params))
    go_grads = split(np.fromfile(os.path.join(d, "grads1.bin"), "<f4"), params)
    go_final = split(np.fromfile(os.path.join(d, "final.bin"), "<f4"), params)
    pixels = np.fromfile(os.path.join(d, "pixels.bin"), np.uint8)
    labels = np.fromfile(os.path.join(d, "labels.bin"), np.uint8).astype(np.int64)
    sizes = m["batches"]
    if len(labels) != sum(sizes) or len(pixels) != 784 * sum(sizes):
        sys.exit("batch files do not match the manifest")
    x32 = torch.from_numpy(pixels.astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels)
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))

    runs = {}
    for dt in (torch.float32, torch.float64):
        net = Net().to(dt)
        with torch.no_grad():
            for p, a in zip(ordered(net), init):
                p.copy_(torch.from_numpy(np.ascontiguousarray(a)).to(dt))
        opt = torch.optim.RMSprop(net.parameters(), lr=m["lr"], alpha=0.9, eps=1e-7)
        x = x32.to(dt)
        losses, grads1, off = [], None, 0
        for n in sizes:
            opt.zero_grad()
            loss = F.cross_entropy(net(x[off:off + n]), y[off:off + n])
            loss.backward()
            if grads1 is None:
                grads1 = to_go([p.grad for p in ordered(net)])
            opt.step()
            losses.append(loss.item())
            off += n
        runs[dt] = (np.array(losses), grads1, to_go(ordered(net)))

    ref_l, ref_g, ref_w = runs[torch.float64]
    t_l, t_g, t_w = runs[torch.float32]
    go_l = np.array(m["losses"])
    go_g = np.concatenate([g.astype(np.float64).ravel() for g in go_grads])
    go_w = np.concatenate([w.astype(np.float64).ravel() for w in go_final])

    print("%d steps of batch %d, seed %d, RMSprop lr %g; reference: PyTorch %s float64"
          % (len(sizes), sizes[0], m["seed"], m["lr"], torch.__version__))
    print("%-44s %14s %14s" % ("relative L2 distance from the reference", "Go float32", "torch float32"))
    print("%-44s %14.2e %14.2e" % ("first-step gradients", rel(go_g, ref_g), rel(t_g, ref_g)))
    print("%-44s %14.2e %14.2e" % ("first-step loss", abs(go_l[0] - ref_l[0]) / ref_l[0], abs(t_l[0] - ref_l[0]) / ref_l[0]))
    print("%-44s %14.2e %14.2e" % ("weights after the last step", rel(go_w, ref_w), rel(t_w, ref_w)))
    print()
    print("mean loss per window of 50 steps")
    print("%-12s %12s %12s %12s" % ("steps", "Go f32", "torch f32", "torch f64"))
    for i in range(0, len(sizes), 50):
        j = min(i + 50, len(sizes))
        print("%-12s %12.5f %12.5f %12.5f" % ("%d-%d" % (i + 1, j), go_l[i:j].mean(), t_l[i:j].mean(), ref_l[i:j].mean()))


if __name__ == "__main__":
    main()
