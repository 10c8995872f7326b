"""scikit-learn's TSNE on the points bench_tsne --dump wrote (issue 9's reference).

    bench_tsne --n 5000 --dump /tmp/tsne5k && python3 bench/bench_tsne.py /tmp/tsne5k 5000 50

Same perplexity, exaggeration, iterations and PCA initialization (scaled to std
1e-4, as ours); Barnes-Hut with angle 0.5. Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
from sklearn.manifold import TSNE


def main():
    prefix, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    iters = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    x = np.fromfile(prefix + ".f32", dtype=np.float32).reshape(n, d)
    start = time.perf_counter()
    tsne = TSNE(perplexity=30, early_exaggeration=12, learning_rate="auto", n_iter=iters,
                init="pca", method="barnes_hut", angle=0.5, n_jobs=threads, random_state=0)
    tsne.fit_transform(x)
    print(json.dumps({"n": n, "d": d, "iterations": iters, "threads": threads,
                      "kl": round(float(tsne.kl_divergence_), 5),
                      "seconds_total": round(time.perf_counter() - start, 3)}))


if __name__ == "__main__":
    main()
