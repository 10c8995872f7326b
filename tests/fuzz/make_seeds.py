#!/usr/bin/env python3
"""Writes the seed corpus of each harness into tests/fuzz/corpus/NAME/: small,
valid inputs (and a few nearly valid ones) from which libFuzzer mutates. Run
once; the files are committed. Standard library only."""
import gzip
import json
import os
import struct
import sys
import zlib

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")


def seed(name, index, data):
    folder = os.path.join(corpus, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-%02d" % index), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def png(width, height, pixel=lambda x, y: 0):
    """An 8-bit greyscale PNG."""
    rows = b"".join(b"\0" + bytes(pixel(x, y) for x in range(width)) for y in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def idx(dims, values):
    return b"\0\0\x08" + bytes([len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)


def piece(data, unit=1):
    """fuzz_support.h's Pieces::take: a length byte (in units), then the bytes."""
    assert len(data) % unit == 0 and len(data) // unit < 256
    return bytes([len(data) // unit]) + data


# metadata: convscope.json as models carry it
for i, doc in enumerate([
        {"input": [1, 28, 28], "mean": [0.1307], "std": [0.3081], "labels": [str(d) for d in range(10)],
         "name": "LeNet-5"},
        {"input": [3, 224, 224], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
         "labels_file": "labels.txt"},
        {"input": "3x32x32"}, {}, {"labels": []}, {"mean": 0.5, "std": 0.25}]):
    seed("metadata", i, json.dumps(doc))
seed("metadata", 6, "3,224,224")
seed("metadata", 7, "0.485,0.456,0.406")

# idx: [flags][labels piece x4 when flags & 1][images file]
images = idx([2, 28, 28], [(i * 7) % 256 for i in range(2 * 28 * 28)])
labels = idx([2], [3, 7])
seed("idx", 0, b"\1" + piece(labels + b"\0" * (-len(labels) % 4), 4) + images)
seed("idx", 1, b"\0" + gzip.compress(images))
seed("idx", 2, b"\1" + piece(idx([2], [3, 7, 9, 1]), 4) + images)  # labels file longer than it says
seed("idx", 3, b"\0" + idx([1, 3, 5], list(range(15))))

# digits: a sheet of the right size (the real one is added by scripts/fuzz.sh) and a wrong one
seed("digits", 0, png(2000, 1000, lambda x, y: 255 if (x // 20 + y // 20) % 7 == 0 else 0))
seed("digits", 1, png(20, 10))

# folder: [count][kind, name piece, content piece x16]...  kind % 6 picks the folder,
# (kind >> 3) % 8 the extension (0 png, 5 txt)
tiny = png(3, 2, lambda x, y: 40 * x + 80 * y)
tiny += b"\0" * (-len(tiny) % 16)
def entry(kind, name, content):
    return bytes([kind]) + piece(name.encode()) + piece(content, 16)
seed("folder", 0, bytes([3]) + entry(1, "a", tiny) + entry(2, "b", tiny) + entry(4, "c", tiny))
seed("folder", 1, bytes([2]) + entry(0, "one", tiny) + entry(0 | 5 << 3, "notes", b"hello".ljust(16)))
seed("folder", 2, bytes([2]) + entry(3, "h", tiny) + entry(5, "e", b""))

# caches: [selector][file]  even: a top-k result, odd: a feature cache
topk = {"layer": "conv1", "score": "max", "k": 2, "model_sha256": "ab" * 32, "dataset": "digits:x",
        "shard": 0, "shards": 1, "scanned": 10, "total": 10,
        "channels": [{"channel": 0, "hits": [
            {"image": 3, "label": 0, "score": 1.5, "y": 2, "x": 1, "box": [0, 0, 5, 5], "clipped": False},
            {"image": 8, "label": 1, "score": 0.5, "y": 0, "x": 0, "box": [0, 0, 3, 3], "clipped": True}]}]}
seed("caches", 0, b"\0" + json.dumps(topk).encode())
rows, cols = 3, 2
header = json.dumps({"version": 1, "rows": rows, "cols": cols, "layer": "relu3"}).encode() + b"\n"
body = struct.pack("<%df" % (rows * cols), *[0.5 * i for i in range(rows * cols)])
body += struct.pack("<%dq" % (3 * rows), 0, 4, 9, 1, 2, 3, 1, 2, 2)
seed("caches", 1, b"\1" + header + body)

# session: the settings file a session leaves
seed("session", 0, """[General]

[recent]
inputs=/tmp/photos, digits
models=/home/t/lenet.pt, /home/t/resnet18.pt

[session]
device=auto
input=digits
layer=conv2
model=/home/t/lenet.pt
position=17
tab=activations

[tabs]
filters\\normalize=true

[view]
realtime=true

[window]
geometry=@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3\\0\\0)
""")
seed("session", 1, "[session]\nposition=-4\nmodel=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x1)\ndevice=cuda:x\n")

# cli: one argument a line
for i, args in enumerate([
        "--input\n3,32,32\n--mean\n0.5,0.5,0.5\n--std\n0.25,0.25,0.25\nmodel.pt\nimage.png",
        "--threads\n2\n--eps\n8/255\n--steps\n40\n--index\n3",
        "--labels\nlabels.txt\n--device\ncuda:1\n--json",
        "--help", "--eps\n1/0\n--input\n3x224", "--std\n0,-1\n--threads\n99999"]):
    seed("cli", i, args)
print("seeds written to", corpus)
