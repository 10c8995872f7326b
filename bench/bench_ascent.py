#!/usr/bin/python3
"""PyTorch side of bench_ascent steps: ConvScope's Plain preset loop (normalized
gradient ascent of a class logit with an L2 penalty towards the mean pixel,
projected onto [0, 1]) on the eager torchvision model with the fixtures' weights.

    /usr/bin/python3 bench/bench_ascent.py --arch resnet18 --size 112 --class 0 --steps 50 --threads 2
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import export_torchvision  # noqa: E402


def ascend(model, target, steps, size, seed=0, lr=0.01, l2=1e-3):
    mean = torch.tensor(export_torchvision.MEAN).view(1, 3, 1, 1)
    x = 0.4 + 0.2 * torch.rand((1, 3, size, size), generator=torch.Generator().manual_seed(seed))
    first = None
    for _ in range(steps):
        xg = x.detach().requires_grad_(True)
        value = model(export_torchvision.normalize(xg))[:, target]
        gain = value.sum() - l2 * (xg - mean).pow(2).sum()
        g, = torch.autograd.grad(gain, xg)
        first = float(value) if first is None else first
        with torch.no_grad():
            rms = g.pow(2).mean((1, 2, 3), keepdim=True).sqrt().clamp_min(1e-12)
            x = (x + lr * g / rms).clamp(0, 1)
    with torch.no_grad():
        last = float(model(export_torchvision.normalize(x))[0, target])
    return first, last


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--class", dest="target", type=int, default=0)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = export_torchvision.build(args.arch)
    for p in model.parameters():
        p.requires_grad_(False)
    ascend(model, args.target, 2, args.size)  # warm-up, as the C++ side
    start = time.perf_counter()
    first, last = ascend(model, args.target, args.steps, args.size)
    s = time.perf_counter() - start
    print(f"steps {args.steps} in {s:.3f} s: {args.steps / s:.2f} steps/s; objective {first:.6f} -> {last:.6f}")


if __name__ == "__main__":
    main()
