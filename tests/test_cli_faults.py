#!/usr/bin/python3
"""Faults during work, from the command line: a scan stopped with Ctrl-C (or
killed) leaves a whole checkpoint and no temporary file, and a batch that
does not fit in memory (`ulimit -v`, for real) is halved until it does,
with a note on stderr and the same output as a run with room to spare.

    /usr/bin/python3 tests/test_cli_faults.py path/to/convscope path/to/fixtures
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import torch
from PIL import Image

CONVSCOPE = FIXTURES = None


def run(args, limit_kib=None):
    """(exit code, stdout, stderr) of convscope ARGS, under `ulimit -v limit_kib` if given."""
    command = [CONVSCOPE, *args]
    if limit_kib is not None:
        command = ["bash", "-c", 'ulimit -v %d && exec "$@"' % limit_kib, "bash", *command]
    p = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


class Wide(torch.nn.Module):
    """Much memory for little arithmetic: 256 scaled copies of a 1 x 128 x 128
    input are 16 MiB of activations per image (48 with the shift's and the
    ReLU's). Elementwise ops and a linear layer only: an image gets the same
    numbers in any batch (a 1x1 convolution would not under 16 images)."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(1, 256, 1, 1))
        self.bias = torch.nn.Parameter(torch.randn(1, 256, 1, 1) * 0.1)
        self.fc = torch.nn.Linear(256, 10)

    def forward(self, x):
        return self.fc(torch.relu(x * self.weight + self.bias).mean([2, 3]))


class Deep(Wide):
    """Wide with 32 tanh after it: a forward pass without gradients holds two
    activations at a time, one with them keeps all 32 for the backward pass.
    At 256 x 256 an activation of one image is 64 MiB: 128 MiB to check the
    model, over 2 GiB for a gradient."""

    def forward(self, x):
        y = x * self.weight + self.bias
        for _ in range(32):
            y = torch.tanh(y)
        return self.fc(y.mean([2, 3]))


def write_model(path, module, side=128):
    torch.manual_seed(5)
    meta = {"input": [1, side, side], "mean": [0.5], "std": [0.25]}
    torch.jit.save(torch.jit.script(module.eval()), path, _extra_files={"convscope.json": json.dumps(meta)})


def assert_same_to_rounding(test, actual, expected, path="", rtol=1e-5, atol=1e-6):
    """Equal JSON values, floats to within rtol and atol."""
    if isinstance(expected, float) or isinstance(actual, float):
        test.assertLessEqual(abs(actual - expected), atol + rtol * abs(expected), path)
    elif isinstance(expected, dict):
        test.assertEqual(sorted(actual), sorted(expected), path)
        for key in expected:
            assert_same_to_rounding(test, actual[key], expected[key], path + "." + key, rtol, atol)
    elif isinstance(expected, list):
        test.assertEqual(len(actual), len(expected), path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_to_rounding(test, a, e, "%s[%d]" % (path, i), rtol, atol)
    else:
        test.assertEqual(actual, expected, path)


def smallest_limit(args, low_kib=256 << 10, high_kib=16 << 20):
    """The smallest `ulimit -v` (KiB, to 16 MiB) under which convscope ARGS succeeds."""
    assert run(args, high_kib)[0] == 0
    while high_kib - low_kib > 16 << 10:
        middle = (low_kib + high_kib) // 2
        if run(args, middle)[0] == 0:
            high_kib = middle
        else:
            low_kib = middle
    return high_kib


class OutOfMemory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "wide.pt")
        write_model(cls.model, Wide())
        cls.deep = os.path.join(cls.tmp.name, "deep.pt")
        write_model(cls.deep, Deep(), 256)
        # What one image needs, found by bisection on the address space
        # (LibTorch and Qt map gigabytes before any work), plus 1.2 GiB:
        # room for a few dozen images, not for 64.
        one = ["saliency", cls.model, "--data", "digits", "--method", "smoothgrad", "--samples", "1",
               "--batch", "1", "--threads", "2"]
        cls.base = smallest_limit(one)
        cls.limit = cls.base + (1200 << 10)
        print("\nulimit -v %d KiB: one image fits, with 1.2 GiB to spare" % cls.limit, file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def same_output_in_less_memory(self, command, args):
        out = os.path.join(self.tmp.name, command + "-%s.png")
        code, roomy, err = run([command, self.model, "--data", "digits", *args, "--json", "--out", out % "roomy"])
        self.assertEqual(code, 0, err)
        self.assertNotIn("out of memory", err)
        code, tight, err = run([command, self.model, "--data", "digits", *args, "--json", "--out", out % "tight"],
                               self.limit)
        print("convscope %s under ulimit -v %d:\n%s" % (command, self.limit, err), file=sys.stderr)
        self.assertEqual(code, 0, err)
        self.assertIn("convscope %s: note: out of memory with a batch of 64; going on with 32\n" % command, err)
        roomy, tight = json.loads(roomy), json.loads(tight)
        roomy.pop("seconds")
        tight.pop("seconds")
        return roomy, tight, out

    def test_smoothgrad_halves_its_batch(self):
        roomy, tight, out = self.same_output_in_less_memory(
            "saliency", ["--method", "smoothgrad", "--samples", "64", "--batch", "64", "--with-attribution", "--threads", "2"])
        self.assertEqual(tight, roomy)
        with open(out % "roomy", "rb") as a, open(out % "tight", "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_occlusion_halves_its_batch(self):
        roomy, tight, out = self.same_output_in_less_memory(
            "occlusion", ["--window", "32", "--stride", "8", "--batch", "64", "--threads", "2"])
        # The batch it ran with is part of what it reports; the map is the same.
        self.assertEqual(roomy.pop("batch"), 64)
        self.assertLess(tight.pop("batch"), 64)
        # Same to float rounding: LibTorch 2.x sums a batch of 64 and one of 32
        # in different orders (values 3e-8 apart on Debian 13's 2.6); 1.13 gives the
        # same bits.
        assert_same_to_rounding(self, tight, roomy)
        with Image.open(out % "roomy") as a, Image.open(out % "tight") as b:
            self.assertEqual(a.size, b.size)
            steps = max(abs(x - y) for p, q in zip(a.getdata(), b.getdata()) for x, y in zip(p, q))
            self.assertLessEqual(steps, 1)  # at most one 8-bit step

    def test_one_image_too_large_is_a_message(self):
        # One image of Deep needs over 2 GiB for its gradient, against 1.2 GiB
        # to spare (and the check at load, 128 MiB, fits): wide margins, since
        # the address space a run maps moves by tens of MiB from run to run.
        code, out, err = run(["saliency", self.deep, "--data", "digits", "--method", "smoothgrad", "--samples", "2",
                              "--batch", "2", "--threads", "2"], self.limit)
        print("convscope saliency with too little memory for one image:\n%s" % err, file=sys.stderr)
        self.assertEqual(code, 1, err)
        self.assertEqual(out, "")
        self.assertIn("convscope saliency: note: out of memory with a batch of 2; going on with 1\n", err)
        self.assertRegex(err.splitlines()[-1], r"^convscope saliency: out of memory even with a batch of 1: "
                                               r".*(can't allocate memory|out of memory|bad_alloc)")


class Interrupted(unittest.TestCase):
    """A scan stopped with Ctrl-C keeps a whole checkpoint, promptly; a
    killed one leaves whole files or none."""

    def start_scan(self, cache):
        args = ["topk", os.path.join(FIXTURES, "resnet18_traced.pt"), "digits", "--layer", "layer2.0.conv1",
                "--cache", cache, "--threads", "2"]
        p = subprocess.Popen([CONVSCOPE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Notes (such as "no labels") may come first; the first chunk reports at once.
        first = p.stderr.readline()
        while first.startswith("convscope: note: "):
            first = p.stderr.readline()
        self.assertRegex(first, r"^convscope topk: layer layer2.0.conv1: \d+ / 5000 images$")
        return p

    def assert_only_whole_checkpoints(self, cache):
        for entry in os.listdir(cache):
            self.assertTrue(entry.endswith(".json"), entry)
            with open(os.path.join(cache, entry)) as f:
                self.assertLess(json.load(f)["scanned"], 5000)

    def test_ctrl_c_stops_the_scan_promptly(self):
        with tempfile.TemporaryDirectory() as cache:
            p = self.start_scan(cache)
            time.sleep(1.5)
            start = time.monotonic()
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
            ms = (time.monotonic() - start) * 1000
            print("\nconvscope topk (ResNet-18) exited %.0f ms after SIGINT" % ms, file=sys.stderr)
            self.assertEqual(p.returncode, 130, err)
            self.assertIn("interrupted; run the same command again to resume", err)
            self.assertEqual(len(os.listdir(cache)), 1)
            self.assert_only_whole_checkpoints(cache)
            # The process's own exit (LibTorch's and Qt's teardown) is part of it.
            self.assertLess(ms, 1000)

    def test_a_killed_scan_leaves_whole_files(self):
        with tempfile.TemporaryDirectory() as cache:
            p = self.start_scan(cache)
            time.sleep(6)  # past the first checkpoint (every 5 s)
            p.kill()
            p.communicate(timeout=60)
            self.assert_only_whole_checkpoints(cache)


if __name__ == "__main__":
    CONVSCOPE, FIXTURES = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
