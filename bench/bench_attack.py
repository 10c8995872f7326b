#!/usr/bin/python3
"""PyTorch side of bench_attack: the same dataset-mode PGD loop as
core/attack.cpp (uniform random start from a generator seeded per batch,
signed steps of 2.5 eps / steps, projection, optional early stop that only
sends samples not yet fooled through the model and leaves misclassified ones
alone), on the images and labels
bench_attack --dump wrote, with a clean pass first and an evaluation after.

    /usr/bin/python3 bench/bench_attack.py --arch lenet --model models/lenet5_digits.pt --dump /tmp/x \
        --eps 0.1 --steps 10 --batch 128 --early-stop 1 --threads 2
"""
import argparse
import json
import os
import sys
import time
from collections import OrderedDict

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import export_torchvision  # noqa: E402


def lenet(path):
    """The shipped LeNet-5 as an eager module with its weights and normalization."""
    extra = {"convscope.json": ""}
    scripted = torch.jit.load(path, _extra_files=extra)
    meta = json.loads(extra["convscope.json"])
    nn = torch.nn
    net = nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(1, 6, 5, padding=2), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(6, 16, 5), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2), flatten=nn.Flatten(),
        fc1=nn.Linear(400, 120), relu3=nn.ReLU(), fc2=nn.Linear(120, 84), relu4=nn.ReLU(), fc3=nn.Linear(84, 10)))
    net.load_state_dict(scripted.state_dict())
    mean, std = meta["mean"][0], meta["std"][0]
    return lambda x: net((x - mean) / std), net


def pgd(f, x, y, eps, steps, early, correct, seed=0):
    alpha = 2.5 * eps / steps
    g = torch.Generator().manual_seed(seed)
    start = (x + torch.empty_like(x).uniform_(-eps, eps, generator=g)).clamp(0, 1)
    active = torch.arange(x.shape[0])
    if early:  # samples misclassified as they are stay as they are
        active = active[correct]
    adv = x.clone()
    adv[active] = start[active]
    for _ in range(steps):
        xa = adv[active]
        cls = y[active]
        xg = xa.clone().requires_grad_(True)
        logits = f(xg)
        grad, = torch.autograd.grad(F.cross_entropy(logits, cls, reduction="sum"), xg)
        if early:
            keep = logits.argmax(1).eq(cls)  # not fooled yet
            if not bool(keep.any()):
                break
            active, xa, grad = active[keep], xa[keep], grad[keep]
        clean = x[active]
        step = xa + alpha * grad.sign()
        adv[active] = (clean + (step - clean).clamp(-eps, eps)).clamp(0, 1)
    return adv


def run(f, images, labels, eps, steps, batch, early):
    clean = attacked = 0
    for start in range(0, images.shape[0], batch):
        x, y = images[start:start + batch], labels[start:start + batch]
        with torch.no_grad():
            correct = f(x).argmax(1).eq(y)
        clean += int(correct.sum())
        adv = pgd(f, x, y, eps, steps, early, correct)
        with torch.no_grad():
            attacked += int(f(adv).argmax(1).eq(y).sum())
    return clean, attacked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="lenet")
    parser.add_argument("--model", help="lenet: the TorchScript file with the weights")
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--dump", required=True)
    parser.add_argument("--eps", type=float, default=8 / 255)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--early-stop", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.arch == "lenet":
        f, net = lenet(args.model)
        shape = (1, 28, 28)
    else:
        net = export_torchvision.build(args.arch)
        f = lambda x: net(export_torchvision.normalize(x))  # noqa: E731
        shape = (3, args.size, args.size)
    net.requires_grad_(False).eval()
    labels = torch.from_file(args.dump + ".labels", size=os.path.getsize(args.dump + ".labels") // 8, dtype=torch.int64)
    n = labels.numel()
    images = torch.from_file(args.dump + ".images", size=n * shape[0] * shape[1] * shape[2]).view(n, *shape)
    run(f, images[:min(args.batch, 8)], labels[:min(args.batch, 8)], args.eps, args.steps, args.batch, args.early_stop)
    start = time.perf_counter()
    clean, attacked = run(f, images, labels, args.eps, args.steps, args.batch, args.early_stop)
    s = time.perf_counter() - start
    print(f"pgd {args.steps} steps, {n} images, batch {args.batch}: {s:.3f} s, {n / s:.1f} images/s; "
          f"clean {clean / n:.4f}, attacked {attacked / n:.4f}")


if __name__ == "__main__":
    main()
