#!/usr/bin/python3
"""The Unit page's model work in PyTorch, as a reference for bench_unit: for
each channel of ResNet-18's layer3 at 224 x 224, the guided backprop of its
strongest unit for the input (hooks on the ReLUs), the same for a batch of
its top-9 images, and its class means from the per-image scores.

    bench_unit.py --data IMAGES_IDX [--threads N] [--channels C]
"""
import argparse
import os
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import export_torchvision  # noqa: E402


class Stop(Exception):
    """Raised by the layer's hook: the rest of the network is not needed (ConvScope cuts its graph there too)."""


def guided(model, module, images, channel):
    captured = {}

    def keep(m, args, out):
        captured["out"] = out
        raise Stop

    def clamp(m, args, out):
        out.register_hook(lambda g: g.clamp(min=0))

    handles = [module.register_forward_hook(keep)]
    handles += [m.register_forward_hook(clamp) for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    x = images.clone().requires_grad_(True)
    try:
        model(export_torchvision.normalize(x))
    except Stop:
        pass
    maps = captured["out"][:, channel].flatten(1)
    maps.gather(1, maps.argmax(1, keepdim=True)).sum().backward()
    for h in handles:
        h.remove()
    return x.grad


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--channels", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.data, "rb") as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        images = torch.frombuffer(bytearray(f.read(n * h * w)), dtype=torch.uint8).view(n, 1, h, w).float() / 255
    images = torch.nn.functional.interpolate(images, size=(224, 224), mode="bilinear").expand(-1, 3, -1, -1)
    model = export_torchvision.build("resnet18").requires_grad_(False)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    layer = model.layer3
    # What the scan leaves: per-image channel maxima and means (not timed, as in bench_unit).
    with torch.no_grad():
        feats = []
        hook = layer.register_forward_hook(lambda m, a, out: feats.append(out.flatten(2)))
        for i in range(0, len(images), 32):
            model(export_torchvision.normalize(images[i:i + 32]))
        hook.remove()
        maps = torch.cat(feats)
        maxima, means = maps.amax(2), maps.mean(2)
    labels = torch.arange(len(images)) % 10
    times = []
    for c in range(1, args.channels + 1):
        start = time.perf_counter()
        guided(model, layer, images[:1], c)
        top = maxima[:, c].argsort(descending=True)[:9]
        guided(model, layer, images[top], c)
        torch.stack([means[labels == k, c].mean() for k in range(10)])
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"pytorch unit page model work (resnet18 224, layer3): new channel median {times[len(times) // 2]:.3f} s, "
          f"max {times[-1]:.3f} s ({args.channels})")


if __name__ == "__main__":
    main()
