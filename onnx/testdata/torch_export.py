"""Exports PyTorch networks like bench/suite's to ONNX for the Go tests.

usage: torch_export.py DIR

For each network it writes DIR/NAME.onnx (torch.onnx.export) and
DIR/NAME.json: the input's example shape, a random batch and PyTorch's
outputs for it, flattened to lists (numpy is not needed), and the opset.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, f, k=3, stride=1, same=True, relu=True):
    """A conv with Keras's 'same' padding: PyTorch's padding=k//2 where it
    is symmetric (stride 1, odd k), an explicit ZeroPad2d of the odd cell
    after the input for stride 2 on an even input."""
    if same and stride == 2:
        layers = [nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(cin, f, k, stride=stride)]
    else:
        layers = [nn.Conv2d(cin, f, k, stride=stride, padding=(k // 2 if same else 0))]
    if relu:
        layers.append(nn.ReLU())
    return layers


class Residual(nn.Module):
    def __init__(self, f, bn=False):
        super().__init__()
        if bn:
            self.a = nn.Sequential(nn.Conv2d(f, f, 3, padding=1), nn.BatchNorm2d(f, eps=1e-3), nn.ReLU())
            self.b = nn.Sequential(nn.Conv2d(f, f, 3, padding=1), nn.BatchNorm2d(f, eps=1e-3))
        else:
            self.a = nn.Sequential(*conv(f, f))
            self.b = nn.Sequential(*conv(f, f, relu=False))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class View(nn.Module):
    """x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape."""

    def forward(self, x):
        return x.view(x.size(0), -1)


class Branches(nn.Module):
    """Two convolutions concatenated on the channels."""

    def __init__(self, cin):
        super().__init__()
        self.a = nn.Conv2d(cin, 4, 3, padding=1)
        self.b = nn.Conv2d(cin, 6, 1)

    def forward(self, x):
        return torch.cat([self.a(x), torch.tanh(self.b(x))], 1)


class MatMulAdd(nn.Module):
    """x @ W + b, which PyTorch writes as MatMul and Add."""

    def __init__(self, k, units):
        super().__init__()
        self.w = nn.Parameter(torch.randn(k, units) / k ** 0.5)
        self.b = nn.Parameter(torch.randn(units))

    def forward(self, x):
        return x @ self.w + self.b


class ViewAs(nn.Module):
    """x.view(x.size(0), *shape): a Reshape of each example."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.view(x.size(0), *self.shape)


def pool():
    return nn.MaxPool2d(2)


NETS = {
    "recipe": ([1, 28, 28], lambda: [*conv(1, 10, 5, same=False), pool(), *conv(10, 20, 5, same=False), pool(),
                                     nn.Flatten(), nn.Linear(320, 100), nn.ReLU(), nn.Linear(100, 10)]),
    "valid": ([1, 28, 28], lambda: [*conv(1, 8, same=False), *conv(8, 16, same=False), pool(),
                                    nn.Flatten(), nn.Linear(2304, 32), nn.ReLU(), nn.Linear(32, 10)]),
    "same": ([1, 28, 28], lambda: [*conv(1, 8), *conv(8, 8), pool(), *conv(8, 16), *conv(16, 16), pool(),
                                   nn.Flatten(), nn.Linear(784, 10)]),
    "stride2": ([1, 28, 28], lambda: [*conv(1, 8), *conv(8, 16, stride=2), *conv(16, 16), *conv(16, 32, stride=2),
                                      View(), nn.Linear(1568, 10)]),
    "pointwise": ([1, 28, 28], lambda: [*conv(1, 16), *conv(16, 8, 1), pool(), *conv(8, 16), *conv(16, 8, 1), pool(),
                                        nn.Flatten(), nn.Linear(392, 10)]),
    "residual": ([1, 28, 28], lambda: [*conv(1, 8), Residual(8), pool(), *conv(8, 16), Residual(16), pool(),
                                       nn.Flatten(), nn.Linear(784, 10)]),
    "resnet": ([1, 28, 28], lambda: [nn.Conv2d(1, 12, 3, padding=1), nn.BatchNorm2d(12, eps=1e-3), nn.ReLU(), pool(),
                                     Residual(12, bn=True), nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(12, 24, 3, stride=2),
                                     nn.BatchNorm2d(24, eps=1e-3), nn.ReLU(), Residual(24, bn=True),
                                     nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10)]),
    "mlp": ([1, 28, 28], lambda: [nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                  nn.Linear(64, 10)]),
    "mixed": ([1, 28, 28], lambda: [*conv(1, 8), *conv(8, 8, stride=2), *conv(8, 16), nn.AvgPool2d(2), nn.Dropout(0.25),
                                    nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10)]),
    "activations": ([3, 12, 10], lambda: [nn.Conv2d(3, 6, 3), nn.LeakyReLU(0.2), nn.Conv2d(6, 6, 3, padding=1), nn.ELU(0.5),
                                          Branches(6), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
                                          nn.Linear(200, 16), nn.GELU(), nn.BatchNorm1d(16), MatMulAdd(16, 12), nn.Tanh(),
                                          nn.Linear(12, 5), nn.Softmax(dim=1)]),
    # The layers added since: depthwise (groups=C) and dilated
    # convolutions, transposed convolutions, upsampling, a zero padding
    # that no convolution takes, a reshape of images and (opset 17) layer
    # normalisation. A third value is the opset the network needs.
    "depthwise": ([3, 12, 10], lambda: [nn.Conv2d(3, 3, 3, padding=1, groups=3), nn.ReLU(),
                                        nn.Conv2d(3, 6, 3, groups=3), nn.Conv2d(6, 8, 1), nn.Tanh(),
                                        nn.Conv2d(8, 8, 3, padding=2, dilation=2, bias=False),
                                        nn.Conv2d(8, 8, (3, 2), dilation=(2, 3), groups=8),
                                        nn.Flatten(), nn.Linear(8 * 6 * 5, 10)]),
    "decoder": ([4, 5, 6], lambda: [nn.ConvTranspose2d(4, 6, 3), nn.ReLU(),
                                    nn.ConvTranspose2d(6, 4, 4, stride=2, padding=1), nn.Sigmoid(),
                                    nn.ConvTranspose2d(4, 3, 2, stride=2, bias=False),
                                    nn.ConvTranspose2d(3, 3, 3, dilation=2),
                                    nn.Upsample(scale_factor=2, mode="nearest"), nn.ZeroPad2d((1, 2, 0, 1)),
                                    nn.MaxPool2d(2), nn.Conv2d(3, 2, 3),
                                    nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False),
                                    nn.Flatten(), nn.Linear(2 * 60 * 105, 5)]),
    "reshape": ([3, 6, 5], lambda: [nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), ViewAs(4, 12, 5),
                                    nn.Conv2d(4, 4, 3), ViewAs(-1, 30), nn.Flatten(), nn.Linear(120, 6)]),
    "layernorm": ([3, 6, 5], lambda: [nn.Conv2d(3, 8, 3), nn.LayerNorm([8, 4, 3]), nn.ReLU(), nn.LayerNorm(3, eps=1e-3),
                                      nn.Flatten(), nn.Linear(96, 16), nn.LayerNorm(16), nn.Tanh(),
                                      nn.Linear(16, 4)], 17),
}


def randomize_norms(net):
    """Random statistics and affine parameters, so that the normalisations
    do something."""
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)


def main():
    out = sys.argv[1]
    torch.manual_seed(7)
    for i, (name, spec) in enumerate(sorted(NETS.items())):
        shape, make = spec[0], spec[1]
        net = nn.Sequential(*make())
        randomize_norms(net)
        net.eval()
        x = torch.rand(3, *shape)
        with torch.no_grad():
            y = net(x)
        opset = spec[2] if len(spec) > 2 else 13 + i % 5
        dynamic = {"x": {0: "N"}, "y": {0: "N"}} if i % 2 == 0 else None
        torch.onnx.export(net, x, os.path.join(out, name + ".onnx"), input_names=["x"], output_names=["y"],
                          opset_version=opset, dynamic_axes=dynamic)
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump({"shape": shape, "x": x.flatten().tolist(), "y": y.flatten().tolist(), "opset": opset,
                       "dynamic": dynamic is not None}, f)
        print(name, opset, file=sys.stderr)


if __name__ == "__main__":
    main()
