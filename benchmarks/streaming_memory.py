"""Peak memory of training on FER2013 faces held in memory vs streamed from the zip.

Each configuration runs in a fresh process, which loads the faces (eagerly as a
uint8 array, or lazily as :class:`~bilstm_emotion.datasets.ImageFiles`), fits a
small network for one epoch and predicts every face; the process's peak
resident memory (``ru_maxrss``) and its memory after the imports are recorded.

Usage::

    python benchmarks/streaming_memory.py ../shared/data/fer2013-dev.zip
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from _common import write_report  # benchmarks/ is on sys.path when run as a script

#: A small network: the point is the memory of the data, not the accuracy.
PARAMS = dict(patch_size=4, row_hidden=16, col_hidden=16, epochs=1, batch_size=256, random_state=0)


def _rss_mb():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def child(path, mode, n_faces):
    """Load, fit and predict in this process; print one JSON line."""
    import numpy as np

    from bilstm_emotion import EMOTIONS, BiLSTMFaceEmotionClassifier
    from bilstm_emotion.datasets import load_fer2013

    after_imports = _rss_mb()
    faces = load_fer2013(path, lazy=True)
    chosen = np.sort(np.random.default_rng(0).permutation(len(faces.target))[:n_faces])
    X = faces.data[chosen]
    if mode == "eager":
        X = np.asarray(X)  # decode everything up front: (n, 48, 48) uint8
    y = np.asarray(EMOTIONS)[faces.target[chosen]]
    start = time.perf_counter()
    clf = BiLSTMFaceEmotionClassifier(**PARAMS).fit(X, y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    clf.predict_proba(X)
    predict_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "faces": int(n_faces),
                "after_imports_mb": after_imports,
                "peak_mb": peak,
                "data_mb": peak - after_imports,
                "fit_s": fit_s,
                "predict_s": predict_s,
            }
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 folder or zip (image layout)")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 1.0])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--out", default="benchmarks/results/streaming_memory.json")
    args = parser.parse_args(argv)
    if args.child:
        return child(args.path, args.child[0], int(args.child[1]))

    from bilstm_emotion.datasets import load_fer2013

    total = len(load_fer2013(args.path, lazy=True).target)
    runs = []
    for fraction in args.fractions:
        for mode in ("eager", "streamed"):
            n = round(fraction * total)
            done = subprocess.run(
                [sys.executable, __file__, args.path, "--child", mode, str(n)],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            )
            if done.returncode:
                raise SystemExit(f"{mode} with {n} faces failed:\n{done.stderr[-3000:]}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            r = runs[-1]
            print(
                f"{mode:9s} {n:6d} faces: peak {r['peak_mb']:7.0f} MB "
                f"(+{r['data_mb']:.0f} MB after imports), fit {r['fit_s']:.0f} s, "
                f"predict {r['predict_s']:.0f} s"
            )
    import keras

    write_report(
        {
            "benchmark": "streaming_memory",
            "source": os.path.basename(args.path),
            "total_faces": total,
            "params": PARAMS,
            "backend": keras.backend.backend(),
            "runs": runs,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
