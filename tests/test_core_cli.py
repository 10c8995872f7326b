#!/usr/bin/python3
"""convscope-core, the CLI built without Qt and OpenCV, against the full CLI.

    /usr/bin/python3 tests/test_core_cli.py path/to/convscope-core path/to/fixtures [path/to/convscope]

Without the full CLI (a build with CONVSCOPE_BUILD_GUI=OFF) the comparisons are
skipped and convscope-core is checked on its own.
"""
import json
import os
import subprocess
import sys
import unittest

CORE = FIXTURES = FULL = None

# Traced and scripted, with residual adds, concatenations, depthwise
# convolutions, an input size override and a name override.
MODELS = [
    ("resnet18_traced.pt",),
    ("alexnet_scripted.pt", "--input", "3,227,227"),
    ("mobilenet_v2_scripted.pt",),
    ("squeezenet1_0_scripted.pt", "--name", "squeeze"),
]


def run(program, *args):
    p = subprocess.run([program, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def fixture(name):
    return os.path.join(FIXTURES, name)


class SameAsTheFullCli(unittest.TestCase):
    def setUp(self):
        if not FULL:
            self.skipTest("no full convscope in this build")

    def assertSame(self, *args):
        full = run(FULL, *args)
        core = run(CORE, *args)
        self.assertEqual(full[0], 0, full[2])
        self.assertEqual(core[0], 0, core[2])
        self.assertEqual(core[1], full[1], f"stdout of {' '.join(args)}")
        return core[1]

    def test_layers_and_summary_json(self):
        for name, *options in MODELS:
            with self.subTest(model=name):
                doc = json.loads(self.assertSame("layers", fixture(name), *options, "--json", "--threads", "2"))
                self.assertGreater(len(doc["layers"]), 5)
                doc = json.loads(self.assertSame("summary", fixture(name), *options, "--json", "--threads", "2"))
                self.assertGreater(doc["total"]["params"], 0)

    def test_tables_and_csv(self):
        self.assertSame("layers", fixture("resnet18_traced.pt"))
        self.assertSame("summary", fixture("resnet18_traced.pt"))
        self.assertSame("summary", fixture("mobilenet_v2_scripted.pt"), "--csv")

    def test_default_model(self):
        self.assertSame("summary", "--json")

    def test_same_errors(self):
        for args in (["layers", "/no/such/model.pt"], ["layers", fixture("resnet18_traced.pt"), "--input", "3,x"],
                     ["summary", fixture("resnet18_traced.pt"), "--json", "--csv"],
                     ["layers", fixture("resnet18_traced.pt"), "--device", "tpu"]):
            with self.subTest(args=args):
                full, core = run(FULL, *args), run(CORE, *args)
                self.assertEqual((core[0], full[0]), (1, 1))
                self.assertEqual(core[2].replace("convscope-core ", "convscope ", 1), full[2])


class OnItsOwn(unittest.TestCase):
    def test_layers_json(self):
        code, out, err = run(CORE, "layers", fixture("resnet18_traced.pt"), "--json", "--threads=1")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["input"], [3, 112, 112])
        self.assertEqual([l["name"] for l in doc["layers"]][:4], ["conv1", "bn1", "relu", "maxpool"])
        self.assertEqual(doc["layers"][0]["shape"], [64, 56, 56])

    def test_input_override(self):
        code, out, err = run(CORE, "summary", fixture("alexnet_scripted.pt"), "--input", "3,227,227", "--json")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["input"], [3, 227, 227])
        self.assertEqual(doc["layers"][0]["shape"], [64, 56, 56])

    def test_commands_that_need_images_say_so(self):
        for command in ("activations", "saliency", "topk", "filters", "tsne"):
            with self.subTest(command=command):
                code, out, err = run(CORE, command, fixture("resnet18_traced.pt"))
                self.assertEqual(code, 2)
                self.assertEqual(out, "")
                self.assertTrue(err.startswith(f"convscope-core {command}: built without OpenCV: "), err)
        code, _, err = run(CORE, "render")
        self.assertIn("built without Qt and OpenCV", err)

    def test_usage_help_and_bad_options(self):
        code, out, _ = run(CORE, "--help")
        self.assertEqual(code, 0)
        self.assertIn("layers", out)
        self.assertIn("summary", out)
        code, _, err = run(CORE, "frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("usage: convscope-core", err)
        code, out, _ = run(CORE, "summary", "--help")
        self.assertEqual(code, 0)
        self.assertIn("--input <C,H,W>", out)
        self.assertEqual(run(CORE, "layers", "--frob")[2], "convscope-core layers: Unknown option 'frob'.\n")
        self.assertEqual(run(CORE, "layers", "--input")[2], "convscope-core layers: Missing value after '--input'.\n")
        self.assertEqual(run(CORE, "layers", "--json=1")[2],
                         "convscope-core layers: Unexpected value after '--json'.\n")
        self.assertEqual(run(CORE, "layers", "--threads", "-1")[2],
                         "convscope-core layers: bad --threads '-1': expected a count from 0 (every core) to 1024\n")
        code, _, err = run(CORE, "layers", "a.pt", "b.pt")
        self.assertEqual((code, err), (1, "convscope-core layers: usage: convscope-core layers [MODEL] [--input C,H,W] "
                                          "[--json]\n"))

    def test_links_neither_qt_nor_opencv(self):
        libraries = subprocess.run(["ldd", CORE], capture_output=True, text=True, check=True).stdout
        needed = subprocess.run(["readelf", "-d", CORE], capture_output=True, text=True, check=True).stdout
        self.assertIn("libtorch", libraries)
        # Debian's libtorch itself pulls in OpenCV (and through it Qt 5) for
        # its own use: only what the binary names itself counts.
        for line in needed.splitlines():
            if "(NEEDED)" in line:
                self.assertNotRegex(line, r"libQt|opencv", line)


if __name__ == "__main__":
    CORE, FIXTURES = sys.argv[1], sys.argv[2]
    FULL = sys.argv[3] if len(sys.argv) > 3 else None
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[4:]])
