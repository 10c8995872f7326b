#!/usr/bin/python3
"""`convscope unit` (and the Unit tab through `render`), end to end, against
references PyTorch computes here: a channel's guided backprop and deconvnet
(hooks on the eager model's ReLUs), its dataset statistics (a loop over the
images), and the classes it supports (products of the linear weights).

    /usr/bin/python3 tests/test_unit_cli.py path/to/convscope path/to/fixtures
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import export_torchvision  # noqa: E402  (same seeds and weights as the exported fixtures)

CONVSCOPE = FIXTURES = None
LENET = os.path.join(HERE, "..", "models", "lenet5_digits.pt")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


def run(*args):
    p = subprocess.run([CONVSCOPE, *args], capture_output=True, text=True, timeout=600, env=ENV)
    return p.returncode, p.stdout, p.stderr


def run_json(test, *args):
    code, out, err = run(*args, "--json")
    test.assertEqual(code, 0, err)
    return json.loads(out)


def write_png(path, rgb):
    """rgb: uint8 [H, W, 3]."""
    h, w, _ = rgb.shape

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    raw = b"".join(b"\x00" + bytes(rgb[y].flatten().tolist()) for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def fashion_subset(folder, n):
    """The first n Fashion-MNIST test images as an idx pair in `folder`:
    (dataset spec, a file of the class names, pixels [n, 1, 28, 28], labels)."""
    with gzip.open(os.path.join(FASHION_MNIST, "t10k-images-idx3-ubyte.gz")) as f:
        images = f.read()[16:16 + n * 784]
    with gzip.open(os.path.join(FASHION_MNIST, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = f.read()[8:8 + n]
    spec = os.path.join(folder, "part-images-idx3-ubyte")
    with open(spec, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images)
    with open(os.path.join(folder, "part-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels)
    names = os.path.join(folder, "names.txt")
    with open(names, "w") as f:
        f.write("\n".join(FASHION_CLASSES) + "\n")
    pixels = torch.frombuffer(bytearray(images), dtype=torch.uint8).view(n, 1, 28, 28).float() / 255
    return spec, names, pixels, torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()


def eager_resnet18():
    """The fixture's eager twin, in-place ReLUs off so that hooks see every value."""
    model = export_torchvision.build("resnet18").requires_grad_(False)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    return model


def channel_backprop(model, module, pixels, channel, method):
    """d (strongest unit of `channel` at `module`'s output) / d pixels with the
    ReLUs changed by hooks: guided clamps the gradient reaching each ReLU's
    output (its own gate still applies), the deconvnet replaces the ReLU's
    backward by the clamp alone. Returns (gradient [C, H, W], (y, x))."""
    captured = {}

    def clamp_gradient(m, args, out):
        out.register_hook(lambda g: g.clamp(min=0))  # returns None: the output stays

    handles = [module.register_forward_hook(lambda m, a, out: captured.__setitem__("out", out))]
    for m in model.modules():
        if not isinstance(m, torch.nn.ReLU):
            continue
        if method == "guided":
            handles.append(m.register_forward_hook(clamp_gradient))
        else:
            handles.append(m.register_full_backward_hook(lambda m, grad_in, grad_out: (grad_out[0].clamp(min=0),)))
    x = pixels.unsqueeze(0).clone().requires_grad_(True)
    model(export_torchvision.normalize(x))
    flat = captured["out"][0, channel].flatten()
    where = int(flat.argmax())  # the first maximum, as ConvScope takes it
    flat[where].backward()
    for h in handles:
        h.remove()
    width = captured["out"].shape[3]
    return x.grad[0], (where // width, where % width)


def lenet_layers(pixels):
    """Every named output of the shipped LeNet-5 for `pixels` [N, 1, 28, 28],
    by calling its submodules in forward()'s order; and the module."""
    extra = {"convscope.json": ""}
    m = torch.jit.load(LENET, _extra_files=extra).eval()
    meta = json.loads(extra["convscope.json"])
    x = (pixels - meta["mean"][0]) / meta["std"][0]
    out = {}
    with torch.no_grad():
        for name in ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]:
            x = out[name] = getattr(m, name)(x)
        x = torch.flatten(x, 1)
        for name in ["fc1", "relu3", "fc2", "relu4", "fc3"]:
            x = out[name] = getattr(m, name)(x)
    return out, m


class Backprop(unittest.TestCase):
    """Where a channel's strongest unit comes from, on ResNet-18 (residual
    adds, ReLU modules called twice), against hooks on the eager twin."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        torch.manual_seed(5)
        rgb = (torch.rand(112, 112, 3) * 255).round().to(torch.uint8)
        cls.image = os.path.join(cls.tmp.name, "in.png")
        write_png(cls.image, rgb)
        cls.pixels = rgb.permute(2, 0, 1).float() / 255
        cls.model = eager_resnet18()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, fixture, layer, module, channel, method):
        doc = run_json(self, "unit", f"{FIXTURES}/{fixture}.pt", self.image, "--layer", layer, "--channel",
                       str(channel), "--method", method, "--with-backprop")
        ref, (y, x) = channel_backprop(self.model, module, self.pixels, channel, method)
        self.assertEqual((doc["channel"], doc["method"]), (channel, method))
        self.assertEqual((doc["backprop"]["y"], doc["backprop"]["x"]), (y, x))
        self.assertEqual(doc["activation"]["argmax"], [y, x])
        ours = torch.tensor(doc["backprop"]["gradient"])
        scale = max(1.0, ref.abs().max().item())
        diff = (ours - ref).abs().max().item() / scale
        print(f"  {fixture} {layer}#{channel} {method}: max diff {diff:.2e} of {scale:.3g}", file=sys.stderr)
        self.assertLess(diff, 1e-4)
        self.assertGreater(ref.abs().max().item(), 0)
        return ref

    def test_guided_backprop_and_deconvnet_differ_and_match(self):
        guided = self.check("resnet18_traced", "layer3", self.model.layer3, 7, "guided")
        deconv = self.check("resnet18_scripted", "layer3", self.model.layer3, 7, "deconvnet")
        # The forward gates make them differ: the test would catch one used for the other.
        self.assertGreater((guided - deconv).abs().max().item(), 1e-3)

    def test_an_inner_conv_output(self):
        self.check("resnet18_traced", "layer2.0.conv2", self.model.layer2[0].conv2, 3, "deconvnet")

    def test_receptive_field_of_the_strongest_unit(self):
        doc = run_json(self, "unit", f"{FIXTURES}/resnet18_scripted.pt", self.image, "--layer", "layer1",
                       "--channel", "2")
        # layer1's units see 43 x 43 px with a step of 4: conv 7/2 (7), pool 3/2 (+2 x 2), four 3x3 convs (+4 x 8).
        self.assertEqual(doc["receptive_field"]["size"], [43.0, 43.0])
        self.assertEqual(doc["receptive_field"]["jump"], [4.0, 4.0])
        # Centre of unit (y, x): 0.5 + 4y px (the pads keep conv1's and the pool's starts at 0.5), so the
        # field spans [4y - 21, 4y + 22), clipped to the 112 px image.
        y, x = doc["activation"]["argmax"]
        self.assertEqual(doc["receptive_field"]["box"],
                         [max(0, 4 * y - 21), max(0, 4 * x - 21), min(112, 4 * y + 22), min(112, 4 * x + 22)])


class Statistics(unittest.TestCase):
    """A channel over a dataset (1000 Fashion-MNIST test images through the
    shipped LeNet-5), against a loop over the images in PyTorch."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.spec, cls.names, cls.pixels, cls.labels = fashion_subset(cls.tmp.name, 1000)
        cls.cache = os.path.join(cls.tmp.name, "cache")
        cls.out, cls.module = lenet_layers(cls.pixels)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def unit(self, layer, channel, *args):
        return run_json(self, "unit", LENET, "--data", self.spec, "--layer", layer,
                        "--channel", str(channel), "--cache", self.cache, *args)

    def assertStats(self, doc, means, maxima):
        dead = (maxima <= 0).double().mean().item()
        self.assertAlmostEqual(doc["dead_fraction"], dead, delta=1e-12)
        self.assertEqual(doc["images"], len(self.labels))
        for c in range(10):
            ref = means[self.labels == c].double().mean().item()
            self.assertAlmostEqual(doc["class_means"][c], ref, delta=1e-5 * max(1, abs(ref)), msg=f"class {c}")
        edges, counts = doc["histogram"]["edges"], doc["histogram"]["counts"]
        self.assertAlmostEqual(edges[0], maxima.min().item(), delta=1e-5)
        self.assertAlmostEqual(edges[-1], maxima.max().item(), delta=1e-5)
        self.assertEqual(sum(counts), len(self.labels))

    def test_units_of_relu3_with_their_class_support(self):
        channel = 7
        values = self.out["relu3"][:, channel]
        doc = self.unit("relu3", channel)
        self.assertStats(doc, values, values)
        self.assertGreater(doc["dead_fraction"], 0)  # some images leave this unit at zero
        # Support: fc3 · fc2 (ReLU taken as passing), in float64.
        w = self.module.fc3.weight.double() @ self.module.fc2.weight.double()
        column = w[:, channel]
        order = sorted(range(10), key=lambda c: -column[c].item())
        self.assertEqual(doc["supports"]["path"], ["fc2", "fc3"])
        self.assertEqual([s["class"] for s in doc["supports"]["top"]], order[:5])
        self.assertEqual([s["class"] for s in doc["supports"]["bottom"]], order[::-1][:5])
        for s in doc["supports"]["top"] + doc["supports"]["bottom"]:
            self.assertAlmostEqual(s["weight"], column[s["class"]].item(), delta=1e-9)
        # fc2's units: only fc3 after them (relu4 passes).
        doc = self.unit("fc2", 3)
        self.assertEqual(doc["supports"]["path"], ["fc3"])
        self.assertAlmostEqual(doc["supports"]["top"][0]["weight"], self.module.fc3.weight[:, 3].max().item(),
                               delta=1e-7)

    def test_a_channel_map_its_top_9_and_the_cache(self):
        channel = 3
        maps = self.out["conv2"][:, channel].flatten(1)
        means, maxima = maps.mean(1), maps.amax(1)
        doc = self.unit("conv2", channel)
        self.assertStats(doc, means, maxima)
        # The top 9 by the per-image maximum, ties to the lower image.
        order = sorted(range(len(maxima)), key=lambda i: (-maxima[i].item(), i))[:9]
        self.assertEqual([h["image"] for h in doc["top"]], order)
        for h in doc["top"]:
            self.assertAlmostEqual(h["score"], maxima[h["image"]].item(), delta=1e-4)
            self.assertEqual(h["label"], self.labels[h["image"]].item())
        # A max-pool over positions follows conv2: no support per channel.
        self.assertIsNone(doc["supports"])
        self.assertIn("max_pool2d", doc["supports_reason"])
        # The second look reads the scans from the cache (the file is not written
        # again): the same numbers.
        scores = [os.path.join(self.cache, name) for name in os.listdir(self.cache)
                  if name.startswith("conv2-") and name.endswith(".scores")]
        self.assertEqual(len(scores), 1, os.listdir(self.cache))
        written = os.stat(scores[0]).st_mtime_ns
        again = self.unit("conv2", channel)
        self.assertEqual((again["class_means"], again["dead_fraction"], again["top"]),
                         (doc["class_means"], doc["dead_fraction"], doc["top"]))
        self.assertEqual(os.stat(scores[0]).st_mtime_ns, written)


class GlobalPoolSupport(unittest.TestCase):
    def test_resnet_layer4_supports_classes_through_fc(self):
        with tempfile.TemporaryDirectory() as tmp:
            image = os.path.join(tmp, "in.png")
            write_png(image, (torch.rand(112, 112, 3) * 255).to(torch.uint8))
            doc = run_json(self, "unit", f"{FIXTURES}/resnet18_scripted.pt", image, "--layer", "layer4",
                           "--channel", "11")
            fc = export_torchvision.build("resnet18").fc.weight[:, 11].double()
            order = sorted(range(1000), key=lambda c: -fc[c].item())
            self.assertEqual(doc["supports"]["path"], ["fc"])
            self.assertEqual([s["class"] for s in doc["supports"]["top"]], order[:5])
            self.assertEqual([s["class"] for s in doc["supports"]["bottom"]], order[::-1][:5])
            for s in doc["supports"]["top"]:
                self.assertAlmostEqual(s["weight"], fc[s["class"]].item(), delta=1e-9)
            self.assertEqual(doc["supports"]["top"][0]["label"], export_torchvision_label(order[0]))
            # Inside the network the channels mix again (the residual add): no support.
            doc = run_json(self, "unit", f"{FIXTURES}/resnet18_scripted.pt", image, "--layer", "layer3",
                           "--channel", "11")
            self.assertIsNone(doc["supports"])


class Errors(unittest.TestCase):
    def test_one_clear_line_each(self):
        for args, message in [
                (["--layer", "conv2", "--channel", "16"], "convscope unit: layer 'conv2' has channels 0 to 15, not 16"),
                (["--layer", "nope"], "convscope unit: no layer named 'nope'"),
                (["--channel", "1"], "convscope unit: give --layer NAME"),
                (["--layer", "conv2", "--method", "lrp"], "convscope unit: unknown --method 'lrp': use guided or deconvnet"),
                (["--layer", "conv2", "--size", "10x10", "--out", "/tmp/x.png"], "convscope unit: --size wants")]:
            code, out, err = run("unit", LENET, *args)
            self.assertEqual(code, 1, args)
            self.assertTrue(err.startswith(message), err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
        code, out, err = run("render", LENET, "--tab", "unit", "--layer", "conv2", "--channel", "99", "--out", "/tmp/x.png")
        self.assertEqual((code, err.strip()), (1, "convscope render: layer 'conv2' has channels 0 to 15, not 99"))


def export_torchvision_label(index):
    with open(export_torchvision.IMAGENET_LABELS) as f:
        return f.read().split("\n")[index]


class HeldOut(unittest.TestCase):
    """An architecture the app was never tuned on (ShuffleNetV2: channel
    shuffles, splits, concatenations), scripted and traced: every panel of
    the page fills, in the CLI and in the Unit tab."""

    def test_shufflenet_fills_every_panel(self):
        with tempfile.TemporaryDirectory() as tmp:
            spec, names, _, _ = fashion_subset(tmp, 120)
            for trace in (False, True):
                path = os.path.join(tmp, f"shufflenet_{'traced' if trace else 'scripted'}.pt")
                export_torchvision.export_user_model(argparse.Namespace(
                    arch="shufflenet_v2_x0_5", out=path, weights="none", input=112, trace=trace))
                page = os.path.join(tmp, "page.png")
                doc = run_json(self, "unit", path, "--data", spec, "--layer", "stage3.7.branch2.7",
                               "--channel", "5", "--ascent", "--ascent-steps", "16", "--out", page,
                               "--cache", os.path.join(tmp, "cache"))
                self.assertEqual(len(doc["top"]), 9)
                self.assertEqual(len(doc["class_means"]), 10)
                self.assertTrue(doc["ascent"])
                with open(page, "rb") as f:
                    header = f.read(24)
                self.assertEqual(struct.unpack(">II", header[16:24]), (1280, 720))
                # The Unit tab, as the window draws it (the ascent image: the one `unit` left in the cache).
                code, out, err = run("render", path, spec, "--tab", "unit", "--layer", "stage3.7.branch2.7",
                                     "--channel", "5", "--ascent-steps", "16", "--size", "1280x720", "--out",
                                     os.path.join(tmp, "tab.png"))
                self.assertEqual(code, 0, err)
                filled = out.split("filled: ")[1].strip().split(", ")
                for panel in ["filter", "activation", "backprop", "patches", "patch-backprops", "ascent", "histogram",
                              "class-means"]:
                    self.assertIn(panel, filled, out)


if __name__ == "__main__":
    CONVSCOPE, FIXTURES = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    CACHE_HOME = tempfile.TemporaryDirectory()
    # The gradient-ascent images go to a cache of this run only.
    ENV = dict(os.environ, XDG_CACHE_HOME=CACHE_HOME.name, QT_QPA_PLATFORM="offscreen")
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
