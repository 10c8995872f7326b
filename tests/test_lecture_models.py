#!/usr/bin/python3
"""The lecture's models (models/lecture/, written by the build with
`export_torchvision.py lecture`): AlexNet at 227 against the lecture's per-layer
table, the 1x1 bottleneck example's two totals, and a model whose input is not
an image refused in one line by the commands that need one.

    /usr/bin/python3 tests/test_lecture_models.py path/to/convscope path/to/models/lecture
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import export_torchvision  # noqa: E402  (the architectures the files were exported from)

CONVSCOPE = LECTURE = None

# EECS 498 / CS231n's AlexNet table at 227x227: output shape, memory (KB = 1024
# bytes, rounded), parameters and MFLOPs (multiply-adds, rounded). conv4 is
# 256x13x13 outputs of 384x3x3 products: 149,520,384, so 150 (not 145).
ALEXNET_TABLE = {
    # lecture name: (torchvision module, shape, KB, params, MFLOPs or None for a pooling)
    "conv1": ("features.0", [64, 56, 56], 784, 23296, 73),
    "pool1": ("features.2", [64, 27, 27], 182, 0, None),
    "conv2": ("features.3", [192, 27, 27], 547, 307392, 224),
    "pool2": ("features.5", [192, 13, 13], 127, 0, None),
    "conv3": ("features.6", [384, 13, 13], 254, 663936, 112),
    "conv4": ("features.8", [256, 13, 13], 169, 884992, 150),
    "conv5": ("features.10", [256, 13, 13], 169, 590080, 100),
    "pool5": ("features.12", [256, 6, 6], 36, 0, None),
    "fc6": ("classifier.1", [4096], 16, 37752832, 38),
    "fc7": ("classifier.4", [4096], 16, 16781312, 17),
    "fc8": ("classifier.6", [1000], 4, 4097000, 4),
}

NOT_AN_IMAGE = ("this model's input is 192x28x28, not an image (1 or 3 channels): summary, layers and filters "
                "work on it")


def run(*args):
    p = subprocess.run([CONVSCOPE, *args], capture_output=True, text=True, timeout=300, env=ENV)
    return p.returncode, p.stdout, p.stderr


def summary(test, name):
    code, out, err = run("summary", os.path.join(LECTURE, name), "--json")
    test.assertEqual(code, 0, err)
    return json.loads(out)


def reference(model, side):
    """Per module of `model`: output shape, parameters and multiply-adds, counted here."""
    rows = {}

    def hook(name):
        def record(module, args, out):
            if isinstance(module, torch.nn.Conv2d):
                # Every output value is one dot product over in/groups x kh x kw inputs.
                macs = out[0].numel() * module.in_channels // module.groups * module.kernel_size[0] \
                    * module.kernel_size[1]
            elif isinstance(module, torch.nn.Linear):
                macs = module.in_features * module.out_features
            else:
                macs = None
            rows[name] = (list(out.shape[1:]), sum(p.numel() for p in module.parameters()), macs)
        return record

    for name, module in model.named_modules():
        if name and not list(module.children()):
            module.register_forward_hook(hook(name))
    with torch.no_grad():
        model(torch.zeros(1, 3, side, side))
    return rows


class AlexNet227(unittest.TestCase):
    def test_per_layer_table(self):
        doc = summary(self, "alexnet_227.pt")
        self.assertEqual(doc["input"], [3, 227, 227])
        layers = {row["name"]: row for row in doc["layers"]}
        ours = reference(export_torchvision.build("alexnet"), 227)
        for lecture, (module, shape, kb, params, mflops) in ALEXNET_TABLE.items():
            with self.subTest(layer=lecture):
                row = layers[module]
                elements = 1
                for d in shape:
                    elements *= d
                self.assertEqual(row["shape"], shape)
                self.assertEqual(row["memory_bytes"], elements * 4)
                self.assertEqual(round(row["memory_bytes"] / 1024), kb)
                self.assertEqual(row["params"], params)
                self.assertEqual(ours[module][:2], (shape, params))
                if mflops is not None:
                    self.assertEqual(row["flops"], ours[module][2])
                    self.assertEqual(round(row["flops"] / 1e6), mflops)
        self.assertEqual(doc["total"]["params"], sum(p for _, _, _, p, _ in ALEXNET_TABLE.values()))


class Bottleneck(unittest.TestCase):
    def test_totals(self):
        # 28x28x32 outputs, each a dot product over 5x5x192 inputs ...
        direct = 28 * 28 * 32 * 5 * 5 * 192
        # ... or first 28x28x16 over 1x1x192, then 28x28x32 over 5x5x16 (the ReLU multiplies nothing).
        bottleneck = 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16
        self.assertEqual((direct, bottleneck), (120422400, 12443648))
        for name, total in (("bottleneck_direct.pt", direct), ("bottleneck_1x1.pt", bottleneck)):
            with self.subTest(model=name):
                doc = summary(self, name)
                self.assertEqual(doc["input"], [192, 28, 28])
                self.assertEqual(doc["total"]["flops"], total)
                self.assertEqual(doc["layers"][-1]["shape"], [32, 28, 28])

    def test_structure_commands_work(self):
        path = os.path.join(LECTURE, "bottleneck_1x1.pt")
        code, out, err = run("layers", path, "--json")
        self.assertEqual(code, 0, err)
        self.assertEqual([layer["name"] for layer in json.loads(out)["layers"]], ["conv1x1", "relu", "conv5x5"])
        code, out, err = run("filters", path, "--layer", "conv1x1", "--json")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["weight_shape"], [16, 192, 1, 1])

    def test_image_commands_refuse_in_one_line(self):
        path = os.path.join(LECTURE, "bottleneck_direct.pt")
        with tempfile.TemporaryDirectory() as tmp:
            commands = [
                ("activations", path, "--layer", "conv5x5"),
                ("saliency", path),
                ("ascent", path, "--class", "0"),
                ("render", path, "--tab", "activations", "--out", os.path.join(tmp, "a.png")),
            ]
            for args in commands:
                with self.subTest(command=args[0]):
                    code, out, err = run(*args)
                    self.assertEqual(code, 1, err)
                    self.assertEqual(err, f"convscope {args[0]}: {NOT_AN_IMAGE}\n")
                    self.assertEqual(out, "")
            # The GUI's Filters view works on it.
            code, out, err = run("render", path, "--tab", "filters", "--out", os.path.join(tmp, "f.png"))
            self.assertEqual(code, 0, err)
            self.assertIn("tab filters, layer conv5x5", out)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


class ShippedLesson(unittest.TestCase):
    """lessons/cnn_lecture.json replayed headless, every step drawn as a slide."""

    LESSON = os.path.join(HERE, "..", "lessons", "cnn_lecture.json")

    def test_every_step_is_drawn(self):
        with open(self.LESSON) as f:
            lesson = json.load(f)
        steps = lesson["steps"]
        # The steps with the lecture's numbers use the files the tests above check.
        models = {s["title"]: os.path.realpath(os.path.join(os.path.dirname(self.LESSON), s["model"]))
                  for s in steps if not s["model"].startswith("shipped:")}
        alexnet = [t for t, m in models.items() if m == os.path.realpath(os.path.join(LECTURE, "alexnet_227.pt"))]
        self.assertEqual(len(alexnet), 1)
        self.assertIn("784 KiB", next(s["notes"] for s in steps if s["title"] == alexnet[0]))
        for name, total in (("bottleneck_direct.pt", "120,422,400"), ("bottleneck_1x1.pt", "12,443,648")):
            step = [s for s in steps if s["title"] in models
                    and models[s["title"]] == os.path.realpath(os.path.join(LECTURE, name))]
            self.assertEqual(len(step), 1, name)
            self.assertIn(total, step[0]["notes"])
        with tempfile.TemporaryDirectory() as tmp:
            pdf = os.path.join(tmp, "lecture.pdf")
            code, out, err = run("lesson", self.LESSON, "--export", tmp, "--pdf", pdf, "--json")
            self.assertEqual(code, 0, err)
            report = json.loads(out[out.index("{"):])
            self.assertEqual([r["step"] for r in report["steps"]], list(range(1, len(steps) + 1)))
            self.assertEqual([r["view"] for r in report["steps"]], [s["view"] for s in steps])
            self.assertEqual([r["layer"] for r in report["steps"]], [s["layer"] for s in steps])
            pngs = sorted(f for f in os.listdir(tmp) if f.endswith(".png"))
            self.assertEqual(len(pngs), len(steps))
            for png in pngs:
                self.assertEqual(png_size(os.path.join(tmp, png)), (1920, 1080), png)
            with open(pdf, "rb") as f:
                body = f.read()
            self.assertTrue(body.startswith(b"%PDF-"))
            self.assertEqual(body.count(b"/Type /Page\n"), len(steps))


if __name__ == "__main__":
    CONVSCOPE, LECTURE = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
