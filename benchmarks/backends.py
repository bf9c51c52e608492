"""Fit and predict speed of BiLSTMFaceEmotionClassifier on each Keras backend.

Each backend runs in its own process (Keras picks its backend once, at import).
All backends run in the same invocation, so compare their ratios rather than
absolute times: the machines are shared and noisy.

Usage::

    python benchmarks/backends.py --n-images 2048 --out benchmarks/results/backends.json
"""

import argparse
import json
import os
import subprocess
import sys

from _common import write_report  # benchmarks/ is on sys.path when run as a script

WORKER = r"""
import json, sys, time
import numpy as np
import bilstm_emotion
from bilstm_emotion import BiLSTMFaceEmotionClassifier
import keras

cfg = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
X = rng.integers(0, 256, size=(cfg["n_images"], 48, 48), dtype=np.uint8)
y = rng.integers(0, 7, size=cfg["n_images"])
params = dict(row_hidden=cfg["row_hidden"], col_hidden=cfg["col_hidden"],
              batch_size=cfg["batch_size"], random_state=0)

def timed_fit(epochs):
    t = time.perf_counter()
    clf = BiLSTMFaceEmotionClassifier(epochs=epochs, **params).fit(X, y)
    return time.perf_counter() - t, clf

t_short, _ = timed_fit(1)
t_long, clf = timed_fit(1 + cfg["timed_epochs"])
epoch_s = (t_long - t_short) / cfg["timed_epochs"]
clf.predict_proba(X[:256])  # warm-up
t = time.perf_counter(); clf.predict_proba(X); pred_s = time.perf_counter() - t
one = X[:1]
clf.predict_proba(one)
t = time.perf_counter()
for _ in range(20):
    clf.predict_proba(one)
latency_s = (time.perf_counter() - t) / 20
print(json.dumps({
    "backend": keras.backend.backend(),
    "versions": {"keras": keras.__version__,
                 keras.backend.backend(): __import__(keras.backend.backend()).__version__},
    "fit_first_epoch_s": t_short,
    "fit_epoch_s": epoch_s,
    "train_images_per_s": cfg["n_images"] / epoch_s,
    "predict_images_per_s": cfg["n_images"] / pred_s,
    "predict_latency_batch1_ms": latency_s * 1000,
}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["jax", "tensorflow", "torch"])
    parser.add_argument("--n-images", type=int, default=2048)
    parser.add_argument("--timed-epochs", type=int, default=2)
    parser.add_argument("--row-hidden", type=int, default=64)
    parser.add_argument("--col-hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="benchmarks/results/backends.json")
    args = parser.parse_args(argv)
    cfg = {
        "n_images": args.n_images,
        "timed_epochs": args.timed_epochs,
        "row_hidden": args.row_hidden,
        "col_hidden": args.col_hidden,
        "batch_size": args.batch_size,
    }
    results = []
    for backend in args.backends:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        proc = subprocess.run(
            [sys.executable, "-c", WORKER, json.dumps(cfg)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(f"{backend}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            results.append({"backend": backend, "error": proc.stderr[-2000:]})
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(row)
        print(
            f"{backend:>10}: train {row['train_images_per_s']:8.1f} img/s  "
            f"(epoch {row['fit_epoch_s']:.1f} s, first {row['fit_first_epoch_s']:.1f} s)  "
            f"predict {row['predict_images_per_s']:8.1f} img/s  "
            f"batch-1 {row['predict_latency_batch1_ms']:.1f} ms"
        )
    report = {
        "benchmark": "backends",
        "config": cfg,
        "results": results,
    }
    write_report(report, args.out)


if __name__ == "__main__":
    main()
