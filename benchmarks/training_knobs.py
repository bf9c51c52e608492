"""Training images/s per Keras backend, with Keras' speed knobs.

For the shipped ``bilstm`` architecture on ``--faces`` generated faces, each backend in
its own process: one epoch after a warm-up, by default and with ``jit_compile=True``,
``jit_compile=False``, ``steps_per_execution=8`` and batch 128. A knob a backend refuses
is recorded with its error::

    python benchmarks/training_knobs.py --out benchmarks/results/training_knobs.json
"""

import argparse
import json
import os
import subprocess
import sys

from _common import write_report  # benchmarks/ is on sys.path when run as a script

TRAIN_WORKER = r"""
import json, sys, time
import numpy as np, keras
from bilstm_emotion import BiLSTMFaceEmotionClassifier, pretrained_params
from bilstm_emotion.datasets import make_synthetic_faces
cfg = json.loads(sys.argv[1])
X, y = make_synthetic_faces(cfg["n"], random_state=0, return_X_y=True)
params = pretrained_params("bilstm")
params.update(epochs=1, verbose=0)
clf = BiLSTMFaceEmotionClassifier(**params).fit(X[:128], y[:128])
classes, y_idx = np.unique(y, return_inverse=True)
Xf = (X / np.float32(255)).astype(np.float32)
Y = np.eye(len(classes), dtype=np.float32)[y_idx]
rows = []
for variant in cfg["variants"]:
    model = keras.Model.from_config(clf.model_.get_config())
    kwargs = {k: v for k, v in variant.items() if k != "batch_size"}
    try:
        model.compile(optimizer="adamw", loss="categorical_crossentropy", **kwargs)
        batch = variant.get("batch_size", 64)
        model.fit(Xf[: batch * 4], Y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(Xf, Y, batch_size=batch, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        rows.append({**variant, "images_per_s": len(Xf) / seconds})
    except Exception as exc:
        rows.append({**variant, "error": f"{type(exc).__name__}: {exc}"[:300]})
print(json.dumps({"backend": keras.backend.backend(), "variants": rows}))
"""

VARIANTS = [
    {},
    {"jit_compile": True},
    {"jit_compile": False},
    {"steps_per_execution": 8},
    {"batch_size": 128},
]


def training_knobs(n, backends):
    results = []
    for backend in backends:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        proc = subprocess.run(
            [sys.executable, "-c", TRAIN_WORKER, json.dumps({"n": n, "variants": VARIANTS})],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            results.append({"backend": backend, "error": proc.stderr[-1500:]})
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1024)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--out", default="benchmarks/results/training_knobs.json")
    args = parser.parse_args(argv)
    backends = training_knobs(args.faces, args.backends)
    write_report({"benchmark": "training_knobs", "backends": backends}, args.out)


if __name__ == "__main__":
    main()
