"""Train BiLSTMFaceEmotionClassifier on FER2013 ``train/`` and score it on PublicTest.

Seeded; writes accuracy, macro-F1, the per-class report, the training time and
the hardware as JSON. Example (the seed study's sizes, Adam instead of SGD)::

    python benchmarks/train_fer2013.py ../shared/data/fer2013-dev.zip \\
        --row-hidden 32 --col-hidden 64 --epochs 10 --out benchmarks/results/train.json
"""

import argparse
import time

import keras
import numpy as np
from _common import write_report  # benchmarks/ is on sys.path when run as a script
from sklearn.metrics import classification_report, f1_score

from bilstm_emotion import EMOTIONS, BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import load_fer2013


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    parser.add_argument("--row-hidden", type=int, default=64)
    parser.add_argument("--col-hidden", type=int, default=64)
    parser.add_argument("--row-layers", type=int, default=1)
    parser.add_argument("--col-layers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--flip", action="store_true")
    parser.add_argument("--class-weight", choices=["balanced"], default=None)
    parser.add_argument("--train-size", type=int, default=None, help="first N shuffled faces")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/train_fer2013.json")
    args = parser.parse_args(argv)

    faces = load_fer2013(args.path)
    train, test = faces.split == "train", faces.split == "test"
    X_train, y_train = faces.data[train], faces.target[train]
    if args.train_size:
        keep = np.random.default_rng(args.random_state).permutation(len(X_train))
        X_train, y_train = X_train[keep[: args.train_size]], y_train[keep[: args.train_size]]
    X_test, y_test = faces.data[test], faces.target[test]

    clf = BiLSTMFaceEmotionClassifier(
        row_hidden=args.row_hidden,
        col_hidden=args.col_hidden,
        row_layers=args.row_layers,
        col_layers=args.col_layers,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        flip=args.flip,
        class_weight=args.class_weight,
        random_state=args.random_state,
        verbose=2,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    train_s = time.perf_counter() - start
    y_pred = clf.predict(X_test)
    report = classification_report(
        y_test, y_pred, labels=range(7), target_names=EMOTIONS, output_dict=True, zero_division=0
    )
    result = {
        "benchmark": "train_fer2013",
        "params": {k: v for k, v in clf.get_params().items() if k != "verbose"},
        "backend": keras.backend.backend(),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "accuracy": float(np.mean(y_pred == y_test)),
        "macro_f1": float(f1_score(y_test, y_pred, average="macro")),
        "per_class": report,
        "history": clf.history_,
        "train_s": train_s,
    }
    print(
        classification_report(
            y_test, y_pred, labels=range(7), target_names=EMOTIONS, zero_division=0
        )
    )
    print(
        f"accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
        f"trained in {train_s / 60:.1f} min"
    )
    write_report(result, args.out)


if __name__ == "__main__":
    main()
