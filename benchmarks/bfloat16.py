"""What ``predict_dtype="bfloat16"`` costs in accuracy: every shipped model on FER2013 PublicTest.

For each shipped model at its shipped prediction setting, and from one view: accuracy and
macro-F1 in float32 and in bfloat16, the share of faces whose label agrees, and the largest
probability difference. Throughput is measured by ``benchmarks/throughput.py`` (``_bf16`` keys).
A model exported by ``tools/train_fer2013.py --export DIR`` is scored too with ``--extra
DIR/NAME``; ``--models`` picks among the shipped ones (given with no name: none)::

    python benchmarks/bfloat16.py ../shared/data/fer2013-dev.zip
    python benchmarks/bfloat16.py ../shared/data/fer2013-dev.zip --models --extra /tmp/runs/NAME
"""

import argparse
from pathlib import Path

import numpy as np
from _common import fer2013_train_test, write_report

from bilstm_emotion.evaluation import score_predictions


def score(clf, X, y):
    proba = clf.predict_proba(X)
    y_pred = clf.classes_[proba.argmax(axis=1)]
    report = score_predictions(y, y_pred)
    return (
        proba,
        y_pred,
        {
            "accuracy": report.accuracy,
            "correct": int(np.trace(report.confusion)),
            "macro_f1": report.macro_f1,
        },
    )


def main(argv=None):
    from bilstm_emotion import PRETRAINED, load_pretrained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 zip, folder or CSV")
    parser.add_argument("--models", nargs="*", default=list(PRETRAINED))
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="DIR/NAME",
        help="a model exported by tools/train_fer2013.py --export",
    )
    parser.add_argument("--out", default="benchmarks/results/bfloat16.json")
    args = parser.parse_args(argv)
    _, _, X, y = fer2013_train_test(args.path)
    loaders = {
        name: lambda name=name: load_pretrained(name, engine="keras") for name in args.models
    }
    for extra in map(Path, args.extra):
        loaders[extra.name] = lambda extra=extra: load_pretrained(
            extra.name, directory=extra.parent
        )
    rows = []
    for name, load in loaders.items():
        for setting in ("shipped", "one view"):
            clf = load()
            if setting == "one view":
                clf.set_params(test_time_flip=False, test_time_shift=0)
            p32, y32, s32 = score(clf, X, y)
            p16, y16, s16 = score(clf.set_params(predict_dtype="bfloat16"), X, y)
            rows.append(
                {
                    "model": name,
                    "setting": setting,
                    "float32": s32,
                    "bfloat16": s16,
                    "labels_agree": float(np.mean(y32 == y16)),
                    "max_abs_diff": float(np.abs(p32 - p16).max()),
                }
            )
            print(
                f"{name:12s} {setting:9s} float32 {s32['accuracy']:.4f}  "
                f"bfloat16 {s16['accuracy']:.4f}  agree {rows[-1]['labels_agree']:.4f}  "
                f"max diff {rows[-1]['max_abs_diff']:.4f}"
            )
    import keras

    report = {"benchmark": "bfloat16", "backend": keras.backend.backend(), "n_test": len(X)}
    write_report({**report, "models": rows}, args.out)


if __name__ == "__main__":
    main()
