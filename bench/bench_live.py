#!/usr/bin/python3
"""Reference side of bench_live: PyTorch's own forward of the same TorchScript
file at the same input size and thread count, frames per second.

    /usr/bin/python3 bench/bench_live.py --threads N --seconds S MODEL C H W
"""
import argparse
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("model")
    parser.add_argument("shape", nargs=3, type=int)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = torch.jit.load(args.model).eval()
    x = torch.rand(1, *args.shape)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        frames, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            model(x)
            frames += 1
    fps = frames / (time.perf_counter() - start)
    print(f"pytorch forward {fps:.1f} frames/s")


if __name__ == "__main__":
    main()
