"""What the estimator adds to Keras: ``fit`` and ``predict_proba`` against ``keras.Model``.

``BiLSTMFaceEmotionClassifier.fit`` against ``keras.Model.fit`` of the identical network
(same layers, optimizer, loss, arrays, epochs, batch size), and ``predict_proba`` against
``keras.Model.predict``, on generated faces; the median of ``--repeat`` alternating runs.
The ratios are what to compare (shared, noisy machines), not the seconds::

    python benchmarks/overhead.py --out benchmarks/results/overhead.json
"""

import argparse
import time

import keras
import numpy as np
from _common import write_report  # benchmarks/ is on sys.path when run as a script

from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import make_synthetic_faces


def overhead(n, epochs, repeat):
    """Median seconds of the estimator's and plain Keras' fit and predict, and the ratios."""
    X, y = make_synthetic_faces(n, random_state=0, return_X_y=True)
    params = dict(row_hidden=64, col_hidden=64, epochs=epochs, batch_size=64, random_state=0)
    classes, y_idx = np.unique(y, return_inverse=True)
    Xf = (X / np.float32(255)).astype(np.float32)
    Y = np.eye(len(classes), dtype=np.float32)[y_idx]
    wrapper, plain, p_wrapper, p_plain = [], [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        clf = BiLSTMFaceEmotionClassifier(**params).fit(X, y)
        wrapper.append(time.perf_counter() - start)
        model = keras.Model.from_config(clf.model_.get_config())  # the identical network
        model.compile(
            optimizer=keras.optimizers.Adam(clf.learning_rate),
            loss=keras.losses.CategoricalCrossentropy(),
            metrics=["accuracy"],
        )
        start = time.perf_counter()
        model.fit(Xf, Y, batch_size=64, epochs=epochs, shuffle=True, verbose=0)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        clf.predict_proba(X)
        p_wrapper.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict(Xf, batch_size=64, verbose=0)
        p_plain.append(time.perf_counter() - start)
    med = {
        k: float(np.median(v))
        for k, v in {
            "fit_wrapper_s": wrapper,
            "fit_keras_s": plain,
            "predict_wrapper_s": p_wrapper,
            "predict_keras_s": p_plain,
        }.items()
    }
    med["fit_ratio"] = med["fit_wrapper_s"] / med["fit_keras_s"]
    med["predict_ratio"] = med["predict_wrapper_s"] / med["predict_keras_s"]
    med.update(n_images=n, epochs=epochs, repeat=repeat)
    return med


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/overhead.json")
    args = parser.parse_args(argv)
    result = overhead(args.faces, args.epochs, args.repeat)
    print(
        f"fit {result['fit_ratio']:.3f}x keras.Model.fit, "
        f"predict_proba {result['predict_ratio']:.3f}x keras.Model.predict"
    )
    write_report({"benchmark": "overhead", "backend": keras.backend.backend(), **result}, args.out)


if __name__ == "__main__":
    main()
