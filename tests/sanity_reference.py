"""Reference numbers for core/map_similarity: how alike two saliency maps are,
as Adebayo et al. ("Sanity Checks for Saliency Maps", NeurIPS 2018) measure
it, computed with SciPy and scikit-image (Debian: python3-scipy,
python3-skimage). Written from the rule, not from the C++.

Where SciPy gives NaN the C++ gives a number, and so does this module:
maps equal element for element score 1 on every measure; otherwise a constant
input (a map for Spearman, a HOG vector for HOG) scores 0.
"""

import math
import os
import sys


def _cpu_has_avx512_skx():
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((l for l in f if l.startswith("flags")), "").split())
    except OSError:
        return False
    return {"avx512bw", "avx512dq", "avx512vl"} <= flags


# skimage's HOG bins gradient angles from numpy.arctan2. On AVX-512 machines
# numpy dispatches to its own arctan2 (SVML), up to an ulp off glibc's atan2,
# which the C++ uses; at a bin edge (an angle of 180 that rounds to 0 or not)
# that ulp moves a pixel to another bin and HOG similarity by ~1e-3. Without
# the dispatch the two agree bit for bit. It only takes effect before numpy
# loads: exact_atan2() says whether it did.
if "numpy" not in sys.modules and _cpu_has_avx512_skx():
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "AVX512_SKX")

import numpy as np  # noqa: E402
from scipy.stats import pearsonr, spearmanr  # noqa: E402
from skimage.feature import hog  # noqa: E402
from skimage.metrics import structural_similarity  # noqa: E402


def exact_atan2():
    """True when numpy.arctan2 is the C library's atan2, as the C++ HOG's is."""
    rng = np.random.default_rng(0)
    y, x = rng.normal(size=(2, 4096))
    return all(a == math.atan2(p, q) for a, p, q in zip(np.arctan2(y, x), y, x))


def _normalized(m, lower):
    p = np.percentile(np.abs(m), 99)
    if p == 0:
        # The limit of clip(m / p) as p -> 0+: nonzero pixels saturate,
        # zeros stay zero (numpy would give 0/0 = nan there).
        return np.sign(m)
    return np.clip(m / p, lower, 1.0)


def sanity_maps(attribution_or_map):
    """{'absolute': [H, W] in [0, 1], 'signed': [H, W] in [-1, 1]}, float64,
    from an attribution [C, H, W] or a map [H, W] (its own channel sum)."""
    a = np.asarray(attribution_or_map, dtype=np.float64)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"expected [C, H, W] or [H, W], got {a.shape}")
    return {
        "absolute": _normalized(np.abs(a).sum(axis=0), 0.0),
        "signed": _normalized(a.sum(axis=0), -1.0),
    }


def hog_cell_size(shape):
    side = min(shape)
    return 8 if side >= 48 else max(2, side // 6)


def hog_features(m):
    c = hog_cell_size(m.shape)
    return hog(m, orientations=9, pixels_per_cell=(c, c), cells_per_block=(3, 3),
               block_norm="L2-Hys", feature_vector=True)


def _constant(v):
    return bool(np.all(v == v.flat[0]))


def spearman(a, b):
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if np.array_equal(a, b):
        return 1.0
    if _constant(a) or _constant(b):
        return 0.0
    return float(spearmanr(a, b)[0])


def ssim(a, b, data_range=1.0):
    return float(structural_similarity(np.asarray(a, dtype=np.float64),
                                       np.asarray(b, dtype=np.float64),
                                       data_range=data_range))


def hog_similarity(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if np.array_equal(a, b):
        return 1.0
    fa, fb = hog_features(a), hog_features(b)
    if _constant(fa) or _constant(fb):
        return 0.0
    return float(pearsonr(fa, fb)[0])


def similarity(original_maps, randomized_maps):
    """Both arguments as sanity_maps returns them."""
    o, r = original_maps, randomized_maps
    return {
        "spearman_abs": spearman(o["absolute"], r["absolute"]),
        "spearman": spearman(o["signed"], r["signed"]),
        "ssim": ssim(o["absolute"], r["absolute"], 1.0),
        "hog": hog_similarity(o["absolute"], r["absolute"]),
    }
