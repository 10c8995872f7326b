#!/usr/bin/python3
"""The reference side of bench_taps: what capturing every module's output
costs in PyTorch itself (forward hooks on every module, eager and TorchScript
forward alike), on the same models, input and thread count.

    /usr/bin/python3 bench/bench_taps.py --threads N --batch B --runs R ARCH...
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import export_torchvision  # noqa: E402


def interleaved_medians(runs, variants):
    """Variants in turn, `runs` rounds, so that load drift hits them alike."""
    for _ in range(3):
        for fn in variants:
            fn()
    times = [[] for _ in variants]
    for _ in range(runs):
        for i, fn in enumerate(variants):
            start = time.perf_counter()
            fn()
            times[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("archs", nargs="+")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{'model':<28} {'batch':>6} {'eager ms':>10} {'hooks ms':>10} {'ratio':>8}")
    for arch in args.archs:
        model = export_torchvision.build(arch)
        torch.manual_seed(0)
        x = export_torchvision.normalize(torch.rand(args.batch, 3, args.size, args.size))
        kept = []
        recording = [False]

        def keep(module, inputs, output):
            if recording[0]:
                kept.append(output)

        handles = [m.register_forward_hook(keep) for n, m in model.named_modules() if n]

        def plain_forward():
            recording[0] = False
            model(x)

        def hooked_forward():
            recording[0] = True
            kept.clear()
            model(x)

        with torch.no_grad():
            plain, hooks = interleaved_medians(args.runs, [plain_forward, hooked_forward])
        for h in handles:
            h.remove()
        print(f"{arch:<28} {args.batch:>6} {plain:>10.2f} {hooks:>10.2f} {hooks / plain:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
