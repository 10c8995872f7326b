#!/usr/bin/python3
"""PyTorch side of bench_scorecam: the same Score-CAM map (Wang et al. 2020 as
pytorch-grad-cam computes it: the layer's channels upsampled with
UpsamplingBilinear2d and min-max scaled mask the normalized input, the
predicted class's logits of the masked inputs softmaxed over channels weight
the maps) in batches, eager model, torch.no_grad(). The masks are built a
batch at a time, as ConvScope builds them.

    /usr/bin/python3 bench/bench_scorecam.py --export DIR       # model + input for both sides
    /usr/bin/python3 bench/bench_scorecam.py --image DIR/input.png --batch N --threads T --runs R
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import export_torchvision  # noqa: E402  (same seeds, weights and normalization as the fixtures)
from bench_occlusion import export  # noqa: E402  (the same traced ResNet-18 at 224 and photo)


def masks_of(maps, size):
    """[n, 1, H, W] in [0, 1] from maps [1, n, h, w]; a constant channel masks everything."""
    up = torch.nn.UpsamplingBilinear2d(size=size)(maps.transpose(0, 1))
    low, high = up.amin((2, 3), keepdim=True), up.amax((2, 3), keepdim=True)
    flat = (maps[0].amax((1, 2)) == maps[0].amin((1, 2))).view(-1, 1, 1, 1)
    return ((up - low) / (high - low)).masked_fill(flat, 0)


def score_cam(model, layer, x, batch):
    got = {}
    handle = layer.register_forward_hook(lambda m, args, out: got.__setitem__("maps", out))
    with torch.no_grad():
        normalized = export_torchvision.normalize(x)
        target = int(model(normalized).argmax(1))
        handle.remove()
        maps = got["maps"]
        scores = [model(normalized * masks_of(maps[:, i:i + batch], x.shape[-2:]))[:, target]
                  for i in range(0, maps.shape[1], batch)]
        weights = torch.softmax(torch.cat(scores), 0).view(1, -1, 1, 1)
        cam = F.relu((weights * maps).sum(1, keepdim=True))
        heat = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    return maps.shape[1], target, heat


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--export")
    parser.add_argument("--image")
    parser.add_argument("--layer", default="layer4")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return
    torch.set_num_threads(args.threads)
    model = export_torchvision.build("resnet18")
    layer = model.get_submodule(args.layer)
    x = torch.from_numpy(np.array(Image.open(args.image).convert("RGB"))).permute(2, 0, 1).float().div(255)[None]
    # Warm-up, as the C++ side: one pass with gradients, two of a whole batch.
    model(export_torchvision.normalize(x.clone().requires_grad_(True)))
    with torch.no_grad():
        for _ in range(2):
            model(export_torchvision.normalize(x.expand(args.batch, -1, -1, -1).contiguous()))
    for _ in range(args.runs):
        start = time.perf_counter()
        channels, target, heat = score_cam(model, layer, x, args.batch)
        print(f"run {time.perf_counter() - start:.3f} s", flush=True)
    print(f"channels {channels} batch {args.batch} target {target} heatmap sum {heat.sum().item():.6f} "
          f"max {heat.max().item():.6f}")


if __name__ == "__main__":
    main()
