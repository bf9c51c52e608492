"""Soft-voting ensembles of trained models on FER2013 PublicTest: accuracy and speed.

Scores every combination of the shipped models (plus any exported with
``tools/train_fer2013.py --export DIR``, given as ``--extra DIR/NAME``) by averaging
their probabilities, the way ``VotingClassifier(voting="soft")`` over
``FrozenEstimator``\\ s does, each model with its mirror images, then also
with ``test_time_shift`` (``--shift``, 2 pixels), then with the views it ships
with (``shipped_views``: a vote of teachers as ``tools/train_fer2013.py`` asks it);
measures the throughput of the default model with and without shifts and of
the shipped models' vote, in the same run::

    python benchmarks/ensemble.py ../shared/data/fer2013-dev.zip \\
        --extra /tmp/extra/conv-wide --out benchmarks/results/ensemble.json
"""

import argparse
import itertools
from pathlib import Path

import keras
import numpy as np
from _common import fer2013_train_test, median_seconds, write_report  # benchmarks/ is on sys.path
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator

from bilstm_emotion import PRETRAINED, load_pretrained
from bilstm_emotion.evaluation import score_predictions


def _throughput(clf, X, repeats):
    """Median faces per second of ``clf.predict_proba(X)`` over ``repeats`` calls."""
    return len(X) / median_seconds(lambda: clf.predict_proba(X), repeats, warmup=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="DIR/NAME",
        help="a model written by tools/train_fer2013.py --export DIR",
    )
    parser.add_argument("--shift", type=int, default=2, help="test_time_shift to score (2)")
    parser.add_argument("--speed-faces", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/ensemble.json")
    args = parser.parse_args(argv)

    _, _, X, y = fer2013_train_test(args.path)
    models = {name: load_pretrained(name, engine="keras") for name in PRETRAINED}
    for extra in args.extra:
        models[Path(extra).name] = load_pretrained(
            Path(extra).name, directory=Path(extra).parent, engine="keras"
        )
    classes = models[PRETRAINED[0]].classes_
    proba = {0: {}, args.shift: {}}
    shipped_shift = {name: clf.test_time_shift for name, clf in models.items()}
    for name, clf in models.items():
        assert clf.classes_.tolist() == classes.tolist(), name
        for shift in proba:  # each model with its own test_time_flip (True for all)
            proba[shift][name] = clf.set_params(test_time_shift=shift).predict_proba(X)
        clf.set_params(test_time_shift=0)
    # each model with the views it ships with, as tools/train_fer2013.py asks a vote of teachers
    proba["shipped"] = {name: proba[shipped_shift[name]][name] for name in models}

    def score(members, shift):
        y_pred = classes[np.mean([proba[shift][m] for m in members], axis=0).argmax(axis=1)]
        report = score_predictions(y, y_pred, labels=classes)
        return {
            "accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
            "recall": {c: report.per_class[c]["recall"] for c in classes.tolist()},
        }

    combos = [
        {
            "members": list(members),
            "shipped": all(m in PRETRAINED for m in members),
            **score(members, 0),
            "shifted": score(members, args.shift),
            "shipped_views": score(members, "shipped"),
        }
        for k in range(1, len(models) + 1)
        for members in itertools.combinations(models, k)
    ]
    combos.sort(key=lambda c: -c["accuracy"])
    for c in combos:
        print(
            f"{c['accuracy']:.4f} {c['macro_f1']:.4f}  shifted {c['shifted']['accuracy']:.4f} "
            f"{c['shifted']['macro_f1']:.4f}  {' + '.join(c['members'])}"
        )

    # Speed: the default model alone vs the vote of all shipped models, interleaved rounds.
    vote = VotingClassifier(
        [(name, FrozenEstimator(models[name])) for name in PRETRAINED], voting="soft"
    ).fit(X[:70], np.repeat(classes, 10))  # fit learns only the class names
    X_speed = np.resize(X, (args.speed_faces, *X.shape[1:]))
    default = models[PRETRAINED[0]]
    shifted = load_pretrained(PRETRAINED[0], engine="keras").set_params(test_time_shift=args.shift)
    candidates = {
        PRETRAINED[0]: default,
        f"{PRETRAINED[0]}, test_time_shift={args.shift}": shifted,
        "vote of the shipped models": vote,
    }
    rounds = {name: [] for name in candidates}
    for _ in range(3):
        for name, clf in candidates.items():
            rounds[name].append(_throughput(clf, X_speed, args.repeats))
    speed = {name: float(np.median(r)) for name, r in rounds.items()}
    print({name: round(s) for name, s in speed.items()})

    write_report(
        {
            "benchmark": "ensemble",
            "backend": keras.backend.backend(),
            "n_test": len(X),
            "models": {name: dict(models[name].get_params()) for name in models},
            "test_time_shift": args.shift,
            "combinations": combos,
            "throughput_faces_per_s": speed,
            "speed_faces": args.speed_faces,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
