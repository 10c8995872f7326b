#!/usr/bin/python3
"""Export torchvision architectures as TorchScript with convscope.json embedded.

Any architecture, for ConvScope users (pretrained weights need a machine with
internet the first time; torchvision caches them):

    python3 models/export_torchvision.py export resnet18 resnet18.pt --weights DEFAULT
    python3 models/export_torchvision.py export mobilenet_v2 mnv2.pt --trace --input 224

Labels come from the weights' own metadata, or for a 1000-class model without
weights from resources/imagenet_classes.txt (torchvision's ImageNet class names).

The lecture's models (what the build runs into models/lecture/; random weights,
torch.manual_seed(0)):

    /usr/bin/python3 models/export_torchvision.py lecture OUT_DIR

Writes alexnet_227.pt (AlexNet at 227x227, the input of the lecture's per-layer
table), vgg16.pt and googlenet.pt (224), and the 1x1 bottleneck example, two blocks
whose input is 192x28x28: bottleneck_direct.pt (a 5x5 convolution to 32 channels,
120,422,400 multiply-adds) and bottleneck_1x1.pt (a 1x1 convolution to 16 channels,
a ReLU, then the 5x5 to 32: 12,443,648).

torchvision's segmentation models (fcn_resnet50, deeplabv3_mobilenet_v3_large,
lraspp_mobilenet_v3_large: 21 VOC classes) export the same way, traced, with
"task": "segmentation"; --weights DEFAULT fetches their VOC weights:

    python3 models/export_torchvision.py export lraspp_mobilenet_v3_large lraspp.pt --weights DEFAULT --input 520
    /usr/bin/python3 models/export_torchvision.py segmentation OUT_DIR [--input 64]   (random weights, for tests)

Test fixtures (what the build runs, with Debian's /usr/bin/python3; random
weights, since nothing can be downloaded here):

    /usr/bin/python3 models/export_torchvision.py fixtures OUT_DIR [--input 112] [--archs resnet18,...]

Writes OUT_DIR/<arch>_traced.pt, <arch>_scripted.pt (each with an embedded
convscope.json) and <arch>.ref.pt: a torch.save() dict with
  input    [1,3,H,W] pixels in [0,1]
  logits   the eager model's output for those pixels
  names    module call names ("layer1.0.relu", "layer1.0.relu#2" for a 2nd call)
  outputs  the matching hook outputs (cloned at hook time, so in-place ops
           that run later do not change them)
  grad_layer, grad   d sum(output of grad_layer) / d input pixels

and, for ConvScope's filter and map pictures:
  <arch>.filters.pt  (alexnet, resnet18, mobilenet_v2) {layer name: dict of
                     the weights as images and torchvision.utils.make_grid
                     pictures of them}
  display.ref.pt     matplotlib colormap samples, activation tiles and a
                     bilinear overlay
  pixel_templates.pt a linear classifier on raw pixels (no convolution)
"""
import argparse
import json
import os
import sys
import zipfile
from collections import OrderedDict

import torch
import torch.nn.functional as F
import torchvision
from torchvision.utils import make_grid

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

# A layer deep enough that its gradient crosses residual/concat/in-place ops.
GRAD_LAYER = {
    "alexnet": "features.3",
    "resnet18": "layer2.0.bn1",
    "mobilenet_v2": "features.4.conv.1",
    "googlenet": "inception3b.branch2.1",
    "densenet121": "features.denseblock1.denselayer2.conv2",
    "squeezenet1_0": "features.3.expand3x3_activation",
}


def build(arch):
    kwargs = {"aux_logits": False, "init_weights": True} if arch == "googlenet" else {}
    torch.manual_seed(0)
    return getattr(torchvision.models, arch)(**kwargs).eval()


def hooked_forward(model, pixels):
    """Eager forward with a hook on every module; outputs cloned at hook time
    (ResNet's ReLU(inplace=True) would otherwise rewrite a BatchNorm output
    after we kept it)."""
    names, outputs, counts, handles = [], [], {}, []

    def hook_for(name):
        def hook(module, args, output):
            if not isinstance(output, torch.Tensor):
                return
            k = counts.get(name, 0)
            counts[name] = k + 1
            names.append(name if k == 0 else f"{name}#{k + 1}")
            outputs.append(output.detach().clone())
        return hook

    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_hook(hook_for(name)))
    with torch.no_grad():
        logits = model(normalize(pixels))
    for h in handles:
        h.remove()
    if not isinstance(logits, torch.Tensor):
        logits = logits[0]
    return logits, names, outputs


def normalize(pixels):
    return (pixels - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def export(arch, out_dir, size):
    model = build(arch)
    export_filters(arch, model, out_dir)
    torch.manual_seed(1)
    pixels = torch.rand(1, 3, size, size)
    meta = json.dumps({"name": arch, "input": [3, size, size], "mean": MEAN, "std": STD})
    extra = {"convscope.json": meta}

    with torch.no_grad():
        traced = torch.jit.trace(model, normalize(pixels))
    torch.jit.save(traced, os.path.join(out_dir, f"{arch}_traced.pt"), _extra_files=extra)
    scripted = torch.jit.script(model)
    torch.jit.save(scripted, os.path.join(out_dir, f"{arch}_scripted.pt"), _extra_files=extra)

    logits, names, outputs = hooked_forward(model, pixels)

    # Gradient reference: d sum(grad_layer output) / d pixels. In-place ReLUs
    # are switched off first (same values): autograd through a hooked output
    # that a later in-place op rewrites gives the wrong gradient in eager mode.
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    grad_layer = GRAD_LAYER[arch]
    captured = {}
    module = dict(model.named_modules())[grad_layer]
    handle = module.register_forward_hook(lambda m, a, o: captured.setdefault("out", o))
    x = pixels.clone().requires_grad_(True)
    model(normalize(x))
    handle.remove()
    captured["out"].sum().backward()

    torch.save({"input": pixels, "logits": logits.detach(), "names": names, "outputs": outputs,
                "grad_layer": grad_layer, "grad": x.grad.detach()},
               os.path.join(out_dir, f"{arch}.ref.pt"))


# Layers whose weights the filter views draw: colour first convolutions, a
# depthwise and a plain inner convolution, and AlexNet's first linear layer,
# which reads the flattened [256, 6, 6] pooling output.
FILTER_LAYERS = {
    "alexnet": ["features.0", "classifier.1"],
    "resnet18": ["conv1", "layer1.0.conv1"],
    "mobilenet_v2": ["features.0.0", "features.1.conv.0.0"],
}
ONE_FILTER = 1      # the filter drawn alone
MIN_TILE = 32       # tiles enlarged to at least this many pixels (nearest neighbour)
LINEAR_ROWS = [0, 1, 4095]  # classifier.1 has 4096 x 9216 weights: too many to store


def grid(tiles, columns, **kwargs):
    """make_grid with ConvScope's layout: 1 pixel of white between tiles."""
    return make_grid(tiles, nrow=columns, padding=1, pad_value=1.0, **kwargs)


def enlarged(tiles):
    factor = -(-MIN_TILE // max(tiles.shape[2:]))
    return F.interpolate(tiles, scale_factor=factor, mode="nearest") if factor > 1 else tiles


def filter_reference(module, image_shape=None):
    """One layer's weights as images and the pictures torchvision draws of them."""
    w = module.weight.detach().clone()
    ref = {"weight_shape": list(w.shape)}
    if image_shape is not None:  # a linear layer: rows are templates over the flattened image
        w = w.view(w.shape[0], *image_shape)
        ref["weight_shape"] = list(w.shape)
        ref["rows"] = torch.tensor(LINEAR_ROWS)
        ref["weight"] = w[LINEAR_ROWS].clone()
    else:
        ref["weight"] = w
    if w.shape[1] > 1:  # make_grid returns a single tile bare, without the frame
        ref["one_filter"] = grid(w[ONE_FILTER].unsqueeze(1), 16, normalize=True)[0]  # that filter's own range
    if w.shape[1] == 3:
        ref["colour_filter"] = grid(w, 8, normalize=True, scale_each=True)
        ref["colour_shared"] = grid(w, 8, normalize=True)
        ref["colour_filter_enlarged"] = grid(enlarged(w), 8, normalize=True, scale_each=True)
    if image_shape is None:
        flat = w.flatten(1)
        low, high = flat.amin(1).view(-1, 1, 1, 1), flat.amax(1).view(-1, 1, 1, 1)
        slices = ((w - low) / (high - low)).reshape(-1, 1, *w.shape[2:])
        ref["slices_filter"] = grid(slices, w.shape[1])[0]
    return ref


def export_filters(arch, model, out_dir):
    modules = dict(model.named_modules())
    refs = {}
    for name in FILTER_LAYERS.get(arch, []):
        module = modules[name]
        refs[name] = filter_reference(module, (256, 6, 6) if isinstance(module, torch.nn.Linear) else None)
    if refs:
        torch.save(refs, os.path.join(out_dir, f"{arch}.filters.pt"))


class PixelTemplates(torch.nn.Module):
    """A linear classifier on raw pixels: its rows are images themselves."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 8 * 6, 4)

    def forward(self, x):
        return self.fc(x.view(x.size(0), -1))


def export_display(out_dir):
    """matplotlib's colormaps and the pictures made with them."""
    from matplotlib import colormaps

    def cmap(name, values):
        rgb = colormaps[name](values.double().numpy())[..., :3]
        return torch.from_numpy(rgb).float().movedim(-1, -3)

    ref = {"x": torch.linspace(0, 1, 1001, dtype=torch.float64)}
    for name in ("gray", "viridis", "inferno", "jet"):
        ref[name] = torch.from_numpy(colormaps[name](ref["x"].numpy())[:, :3]).float()

    torch.manual_seed(5)
    act = torch.randn(4, 5, 6)
    ref["activation"] = act
    ref["tiles_shared_viridis"] = cmap("viridis", (act - act.min()) / (act.max() - act.min()))
    flat = act.flatten(1)
    low, high = flat.amin(1).view(-1, 1, 1), flat.amax(1).view(-1, 1, 1)
    ref["tiles_channel_inferno"] = cmap("inferno", (act - low) / (high - low))

    small = torch.rand(7, 5)
    ref["map"] = small
    ref["input"] = torch.rand(3, 40, 30)
    ref["input_gray"] = torch.rand(1, 40, 30)
    norm = (small - small.min()) / (small.max() - small.min())
    resized = F.interpolate(norm[None, None], size=(40, 30), mode="bilinear", align_corners=False)[0, 0]
    ref["overlay_viridis"] = 0.5 * cmap("viridis", resized) + 0.5 * ref["input"]
    ref["overlay_gray_jet_03"] = 0.3 * cmap("jet", resized) + 0.7 * ref["input_gray"].expand(3, 40, 30)
    torch.save(ref, os.path.join(out_dir, "display.ref.pt"))

    torch.manual_seed(6)
    meta = json.dumps({"name": "pixel templates", "input": [3, 8, 6], "mean": [0, 0, 0], "std": [1, 1, 1]})
    torch.jit.save(torch.jit.script(PixelTemplates().eval()), os.path.join(out_dir, "pixel_templates.pt"),
                   _extra_files={"convscope.json": meta})


class NoForward(torch.nn.Module):
    @torch.jit.export
    def describe(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2


class RejectsImages(torch.nn.Module):
    """A model whose forward() takes feature vectors, not images."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(10, 2)

    def forward(self, x):
        return self.fc(x)


class NeverEnds(torch.nn.Module):
    """A forward() that does not return (for all practical purposes): a file made to hang its reader."""

    def forward(self, x):
        n = 0
        while n >= 0:
            n += 1
        return x


class MemoryHog(torch.nn.Module):
    """A forward() that asks for 8 GiB: a file made to exhaust its reader's memory."""

    def forward(self, x):
        big = torch.ones([1 << 31], dtype=torch.float32)
        return x.flatten(1)[:, :2] + big[:1]


def export_broken(out_dir):
    bad = os.path.join(out_dir, "bad")
    os.makedirs(bad, exist_ok=True)
    small = torchvision.models.squeezenet1_1().eval()
    torch.save(small.state_dict(), os.path.join(bad, "state_dict.pt"))
    torch.save(small, os.path.join(bad, "pickled_module.pt"))
    with zipfile.ZipFile(os.path.join(bad, "not_torchscript.zip"), "w") as z:
        z.writestr("readme.txt", "hello")
    with open(os.path.join(bad, "notes.txt"), "w") as f:
        f.write("these are not the weights you are looking for\n")
    scripted = torch.jit.script(small)
    path = os.path.join(bad, "full.pt")
    torch.jit.save(scripted, path)
    with open(path, "rb") as f:
        data = f.read()
    with open(os.path.join(bad, "truncated.pt"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    os.remove(path)
    torch.jit.save(torch.jit.script(NoForward()), os.path.join(bad, "no_forward.pt"))
    torch.jit.save(torch.jit.script(RejectsImages()), os.path.join(bad, "rejects_images.pt"))
    image_meta = {"convscope.json": json.dumps({"input": [1, 8, 8]})}
    torch.jit.save(torch.jit.script(NeverEnds()), os.path.join(bad, "never_ends.pt"), _extra_files=image_meta)
    torch.jit.save(torch.jit.script(MemoryHog()), os.path.join(bad, "memory_hog.pt"), _extra_files=image_meta)
    # Metadata-free torchvision export: the input size must be inferred.
    torch.jit.save(torch.jit.trace(small, torch.rand(1, 3, 224, 224)), os.path.join(out_dir, "squeezenet_nometa.pt"))


IMAGENET_LABELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "imagenet_classes.txt")


# torchvision's segmentation models: {"out": [N, 21, H, W], "aux": ...} at the
# input's size; 21 PASCAL VOC classes with their weights.
SEGMENTATION_ARCHS = ["fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
VOC_CLASSES = ["__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]


def segmentation_model(arch, weights=None):
    """weights_backbone=None: without weights for the whole model, torchvision
    would fetch ImageNet weights for the backbone, which needs internet."""
    builder = getattr(torchvision.models.segmentation, arch)
    return builder(weights=weights, weights_backbone=None).eval()


class OutOnly(torch.nn.Module):
    """The "out" entry of a segmentation model's dict, as pytorch-grad-cam's
    tutorial wraps it: what ConvScope reads of the dict."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def export_user_model(args):
    weights = None if args.weights in ("", "none") else args.weights
    segmentation = args.arch in SEGMENTATION_ARCHS
    if segmentation:
        model = segmentation_model(args.arch, weights)
    else:
        model = torchvision.models.get_model(args.arch, weights=weights).eval() if hasattr(torchvision.models, "get_model") \
            else getattr(torchvision.models, args.arch)(weights=weights).eval()
    meta = {"name": f"{args.arch} ({weights or 'random weights'})", "input": [3, args.input, args.input],
            "mean": MEAN, "std": STD}
    if segmentation:
        meta["task"] = "segmentation"
    labels = None
    if weights:
        enum = torchvision.models.get_model_weights(args.arch) if hasattr(torchvision.models, "get_model_weights") else None
        chosen = enum[weights] if enum is not None and weights != "DEFAULT" else (enum.DEFAULT if enum is not None else None)
        labels = chosen.meta.get("categories") if chosen is not None else None
    if labels is None:
        with torch.no_grad():
            classes = model(torch.zeros(1, 3, args.input, args.input))
        classes = classes["out"] if isinstance(classes, dict) else classes
        classes = (classes if isinstance(classes, torch.Tensor) else classes[0]).shape[1]
        if classes == 1000:
            labels = imagenet_labels()
        elif segmentation and classes == len(VOC_CLASSES):
            labels = VOC_CLASSES
    if labels:
        meta["labels"] = labels
    if args.trace or segmentation:
        # Segmentation models are traced (strict=False keeps their dict
        # output): their scripted form has branches ConvScope's layer graph
        # cannot follow yet.
        with torch.no_grad():
            scripted = torch.jit.trace(model, torch.rand(1, 3, args.input, args.input), strict=False)
    else:
        scripted = torch.jit.script(model)
    torch.jit.save(scripted, args.out, _extra_files={"convscope.json": json.dumps(meta)})
    print(f"wrote {args.out}: {meta['name']}, input {meta['input']}, {len(labels or [])} labels", file=sys.stderr)


def export_segmentation(out_dir, side):
    """Each segmentation architecture with random weights (seed 0), traced
    with its dict output, as <arch>.pt, plus <arch>.ref.pt: the input pixels
    (seed 1) and the eager model's "out" for them."""
    for arch in SEGMENTATION_ARCHS:
        torch.manual_seed(0)
        model = segmentation_model(arch)
        pixels = torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(1))
        normalized = (pixels - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
        with torch.no_grad():
            traced = torch.jit.trace(model, torch.rand(1, 3, side, side), strict=False)
            out = model(normalized)["out"]
        meta = {"name": f"{arch} (random weights)", "input": [3, side, side], "mean": MEAN, "std": STD,
                "labels": VOC_CLASSES, "task": "segmentation"}
        path = os.path.join(out_dir, f"{arch}.pt")
        torch.jit.save(traced, path + ".part", _extra_files={"convscope.json": json.dumps(meta)})
        os.replace(path + ".part", path)
        torch.save({"input": pixels, "out": out}, os.path.join(out_dir, f"{arch}.ref.pt"))
        print(f"wrote {path}", file=sys.stderr)


def imagenet_labels():
    with open(IMAGENET_LABELS) as f:
        return [line.rstrip("\n") for line in f]


# The lecture's architectures: (file, torchvision name, input side).
LECTURE_ARCHS = [("alexnet_227", "alexnet", 227), ("vgg16", "vgg16", 224), ("googlenet", "googlenet", 224)]


def direct_block():
    return torch.nn.Sequential(OrderedDict(conv5x5=torch.nn.Conv2d(192, 32, 5, padding=2)))


def bottleneck_block():
    return torch.nn.Sequential(OrderedDict(conv1x1=torch.nn.Conv2d(192, 16, 1), relu=torch.nn.ReLU(),
                                           conv5x5=torch.nn.Conv2d(16, 32, 5, padding=2)))


# The 1x1 bottleneck example: 192x28x28 to 32x28x28, directly and through 16 channels.
LECTURE_BLOCKS = [("bottleneck_direct", "5x5 convolution, 192 to 32 channels", direct_block),
                  ("bottleneck_1x1", "1x1 bottleneck to 16 channels, then 5x5 to 32", bottleneck_block)]


def export_lecture(out_dir):
    """Traced: one graph of plain ops, and no TorchScript warnings (scripted
    GoogLeNet warns that it always returns GoogLeNetOutputs). Each file is written
    under a temporary name and renamed, so an interrupted build leaves no half file."""
    def save(module, example, name, meta):
        with torch.no_grad():
            traced = torch.jit.trace(module, example)
        path = os.path.join(out_dir, f"{name}.pt")
        torch.jit.save(traced, path + ".part", _extra_files={"convscope.json": json.dumps(meta)})
        os.replace(path + ".part", path)
        print(f"wrote {path}", file=sys.stderr)

    labels = imagenet_labels()
    for name, arch, side in LECTURE_ARCHS:
        model = build(arch)  # torch.manual_seed(0) inside
        meta = {"name": f"{arch} ({side}x{side}, random weights)", "input": [3, side, side], "mean": MEAN, "std": STD,
                "labels": labels}
        save(model, torch.zeros(1, 3, side, side), name, meta)
        del model
    for name, title, make in LECTURE_BLOCKS:
        torch.manual_seed(0)
        # Not an image: the views that need one say so; Summary, Layers and Filters work.
        meta = {"name": title, "input": [192, 28, 28], "mean": 0, "std": 1}
        save(make().eval(), torch.zeros(1, 192, 28, 28), name, meta)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    fixtures = sub.add_parser("fixtures", help="test fixtures and references (random weights)")
    fixtures.add_argument("out_dir")
    fixtures.add_argument("--input", type=int, default=112)
    fixtures.add_argument("--archs", default=",".join(GRAD_LAYER))
    fixtures.add_argument("--threads", type=int, default=0)
    user = sub.add_parser("export", help="one torchvision architecture, for ConvScope")
    user.add_argument("arch")
    user.add_argument("out")
    user.add_argument("--weights", default="none", help="DEFAULT, a weights name such as IMAGENET1K_V1, or none")
    user.add_argument("--input", type=int, default=224)
    user.add_argument("--trace", action="store_true", help="trace instead of script")
    seg = sub.add_parser("segmentation", help="torchvision's segmentation models (random weights) and references")
    seg.add_argument("out_dir")
    seg.add_argument("--input", type=int, default=64)
    lecture = sub.add_parser("lecture", help="the lecture's models: AlexNet at 227, VGG-16, GoogLeNet, 1x1 bottleneck")
    lecture.add_argument("out_dir")
    args = parser.parse_args()
    if args.command == "export":
        export_user_model(args)
        return
    if args.command == "segmentation":
        os.makedirs(args.out_dir, exist_ok=True)
        export_segmentation(args.out_dir, args.input)
        return
    if args.command == "lecture":
        os.makedirs(args.out_dir, exist_ok=True)
        export_lecture(args.out_dir)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    for arch in args.archs.split(","):
        export(arch, args.out_dir, args.input)
        print(f"exported {arch}", file=sys.stderr)
    export_broken(args.out_dir)
    export_display(args.out_dir)


if __name__ == "__main__":
    main()
