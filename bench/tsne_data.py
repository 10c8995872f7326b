"""Points for bench/run_tsne.sh, as float32 [N, D] row-major files.

    python3 bench/tsne_data.py OUT_DIR

OUT_DIR/digits50.f32: the 5000 handwritten digits of opencv-doc's sheet
(20x20 pixels in [0, 1]) reduced to 50 dimensions by scikit-learn's PCA, the
issue's "5000 digits reduced to 50 dimensions".
OUT_DIR/digits70k50.f32: 70,000 digits (those 5000 and 13 copies, each copy
rotated by up to 15 degrees and shifted by up to 2 pixels, seeded) reduced to
50 dimensions the same way.
"""
import sys

import numpy as np
from PIL import Image
from scipy import ndimage
from sklearn.decomposition import PCA

SHEET = "/usr/share/doc/opencv-doc/examples/data/digits.png"


def main():
    out = sys.argv[1]
    sheet = np.asarray(Image.open(SHEET).convert("L"), dtype=np.float32) / 255
    rows, cols = sheet.shape[0] // 20, sheet.shape[1] // 20
    digits = sheet.reshape(rows, 20, cols, 20).transpose(0, 2, 1, 3).reshape(-1, 20, 20)
    reduce = lambda x: PCA(50, random_state=0).fit_transform(x.reshape(len(x), -1)).astype(np.float32)
    reduce(digits).tofile(f"{out}/digits50.f32")

    rng = np.random.default_rng(0)
    copies = [digits]
    for _ in range(13):
        dx, dy = rng.integers(-2, 3, 2)
        angle = rng.uniform(-15, 15)
        copies.append(np.stack([ndimage.shift(ndimage.rotate(d, angle, reshape=False, order=1), (dy, dx), order=0)
                                for d in digits]))
    reduce(np.concatenate(copies)).tofile(f"{out}/digits70k50.f32")


if __name__ == "__main__":
    main()
