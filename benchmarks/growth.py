"""How the cost grows: one epoch of ``fit`` on a growing share of the faces, and
``predict_proba`` at growing batch sizes.

``fit``: one epoch of the shipped ``bilstm`` architecture on 25 %, 50 % and 100 % of
``--faces`` generated faces (or of FER2013 ``train/`` with ``--data``), with the
least-squares line through them (seconds per 1,000 faces, fixed seconds, R²).
``predict_proba``: the default shipped model on 2,048 faces at each of ``--batch-sizes``::

    python benchmarks/growth.py --out benchmarks/results/growth.json
"""

import argparse
import time

import keras
import numpy as np
from _common import fer2013_train_test, write_report  # benchmarks/ is on sys.path

from bilstm_emotion import BiLSTMFaceEmotionClassifier, load_pretrained, pretrained_params
from bilstm_emotion.datasets import make_synthetic_faces


def growth(n, batches, data=None):
    """Fit seconds at three shares of ``n`` faces (all of ``data``'s ``train/`` when given)
    and predict seconds per batch size."""
    if data:
        X, y, _, _ = fer2013_train_test(data)
        order = np.random.default_rng(0).permutation(len(X))
        X, y = X[order], y[order]
        n = len(X)
    else:
        X, y = make_synthetic_faces(n, random_state=0, return_X_y=True)
    params = pretrained_params("bilstm")
    params.update(epochs=1, verbose=0)
    fit = []
    BiLSTMFaceEmotionClassifier(**params).fit(X[:256], y[:256])  # warm-up: tracing, threads
    for share in (0.25, 0.5, 1.0):
        m = int(n * share)
        start = time.perf_counter()
        BiLSTMFaceEmotionClassifier(**params).fit(X[:m], y[:m])
        fit.append({"share": share, "n_images": m, "seconds": time.perf_counter() - start})
    sizes, secs = [f["n_images"] for f in fit], [f["seconds"] for f in fit]
    slope, intercept = np.polyfit(sizes, secs, 1)
    residual = np.asarray(secs) - (slope * np.asarray(sizes) + intercept)
    r2 = 1 - float(residual @ residual) / float(np.var(secs) * len(secs))
    clf = load_pretrained(engine="keras")
    Xf = (X[:2048] / np.float32(255)).astype(np.float32)
    predict = []
    for batch in batches:
        clf.set_params(batch_size=batch)
        clf.predict_proba(Xf[:batch])
        start = time.perf_counter()
        clf.predict_proba(Xf)
        seconds = time.perf_counter() - start
        predict.append({"batch_size": batch, "seconds": seconds, "faces_per_s": len(Xf) / seconds})
    return {
        "fit": fit,
        "fit_line": {
            "seconds_per_1000": 1000 * float(slope),
            "fixed_s": float(intercept),
            "r2": r2,
        },
        "data": "FER2013 train" if data else "generated faces",
        "predict": predict,
        "predict_n_images": len(Xf),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=4096, help="generated faces (4096)")
    parser.add_argument("--data", default=None, help="FER2013 zip: grow over train/ instead")
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 64, 128, 256, 512]
    )
    parser.add_argument("--out", default="benchmarks/results/growth.json")
    args = parser.parse_args(argv)
    result = growth(args.faces, args.batch_sizes, args.data)
    line = result["fit_line"]
    print(f"fit: {line['seconds_per_1000']:.2f} s per 1,000 faces + {line['fixed_s']:.1f} s")
    write_report({"benchmark": "growth", "backend": keras.backend.backend(), **result}, args.out)


if __name__ == "__main__":
    main()
