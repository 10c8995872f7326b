"""`convscope sanity` (Adebayo et al., "Sanity Checks for Saliency Maps",
NeurIPS 2018) against independent references: the re-initialized weights
against PyTorch's initializers drawn here, every other tensor bit for bit;
the similarities against SciPy and scikit-image on the same maps
(sanity_reference.py); the maps against autograd here; and the paper's
finding on the trained MiniVGG that ships with ConvScope.

    test_sanity.py CONVSCOPE MODELS_DIR [TestCase[.test]]
"""

import sanity_reference  # first: it may set how numpy loads (see its notes)

import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

CONVSCOPE = MODELS = None


def run(*args):
    p = subprocess.run([CONVSCOPE, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def sanity(*args):
    """convscope sanity ARGS --json, read; a failed run fails the test with its stderr."""
    code, out, err = run("sanity", *args, "--json")
    if code != 0:
        raise AssertionError(f"convscope sanity exited with {code}: {err.strip()}")
    return json.loads(out)


def minivgg():
    return os.path.join(MODELS, "minivgg_fashion.pt")


def load_with_metadata(path):
    extra = {"convscope.json": ""}
    model = torch.jit.load(path, _extra_files=extra)
    return model, json.loads(extra["convscope.json"])


def fashion_test_image(index):
    """Test image `index` of Fashion-MNIST as [1, 1, 28, 28] in [0, 1]."""
    import gzip
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        data = f.read()
    offset = 16 + index * 28 * 28
    pixels = torch.tensor(list(data[offset:offset + 28 * 28]), dtype=torch.float32).view(1, 1, 28, 28)
    return pixels / 255


def expected_weights(original, steps, seed):
    """The original state with each listed step (number, "conv3_2 + bn3_2")
    re-initialized as reset_parameters() does, drawing from
    Generator().manual_seed(seed + number - 1) in module order."""
    state = {k: v.clone() for k, v in original.state_dict().items()}
    for number, layers in steps:
        g = torch.Generator().manual_seed(seed + number - 1)
        for name in layers.split(" + "):
            weight, bias = state.get(name + ".weight"), state.get(name + ".bias")
            if weight is not None and weight.dim() > 1:
                fan_in = weight[0].numel()
                bound = math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(fan_in))
                weight.uniform_(-bound, bound, generator=g)
                if bias is not None:
                    bias.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=g)
            else:  # a norm layer
                weight.fill_(1)
                bias.zero_()
                state[name + ".running_mean"].zero_()
                state[name + ".running_var"].fill_(1)
    return state


class Randomization(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.original, _ = load_with_metadata(minivgg())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assertWeights(self, saved, expected, changed):
        got = torch.jit.load(saved).state_dict()
        self.assertEqual(sorted(got), sorted(expected))
        original = self.original.state_dict()
        for name, value in got.items():
            self.assertTrue(torch.equal(value, expected[name]), name)  # bit for bit
            module = name.rsplit(".", 1)[0]
            self.assertEqual(not torch.equal(value, original[name]), module in changed, name)

    def test_cascading_reinitializes_from_the_top(self):
        saved = os.path.join(self.tmp.name, "cascade.pt")
        doc = sanity(minivgg(), "--data", "fashion-mnist", "--index", "0", "--methods", "gradient",
                     "--steps", "2", "--seed", "7", "--save-model", saved)
        self.assertEqual((doc["mode"], doc["seed"], doc["randomizable_steps"]), ("cascading", 7, 7))
        steps = [(s["step"], s["layer"]) for s in doc["steps"]]
        self.assertEqual(steps, [(0, "original"), (1, "fc"), (2, "conv3_2 + bn3_2")])
        self.assertWeights(saved, expected_weights(self.original, steps[1:], 7), {"fc", "conv3_2", "bn3_2"})

    def test_independent_reinitializes_one_step(self):
        saved = os.path.join(self.tmp.name, "independent.pt")
        doc = sanity(minivgg(), "--data", "fashion-mnist", "--index", "0", "--methods", "gradient",
                     "--mode", "independent", "--step", "5", "--save-model", saved)
        self.assertEqual([(s["step"], s["layer"]) for s in doc["steps"]], [(0, "original"), (5, "conv2_1 + bn2_1")])
        self.assertWeights(saved, expected_weights(self.original, [(5, "conv2_1 + bn2_1")], 0),
                           {"conv2_1", "bn2_1"})

    def test_errors(self):
        def fail(args, message):
            code, out, err = run("sanity", minivgg(), "--data", "fashion-mnist", *args)
            self.assertEqual((code, out, err.strip().splitlines()[-1:]), (1, "", ["convscope sanity: " + message]))
        fail(["--mode", "sideways"], "unknown randomization 'sideways': use cascading or independent")
        fail(["--methods", "gradient,lrp"], "unknown method 'lrp': use gradient, smoothgrad, ig, gradcam, guided, "
             "guided-gradcam, gradcam++, scorecam or deconvnet")
        fail(["--step", "8"], "randomization step 8 is not between 1 and 7")
        fail(["--step", "2", "--steps", "3"], "--steps and --step: give one")
        fail(["--metric", "psnr"], "unknown similarity 'psnr': use spearman_abs, spearman, ssim or hog")


class Similarity(unittest.TestCase):
    """The four numbers from our maps, and the maps from autograd."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.saved = os.path.join(cls.tmp.name, "step3.pt")
        cls.csv = os.path.join(cls.tmp.name, "sanity.csv")
        cls.figure = os.path.join(cls.tmp.name, "sanity.png")
        # A test image as a PNG file, so that both sides read the same pixels.
        from PIL import Image
        cls.pixels = fashion_test_image(3)
        cls.image = os.path.join(cls.tmp.name, "coat.png")
        Image.fromarray((cls.pixels[0, 0] * 255).round().to(torch.uint8).numpy(), mode="L").save(cls.image)
        cls.doc = sanity(minivgg(), cls.image, "--steps", "3",
                         "--methods", "gradient,ig,gradcam,guided,scorecam", "--ig-steps", "8", "--with-maps",
                         "--save-model", cls.saved, "--csv", cls.csv, "--out", cls.figure)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_similarities_equal_scipy_and_skimage(self):
        # HOG bins angles: numpy's own arctan2 (AVX-512) can land an ulp off
        # at a bin edge; sanity_reference disables it where it can.
        hog_tolerance = 1e-6 if sanity_reference.exact_atan2() else 5e-3
        for method, steps in self.doc["methods"].items():
            maps = [{"absolute": np.array(s["absolute"]), "signed": np.array(s["signed"])} for s in steps]
            for s in steps:
                ref = sanity_reference.similarity(maps[0], {"absolute": np.array(s["absolute"]),
                                                            "signed": np.array(s["signed"])})
                for key in ("spearman_abs", "spearman", "ssim"):
                    self.assertAlmostEqual(s[key], ref[key], delta=1e-6, msg=f"{method} step {s['step']} {key}")
                self.assertAlmostEqual(s["hog"], ref["hog"], delta=hog_tolerance, msg=f"{method} step {s['step']} hog")
            self.assertEqual([s["spearman_abs"] for s in steps][0], 1.0)

    def gradient(self, model, metadata, pixels):
        mean = torch.tensor(metadata["mean"]).view(1, -1, 1, 1)
        std = torch.tensor(metadata["std"]).view(1, -1, 1, 1)
        x = pixels.clone().requires_grad_(True)
        model((x - mean) / std)[0, self.doc["target"]].backward()
        return x.grad[0]

    def test_maps_are_autograd_gradients_normalized(self):
        pixels = self.pixels
        original, metadata = load_with_metadata(minivgg())
        randomized, _ = load_with_metadata(self.saved)  # the copy at step 3
        steps = self.doc["methods"]["gradient"]
        for model, step in ((original, steps[0]), (randomized, steps[3])):
            ref = sanity_reference.sanity_maps(self.gradient(model, metadata, pixels).double().numpy())
            for key in ("absolute", "signed"):
                diff = np.abs(np.array(step[key]) - ref[key]).max()
                self.assertLess(diff, 1e-4, f"step {step['step']} {key}")

    def test_csv_and_figure(self):
        with open(self.csv, newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 5 * 4)
        for row in rows:
            cell = self.doc["methods"][row["method"]][int(row["step"])]
            self.assertEqual(row["layer"], cell["layer"])
            for key in ("spearman_abs", "spearman", "ssim", "hog"):
                self.assertAlmostEqual(float(row[key]), cell[key], delta=1e-8)
        from PIL import Image
        with Image.open(self.figure) as image:
            width, height = image.size
        # 4 columns of 96 px maps and 5 rows, a chart below.
        self.assertGreater(width, 4 * 96)
        self.assertGreater(height, 5 * 96 + 160)


class PaperFinding(unittest.TestCase):
    """Figure 2 of the paper on the shipped MiniVGG (trained on Fashion-MNIST),
    averaged over four test images: under cascading randomization the gradient
    and Grad-CAM maps decorrelate from the trained model's, guided
    backpropagation's stay alike (it shows the image more than the model)."""

    def test_gradient_and_gradcam_decorrelate_guided_does_not(self):
        mean = {}
        for index in range(4):
            doc = sanity(minivgg(), "--data", "fashion-mnist", "--index", str(index),
                         "--methods", "gradient,gradcam,guided")
            for method, steps in doc["methods"].items():
                values = np.array([s["spearman_abs"] for s in steps])
                mean[method] = mean.get(method, 0) + values / 4
        print("\nmean Spearman (absolute values) by step:", file=sys.stderr)
        for method, values in mean.items():
            print(f"  {method:10s}", " ".join(f"{v:5.2f}" for v in values), file=sys.stderr)
        self.assertLess(abs(mean["gradient"][-1]), 0.25)
        self.assertLess(abs(mean["gradcam"][-1]), 0.25)
        # Guided stays above 0.7 while the top half of the network is random,
        # and above the gradient at every step.
        self.assertGreater(mean["guided"][:5].min(), 0.7)
        self.assertTrue(np.all(mean["guided"][1:] > mean["gradient"][1:] + 0.15), mean)


if __name__ == "__main__":
    CONVSCOPE, MODELS = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
