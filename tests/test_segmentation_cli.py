#!/usr/bin/python3
"""Segmentation models in the CLI against PyTorch: `convscope segment` on
torchvision's FCN, DeepLabV3 and LR-ASPP (random weights), Grad-CAM and
gradients of a class's score over a region (pytorch-grad-cam's
SemanticSegmentationTarget, written out here), occlusion's region
probability, and the shipped U-Net's mean IoU recomputed from the file.

    test_segmentation_cli.py CONVSCOPE MODELS_DIR [TestCase[.test] ...]
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

CONVSCOPE = MODELS = None
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import export_torchvision  # noqa: E402  (the same builders the export uses)

MEAN = torch.tensor(export_torchvision.MEAN).view(1, 3, 1, 1)
STD = torch.tensor(export_torchvision.STD).view(1, 3, 1, 1)
TMP = tempfile.mkdtemp(prefix="convscope_segmentation_")
SIDE = 64


def run(*args):
    p = subprocess.run([CONVSCOPE, *args], capture_output=True, text=True,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return p.returncode, p.stdout, p.stderr


def run_json(test, *args):
    code, out, err = run(*args, "--json")
    test.assertEqual(code, 0, err)
    return json.loads(out)


def eager(arch):
    torch.manual_seed(0)  # as export_segmentation: the traced file holds these weights
    return export_torchvision.segmentation_model(arch)


class Torchvision(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        subprocess.run([sys.executable, os.path.join(HERE, "..", "models", "export_torchvision.py"), "segmentation",
                        TMP, "--input", str(SIDE)], check=True, capture_output=True)
        ref = torch.load(os.path.join(TMP, "lraspp_mobilenet_v3_large.ref.pt"))
        cls.image = os.path.join(TMP, "input.png")
        rgb = (ref["input"][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        Image.fromarray(rgb).save(cls.image)
        # The pixels as the PNG holds them: what ConvScope reads.
        cls.pixels = torch.from_numpy(np.asarray(Image.open(cls.image), dtype=np.float32) / 255).permute(2, 0, 1)[None]

    def model_path(self, arch):
        return os.path.join(TMP, f"{arch}.pt")

    def test_output_maps_match_pytorch(self):
        for arch in export_torchvision.SEGMENTATION_ARCHS:
            with self.subTest(arch=arch):
                doc = run_json(self, "segment", self.model_path(arch), self.image, "--with-scores")
                with torch.no_grad():
                    out = torch.jit.load(self.model_path(arch))((self.pixels - MEAN) / STD)["out"][0]
                scores = torch.tensor(doc["scores"])
                self.assertEqual(list(scores.shape), [21, SIDE, SIDE])
                scale = max(1.0, out.abs().max().item())
                self.assertLess((scores - out).abs().max().item() / scale, 1e-4, arch)
                classes = torch.tensor(doc["class_map"])
                top2 = out.topk(2, 0).values
                clear = (top2[0] - top2[1]) > 1e-3  # where rounding cannot swap the winner
                self.assertTrue(torch.equal(classes[clear], out.argmax(0)[clear]), arch)
                counts = {c["class"]: c["pixels"] for c in doc["classes"]}
                self.assertEqual(counts, {int(k): int(v) for k, v in
                                          zip(*np.unique(classes.numpy(), return_counts=True))})
                self.assertEqual(sum(counts.values()), SIDE * SIDE)

    def test_gradcam_over_a_box_is_pytorch_grad_cams_formula(self):
        # pytorch-grad-cam: SemanticSegmentationTarget(category, mask) scores
        # (output[category] * mask).sum(); GradCAM weights each map by its
        # gradient's spatial mean and keeps the positive part of the sum.
        arch, target, box = "fcn_resnet50", 3, (8, 12, 40, 36)
        model = eager(arch)
        maps = {}
        model.backbone.layer4[2].conv3.register_forward_hook(lambda m, i, o: maps.setdefault("a", o))
        x = ((self.pixels - MEAN) / STD).requires_grad_(True)
        out = model(x)["out"]
        mask = torch.zeros(SIDE, SIDE)
        mask[box[1]:box[3], box[0]:box[2]] = 1
        score = (out[0, target] * mask).sum()
        grads = torch.autograd.grad(score, maps["a"])[0]
        cam = torch.relu((grads.mean((2, 3), keepdim=True) * maps["a"]).sum(1))[0].detach()
        doc = run_json(self, "saliency", self.model_path(arch), self.image, "--method", "gradcam", "--layer",
                       "backbone.layer4.2.conv3", "--target", str(target), "--region", ",".join(map(str, box)),
                       "--score", "logit")
        self.assertEqual(doc["region"]["pixels"], int(mask.sum()))
        self.assertAlmostEqual(doc["target_score"], score.item(), delta=1e-4 * max(1, abs(score.item())))
        got = torch.tensor(doc["cam"])
        self.assertLess((got - cam).abs().max().item() / max(1e-6, cam.abs().max().item()), 1e-4)

    def test_gradient_over_the_predicted_mask(self):
        arch = "lraspp_mobilenet_v3_large"
        model = eager(arch)
        with torch.no_grad():
            classes = model((self.pixels - MEAN) / STD)["out"][0].argmax(0)
        counts = torch.bincount(classes.flatten(), minlength=21)
        counts[0] = 0
        target = int(counts.argmax())  # the default: the largest class other than 0
        self.assertGreater(counts[target].item(), 0)
        x = self.pixels.clone().requires_grad_(True)
        out = model((x - MEAN) / STD)["out"]
        grad = torch.autograd.grad((out[0, target] * (classes == target)).sum(), x)[0][0]
        doc = run_json(self, "saliency", self.model_path(arch), self.image, "--method", "gradient", "--score", "logit")
        self.assertEqual(doc["target"], target)
        self.assertEqual(doc["region"]["pixels"], int((classes == target).sum()))
        heat = torch.tensor(doc["heatmap"])
        want = grad.abs().amax(0)
        self.assertLess((heat - want).abs().max().item() / want.max().item(), 1e-4)

    def test_occlusion_measures_the_regions_mean_probability(self):
        arch, target, box = "deeplabv3_mobilenet_v3_large", 5, (16, 16, 48, 48)
        model = eager(arch)
        mask = torch.zeros(SIDE, SIDE)
        mask[16:48, 16:48] = 1

        def region_probability(pixels):
            with torch.no_grad():
                p = torch.softmax(model((pixels - MEAN) / STD)["out"], 1)[:, target]
            return (p * mask).sum((1, 2)) / mask.sum()

        doc = run_json(self, "occlusion", self.model_path(arch), self.image, "--target", str(target), "--region",
                       ",".join(map(str, box)), "--window", "32", "--stride", "32")
        self.assertAlmostEqual(doc["base_score"], region_probability(self.pixels).item(), delta=1e-5)
        hidden = self.pixels.clone()
        hidden[:, :, 0:32, 32:64] = 0.5  # the window at row 0, column 32, gray
        drop = region_probability(self.pixels).item() - region_probability(hidden).item()
        self.assertAlmostEqual(doc["drops"][0][1], drop, delta=1e-5)

    def test_region_options_refused_where_they_mean_nothing(self):
        code, out, err = run("saliency", os.path.join(MODELS, "lenet5_digits.pt"), "--region", "0,0,4,4")
        self.assertEqual((code, out), (1, ""))
        self.assertIn("--region and --mask-class are for segmentation models", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        code, out, err = run("saliency", self.model_path("lraspp_mobilenet_v3_large"), self.image, "--region", "0,0,80,8")
        self.assertEqual((code, out), (1, ""))
        self.assertIn("is not inside the 64x64 input", err)
        code, out, err = run("segment", os.path.join(MODELS, "lenet5_digits.pt"))
        self.assertEqual((code, out), (1, ""))
        self.assertIn("is a classifier", err)


class ThreeDims(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.conv2d(x, torch.ones(4, 1, 3, 3)).flatten(2)  # [N, 4, H*W]


class BadOutput(unittest.TestCase):
    def test_neither_classes_nor_maps_gets_one_line(self):
        path = os.path.join(TMP, "three_dims.pt")
        torch.jit.save(torch.jit.script(ThreeDims()), path,
                       _extra_files={"convscope.json": json.dumps({"input": [1, 28, 28]})})
        for command in (["layers", path], ["segment", path, "--data", "digits"]):
            code, out, err = run(*command)
            self.assertEqual((code, out), (1, ""), err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("forward() returned a 1x4x676 tensor: ConvScope reads [N, C] class scores or [N, C, H, W] "
                          "scores per class and pixel", err)


class ShippedUNet(unittest.TestCase):
    def test_mean_iou_recomputed_from_the_file(self):
        path = os.path.join(MODELS, "unet_digits.pt")
        folder = os.path.join(TMP, "canvases")
        doc = run_json(self, "segment", path, "--data", "digit-canvas", "--all", "--save-arrays", folder)
        images = torch.from_numpy(np.load(os.path.join(folder, "images.npy")))
        labels = torch.from_numpy(np.load(os.path.join(folder, "labels.npy"))).long()
        self.assertEqual(list(images.shape), [500, 1, 64, 64])
        extra = {"convscope.json": ""}
        model = torch.jit.load(path, _extra_files=extra)
        meta = json.loads(extra["convscope.json"])
        self.assertEqual(meta["task"], "segmentation")
        mean, std = torch.tensor(meta["mean"]).view(1, -1, 1, 1), torch.tensor(meta["std"]).view(1, -1, 1, 1)
        with torch.no_grad():
            predicted = model((images - mean) / std).argmax(1)
        confusion = torch.bincount(labels.flatten() * 11 + predicted.flatten(), minlength=121).view(11, 11).double()
        tp = confusion.diag()
        union = confusion.sum(0) + confusion.sum(1) - tp
        iou = tp[union > 0] / union[union > 0]
        miou = iou.mean().item()
        self.assertGreaterEqual(miou, 0.90)
        self.assertAlmostEqual(doc["mean_iou"], miou, delta=1e-6)
        self.assertAlmostEqual(meta["test_mean_iou"], miou, delta=1e-6)
        self.assertAlmostEqual(doc["pixel_accuracy"], (tp.sum() / confusion.sum()).item(), delta=1e-9)


class TransposedConvolution(unittest.TestCase):
    def test_macs_and_receptive_fields_by_hand(self):
        doc = run_json(self, "summary", os.path.join(MODELS, "unet_digits.pt"))
        rows = {r["name"]: r for r in doc["layers"]}
        # MACs of a transposed convolution: input elements x C_out x kH x kW.
        self.assertEqual(rows["up2"]["flops"], 32 * 16 * 16 * 16 * 2 * 2)
        self.assertEqual(rows["up1"]["flops"], 16 * 32 * 32 * 8 * 2 * 2)
        # Receptive fields: 3x3 convolutions add 2 x jump; pools add 1 x jump
        # and double it; dilation d adds 2 d x jump.
        field = {"enc1_conv2": 5, "pool1": 6, "enc2_conv2": 14, "pool2": 16, "mid_conv1": 24,
                 "mid_conv2": 24 + 2 * 2 * 4, "mid_conv3": 40 + 2 * 4 * 4,
                 # a 2x2 stride-2 transposed convolution gives each output one input: unchanged
                 "up2": 72, "dec2_conv1": 72 + 2 * 2, "up1": 80, "dec1_conv2": 84}
        for name, rf in field.items():
            self.assertEqual(rows[name]["rf"][0], rf, name)
        self.assertEqual(rows["up2"]["jump"][0], 2)
        self.assertEqual(rows["up1"]["jump"][0], 1)


if __name__ == "__main__":
    CONVSCOPE, MODELS = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
