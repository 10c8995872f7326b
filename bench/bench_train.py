#!/usr/bin/python3
"""PyTorch side of bench_train: the same LeNet-5, optimiser, batch size and
work per epoch (4000 training images, 1000 test images, one TorchScript save).

    /usr/bin/python3 bench/bench_train.py --threads N --runs R
"""
import argparse
import os
import statistics
import tempfile
import time

import torch
from torch import nn


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.relu1, self.pool1 = nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)
        self.conv2, self.relu2, self.pool2 = nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)
        self.fc1, self.relu3 = nn.Linear(400, 120), nn.ReLU()
        self.fc2, self.relu4, self.fc3 = nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(self.relu4(self.fc2(self.relu3(self.fc1(x)))))


def epoch(train_x, train_y, test_x, test_y, path):
    model = torch.jit.script(LeNet5())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    start = time.perf_counter()
    order = torch.randperm(len(train_x))
    model.train()
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        loss = nn.functional.cross_entropy(model(train_x[idx]), train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        for i in range(0, len(test_x), 512):
            model(test_x[i:i + 512]).argmax(1)
    model.save(path)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train_x, train_y = torch.rand(4000, 1, 28, 28), torch.randint(0, 10, (4000,))
    test_x = torch.rand(1000, 1, 28, 28)
    path = os.path.join(tempfile.gettempdir(), "bench_lenet_py.pt")
    times = [epoch(train_x, train_y, test_x, None, path) for _ in range(args.runs)]
    os.remove(path)
    print(f"pytorch    lenet5 epoch (4000 train + 1000 test, batch 64): median {statistics.median(times):.3f} s "
          f"of {args.runs} runs")


if __name__ == "__main__":
    main()
