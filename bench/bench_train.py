#!/usr/bin/python3
"""PyTorch side of bench_train: the same architecture, optimiser, batch size and
work per epoch (lenet5: 4000 training images, 1000 test images; minivgg: 60,000
and 10,000, as Fashion-MNIST; then one TorchScript save).

    /usr/bin/python3 bench/bench_train.py [--arch lenet5|minivgg] --threads N --runs R
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


class MiniVGG(nn.Module):
    """ConvScope's minivgg: three blocks of (conv 3x3, BN, ReLU) x 2 and max-pool,
    global average pooling, dropout 0.3, fc."""

    def __init__(self, channels=1, classes=10):
        super().__init__()
        layers, c = [], channels
        for width in (32, 64, 128):
            for _ in range(2):
                layers += [nn.Conv2d(c, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
                c = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.dropout, self.fc = nn.Dropout(0.3), nn.Linear(128, classes)

    def forward(self, x):
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)
        return self.fc(self.dropout(x))


def epoch(arch, train_x, train_y, test_x, test_y, path):
    model = torch.jit.script(MiniVGG() if arch == "minivgg" else LeNet5())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    start = time.perf_counter()
    order = torch.randperm(len(train_x))
    model.train()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        logits = model(train_x[idx])
        loss = nn.functional.cross_entropy(logits, train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        # What ConvScope's loop reads back each step: the loss and the hits.
        loss_sum += loss.item() * len(idx)
        correct += int((logits.argmax(1) == train_y[idx]).sum())
    model.eval()
    with torch.no_grad():
        hits = sum(int((model(test_x[i:i + 512]).argmax(1) == test_y[i:i + 512]).sum())
                   for i in range(0, len(test_x), 512))
    model.save(path)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="lenet5", choices=["lenet5", "minivgg"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n_train, n_test = (60000, 10000) if args.arch == "minivgg" else (4000, 1000)
    train_x, train_y = torch.rand(n_train, 1, 28, 28), torch.randint(0, 10, (n_train,))
    test_x, test_y = torch.rand(n_test, 1, 28, 28), torch.randint(0, 10, (n_test,))
    path = os.path.join(tempfile.gettempdir(), f"bench_{args.arch}_py.pt")
    times = [epoch(args.arch, train_x, train_y, test_x, test_y, path) for _ in range(args.runs)]
    os.remove(path)
    print(f"pytorch    {args.arch} epoch ({n_train} train + {n_test} test, batch 64): "
          f"median {statistics.median(times):.3f} s of {args.runs} runs")


if __name__ == "__main__":
    main()
