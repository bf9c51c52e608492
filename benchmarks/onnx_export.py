"""Every shipped model exported to ONNX: agreement with Keras on real faces, and speed.

For each model: export (``bilstm_emotion.export_onnx``), the largest difference
between onnxruntime and ``predict_proba`` on ``--n`` FER2013 PublicTest faces
(real faces, not random pixels), whether the labels agree, PublicTest accuracy
of the ONNX file on those faces; then, in one run and interleaved, faces/s at
batch 256 and single-face latency (the median of ``--repeat`` calls) of
onnxruntime and of the Keras path (``predict_proba``, the shipped views).

    python benchmarks/onnx_export.py ../shared/data/fer2013-dev.zip \
        --out benchmarks/results/onnx.json
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import fer2013_train_test, median_seconds, write_report

from bilstm_emotion.evaluation import score_predictions


def measure(name, X, y, repeat):
    import onnxruntime

    from bilstm_emotion import export_onnx, load_pretrained

    clf = load_pretrained(name, engine="keras")  # the package picks the Keras backend first
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.onnx"
        start = time.perf_counter()
        export_onnx(clf, path, check=False)
        export_s = time.perf_counter() - start
        size = path.stat().st_size
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def ort(faces):
        return session.run(["probabilities"], {"faces": faces})[0]

    got, expected = ort(X), clf.predict_proba(X)
    batch, one = X[:256], X[:1]
    speed = {}
    for label, call in (("onnxruntime", ort), ("keras", clf.predict_proba)):
        speed[label] = {
            "faces_per_s_batch_256": len(batch) / median_seconds(lambda c=call: c(batch), repeat),
            "single_face_ms": 1000 * median_seconds(lambda c=call: c(one), repeat * 5),
        }
    labels = clf.classes_[got.argmax(axis=1)]
    row = {
        "model": name,
        "backend": keras.backend.backend(),
        "views": {"flip": clf.test_time_flip, "shift": clf.test_time_shift},
        "export_s": round(export_s, 1),
        "onnx_mb": round(size / 2**20, 2),
        "faces": len(X),
        "max_abs_diff": float(np.abs(got - expected).max()),
        "labels_agree": float(np.mean(labels == clf.classes_[expected.argmax(axis=1)])),
        "onnx_accuracy": score_predictions(y, labels).accuracy,
        "speed": speed,
        "speedup_batch": speed["onnxruntime"]["faces_per_s_batch_256"]
        / speed["keras"]["faces_per_s_batch_256"],
        "speedup_single": speed["keras"]["single_face_ms"]
        / speed["onnxruntime"]["single_face_ms"],
    }
    print(
        f"{name:12s} diff {row['max_abs_diff']:.1e}  agree {row['labels_agree']:.3f}  "
        f"acc {row['onnx_accuracy']:.3f}  ort {speed['onnxruntime']['faces_per_s_batch_256']:.0f}"
        f" vs keras {speed['keras']['faces_per_s_batch_256']:.0f} faces/s  one face "
        f"{speed['onnxruntime']['single_face_ms']:.1f} vs "
        f"{speed['keras']['single_face_ms']:.1f} ms",
        flush=True,
    )
    return row


def main(argv=None):
    from bilstm_emotion import PRETRAINED

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="FER2013 (Kaggle folder layout zip)")
    parser.add_argument("--n", type=int, default=1000, help="PublicTest faces to compare on")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(PRETRAINED))
    parser.add_argument("--out", default="benchmarks/results/onnx.json")
    args = parser.parse_args(argv)
    _, _, X_test, y_test = fer2013_train_test(args.data)
    rng = np.random.default_rng(0)
    pick = rng.choice(len(X_test), size=min(args.n, len(X_test)), replace=False)
    X = np.asarray(X_test[pick], dtype=np.uint8).reshape(-1, 48, 48)
    rows = [measure(name, X, y_test[pick], args.repeat) for name in args.models]
    write_report(
        {"benchmark": "onnx_export", "models": rows, "n_faces": len(X), "repeat": args.repeat},
        args.out,
    )


if __name__ == "__main__":
    main()
