#!/usr/bin/python3
"""PyTorch side of bench_occlusion: the same occlusion map (gray fill, softmax
probability of the predicted class, windows from 0 by the stride plus one flush
with the far border) in batches, eager model, torch.no_grad().

    /usr/bin/python3 bench/bench_occlusion.py --export DIR       # model + input for both sides
    /usr/bin/python3 bench/bench_occlusion.py --image DIR/input.png --batch N --threads T --runs R
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import export_torchvision  # noqa: E402  (same seeds, weights and normalization as the fixtures)

SIZE = 224
PHOTO = "/usr/share/doc/opencv-doc/examples/data/fruits.jpg"


def export(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    model = export_torchvision.build("resnet18")
    meta = {"name": "resnet18", "input": [3, SIZE, SIZE], "mean": export_torchvision.MEAN, "std": export_torchvision.STD}
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.rand(1, 3, SIZE, SIZE))
    torch.jit.save(traced, os.path.join(out_dir, "resnet18_224.pt"), _extra_files={"convscope.json": json.dumps(meta)})
    photo = Image.open(PHOTO).convert("RGB")
    side = min(photo.size)
    left, top = (photo.size[0] - side) // 2, (photo.size[1] - side) // 2
    photo.crop((left, top, left + side, top + side)).resize((SIZE, SIZE), Image.BILINEAR).save(
        os.path.join(out_dir, "input.png"))


def starts(size, window, stride):
    s = list(range(0, size - window + 1, stride))
    if s[-1] + window < size:
        s.append(size - window)
    return s


def occlusion(model, x, window, stride, batch):
    _, _, height, width = x.shape
    positions = [(r, c) for r in starts(height, window, stride) for c in starts(width, window, stride)]
    with torch.no_grad():
        probs = torch.softmax(model(export_torchvision.normalize(x)), 1)
        target = int(probs.argmax(1))
        base = probs[0, target]
        scores = []
        for i in range(0, len(positions), batch):
            chunk = positions[i:i + batch]
            occluded = x.repeat(len(chunk), 1, 1, 1)
            for k, (r, c) in enumerate(chunk):
                occluded[k, :, r:r + window, c:c + window] = 0.5
            scores.append(torch.softmax(model(export_torchvision.normalize(occluded)), 1)[:, target])
        drops = (base - torch.cat(scores)).double()
        total = torch.zeros(height, width, dtype=torch.float64)
        covered = torch.zeros(height, width, dtype=torch.float64)
        for d, (r, c) in zip(drops.tolist(), positions):
            total[r:r + window, c:c + window] += d
            covered[r:r + window, c:c + window] += 1
    return len(positions), target, (total / covered).float()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--export")
    parser.add_argument("--image")
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--stride", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return
    torch.set_num_threads(args.threads)
    model = export_torchvision.build("resnet18")
    x = torch.from_numpy(np.array(Image.open(args.image).convert("RGB"))).permute(2, 0, 1).float().div(255)[None]
    occlusion(model, x, SIZE // 2, SIZE // 2, args.batch)  # warm-up, as the C++ side
    for _ in range(args.runs):
        start = time.perf_counter()
        count, target, heat = occlusion(model, x, args.window, args.stride, args.batch)
        print(f"run {time.perf_counter() - start:.3f} s", flush=True)
    print(f"windows {count} batch {args.batch} target {target} heatmap sum {heat.sum().item():.6f} "
          f"max {heat.max().item():.6f}")


if __name__ == "__main__":
    main()
