#!/usr/bin/env python3
"""Replays what bench/crosscheck recorded in PyTorch and compares.

Usage: /usr/bin/python3 bench/crosscheck.py [--no-float64] DIR

DIR is the -out of `go run ./bench/crosscheck`. The recipe network is built
in PyTorch in float32 and in float64 from the Go initial weights; both are
trained on the recorded batches with RMSprop(lr, alpha=0.9, eps=1e-7),
whose update lr*g/(sqrt(v)+eps) is Keras's, and the mean cross-entropy.
The float64 run is the reference. The report gives

  - the distance of the first step's gradients and loss, and of the final
    weights, from the reference, for Go and for float32 PyTorch;
  - the test accuracy of every run's final weights (Go's evaluated by
    PyTorch, which also checks the forward pass);
  - the per-step losses, averaged over windows,

so that Go's distance from the reference can be read against float32
PyTorch's own: the rounding of float32 arithmetic alone. With --no-float64
(for long replays) float32 PyTorch is the reference.
"""
import argparse, json, os, sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mnist import Net, find, read_idx  # noqa: E402  (as in bench/compare.sh)


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


def test_accuracy(net, dirname, dt):
    """Accuracy of net on the MNIST test images in dirname."""
    x = read_idx(find(dirname, "t10k-images-idx3-ubyte")).astype(np.float32) / np.float32(255)
    y = torch.from_numpy(read_idx(find(dirname, "t10k-labels-idx1-ubyte")).astype(np.int64))
    x = torch.from_numpy(x).unsqueeze(1).to(dt)
    with torch.no_grad():
        pred = torch.cat([net(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return (pred == y).double().mean().item()


def load(net, arrs, dt):
    with torch.no_grad():
        for p, a in zip(ordered(net), arrs):
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)).to(dt))
    return net


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="the -out directory of go run ./bench/crosscheck")
    ap.add_argument("--no-float64", action="store_true",
                    help="skip the float64 run (for long replays) and compare Go with float32 PyTorch")
    args = ap.parse_args()
    d = args.dir
    m = json.load(open(os.path.join(d, "manifest.json")))
    params = m["params"]
    init = to_torch(split(np.fromfile(os.path.join(d, "init.bin"), "<f4"), params))
    go_grads = split(np.fromfile(os.path.join(d, "grads1.bin"), "<f4"), params)
    go_final = split(np.fromfile(os.path.join(d, "final.bin"), "<f4"), params)
    pixels = np.fromfile(os.path.join(d, "pixels.bin"), np.uint8)
    labels = np.fromfile(os.path.join(d, "labels.bin"), np.uint8).astype(np.int64)
    order = torch.from_numpy(np.fromfile(os.path.join(d, "order.bin"), "<i4").astype(np.int64))
    sizes = m["batches"]
    if len(order) != sum(sizes) or len(pixels) != 784 * len(labels) or int(order.max()) >= len(labels):
        sys.exit("batch files do not match the manifest")
    x32 = torch.from_numpy(pixels.astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels)
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))

    runs = {}
    dtypes = [torch.float32] if args.no_float64 else [torch.float32, torch.float64]
    for dt in dtypes:
        net = load(Net().to(dt), init, dt)
        opt = torch.optim.RMSprop(net.parameters(), lr=m["lr"], alpha=0.9, eps=1e-7)
        x = x32.to(dt)
        losses, grads1, off = [], None, 0
        for n in sizes:
            idx = order[off:off + n]
            opt.zero_grad()
            loss = F.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            if grads1 is None:
                grads1 = to_go([p.grad for p in ordered(net)])
            opt.step()
            losses.append(loss.item())
            off += n
        runs[dt] = (np.array(losses), grads1, to_go(ordered(net)), test_accuracy(net, m["data"], dt))

    go = (np.array(m["losses"]),
          np.concatenate([g.astype(np.float64).ravel() for g in go_grads]),
          np.concatenate([w.astype(np.float64).ravel() for w in go_final]),
          test_accuracy(load(Net(), to_torch(go_final), torch.float32), m["data"], torch.float32))
    t32 = runs[torch.float32]
    ref, refname = (t32, "float32") if args.no_float64 else (runs[torch.float64], "float64")
    cols = [("Go float32", go)] + ([] if args.no_float64 else [("torch float32", t32)])

    print("%d steps of batch %d, seed %d, RMSprop lr %g; reference: PyTorch %s %s"
          % (len(sizes), sizes[0], m["seed"], m["lr"], torch.__version__, refname))
    print("%-42s" % "relative distance from the reference" + "".join("%15s" % c for c, _ in cols))
    rows = [("first-step gradients (L2)", lambda r: rel(r[1], ref[1])),
            ("first-step loss", lambda r: abs(r[0][0] - ref[0][0]) / ref[0][0]),
            ("weights after the last step (L2)", lambda r: rel(r[2], ref[2]))]
    for name, f in rows:
        print("%-42s" % name + "".join("%15.2e" % f(r) for _, r in cols))
    print()
    print("%-42s" % "test accuracy after the last step" + "".join("%15s" % c for c in [c for c, _ in cols] + ["reference"]))
    print("%-42s" % "" + "".join("%14.2f%%" % (100 * r[3]) for r in [r for _, r in cols] + [ref]))
    print()
    w = max(50, len(sizes) // 10)
    print("mean loss per window of %d steps" % w)
    names = ["Go f32", "torch f32"] + ([] if args.no_float64 else ["torch f64"])
    series = [go[0], t32[0]] + ([] if args.no_float64 else [runs[torch.float64][0]])
    print("%-14s" % "steps" + "".join("%12s" % n for n in names))
    for i in range(0, len(sizes), w):
        j = min(i + w, len(sizes))
        print("%-14s" % ("%d-%d" % (i + 1, j)) + "".join("%12.5f" % l[i:j].mean() for l in series))


if __name__ == "__main__":
    main()
